package aferostore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/blobstore/blobstoretest"
)

// filesystems are the afero.Fs every test runs on: in memory for logic,
// and a real directory because that is what the server uses.
var filesystems = []struct {
	name  string
	newFS func(tb testing.TB) afero.Fs
}{
	{"MemMapFs", func(testing.TB) afero.Fs { return afero.NewMemMapFs() }},
	{"OsFs", func(tb testing.TB) afero.Fs { return afero.NewBasePathFs(afero.NewOsFs(), tb.TempDir()) }},
}

// forEachFS runs fn as a subtest for each of filesystems.
func forEachFS(t *testing.T, fn func(t *testing.T, fsys afero.Fs)) {
	for _, fsc := range filesystems {
		t.Run(fsc.name, func(t *testing.T) { fn(t, fsc.newFS(t)) })
	}
}

func TestConformance(t *testing.T) {
	for _, fsc := range filesystems {
		t.Run(fsc.name, func(t *testing.T) {
			blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
				return aferostore.New(fsc.newFS(t))
			})
		})
	}
}

// TestConformanceLocalDir runs the suite on a store that knows its host
// directory, whose Puts write anonymous temporary files (on Linux) and
// link them into place.
func TestConformanceLocalDir(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		dir := t.TempDir()
		s := aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), dir))
		s.LocalDir = dir
		t.Cleanup(func() {
			if left, _ := os.ReadDir(filepath.Join(dir, aferostore.TempDir)); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
		return s
	})
}

func TestPutLayout(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys afero.Fs) {
		s := aferostore.New(fsys)
		data := []byte("where do I live?")
		res := mustPut(t, s, data)
		h := blobstore.Hash(sha256.Sum256(data))
		want := h.String()[:2] + "/" + h.String()[2:4] + "/" + h.String()
		got, err := afero.ReadFile(fsys, want)
		if err != nil {
			t.Fatalf("blob %s not at %s: %v", res.Hash, want, err)
		}
		if diff := cmp.Diff(data, got); diff != "" {
			t.Errorf("file content mismatch (-want +got):\n%s", diff)
		}
		mustPut(t, s, data)
		checkNoTemp(t, fsys)
	})
}

func TestVerifyCorrupt(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func([]byte) []byte
	}{
		{"FlippedBit", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }},
		{"Truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"Extended", func(b []byte) []byte { return append(b, '!') }},
		{"Emptied", func([]byte) []byte { return nil }},
	}
	forEachFS(t, func(t *testing.T, fsys afero.Fs) {
		s := aferostore.New(fsys)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				data := []byte("precious bytes for " + tt.name)
				res := mustPut(t, s, data)
				if err := s.Verify(t.Context(), res.Hash); err != nil {
					t.Fatalf("Verify before corruption: %v", err)
				}
				writeFile(t, fsys, res.Hash.Path(), tt.corrupt(bytes.Clone(data)))
				err := s.Verify(t.Context(), res.Hash)
				if !errors.Is(err, blobstore.ErrCorrupt) {
					t.Fatalf("Verify of a corrupted blob returned %v, want ErrCorrupt", err)
				}
				if !strings.Contains(err.Error(), res.Hash.String()) {
					t.Errorf("Verify error %q does not name the blob", err)
				}
			})
		}
	})
}

func TestMaxSize(t *testing.T) {
	const limit = 300_000 // more than one copy buffer
	tests := []struct {
		size     int
		tooLarge bool
	}{
		{0, false},
		{limit - 1, false},
		{limit, false},
		{limit + 1, true},
		{5 * limit, true},
	}
	forEachFS(t, func(t *testing.T, fsys afero.Fs) {
		s := aferostore.New(fsys)
		s.MaxSize = limit
		var want []blobstore.Hash
		for _, tt := range tests {
			data := make([]byte, tt.size)
			rand.Read(data)
			res, err := s.Put(t.Context(), io.MultiReader(bytes.NewReader(data)))
			switch {
			case tt.tooLarge && !errors.Is(err, blobstore.ErrTooLarge):
				t.Errorf("Put(%d bytes) with MaxSize %d returned %v, want ErrTooLarge", tt.size, limit, err)
			case !tt.tooLarge && err != nil:
				t.Errorf("Put(%d bytes) with MaxSize %d: %v", tt.size, limit, err)
			case !tt.tooLarge:
				want = append(want, res.Hash)
			}
		}
		if diff := cmp.Diff(want, walkHashes(t, s), sortHashes); diff != "" {
			t.Errorf("stored blobs mismatch (-want +got):\n%s", diff)
		}
		checkNoTemp(t, fsys)
	})
}

func TestFailedPutLeavesNoTemp(t *testing.T) {
	errBoom := errors.New("boom")
	forEachFS(t, func(t *testing.T, fsys afero.Fs) {
		s := aferostore.New(fsys)
		r := io.MultiReader(bytes.NewReader(make([]byte, 1<<20)), iotestErrReader{errBoom})
		if _, err := s.Put(t.Context(), r); !errors.Is(err, errBoom) {
			t.Errorf("Put from a failing reader returned %v, want %v", err, errBoom)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.Put(ctx, strings.NewReader("cancelled")); !errors.Is(err, context.Canceled) {
			t.Errorf("Put with a cancelled context returned %v, want context.Canceled", err)
		}
		checkNoTemp(t, fsys)
		if got := walkHashes(t, s); len(got) != 0 {
			t.Errorf("failed Puts stored %v", got)
		}
	})
}

// TestPutReaderCutShort: a reader that fails with io.ErrUnexpectedEOF
// (a multipart part whose body ended early), bare or wrapped, fails the
// Put; it is not the end of the content, also for small content, which
// Put reads whole before it makes a file.
func TestPutReaderCutShort(t *testing.T) {
	dir := t.TempDir()
	s := aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), dir))
	s.LocalDir = dir
	for _, cut := range []error{io.ErrUnexpectedEOF, fmt.Errorf("part: %w", io.ErrUnexpectedEOF)} {
		for _, size := range []int{1000, 100 << 10} {
			r := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("x"), size)), iotestErrReader{cut})
			if res, err := s.Put(t.Context(), r); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("Put of %d bytes cut by %v: %+v, %v; want the error", size, cut, res, err)
			}
		}
	}
	if got := walkHashes(t, s); len(got) != 0 {
		t.Errorf("cut Puts stored %v", got)
	}
}

func TestCleanTemp(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys afero.Fs) {
		s := aferostore.New(fsys)
		ctx := t.Context()
		if err := s.CleanTemp(ctx, 0); err != nil {
			t.Fatalf("CleanTemp without a temp directory: %v", err)
		}

		// A Put in progress, blocked on its reader.
		pr, pw := io.Pipe()
		type result struct {
			res blobstore.PutResult
			err error
		}
		done := make(chan result, 1)
		go func() {
			res, err := s.Put(ctx, pr)
			done <- result{res, err}
		}()
		if _, err := pw.Write([]byte("first half, ")); err != nil {
			t.Fatal(err)
		}
		running := tempFiles(t, fsys)
		if len(running) != 1 {
			t.Fatalf("temp files during a Put = %v, want one", running)
		}

		// Files left behind by a crash, one old and one recent.
		old := path.Join(aferostore.TempDir, "put-crashed-long-ago")
		recent := path.Join(aferostore.TempDir, "put-crashed-just-now")
		for _, name := range []string{old, recent} {
			writeFile(t, fsys, name, []byte("partial"))
		}
		longAgo := time.Now().Add(-2 * time.Hour)
		if err := fsys.Chtimes(old, longAgo, longAgo); err != nil {
			t.Fatal(err)
		}

		if err := s.CleanTemp(ctx, time.Hour); err != nil {
			t.Fatalf("CleanTemp: %v", err)
		}
		want := []string{path.Base(recent), running[0]}
		if diff := cmp.Diff(want, tempFiles(t, fsys), sortStrings); diff != "" {
			t.Errorf("temp files after CleanTemp(1h) mismatch (-want +got):\n%s", diff)
		}

		// Even with no age limit, the running Put keeps its file.
		if err := s.CleanTemp(ctx, 0); err != nil {
			t.Fatalf("CleanTemp: %v", err)
		}
		if diff := cmp.Diff(running, tempFiles(t, fsys)); diff != "" {
			t.Errorf("temp files after CleanTemp(0) mismatch (-want +got):\n%s", diff)
		}

		if _, err := pw.Write([]byte("second half")); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		r := <-done
		if r.err != nil {
			t.Fatalf("Put: %v", r.err)
		}
		if want := blobstore.Hash(sha256.Sum256([]byte("first half, second half"))); r.res.Hash != want {
			t.Errorf("Put hash = %s, want %s", r.res.Hash, want)
		}
		checkNoTemp(t, fsys)
	})
}

func TestWalkSkipsReserved(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys afero.Fs) {
		s := aferostore.New(fsys)
		res := mustPut(t, s, []byte("the only blob"))
		other := blobstore.Hash(sha256.Sum256([]byte("not a blob")))

		// Files that look like blobs but are not, or are not where a
		// blob would be.
		for _, name := range []string{
			path.Join(aferostore.TempDir, other.String()),
			path.Join(aferostore.TempDir, other.Path()),
			path.Join(aferostore.DerivedDir, other.Path()),
			path.Join(aferostore.DerivedDir, res.Hash.Path()+"-thumb-256"),
			other.String(),
			"README",
			res.Hash.Path()[:6] + other.String(), // right shape, wrong directory
			res.Hash.Path()[:6] + "notahash",     // wrong name
			strings.ToUpper(other.Path()[:6]) + other.String(), // uppercase directories
		} {
			writeFile(t, fsys, name, []byte("x"))
		}
		if err := fsys.MkdirAll(path.Dir(other.Path())+"/"+other.String(), 0o755); err != nil { // a directory named like a blob
			t.Fatal(err)
		}

		if diff := cmp.Diff([]blobstore.Hash{res.Hash}, walkHashes(t, s)); diff != "" {
			t.Errorf("Walk mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestWalkOrder(t *testing.T) {
	s := aferostore.New(afero.NewMemMapFs())
	var want []blobstore.Hash
	for i := range 50 {
		want = append(want, mustPut(t, s, []byte{byte(i)}).Hash)
	}
	got := walkHashes(t, s)
	if diff := cmp.Diff(want, got, sortHashes); diff != "" {
		t.Fatalf("Walk mismatch (-want +got):\n%s", diff)
	}
	for i := 1; i < len(got); i++ {
		if bytes.Compare(got[i-1][:], got[i][:]) >= 0 {
			t.Fatalf("Walk not in ascending hash order at %d: %s then %s", i, got[i-1], got[i])
		}
	}
}

func BenchmarkPut(b *testing.B) {
	const size = 64 << 20
	for _, fsc := range filesystems {
		b.Run(fsc.name, func(b *testing.B) {
			s := aferostore.New(fsc.newFS(b))
			block := make([]byte, 1<<20)
			rand.Read(block)
			b.SetBytes(size)
			b.ReportAllocs()
			var i uint64
			for b.Loop() {
				i++
				binary.LittleEndian.PutUint64(block, i) // new content every time
				res, err := s.Put(b.Context(), &repeatReader{block: block, remaining: size})
				if err != nil {
					b.Fatal(err)
				}
				if !res.Created {
					b.Fatal("content unexpectedly deduplicated")
				}
				b.StopTimer()
				if err := s.Remove(b.Context(), res.Hash); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// repeatReader yields block over and over until remaining bytes are read.
type repeatReader struct {
	block     []byte
	off       int
	remaining int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}
	n := copy(p, r.block[r.off:])
	r.off = (r.off + n) % len(r.block)
	r.remaining -= int64(n)
	return n, nil
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

var (
	sortHashes  = cmp.Transformer("sort", sortedHashes)
	sortStrings = cmp.Transformer("sort", sortedStrings)
)

func sortedHashes(in []blobstore.Hash) []blobstore.Hash {
	out := append([]blobstore.Hash(nil), in...)
	slices.SortFunc(out, func(a, b blobstore.Hash) int { return bytes.Compare(a[:], b[:]) })
	return out
}

func sortedStrings(in []string) []string {
	out := append([]string(nil), in...)
	slices.SortFunc(out, strings.Compare)
	return out
}

func mustPut(tb testing.TB, s *aferostore.Store, data []byte) blobstore.PutResult {
	tb.Helper()
	res, err := s.Put(context.Background(), bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("Put: %v", err)
	}
	return res
}

func walkHashes(tb testing.TB, s *aferostore.Store) []blobstore.Hash {
	tb.Helper()
	var hs []blobstore.Hash
	if err := s.Walk(context.Background(), func(info blobstore.Info) error {
		hs = append(hs, info.Hash)
		return nil
	}); err != nil {
		tb.Fatalf("Walk: %v", err)
	}
	return hs
}

// tempFiles lists the names of the files in the store's temp directory.
func tempFiles(tb testing.TB, fsys afero.Fs) []string {
	tb.Helper()
	list, err := afero.ReadDir(fsys, aferostore.TempDir)
	if err != nil {
		tb.Fatalf("listing %s: %v", aferostore.TempDir, err)
	}
	var names []string
	for _, fi := range list {
		names = append(names, fi.Name())
	}
	return names
}

// writeFile writes a file and its missing parent directories.
func writeFile(tb testing.TB, fsys afero.Fs, name string, data []byte) {
	tb.Helper()
	if err := fsys.MkdirAll(path.Dir(name), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := afero.WriteFile(fsys, name, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func checkNoTemp(tb testing.TB, fsys afero.Fs) {
	tb.Helper()
	if names := tempFiles(tb, fsys); len(names) != 0 {
		tb.Errorf("temp files left behind: %v", names)
	}
}

func TestDerivedConformance(t *testing.T) {
	for _, fsc := range filesystems {
		t.Run(fsc.name, func(t *testing.T) {
			blobstoretest.RunDerived(t, func(t *testing.T) blobstoretest.DerivedStore {
				return aferostore.New(fsc.newFS(t))
			})
		})
	}
}

func TestLocalPath(t *testing.T) {
	dir := t.TempDir()
	s := aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), dir))
	res := mustPut(t, s, []byte("on the host"))
	if _, ok := s.LocalPath(res.Hash); ok {
		t.Fatal("LocalPath answered without LocalDir")
	}
	s.LocalDir = dir
	p, ok := s.LocalPath(res.Hash)
	if !ok {
		t.Fatal("LocalPath: no path with LocalDir set")
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != "on the host" {
		t.Errorf("reading %s: %q, %v", p, got, err)
	}
}

// BenchmarkPutSmall stores new 6 KB blobs, the size of a small photo
// upload, on a real directory: the cost is in the syscalls and syncs
// around the bytes. Parallel4 runs 4 Puts at once, as 4 clients would.
// GroupSync is the store of the server (anonymous temporary files, syncs
// shared among Puts); OwnSync hides the host files from the store, so that
// each Put makes a named temporary file and syncs its own data.
func BenchmarkPutSmall(b *testing.B) {
	put := func(b *testing.B, s *aferostore.Store, data []byte, i uint64) {
		binary.LittleEndian.PutUint64(data, i) // new content every time
		res, err := s.Put(b.Context(), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if !res.Created {
			b.Fatal("content unexpectedly deduplicated")
		}
	}
	for _, own := range []bool{false, true} {
		newStore := func(b *testing.B) *aferostore.Store {
			dir := b.TempDir()
			fsys := afero.NewBasePathFs(afero.NewOsFs(), dir)
			if own {
				return aferostore.New(opaqueFs{fsys})
			}
			s := aferostore.New(fsys)
			s.LocalDir = dir
			return s
		}
		name := "GroupSync"
		if own {
			name = "OwnSync"
		}
		b.Run(name+"/Serial", func(b *testing.B) {
			s := newStore(b)
			data := make([]byte, 6<<10)
			b.ReportAllocs()
			var i uint64
			for b.Loop() {
				i++
				put(b, s, data, i)
			}
		})
		if !own {
			// Every shard directory made first (MakeShards), as a store
			// that holds many blobs has them: no Put makes one.
			b.Run(name+"/SerialMadeShards", func(b *testing.B) {
				s := newStore(b)
				if err := s.MakeShards(b.Context(), 0); err != nil {
					b.Fatal(err)
				}
				data := make([]byte, 6<<10)
				b.ReportAllocs()
				var i uint64
				for b.Loop() {
					i++
					put(b, s, data, i)
				}
			})
		}
		b.Run(name+"/Parallel4", func(b *testing.B) {
			s := newStore(b)
			var seq atomic.Uint64
			b.ReportAllocs()
			b.SetParallelism(max(1, 4/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				data := make([]byte, 6<<10)
				for pb.Next() {
					put(b, s, data, seq.Add(1))
				}
			})
		})
	}
}

// opaqueFs hides the type of the files of its afero.Fs.
type opaqueFs struct{ afero.Fs }

type opaqueFile struct{ afero.File }

func (o opaqueFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := o.Fs.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return opaqueFile{f}, nil
}
