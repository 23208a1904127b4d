package stockroom_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/packtest"
	"github.com/stockroomhq/stockroom/resources"
)

// openOps opens a library on a fresh data folder with one alternative
// filesystem, "alt", and returns it with the folder and the alt root.
func openOps(t *testing.T, dataDir string) (*stockroom.Library, string) {
	return openOpsWith(t, dataDir, stockroom.Options{})
}

// openOpsWith is openOps with other options besides.
func openOpsWith(t *testing.T, dataDir string, opts stockroom.Options) (*stockroom.Library, string) {
	t.Helper()
	alt := filepath.Join(filepath.Dir(dataDir), "alt")
	if err := os.MkdirAll(alt, 0o755); err != nil {
		t.Fatal(err)
	}
	opts.DataDir, opts.AltFS = dataDir, map[string]string{"alt": alt}
	opts.DisableJobs, opts.DisableMediaWorker = true, true
	lib, err := stockroom.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	return lib, alt
}

func blobPath(dataDir string, h blobstore.Hash) string {
	return filepath.Join(dataDir, "files", filepath.FromSlash(h.Path()))
}

// damage changes the stored bytes of blobs, in the pack or as files.
type damage struct {
	read   func(blobstore.Hash) []byte
	write  func(blobstore.Hash, []byte)
	remove func(blobstore.Hash)
}

// damagers are the two places a data folder keeps small blobs.
func damagers(t *testing.T, dataDir string) map[bool]damage {
	files := filepath.Join(dataDir, "files")
	return map[bool]damage{
		false: { // the pack
			read: func(h blobstore.Hash) []byte {
				b, ok := packtest.Read(t, files, h)
				if !ok {
					t.Fatalf("%s is not in the pack", h)
				}
				return b
			},
			write:  func(h blobstore.Hash, b []byte) { packtest.Write(t, files, h, b) },
			remove: func(h blobstore.Hash) { packtest.Remove(t, files, h) },
		},
		true: { // SmallBlobsAsFiles
			read: func(h blobstore.Hash) []byte {
				b, err := os.ReadFile(blobPath(dataDir, h))
				must(t, err)
				return b
			},
			write:  func(h blobstore.Hash, b []byte) { must(t, os.WriteFile(blobPath(dataDir, h), b, 0o644)) },
			remove: func(h blobstore.Hash) { must(t, os.Remove(blobPath(dataDir, h))) },
		},
	}
}

// TestVerifyFindsEverySeededCorruption: a flipped byte, a truncated file, a
// missing file and a changed local file are each reported with the rows
// that use them; the clean store before reports nothing.
func TestVerifyFindsEverySeededCorruption(t *testing.T) {
	for _, asFiles := range []bool{false, true} {
		t.Run(fmt.Sprintf("SmallBlobsAsFiles=%v", asFiles), func(t *testing.T) {
			testVerifyFindsEverySeededCorruption(t, asFiles)
		})
	}
}

func testVerifyFindsEverySeededCorruption(t *testing.T, asFiles bool) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	lib, alt := openOpsWith(t, dataDir, stockroom.Options{SmallBlobsAsFiles: asFiles})
	dmg := damagers(t, dataDir)[asFiles]
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
	b := dmg.read(res[0].Hash)
	b[3] ^= 0x20
	dmg.write(res[0].Hash, b)
	dmg.write(res[1].Hash, dmg.read(res[1].Hash)[:5])
	dmg.remove(res[2].Hash)
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

// TestBackupRestoreUnderWrites: a backup taken while uploads go on restores
// into a library that verifies clean and holds every row of the snapshot
// with the same bytes; a second backup copies only the new blobs; restore
// refuses a folder that is not empty.
func TestBackupRestoreUnderWrites(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	lib, _ := openOps(t, filepath.Join(root, "data"))
	for i := range 20 {
		if _, err := lib.Store.Create(ctx, strings.NewReader(fmt.Sprint("before ", i)), resources.CreateInput{Name: "b.txt"}); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			if _, err := lib.Store.Create(ctx, strings.NewReader(fmt.Sprint("during ", n)), resources.CreateInput{Name: "d.txt"}); err != nil {
				t.Error(err)
			}
			n++
		}
	}()
	dest := filepath.Join(root, "backup")
	rep, err := lib.Backup(ctx, dest)
	close(stop)
	during := <-done
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied != rep.Blobs || rep.Blobs < 20 || len(rep.Gone) != 0 {
		t.Errorf("first backup: %+v", rep)
	}
	t.Logf("first backup: %d blobs with %d uploads going on", rep.Blobs, during)

	// Incremental: the second backup copies what was added since.
	var before int
	must(t, lib.Store.ReadDB().NewRaw("SELECT count(DISTINCT hash) FROM resources").Scan(ctx, &before))
	for i := range 3 {
		if _, err := lib.Store.Create(ctx, strings.NewReader(fmt.Sprint("after ", i)), resources.CreateInput{Name: "a.txt"}); err != nil {
			t.Fatal(err)
		}
	}
	rep2, err := lib.Backup(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Copied != before+3-rep.Blobs || rep2.Present != rep.Blobs {
		t.Errorf("second backup copied %d and found %d, want %d and %d", rep2.Copied, rep2.Present, before+3-rep.Blobs, rep.Blobs)
	}

	restored := filepath.Join(root, "restored")
	must(t, stockroom.Restore(ctx, dest, restored))
	if err := stockroom.Restore(ctx, dest, restored); err == nil {
		t.Error("restore into a folder that is not empty succeeded")
	}
	lib2, err := stockroom.Open(ctx, stockroom.Options{DataDir: restored, DisableJobs: true, DisableMediaWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lib2.Close()
	vr, err := lib2.Verify(ctx, stockroom.VerifyOptions{})
	if err != nil || !vr.OK() || vr.Unreferenced != 0 {
		t.Fatalf("verify of the restored library: %+v %v", vr, err)
	}
	type row struct {
		ID, Ver int64
		Hash    string
	}
	rows := func(l *stockroom.Library) []row {
		var r []row
		must(t, l.Store.ReadDB().NewRaw(`SELECT id, 0 AS ver, hash FROM resources UNION ALL SELECT resource_id, id, hash FROM resource_versions ORDER BY 1, 2`).Scan(ctx, &r))
		return r
	}
	got, want := rows(lib2), rows(lib)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restored rows (-want +got):\n%s", diff)
	}
	for _, r := range got {
		h, _ := blobstore.ParseHash(r.Hash)
		if err := lib2.Blobs.Verify(ctx, h); err != nil {
			t.Errorf("restored blob of %d: %v", r.ID, err)
		}
	}
}

// TestSweeper: with a sweeper, a delete of several resources leaves their
// files to it (GC removes them); a single delete still removes its file at
// once.
func TestSweeper(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	lib, err := stockroom.Open(ctx, stockroom.Options{DataDir: dataDir, SweepInterval: time.Hour, DisableMediaWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	var ids []int64
	var hashes []blobstore.Hash
	for i := range 3 {
		r, err := lib.Store.Create(ctx, strings.NewReader(fmt.Sprint("swept ", i)), resources.CreateInput{Name: "s.txt"})
		if err != nil {
			t.Fatal(err)
		}
		ids, hashes = append(ids, r.ID), append(hashes, r.Hash)
	}
	must(t, lib.Store.Delete(ctx, ids[0]))
	if _, err := lib.Blobs.Stat(ctx, hashes[0]); err == nil {
		t.Error("a single delete left its file")
	}
	must(t, lib.Store.DeleteMany(ctx, ids[1:]))
	for _, h := range hashes[1:] {
		if _, err := lib.Blobs.Stat(ctx, h); err != nil {
			t.Errorf("the bulk delete removed %s itself: %v", h, err)
		}
	}
	rep, err := lib.GC(ctx, stockroom.GCOptions{Grace: -1})
	if err != nil || rep.Blobs != 2 {
		t.Errorf("gc after the bulk delete: %+v %v", rep, err)
	}
}
