package s3store_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/blobstoretest"
	"github.com/stockroomhq/stockroom/blobstore/s3store"
	"github.com/stockroomhq/stockroom/internal/s3test"
)

func TestConformance(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		s, cfg := newStore(t, nil)
		t.Cleanup(func() { checkNoTemp(t, cfg.TempDir) })
		return s
	})
}

func TestConformanceDerived(t *testing.T) {
	blobstoretest.RunDerived(t, func(t *testing.T) blobstoretest.DerivedStore {
		s, _ := newStore(t, nil)
		return s
	})
}

// TestConformanceMultipart runs the suite with every blob over 1 MiB
// uploaded in parts.
func TestConformanceMultipart(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		s, _ := newStore(t, func(c *s3store.Config) { c.MaxSinglePut = 1 << 20; c.PartSize = 5 << 20 })
		return s
	})
}

// TestConformanceChecksumETags runs the suite, single PUTs and parts,
// against a gateway whose ETags derive from the CRC32C the store sends
// rather than from an MD5 of the content (a setting of versitygw that
// saves most of its CPU on a PUT): nothing in the store may rely on an
// ETag being an MD5.
func TestConformanceChecksumETags(t *testing.T) {
	g := s3test.New(t, s3test.ChecksumETags)
	s, cfg := g.Store(t, nil)
	data := []byte("an ETag that is not an MD5")
	res := mustPut(t, s, data)
	c, err := g.Client()
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.StatObject(context.Background(), testBucket, cfg.Prefix+res.Hash.Path(), minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum := md5.Sum(data); strings.Trim(info.ETag, `"`) == hex.EncodeToString(sum[:]) {
		t.Fatalf("ETag %s is the content's MD5: the gateway ignored %s", info.ETag, s3test.ChecksumETags)
	}
	for name, edit := range map[string]func(*s3store.Config){
		"single":    nil,
		"multipart": func(c *s3store.Config) { c.MaxSinglePut = 1 << 20; c.PartSize = 5 << 20 },
	} {
		t.Run(name, func(t *testing.T) {
			blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
				s, _ := g.Store(t, edit)
				return s
			})
		})
	}
}

func mustPut(tb testing.TB, s blobstore.Store, data []byte) blobstore.PutResult {
	tb.Helper()
	res, err := s.Put(context.Background(), bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("Put(%d bytes): %v", len(data), err)
	}
	return res
}

func mustPutRaw(tb testing.TB, key string, data []byte) {
	tb.Helper()
	c, err := sharedGateway(tb).Client()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.PutObject(context.Background(), testBucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		tb.Fatalf("raw put %s: %v", key, err)
	}
}

func TestLayout(t *testing.T) {
	s, cfg := newStore(t, nil)
	data := []byte("where do I live?")
	res := mustPut(t, s, data)
	if err := s.PutDerived(t.Context(), res.Hash, "preview-64x64", strings.NewReader("small")); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, data)
	hex := res.Hash.String()
	want := []string{
		cfg.Prefix + hex[:2] + "/" + hex[2:4] + "/" + hex,
		cfg.Prefix + "derived/" + hex[:2] + "/" + hex[2:4] + "/" + hex + "/preview-64x64",
	}
	if diff := cmp.Diff(want, listKeys(t, sharedGateway(t), cfg.Prefix)); diff != "" {
		t.Errorf("keys mismatch (-want +got):\n%s", diff)
	}
	checkNoTemp(t, cfg.TempDir)
}

// TestChecksumCRC32C: a Put names the content's CRC32C, which the service
// keeps as the object's checksum.
func TestChecksumCRC32C(t *testing.T) {
	s, cfg := newStore(t, nil)
	data := []byte("checked twice")
	res := mustPut(t, s, data)
	c, err := sharedGateway(t).Client()
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.StatObject(t.Context(), testBucket, cfg.Prefix+res.Hash.Path(), minio.StatObjectOptions{Checksum: true})
	if err != nil {
		t.Fatal(err)
	}
	var want [4]byte
	binary.BigEndian.PutUint32(want[:], crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	if got := info.ChecksumCRC32C; got != base64.StdEncoding.EncodeToString(want[:]) {
		t.Errorf("stored CRC32C = %q, want %q", got, base64.StdEncoding.EncodeToString(want[:]))
	}
}

// TestDamagedUploadRefused: the service checks a PUT against the CRC32C it
// names, so bytes changed on the way are refused and nothing appears at
// the key. The body the transport gets is the staged file itself, which
// net/http can send with sendfile.
func TestDamagedUploadRefused(t *testing.T) {
	var damage atomic.Bool
	var fileBodies atomic.Int32
	s, cfg := newStore(t, func(c *s3store.Config) {
		c.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPut && r.Body != nil {
				if _, ok := r.Body.(*os.File); ok {
					fileBodies.Add(1)
				}
				if damage.Load() {
					r.Body = struct {
						io.Reader
						io.Closer
					}{&flipByte{r: r.Body, at: 1000}, r.Body}
				}
			}
			return http.DefaultTransport.RoundTrip(r)
		})
	})
	data := bytes.Repeat([]byte("intact "), 10_000)
	damage.Store(true)
	if res, err := s.Put(t.Context(), bytes.NewReader(data)); err == nil {
		t.Fatalf("Put of bytes damaged on the way = %+v, want an error", res)
	}
	if _, err := s.Stat(t.Context(), sha256.Sum256(data)); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("Stat after the refused Put = %v, want ErrNotFound", err)
	}
	checkNoTemp(t, cfg.TempDir)
	damage.Store(false)
	if res := mustPut(t, s, data); !res.Created {
		t.Errorf("Put of intact bytes = %+v, want Created", res)
	}
	if err := s.Verify(t.Context(), sha256.Sum256(data)); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if n := fileBodies.Load(); n != 2 {
		t.Errorf("%d PUT bodies were the staged file, want 2", n)
	}
}

// flipByte flips the lowest bit of byte at of what r reads.
type flipByte struct {
	r   io.Reader
	at  int64
	off int64
}

func (f *flipByte) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if i := f.at - f.off; i >= 0 && i < int64(n) {
		p[i] ^= 1
	}
	f.off += int64(n)
	return n, err
}

// TestPrefixesIsolate checks that two stores in one bucket see only their
// own blobs, and that a store without prefix skips the others' keys.
func TestPrefixesIsolate(t *testing.T) {
	a, _ := newStore(t, nil)
	b, _ := newStore(t, nil)
	ra := mustPut(t, a, []byte("in a"))
	mustPut(t, b, []byte("in b"))
	if got := walkHashes(t, a); !slices.Equal(got, []blobstore.Hash{ra.Hash}) {
		t.Errorf("Walk of a = %v, want only %s", got, ra.Hash)
	}
	if _, err := b.Stat(t.Context(), ra.Hash); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("Stat in b of a blob of a = %v, want ErrNotFound", err)
	}
}

func walkHashes(tb testing.TB, s blobstore.Store) []blobstore.Hash {
	tb.Helper()
	var hs []blobstore.Hash
	if err := s.Walk(context.Background(), func(i blobstore.Info) error { hs = append(hs, i.Hash); return nil }); err != nil {
		tb.Fatalf("Walk: %v", err)
	}
	return hs
}

// TestWalkSkipsStrays puts keys that are not blobs beside them, on both
// sides of derived/ and after ff/, and checks Walk reports the blobs only,
// in hash order.
func TestWalkSkipsStrays(t *testing.T) {
	s, cfg := newStore(t, nil)
	var want []blobstore.Hash
	for i := range 30 {
		want = append(want, mustPut(t, s, []byte{byte(i), 'x'}).Hash)
	}
	slices.SortFunc(want, func(a, b blobstore.Hash) int { return bytes.Compare(a[:], b[:]) })
	h := want[0].String()
	upper := strings.ToUpper(h)
	for _, key := range []string{
		"tmp/put-123",
		"ab/cd/not-a-hash",
		h[:2] + "/" + h[2:4] + "/" + h + ".part",
		upper[:2] + "/" + upper[2:4] + "/" + upper,
		"00/00/" + h, // a hash under the wrong folders
		"de/ad/readme",
		"derived0",
		"derivedx/" + h,
		"zz",
		"ff/ff/zz",
	} {
		mustPutRaw(t, cfg.Prefix+key, []byte("stray"))
	}
	if err := s.PutDerived(t.Context(), want[0], "p", strings.NewReader("derived")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, walkHashes(t, s)); diff != "" {
		t.Errorf("Walk mismatch (-want +got):\n%s", diff)
	}
}

func TestVerifyCorrupt(t *testing.T) {
	s, cfg := newStore(t, nil)
	res := mustPut(t, s, bytes.Repeat([]byte("stockroom"), 1000))
	if err := s.Verify(t.Context(), res.Hash); err != nil {
		t.Fatalf("Verify before corruption: %v", err)
	}
	mustPutRaw(t, cfg.Prefix+res.Hash.Path(), bytes.Repeat([]byte("stockroon"), 1000))
	if err := s.Verify(t.Context(), res.Hash); !errors.Is(err, blobstore.ErrCorrupt) {
		t.Errorf("Verify of a changed object = %v, want ErrCorrupt", err)
	}
}

func TestMaxSize(t *testing.T) {
	s, cfg := newStore(t, nil)
	s.MaxSize = 100
	if _, err := s.Put(t.Context(), bytes.NewReader(make([]byte, 101))); !errors.Is(err, blobstore.ErrTooLarge) {
		t.Errorf("Put of 101 bytes with MaxSize 100 = %v, want ErrTooLarge", err)
	}
	if keys := listKeys(t, sharedGateway(t), cfg.Prefix); len(keys) != 0 {
		t.Errorf("keys after a refused Put: %v", keys)
	}
	if res := mustPut(t, s, make([]byte, 100)); !res.Created {
		t.Errorf("Put of 100 bytes with MaxSize 100: Created false")
	}
	checkNoTemp(t, cfg.TempDir)
}

// TestMultipartUpload checks the path above MaxSinglePut: the object is
// assembled from parts (its ETag says how many) and reads back whole.
func TestMultipartUpload(t *testing.T) {
	s, cfg := newStore(t, func(c *s3store.Config) { c.MaxSinglePut = 1 << 20; c.PartSize = 5 << 20 })
	data := make([]byte, 12<<20)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	res := mustPut(t, s, data)
	if !res.Created || res.Hash != sha256.Sum256(data) {
		t.Fatalf("Put = %+v", res)
	}
	f, err := s.Open(t.Context(), res.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if etag := f.(*s3store.File).ETag(); !strings.HasSuffix(etag, "-3") {
		t.Errorf("ETag %q: want a multipart object of 3 parts", etag)
	}
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v; want the %d bytes put", len(got), err, len(data))
	}
	if again := mustPut(t, s, data); again.Created {
		t.Errorf("second multipart Put: Created true")
	}
	if keys := listKeys(t, sharedGateway(t), cfg.Prefix); len(keys) != 1 {
		t.Errorf("keys = %v, want the blob only", keys)
	}
}

// TestConditionalAcrossStores puts the same content through separate
// Stores, as separate servers would: they share no lock, so only the
// service's If-None-Match decides which one created the object.
func TestConditionalAcrossStores(t *testing.T) {
	first, cfg := newStore(t, nil)
	stores := []*s3store.Store{first}
	for range 5 {
		s, err := s3store.New(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}
	for round := range 3 {
		data := bytes.Repeat([]byte{byte(round)}, 3<<20)
		var created atomic.Int32
		var wg sync.WaitGroup
		for _, s := range stores {
			wg.Go(func() {
				res, err := s.Put(t.Context(), bytes.NewReader(data))
				if err != nil {
					t.Errorf("Put: %v", err)
				}
				if res.Created {
					created.Add(1)
				}
			})
		}
		wg.Wait()
		if n := created.Load(); n != 1 {
			t.Errorf("round %d: %d of %d Puts reported Created, want 1", round, n, len(stores))
		}
	}
}

// TestFileRanges reads one object in the ways http.ServeContent and
// ReadAt users do, and counts the GET requests it takes.
func TestFileRanges(t *testing.T) {
	var gets []string // Range headers of the GETs
	var mu sync.Mutex
	s, _ := newStore(t, func(c *s3store.Config) {
		c.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && !r.URL.Query().Has("location") {
				mu.Lock()
				gets = append(gets, r.Header.Get("Range"))
				mu.Unlock()
			}
			return http.DefaultTransport.RoundTrip(r)
		})
	})
	takeGets := func() []string {
		mu.Lock()
		defer mu.Unlock()
		g := gets
		gets = nil
		return g
	}
	data := make([]byte, 100_000)
	for i := range data {
		data[i] = byte(i % 251)
	}
	res := mustPut(t, s, data)
	f, err := s.Open(t.Context(), res.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	takeGets()

	buf := make([]byte, 10)
	if n, err := f.ReadAt(buf, 5000); n != 10 || err != nil || !bytes.Equal(buf, data[5000:5010]) {
		t.Errorf("ReadAt(5000) = %d, %v, %v", n, err, buf)
	}
	if n, err := f.ReadAt(buf, int64(len(data))-4); n != 4 || err != io.EOF || !bytes.Equal(buf[:4], data[len(data)-4:]) {
		t.Errorf("ReadAt(len-4) = %d, %v; want 4, io.EOF", n, err)
	}
	if n, err := f.ReadAt(buf, int64(len(data))); n != 0 || err != io.EOF {
		t.Errorf("ReadAt(len) = %d, %v; want 0, io.EOF", n, err)
	}
	if diff := cmp.Diff([]string{"bytes=5000-5009", "bytes=99996-99999"}, takeGets()); diff != "" {
		t.Errorf("GETs of ReadAt mismatch (-want +got):\n%s", diff)
	}

	// Sequential reads share one GET; a Seek starts another from there.
	if _, err := io.ReadFull(f, buf); err != nil || !bytes.Equal(buf, data[:10]) {
		t.Fatalf("Read = %v, %v", buf, err)
	}
	if _, err := io.ReadFull(f, buf); err != nil || !bytes.Equal(buf, data[10:20]) {
		t.Fatalf("second Read = %v, %v", buf, err)
	}
	if pos, err := f.Seek(-100, io.SeekEnd); err != nil || pos != int64(len(data))-100 {
		t.Fatalf("Seek = %d, %v", pos, err)
	}
	tail, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(tail, data[len(data)-100:]) {
		t.Fatalf("ReadAll after Seek = %d bytes, %v", len(tail), err)
	}
	if diff := cmp.Diff([]string{"", "bytes=99900-"}, takeGets()); diff != "" {
		t.Errorf("GETs of Read and Seek mismatch (-want +got):\n%s", diff)
	}

	// http.ServeContent answers a Range request with one ranged GET.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := s.Open(r.Context(), res.Hash)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", time.Time{}, f)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Range", "bytes=1000-1999")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1000:2000]) {
		t.Errorf("Range request: %s, %d bytes", resp.Status, len(body))
	}
	if diff := cmp.Diff([]string{"bytes=1000-"}, takeGets()); diff != "" {
		t.Errorf("GETs of ServeContent mismatch (-want +got):\n%s", diff)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestEmptyFile(t *testing.T) {
	s, _ := newStore(t, nil)
	res := mustPut(t, s, nil)
	f, err := s.Open(t.Context(), res.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read of the empty blob = %d, %v", n, err)
	}
	if n, err := f.ReadAt(make([]byte, 10), 0); n != 0 || err != io.EOF {
		t.Errorf("ReadAt of the empty blob = %d, %v", n, err)
	}
}

func TestPresignGet(t *testing.T) {
	s, _ := newStore(t, nil)
	data := []byte("download me directly")
	res := mustPut(t, s, data)
	u, err := s.PresignGet(t.Context(), res.Hash, time.Minute, blobstore.PresignOptions{
		ContentType:        "text/plain",
		ContentDisposition: `attachment; filename="me.txt"`,
	})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
	req.Header.Set("Range", "bytes=9-")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusPartialContent || string(body) != "me directly" {
		t.Errorf("GET of the presigned URL with Range: %s %q", resp.Status, body)
	}
	if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="me.txt"` {
		t.Errorf("Content-Disposition = %q", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/plain" {
		t.Errorf("Content-Type = %q", got)
	}

	// A tampered URL is refused.
	q := u.Query()
	q.Set("response-content-type", "text/html")
	u.RawQuery = q.Encode()
	resp, err = http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("tampered presigned URL: %s, want 403", resp.Status)
	}
}

func TestCredentialsFromEnvironment(t *testing.T) {
	g := sharedGateway(t)
	cfg := g.Config(t)
	t.Setenv("AWS_ACCESS_KEY_ID", cfg.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", cfg.SecretKey)
	cfg.AccessKey, cfg.SecretKey = "", ""
	s, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New with credentials from the environment: %v", err)
	}
	mustPut(t, s, []byte("signed with the environment's keys"))

	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if _, err := s3store.New(t.Context(), cfg); err == nil || errors.Is(err, s3store.ErrUnavailable) {
		t.Errorf("New with a wrong secret = %v, want an error that is not ErrUnavailable", err)
	}
}

func TestNewErrors(t *testing.T) {
	g := sharedGateway(t)
	cfg := g.Config(t)
	cfg.Bucket = "no-such-bucket"
	if _, err := s3store.New(t.Context(), cfg); !errors.Is(err, s3store.ErrInvalidConfig) {
		t.Errorf("New with a missing bucket = %v, want ErrInvalidConfig", err)
	}

	cfg = g.Config(t)
	addr, err := s3test.FreeAddr() // nothing listens there any more
	if err != nil {
		t.Fatal(err)
	}
	cfg.Endpoint, cfg.MaxRetries = addr, 1
	if _, err := s3store.New(t.Context(), cfg); !errors.Is(err, s3store.ErrUnavailable) {
		t.Errorf("New with nothing at the endpoint = %v, want ErrUnavailable", err)
	}

	cfg = g.Config(t)
	cfg.TempDir = "/nonexistent/stockroom"
	if _, err := s3store.New(t.Context(), cfg); !errors.Is(err, s3store.ErrInvalidConfig) {
		t.Errorf("New with a missing TempDir = %v, want ErrInvalidConfig", err)
	}
}

// TestServeContentSniff serves whole blobs with http.ServeContent and no
// Content-Type, so that it sniffs the first 512 bytes and seeks back: the
// File serves that from the same GET.
func TestServeContentSniff(t *testing.T) {
	var gets atomic.Int32
	s, _ := newStore(t, func(c *s3store.Config) {
		c.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodGet && !r.URL.Query().Has("location") {
				gets.Add(1)
			}
			return http.DefaultTransport.RoundTrip(r)
		})
	})
	for _, size := range []int{100, 512, 513, 100_000} {
		data := []byte(strings.Repeat("plain text, ", size/12+1)[:size])
		res := mustPut(t, s, data)
		gets.Store(0)
		rec := httptest.NewRecorder()
		f, err := s.Open(t.Context(), res.Hash)
		if err != nil {
			t.Fatal(err)
		}
		http.ServeContent(rec, httptest.NewRequest(http.MethodGet, "/", nil), "", time.Time{}, f)
		f.Close()
		if !bytes.Equal(rec.Body.Bytes(), data) {
			t.Errorf("%d bytes: served %d bytes, not the content", size, rec.Body.Len())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("%d bytes: Content-Type %q", size, ct)
		}
		if n := gets.Load(); n != 1 {
			t.Errorf("%d bytes: %d GETs, want 1", size, n)
		}
	}
}

// TestMemoryConstant checks that putting and reading a blob allocates far
// less than its size: the content streams, it is never held.
func TestMemoryConstant(t *testing.T) {
	s, _ := newStore(t, nil)
	const size = 48 << 20
	const limit = 8 << 20
	allocated := func(fn func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		fn()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	var res blobstore.PutResult
	if n := allocated(func() {
		var err error
		if res, err = s.Put(t.Context(), newPatternReader(7, size)); err != nil {
			t.Fatal(err)
		}
	}); n > limit {
		t.Errorf("Put of %d MiB allocated %d bytes", size>>20, n)
	}
	buf := make([]byte, 64<<10)
	if n := allocated(func() {
		f, err := s.Open(t.Context(), res.Hash)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if got, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf); err != nil || got != size {
			t.Fatalf("read %d bytes, %v", got, err)
		}
	}); n > limit {
		t.Errorf("reading %d MiB allocated %d bytes", size>>20, n)
	}
}
