package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/httpapi"
)

// ignoreBudget leaves the budget flags out of the serveConfig comparisons
// of serve_test.go; the tests below check them.
var ignoreBudget = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && sf.Name() == "budget"
}, cmp.Ignore())

var cmpBudget = cmp.AllowUnexported(budgetFlags{})

func TestBudgetFlags(t *testing.T) {
	defaults := budgetFlags{previewCacheSize: "1GiB", previewMemory: "32MiB", tempGrace: time.Hour, minTransferRate: "4KiB", transferGrace: 30 * time.Second, maxUploads: 32, maxConnsPerClient: 128}
	if diff := cmp.Diff(defaults, parseOK(t, nil, nil).budget, cmpBudget); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	env := map[string]string{"IMAGE_MEMORY": "64MiB", "PREVIEW_CACHE_SIZE": "10MB", "PREVIEW_MEMORY": "8MB", "TEMP_GRACE": "5m", "MIN_TRANSFER_RATE": "1KB", "TRANSFER_GRACE": "5s", "MAX_CONCURRENT_UPLOADS": "4", "MAX_CONNS_PER_CLIENT": "9"}
	fromEnv := budgetFlags{imageMemory: "64MiB", previewCacheSize: "10MB", previewMemory: "8MB", tempGrace: 5 * time.Minute, minTransferRate: "1KB", transferGrace: 5 * time.Second, maxUploads: 4, maxConnsPerClient: 9}
	if diff := cmp.Diff(fromEnv, parseOK(t, nil, env).budget, cmpBudget); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	args := []string{"-image-memory", "1GiB", "-preview-cache-size", "0", "-preview-memory", "0", "-temp-grace", "2h", "-min-transfer-rate", "0", "-transfer-grace", "1m", "-max-concurrent-uploads", "0", "-max-conns-per-client", "0"}
	fromFlags := budgetFlags{imageMemory: "1GiB", previewCacheSize: "0", previewMemory: "0", tempGrace: 2 * time.Hour, minTransferRate: "0", transferGrace: time.Minute}
	if diff := cmp.Diff(fromFlags, parseOK(t, args, env).budget, cmpBudget); diff != "" {
		t.Errorf("flags over the environment (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		f                   budgetFlags
		want, image, memory int64
	}{{fromFlags, -1, 1 << 30, -1}, {fromEnv, 10_000_000, 64 << 20, 8_000_000}, {defaults, 1 << 30, 0, 32 << 20}} {
		var opts stockroom.Options
		tc.f.apply(&opts)
		if opts.Previews.CacheSize != tc.want || opts.ImageMemory != tc.image || opts.Previews.MemorySize != tc.memory {
			t.Errorf("%+v: CacheSize %d, ImageMemory %d, MemorySize %d; want %d, %d, %d", tc.f, opts.Previews.CacheSize, opts.ImageMemory, opts.Previews.MemorySize, tc.want, tc.image, tc.memory)
		}
	}
	for _, tc := range []struct {
		f       budgetFlags
		rate    int64
		grace   time.Duration
		uploads int
	}{{fromFlags, -1, time.Minute, -1}, {fromEnv, 1000, 5 * time.Second, 4}} {
		got := tc.f.handler(httpapi.Config{})
		if got.MinTransferRate != tc.rate || got.TransferGrace != tc.grace || got.MaxConcurrentUploads != tc.uploads {
			t.Errorf("%+v: handler config %+v", tc.f, got)
		}
	}
	for _, bad := range [][]string{{"-preview-cache-size", "lots"}, {"-preview-memory", "lots"}, {"-preview-memory", "-1MiB"}, {"-image-memory", "1KB"}, {"-image-memory", "much"}, {"-temp-grace", "-1s"}, {"-min-transfer-rate", "fast"},
		{"-transfer-grace", "0s"}, {"-max-concurrent-uploads", "-1"}, {"-max-conns-per-client", "-2"}} {
		if _, err := (&serveCommand{usageOut: io.Discard}).parse(bad, fakeEnv(nil)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := (&serveCommand{usageOut: io.Discard}).parse(nil, fakeEnv(map[string]string{"TEMP_GRACE": "soon"})); err == nil {
		t.Error("TEMP_GRACE=soon accepted")
	}
}

// TestCleanTempLoop: temporary files past the grace period go at once and
// then as they age; newer ones stay.
func TestCleanTempLoop(t *testing.T) {
	fs := afero.NewMemMapFs()
	store := aferostore.New(fs)
	old := time.Now().Add(-2 * time.Hour)
	for _, name := range []string{"tmp/upload-old", "tmp/upload-new"} {
		if err := afero.WriteFile(fs, name, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Chtimes("tmp/upload-old", old, old); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		cleanTempLoop(ctx, store, time.Hour, 10*time.Millisecond, slog.New(slog.DiscardHandler))
		close(done)
	}()
	defer func() { cancel(); <-done }()
	exists := func(name string) bool { _, err := fs.Stat(name); return err == nil }
	waitFor(t, 5*time.Second, "the old temporary file removed", func() bool { return !exists("tmp/upload-old") })
	if !exists("tmp/upload-new") {
		t.Fatal("a temporary file within the grace period was removed")
	}
	// The new one ages past the grace period: a later round removes it.
	if err := fs.Chtimes("tmp/upload-new", old, old); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the aged temporary file removed", func() bool { return !exists("tmp/upload-new") })
}

// TestServeCleansTemp: the server removes a crashed upload's temporary
// file from its data folder when it starts.
func TestServeCleansTemp(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	tmp := filepath.Join(dataDir, "files", aferostore.TempDir)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(tmp, "upload-crashed"), filepath.Join(tmp, "upload-running")
	for _, name := range []string{stale, fresh} {
		if err := os.WriteFile(name, []byte("partial upload"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	startInProcess(t, "-data-dir", dataDir, "-temp-grace", "1h")
	waitFor(t, 10*time.Second, "the stale temporary file removed", func() bool {
		_, err := os.Stat(stale)
		return os.IsNotExist(err)
	})
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a temporary file within the grace period: %v", err)
	}
}
