// Package blobstoretest provides a conformance suite for implementations of
// blobstore.Store. Every backend runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
//			return mystore.New(...)
//		})
//	}
package blobstoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stockroomhq/stockroom/blobstore"
)

// Run runs the conformance suite against stores made by newStore. Each
// subtest calls newStore once and expects an empty store; newStore should
// register any cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) blobstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blobstore.Store)
	}{
		{"PutOpen", testPutOpen},
		{"HashIsSHA256", testHashIsSHA256},
		{"Stat", testStat},
		{"Dedupe", testDedupe},
		{"Empty", testEmpty},
		{"Large", testLarge},
		{"Missing", testMissing},
		{"Remove", testRemove},
		{"Walk", testWalk},
		{"WalkStops", testWalkStops},
		{"Verify", testVerify},
		{"CancelBeforePut", testCancelBeforePut},
		{"CancelMidPut", testCancelMidPut},
		{"ReaderError", testReaderError},
		{"ConcurrentSame", testConcurrentSame},
		{"ConcurrentDistinct", testConcurrentDistinct},
		{"Receive", testReceive},
		{"ReceiveDiscard", testReceiveDiscard},
		{"ReceiveFailures", testReceiveFailures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

func testPutOpen(t *testing.T, s blobstore.Store) {
	data := []byte("the quick brown fox jumps over the lazy dog")
	res := mustPut(t, s, data)
	want := blobstore.PutResult{Hash: sha256.Sum256(data), Size: int64(len(data)), Created: true}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Fatalf("Put result mismatch (-want +got):\n%s", diff)
	}
	checkContent(t, res.Hash, data, mustRead(t, s, res.Hash))

	// The File must also support random access.
	f, err := s.Open(t.Context(), res.Hash)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	buf := make([]byte, 5)
	if _, err := f.ReadAt(buf, 4); err != nil {
		t.Fatalf("ReadAt: %v", err)
	}
	if got, want := string(buf), "quick"; got != want {
		t.Errorf("ReadAt(4) = %q, want %q", got, want)
	}
	if _, err := f.Seek(-3, io.SeekEnd); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	tail, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read after Seek: %v", err)
	}
	if got, want := string(tail), "dog"; got != want {
		t.Errorf("read after Seek(-3, end) = %q, want %q", got, want)
	}
}

func testHashIsSHA256(t *testing.T, s blobstore.Store) {
	for _, data := range [][]byte{[]byte("a"), []byte("abc"), bytes.Repeat([]byte{0}, 1000), randomBytes(1, 70_000)} {
		res := mustPut(t, s, data)
		if want := blobstore.Hash(sha256.Sum256(data)); res.Hash != want {
			t.Errorf("Put(%d bytes) hash = %s, want %s", len(data), res.Hash, want)
		}
	}
}

func testStat(t *testing.T, s blobstore.Store) {
	data := randomBytes(2, 12345)
	res := mustPut(t, s, data)
	info, err := s.Stat(t.Context(), res.Hash)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	want := blobstore.Info{Hash: res.Hash, Size: int64(len(data))}
	if diff := cmp.Diff(want, info, cmpopts.IgnoreFields(blobstore.Info{}, "ModTime")); diff != "" {
		t.Errorf("Stat mismatch (-want +got):\n%s", diff)
	}
	if info.ModTime.IsZero() {
		t.Errorf("Stat ModTime is zero")
	}
}

func testDedupe(t *testing.T, s blobstore.Store) {
	data := []byte("stored once")
	first := mustPut(t, s, data)
	second := mustPut(t, s, data)
	if !first.Created {
		t.Errorf("first Put Created = false, want true")
	}
	want := first
	want.Created = false
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("second Put mismatch (-want +got):\n%s", diff)
	}
	if got := walkAll(t, s); len(got) != 1 {
		t.Errorf("Walk found %d blobs after storing the same content twice, want 1", len(got))
	}
}

func testEmpty(t *testing.T, s blobstore.Store) {
	res := mustPut(t, s, nil)
	want := blobstore.PutResult{Hash: sha256.Sum256(nil), Size: 0, Created: true}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Fatalf("Put(empty) mismatch (-want +got):\n%s", diff)
	}
	if got := mustRead(t, s, res.Hash); len(got) != 0 {
		t.Errorf("read %d bytes of the empty blob", len(got))
	}
	mustVerify(t, s, res.Hash)
	if got := walkAll(t, s); len(got) != 1 || got[0].Size != 0 {
		t.Errorf("Walk = %v, want the empty blob only", got)
	}
}

func testLarge(t *testing.T, s blobstore.Store) {
	const size = 20 << 20
	res, err := s.Put(t.Context(), newStreamReader(3, size))
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", size, err)
	}
	want := blobstore.PutResult{Hash: hashReader(t, newStreamReader(3, size)), Size: size, Created: true}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Fatalf("Put result mismatch (-want +got):\n%s", diff)
	}
	f, err := s.Open(t.Context(), res.Hash)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	if got := hashReader(t, f); got != res.Hash {
		t.Errorf("read back content hashes to %s, want %s", got, res.Hash)
	}
	mustVerify(t, s, res.Hash)
}

func testMissing(t *testing.T, s blobstore.Store) {
	mustPut(t, s, []byte("some other blob"))
	h := blobstore.Hash(sha256.Sum256([]byte("never stored")))
	ctx := t.Context()

	_, err := s.Open(ctx, h)
	checkNotFound(t, "Open", err)
	_, err = s.Stat(ctx, h)
	checkNotFound(t, "Stat", err)
	checkNotFound(t, "Verify", s.Verify(ctx, h))
}

func testRemove(t *testing.T, s blobstore.Store) {
	ctx := t.Context()
	keep := mustPut(t, s, []byte("keep me"))
	gone := mustPut(t, s, []byte("remove me"))

	if err := s.Remove(ctx, gone.Hash); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := s.Remove(ctx, gone.Hash); err != nil {
		t.Errorf("second Remove of the same blob: %v, want nil", err)
	}
	if err := s.Remove(ctx, blobstore.Hash(sha256.Sum256([]byte("never stored")))); err != nil {
		t.Errorf("Remove of a blob never stored: %v, want nil", err)
	}
	_, err := s.Open(ctx, gone.Hash)
	checkNotFound(t, "Open after Remove", err)
	_, err = s.Stat(ctx, gone.Hash)
	checkNotFound(t, "Stat after Remove", err)

	if diff := cmp.Diff([]blobstore.Hash{keep.Hash}, hashes(walkAll(t, s))); diff != "" {
		t.Errorf("Walk after Remove mismatch (-want +got):\n%s", diff)
	}
	if res := mustPut(t, s, []byte("remove me")); !res.Created {
		t.Errorf("Put after Remove: Created = false, want true")
	}
}

func testWalk(t *testing.T, s blobstore.Store) {
	if got := walkAll(t, s); len(got) != 0 {
		t.Fatalf("Walk of an empty store found %v", got)
	}
	var want []blobstore.Info
	for i := range 40 {
		data := randomBytes(uint64(100+i), i*97)
		res := mustPut(t, s, data)
		want = append(want, blobstore.Info{Hash: res.Hash, Size: res.Size})
	}
	mustPut(t, s, randomBytes(100, 0)) // a duplicate adds nothing
	got := walkAll(t, s)
	opts := cmp.Options{
		cmpopts.IgnoreFields(blobstore.Info{}, "ModTime"),
		cmpopts.SortSlices(func(a, b blobstore.Info) bool { return bytes.Compare(a.Hash[:], b.Hash[:]) < 0 }),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("Walk mismatch (-want +got):\n%s", diff)
	}
}

func testWalkStops(t *testing.T, s blobstore.Store) {
	for i := range 5 {
		mustPut(t, s, fmt.Appendf(nil, "blob %d", i))
	}
	errStop := errors.New("stop here")
	calls := 0
	err := s.Walk(t.Context(), func(blobstore.Info) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Errorf("Walk returned %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("Walk called fn %d times after it failed, want 1", calls)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Walk(ctx, func(blobstore.Info) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Walk with a cancelled context returned %v, want context.Canceled", err)
	}
}

func testVerify(t *testing.T, s blobstore.Store) {
	for _, data := range [][]byte{[]byte("verify me"), randomBytes(4, 1<<20)} {
		res := mustPut(t, s, data)
		mustVerify(t, s, res.Hash)
	}
}

func testCancelBeforePut(t *testing.T, s blobstore.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Put(ctx, bytes.NewReader([]byte("too late"))); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context returned %v, want context.Canceled", err)
	}
	checkEmpty(t, s)
}

func testCancelMidPut(t *testing.T, s blobstore.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The reader cancels the context once it has produced 1 MiB and would
	// go on for 64 MiB.
	r := &hookReader{r: newStreamReader(5, 64<<20), after: 1 << 20, hook: func() error {
		cancel()
		return nil
	}}
	if _, err := s.Put(ctx, r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put cancelled midway returned %v, want context.Canceled", err)
	}
	if r.n > 32<<20 {
		t.Errorf("Put read %d bytes after the context was cancelled at 1 MiB", r.n)
	}
	checkEmpty(t, s)
}

func testReaderError(t *testing.T, s blobstore.Store) {
	errBoom := errors.New("boom")
	r := &hookReader{r: newStreamReader(6, 8<<20), after: 3 << 20, hook: func() error { return errBoom }}
	if _, err := s.Put(t.Context(), r); !errors.Is(err, errBoom) {
		t.Fatalf("Put from a failing reader returned %v, want the reader's error", err)
	}
	checkEmpty(t, s)
}

func testConcurrentSame(t *testing.T, s blobstore.Store) {
	const n = 8
	for round := range 4 {
		data := randomBytes(uint64(7+round), 1<<20+round)
		want := blobstore.Hash(sha256.Sum256(data))
		results := make([]blobstore.PutResult, n)
		errs := make([]error, n)
		ctx := t.Context()
		// Every reader holds back EOF until all have delivered their
		// content, so the Puts race to commit the same blob.
		gate := newGate(n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r := &gatedReader{r: newChunkReader(data, 4096+i*1000), gate: gate}
				results[i], errs[i] = s.Put(ctx, r)
			})
		}
		wg.Wait()

		created := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d: Put %d: %v", round, i, errs[i])
			}
			if results[i].Hash != want || results[i].Size != int64(len(data)) {
				t.Errorf("round %d: Put %d = %+v, want hash %s and size %d", round, i, results[i], want, len(data))
			}
			if results[i].Created {
				created++
			}
		}
		if created != 1 {
			t.Errorf("round %d: %d of %d concurrent Puts of the same content reported Created, want exactly 1", round, created, n)
		}
		checkContent(t, want, data, mustRead(t, s, want))
	}
	if got := walkAll(t, s); len(got) != 4 {
		t.Errorf("Walk found %d blobs after 4 rounds of concurrent Puts, want 4", len(got))
	}
}

func testConcurrentDistinct(t *testing.T, s blobstore.Store) {
	const n = 16
	blobs := make([][]byte, n)
	for i := range blobs {
		blobs[i] = randomBytes(uint64(1000+i), 300_000+i)
	}
	errs := make([]error, n)
	ctx := t.Context()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := s.Put(ctx, newChunkReader(blobs[i], 10_000))
			if err == nil && !res.Created {
				err = fmt.Errorf("Created = false for new content")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Put %d: %v", i, err)
		}
	}

	var want []blobstore.Hash
	for _, b := range blobs {
		h := blobstore.Hash(sha256.Sum256(b))
		want = append(want, h)
		checkContent(t, h, b, mustRead(t, s, h))
	}
	opt := cmpopts.SortSlices(func(a, b blobstore.Hash) bool { return bytes.Compare(a[:], b[:]) < 0 })
	if diff := cmp.Diff(want, hashes(walkAll(t, s)), opt); diff != "" {
		t.Errorf("Walk mismatch (-want +got):\n%s", diff)
	}
}

// mustPut stores data, streamed through a reader that is not a
// bytes.Reader, and fails the test on error.
func mustPut(tb testing.TB, s blobstore.Store, data []byte) blobstore.PutResult {
	tb.Helper()
	res, err := s.Put(context.Background(), newChunkReader(data, 1000))
	if err != nil {
		tb.Fatalf("Put(%d bytes): %v", len(data), err)
	}
	return res
}

// mustRead returns the whole content of blob h.
func mustRead(tb testing.TB, s blobstore.Store, h blobstore.Hash) []byte {
	tb.Helper()
	f, err := s.Open(context.Background(), h)
	if err != nil {
		tb.Fatalf("Open(%s): %v", h, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		tb.Fatalf("reading %s: %v", h, err)
	}
	return data
}

func mustVerify(tb testing.TB, s blobstore.Store, h blobstore.Hash) {
	tb.Helper()
	if err := s.Verify(context.Background(), h); err != nil {
		tb.Errorf("Verify(%s): %v", h, err)
	}
}

// walkAll returns the Info of every stored blob.
func walkAll(tb testing.TB, s blobstore.Store) []blobstore.Info {
	tb.Helper()
	var infos []blobstore.Info
	err := s.Walk(context.Background(), func(info blobstore.Info) error {
		infos = append(infos, info)
		return nil
	})
	if err != nil {
		tb.Fatalf("Walk: %v", err)
	}
	return infos
}

// checkEmpty fails the test if the store holds any blob.
func checkEmpty(tb testing.TB, s blobstore.Store) {
	tb.Helper()
	if got := walkAll(tb, s); len(got) != 0 {
		tb.Errorf("store holds %d blobs after a failed Put, want none: %v", len(got), got)
	}
}

// checkContent compares blob content read back with what was put. Large
// blobs make cmp.Diff slow, so it reports where they differ instead.
func checkContent(tb testing.TB, h blobstore.Hash, want, got []byte) {
	tb.Helper()
	if bytes.Equal(want, got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	tb.Errorf("content of %s: read %d bytes, want %d; first difference at offset %d", h, len(got), len(want), i)
}

func checkNotFound(tb testing.TB, what string, err error) {
	tb.Helper()
	if !errors.Is(err, blobstore.ErrNotFound) {
		tb.Errorf("%s of a missing blob returned %v, want blobstore.ErrNotFound", what, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		tb.Errorf("%s of a missing blob returned %v, want an error satisfying fs.ErrNotExist", what, err)
	}
}

func hashes(infos []blobstore.Info) []blobstore.Hash {
	var hs []blobstore.Hash
	for _, info := range infos {
		hs = append(hs, info.Hash)
	}
	return hs
}

func hashReader(tb testing.TB, r io.Reader) blobstore.Hash {
	tb.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		tb.Fatalf("hashing: %v", err)
	}
	return blobstore.Hash(h.Sum(nil))
}

// randomBytes returns n pseudo-random bytes determined by seed.
func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	newStreamReader(seed, 0).rng.Read(b)
	return b
}

// streamReader yields a deterministic pseudo-random stream of a given
// length without holding it in memory, in reads of varying size.
type streamReader struct {
	rng       *rand.ChaCha8
	remaining int64
	reads     int
}

func newStreamReader(seed uint64, n int64) *streamReader {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return &streamReader{rng: rand.NewChaCha8(s), remaining: n}
}

func (r *streamReader) Read(p []byte) (int, error) {
	if r.remaining == 0 {
		return 0, io.EOF
	}
	// Vary the read size so stores see short and odd-sized chunks.
	r.reads++
	if limit := 1 + (r.reads*7919)%(100<<10); len(p) > limit {
		p = p[:limit]
	}
	if int64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}
	r.rng.Read(p)
	r.remaining -= int64(len(p))
	return len(p), nil
}

// chunkReader yields data in reads of at most size bytes. It hides the
// bytes.Reader fast paths (WriterTo, Seeker) from the store.
type chunkReader struct {
	data []byte
	size int
}

func newChunkReader(data []byte, size int) *chunkReader {
	return &chunkReader{data: data, size: size}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.size)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// gate lets n readers wait for each other, but not forever: a store that
// fails one Put early must not hang the suite.
type gate struct {
	mu      sync.Mutex
	waiting int
	open    chan struct{}
}

func newGate(n int) *gate {
	return &gate{waiting: n, open: make(chan struct{})}
}

// arrive blocks until all readers have arrived or a few seconds passed.
func (g *gate) arrive() {
	g.mu.Lock()
	if g.waiting--; g.waiting == 0 {
		close(g.open)
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-time.After(10 * time.Second):
	}
}

// gatedReader passes reads through to r, and at EOF waits at gate once.
type gatedReader struct {
	r       io.Reader
	gate    *gate
	arrived bool
}

func (r *gatedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err == io.EOF && !r.arrived {
		r.arrived = true
		r.gate.arrive()
	}
	return n, err
}

// hookReader passes reads through until after bytes have been read, then
// calls hook once; a non-nil error from hook is returned by that and every
// later Read.
type hookReader struct {
	r     io.Reader
	after int64
	hook  func() error
	n     int64
	fired bool
	err   error
}

func (r *hookReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if !r.fired && r.n >= r.after {
		r.fired = true
		if r.err = r.hook(); r.err != nil {
			return 0, r.err
		}
	}
	n, err := r.r.Read(p)
	r.n += int64(n)
	return n, err
}
