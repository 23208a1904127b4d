package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/httpapi"
	"github.com/stockroomhq/stockroom/resources"
)

// importTree makes a folder of files: n random ones in nested folders, one
// copy of the first (same content, other name) and an empty file.
func importTree(tb testing.TB, n int) (dir string, paths []string) {
	tb.Helper()
	dir = tb.TempDir()
	var first []byte
	for i := range n {
		b := make([]byte, 1000+i*37)
		rand.Read(b)
		if i == 0 {
			first = b
		}
		p := filepath.Join(dir, "sub"+string(rune('a'+i%3)), "deep", "f"+strings.Repeat("x", i%4)+string(rune('0'+i%10))+".bin")
		if i >= 10 {
			p = filepath.Join(dir, "more", "file"+string(rune('a'+i%26))+string(rune('a'+i/26))+".bin")
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	if err := os.WriteFile(filepath.Join(dir, "copy-of-first.bin"), first, 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir, paths
}

func runImport(tb testing.TB, ctx context.Context, terminal bool, args ...string) (string, error) {
	tb.Helper()
	var out bytes.Buffer
	cmd := &importCommand{out: &out, terminal: func() bool { return terminal }}
	err := cmd.Run(ctx, args, fakeEnv(nil))
	return out.String(), err
}

func countResources(tb testing.TB, dataDir string) (n int, lib *stockroom.Library) {
	tb.Helper()
	lib, err := stockroom.Open(context.Background(), stockroom.Options{DataDir: dataDir, DisableJobs: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { lib.Close() })
	c, err := lib.Store.ReadDB().NewSelect().Table("resources").Count(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return int(c), lib
}

func TestImportIntoDataFolder(t *testing.T) {
	src, paths := importTree(t, 30)
	data := t.TempDir()
	ctx := context.Background()

	// A first run over part of the tree, as if interrupted...
	out, err := runImport(t, ctx, false, "-data-dir", data, "-workers", "3", paths[0], paths[1], paths[12])
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "3 of 3 files") || !strings.Contains(out, "3 imported") {
		t.Errorf("first summary:\n%s", out)
	}
	// ...then the whole tree, with tags, owner and meta: the rest comes in,
	// nothing twice.
	out, err = runImport(t, ctx, false, "-data-dir", data, "-tags", "holiday, scans", "-owner", "Family", "-meta", `{"batch":7}`, src)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "31 of 31 files") || !strings.Contains(out, "27 imported") || !strings.Contains(out, "4 already stored") {
		t.Errorf("second summary:\n%s", out)
	}
	n, lib := countResources(t, data)
	if n != 30 {
		t.Errorf("%d resources, want 30", n)
	}
	// A file of the second run carries the tags, owner and meta.
	var id int64
	if err := lib.Store.ReadDB().NewSelect().Table("resources").Column("id").Where("original_location = ?", paths[20]).Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	r, err := lib.Store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tags) != 2 || r.Owner == nil || r.Owner.Name != "Family" || string(r.Meta) != `{"batch":7}` || r.Name != filepath.Base(paths[20]) {
		t.Errorf("imported resource: tags %v owner %v meta %s name %q", r.Tags, r.Owner, r.Meta, r.Name)
	}
	lib.Close()

	// A third run stores nothing; a missing path fails the run.
	out, err = runImport(t, ctx, false, "-data-dir", data, src, filepath.Join(src, "missing.bin"))
	if err == nil || !strings.Contains(err.Error(), "1 files failed") {
		t.Errorf("missing path: err = %v", err)
	}
	if !strings.Contains(out, "0 imported, 31 already stored, 1 failed") || !strings.Contains(out, "missing.bin") {
		t.Errorf("third summary:\n%s", out)
	}
	if n, _ := countResources(t, data); n != 30 {
		t.Errorf("%d resources after the third run, want 30", n)
	}
}

func TestImportProgressOutput(t *testing.T) {
	src, _ := importTree(t, 5)
	out, err := runImport(t, context.Background(), true, "-data-dir", t.TempDir(), src)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "6/6 files") || !strings.Contains(out, "5 imported, 1 already stored") {
		t.Errorf("terminal output:\n%q", out)
	}
	out, err = runImport(t, context.Background(), false, "-data-dir", t.TempDir(), "-progress-interval", "1ms", src)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "import: ") || !strings.Contains(out, "files") {
		t.Errorf("plain output:\n%s", out)
	}
}

func TestImportInterrupted(t *testing.T) {
	src, _ := importTree(t, 100)
	data := t.TempDir()
	// Stop the first run early (how far it got depends on the machine).
	// Stop the first run at its first progress line after a file is done.
	ctx, cancel := context.WithCancel(context.Background())
	var buf bytes.Buffer
	cmd := &importCommand{out: writerFunc(func(p []byte) (int, error) {
		if !bytes.HasPrefix(p, []byte("import: 0/")) {
			cancel()
		}
		return buf.Write(p)
	}), terminal: func() bool { return false }}
	err := cmd.Run(ctx, []string{"-data-dir", data, "-workers", "1", "-progress-interval", "1ms", src}, fakeEnv(nil))
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("interrupted run: %v\n%s", err, buf.String())
	}
	first, _ := countResources(t, data)
	t.Logf("the interrupted run imported %d of 100 files", first)
	var out string
	out, err = runImport(t, context.Background(), false, "-data-dir", data, src)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n, _ := countResources(t, data); n != 100 {
		t.Errorf("%d resources, want 100", n)
	}
}

func TestImportIntoServer(t *testing.T) {
	src, paths := importTree(t, 12)
	lib, err := stockroom.Open(context.Background(), stockroom.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Store: lib.Store, Versions: lib.Versions, Query: lib.Query, Jobs: lib.Jobs,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	ctx := context.Background()
	out, err := runImport(t, ctx, false, "-server", srv.URL, "-tags", "web", "-owner", "Remote", "-meta", `{"via":"api"}`, src)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "12 imported, 1 already stored, 0 failed") {
		t.Errorf("summary:\n%s", out)
	}
	out, err = runImport(t, ctx, false, "-server", srv.URL, "-owner", "Remote", src)
	if err != nil || !strings.Contains(out, "0 imported, 13 already stored") {
		t.Errorf("second run: %v\n%s", err, out)
	}
	var id int64
	if err := lib.Store.ReadDB().NewSelect().Table("resources").Column("id").Where("original_location = ?", paths[3]).Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	r, err := lib.Store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tags) != 1 || r.Tags[0].Name != "web" || r.Owner == nil || r.Owner.Name != "Remote" || string(r.Meta) != `{"via":"api"}` {
		t.Errorf("imported over the API: tags %v owner %v meta %s", r.Tags, r.Owner, r.Meta)
	}
	groups, err := lib.Store.ListGroups(ctx, resources.ListOptions{})
	if err != nil || groups.Total != 1 {
		t.Errorf("groups: %d, %v", groups.Total, err)
	}
}

func TestImportUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-workers", "0", "x"}, {"-meta", "[1]", "x"}, {"-server", "ftp://x", "x"}} {
		_, err := runImport(t, context.Background(), false, args...)
		if _, ok := err.(*usageError); !ok {
			t.Errorf("import %q: %v, want a usage error", args, err)
		}
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
