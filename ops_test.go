package stockroom_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/resources"
)

// openOps opens a library on a fresh data folder with one alternative
// filesystem, "alt", and returns it with the folder and the alt root.
func openOps(t *testing.T, dataDir string) (*stockroom.Library, string) {
	t.Helper()
	alt := filepath.Join(filepath.Dir(dataDir), "alt")
	if err := os.MkdirAll(alt, 0o755); err != nil {
		t.Fatal(err)
	}
	lib, err := stockroom.Open(context.Background(), stockroom.Options{
		DataDir: dataDir, AltFS: map[string]string{"alt": alt},
		DisableJobs: true, DisableMediaWorker: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	return lib, alt
}

func blobPath(dataDir string, h blobstore.Hash) string {
	return filepath.Join(dataDir, "files", filepath.FromSlash(h.Path()))
}

// TestVerifyFindsEverySeededCorruption: a flipped byte, a truncated file, a
// missing file and a changed local file are each reported with the rows
// that use them; the clean store before reports nothing.
func TestVerifyFindsEverySeededCorruption(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	lib, alt := openOps(t, dataDir)
	var res []*resources.Resource
	for i := range 4 {
		r, err := lib.Store.Create(ctx, strings.NewReader(fmt.Sprintf("content number %d, long enough to flip\n", i)), resources.CreateInput{Name: fmt.Sprintf("f%d.txt", i)})
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, r)
	}
	if err := os.WriteFile(filepath.Join(alt, "local.txt"), []byte("a local file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	local, _, err := lib.Store.AddLocal(ctx, resources.LocalInput{PathName: "alt", LocalPath: "local.txt", CreateInput: resources.CreateInput{Name: "local.txt"}})
	if err != nil {
		t.Fatal(err)
	}

	rep, err := lib.Verify(ctx, stockroom.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || !rep.DatabaseChecked || rep.Checked != 5 {
		t.Fatalf("clean store: %+v", rep)
	}

	// Flip a byte, truncate, remove, change the local file.
	p0 := blobPath(dataDir, res[0].Hash)
	b, _ := os.ReadFile(p0)
	b[3] ^= 0x20
	must(t, os.WriteFile(p0, b, 0o644))
	must(t, os.Truncate(blobPath(dataDir, res[1].Hash), 5))
	must(t, os.Remove(blobPath(dataDir, res[2].Hash)))
	must(t, os.WriteFile(filepath.Join(alt, "local.txt"), []byte("A local file\n"), 0o644))

	rep, err = lib.Verify(ctx, stockroom.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type found struct {
		ID      int64
		Missing bool
	}
	var got []found
	for _, p := range rep.Problems {
		// The resource and its first version.
		if len(p.Users) != 2 || p.Users[0].ResourceID != p.Users[1].ResourceID || p.Users[1].VersionID == 0 {
			t.Errorf("%s: users %v, want one resource and its version", p.Hash, p.Users)
			continue
		}
		got = append(got, found{p.Users[0].ResourceID, p.Missing})
	}
	slices.SortFunc(got, func(a, b found) int { return int(a.ID - b.ID) })
	want := []found{{res[0].ID, false}, {res[1].ID, false}, {res[2].ID, true}, {local.ID, false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s\n%+v", diff, rep.Problems)
	}
	if rep.OK() {
		t.Error("OK with corrupt blobs")
	}
}

// TestVerifySlices: slices from a cursor cover every blob exactly once.
func TestVerifySlices(t *testing.T) {
	ctx := context.Background()
	lib, _ := openOps(t, filepath.Join(t.TempDir(), "data"))
	for i := range 7 {
		if _, err := lib.Store.Create(ctx, strings.NewReader(fmt.Sprint("slice ", i)), resources.CreateInput{Name: "s.txt"}); err != nil {
			t.Fatal(err)
		}
	}
	var from blobstore.Hash
	total, runs := 0, 0
	for {
		rep, err := lib.Verify(ctx, stockroom.VerifyOptions{From: from, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		total += rep.Checked
		runs++
		if rep.Next.IsZero() {
			break
		}
		from = rep.Next
	}
	if total != 7 || runs != 3 {
		t.Errorf("checked %d blobs in %d runs, want 7 in 3", total, runs)
	}
	rep, err := lib.Verify(ctx, stockroom.VerifyOptions{Sample: 2})
	if err != nil || rep.Checked != 2 {
		t.Errorf("sample: %+v, %v", rep, err)
	}
}

// TestGC: unreferenced blobs, their previews and abandoned download parts
// go once past the grace period; referenced ones stay; a dry run counts
// and keeps.
func TestGC(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	lib, _ := openOps(t, dataDir)
	kept, err := lib.Store.Create(ctx, strings.NewReader("kept"), resources.CreateInput{Name: "k.txt"})
	if err != nil {
		t.Fatal(err)
	}
	orphan, err := lib.Blobs.Put(ctx, strings.NewReader("orphan!"))
	if err != nil {
		t.Fatal(err)
	}
	d := lib.Blobs.(blobstore.DerivedStore)
	must(t, d.PutDerived(ctx, orphan.Hash, "preview-1", strings.NewReader("px")))
	must(t, d.PutDerived(ctx, kept.Hash, "preview-1", strings.NewReader("px")))
	must(t, os.MkdirAll(filepath.Join(dataDir, "downloads"), 0o755))
	must(t, os.WriteFile(filepath.Join(dataDir, "downloads", "job-99.part"), []byte("abc"), 0o644))

	rep, err := lib.GC(ctx, stockroom.GCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stockroom.GCReport{TempCleaned: true}, *rep); diff != "" {
		t.Errorf("within the grace period (-want +got):\n%s", diff)
	}
	want := stockroom.GCReport{Blobs: 1, BlobBytes: 7, Derived: 1, DerivedBytes: 2, Parts: 1, PartBytes: 3}
	rep, err = lib.GC(ctx, stockroom.GCOptions{Grace: -1, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, *rep); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}
	if _, err := lib.Blobs.Stat(ctx, orphan.Hash); err != nil {
		t.Fatalf("dry run removed the orphan: %v", err)
	}
	rep, err = lib.GC(ctx, stockroom.GCOptions{Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	want.TempCleaned = true
	if diff := cmp.Diff(want, *rep); diff != "" {
		t.Errorf("gc (-want +got):\n%s", diff)
	}
	if _, err := lib.Blobs.Stat(ctx, orphan.Hash); err == nil {
		t.Error("orphan blob still stored")
	}
	if _, err := d.OpenDerived(ctx, kept.Hash, "preview-1"); err != nil {
		t.Errorf("preview of a kept blob: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "downloads", "job-99.part")); !os.IsNotExist(err) {
		t.Errorf("part of a gone job: %v", err)
	}
	if rep, err := lib.Verify(ctx, stockroom.VerifyOptions{}); err != nil || !rep.OK() || rep.Unreferenced != 0 {
		t.Errorf("verify after gc: %+v %v", rep, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
