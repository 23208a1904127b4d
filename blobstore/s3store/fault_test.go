package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/s3store"
)

// TestFaultServerDiesMidUpload kills the S3 server while a Put is sending
// the content, in one PUT and in parts: Put fails with ErrUnavailable,
// nothing appears at the blob's key or in TempDir, and once the server is
// back the same Put succeeds.
func TestFaultServerDiesMidUpload(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*s3store.Config)
	}{
		{"SinglePut", func(*s3store.Config) {}},
		{"Multipart", func(c *s3store.Config) { c.MaxSinglePut = 1 << 20; c.PartSize = 5 << 20 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGateway(t)
			cfg := g.Config(t)
			cfg.MaxRetries = 1
			tc.edit(&cfg)
			var killAt atomic.Int64 // bytes of PUT bodies after which the server dies; 0: never
			killAt.Store(12 << 20)
			var sent atomic.Int64
			base := http.DefaultTransport.(*http.Transport).Clone()
			t.Cleanup(base.CloseIdleConnections)
			cfg.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.Method == http.MethodPut && r.Body != nil {
					r.Body = &countingBody{ReadCloser: r.Body, n: &sent, hook: func(total int64) {
						if at := killAt.Load(); at > 0 && total >= at && killAt.CompareAndSwap(at, 0) {
							g.Kill()
						}
					}}
				}
				return base.RoundTrip(r)
			})
			s, err := s3store.New(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			const size = 32 << 20
			_, err = s.Put(t.Context(), newPatternReader(1, size))
			if !errors.Is(err, s3store.ErrUnavailable) {
				t.Fatalf("Put while the server dies = %v, want ErrUnavailable", err)
			}
			if killAt.Load() != 0 {
				t.Fatalf("the server was not killed: %d bytes sent", sent.Load())
			}
			checkNoTemp(t, cfg.TempDir)

			if err := g.Restart(); err != nil {
				t.Fatal(err)
			}
			want := hashOf(t, newPatternReader(1, size))
			if _, err := s.Stat(t.Context(), want); !errors.Is(err, blobstore.ErrNotFound) {
				t.Errorf("Stat after the failed Put = %v, want ErrNotFound", err)
			}
			if keys := listKeys(t, g, cfg.Prefix); len(keys) != 0 {
				t.Errorf("keys after the failed Put: %v", keys)
			}
			res, err := s.Put(t.Context(), newPatternReader(1, size))
			if err != nil || !res.Created || res.Hash != want {
				t.Fatalf("Put after restart = %+v, %v; want Created %s", res, err, want)
			}
			if err := s.Verify(t.Context(), want); err != nil {
				t.Errorf("Verify after restart: %v", err)
			}
			checkNoTemp(t, cfg.TempDir)
		})
	}
}

// TestFaultServerDown checks every operation against a stopped server.
func TestFaultServerDown(t *testing.T) {
	g := newGateway(t)
	cfg := g.Config(t)
	cfg.MaxRetries = 1
	s, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	stored := mustPut(t, s, bytes.Repeat([]byte("x"), 3<<20))
	f, err := s.Open(t.Context(), stored.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	g.Kill()

	checkUnavailable(t, s, stored.Hash)
	if _, err := io.ReadAll(f); !errors.Is(err, s3store.ErrUnavailable) {
		// The first GET may have been buffered whole; a new one must fail.
		if _, err := f.ReadAt(make([]byte, 10), 0); !errors.Is(err, s3store.ErrUnavailable) {
			t.Errorf("reading an open File after the server died = %v, want ErrUnavailable", err)
		}
	}
	checkNoTemp(t, cfg.TempDir)

	if err := g.Restart(); err != nil {
		t.Fatal(err)
	}
	if res := mustPut(t, s, []byte("after restart")); !res.Created {
		t.Errorf("Put after restart: Created false")
	}
}

// checkUnavailable expects every operation of s to fail with
// ErrUnavailable.
func checkUnavailable(t *testing.T, s *s3store.Store, stored blobstore.Hash) {
	t.Helper()
	ctx := t.Context()
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, s3store.ErrUnavailable) {
			t.Errorf("%s = %v, want ErrUnavailable", what, err)
		}
	}
	_, err := s.Put(ctx, strings.NewReader("new content"))
	check("Put", err)
	_, err = s.Put(ctx, newPatternReader(2, 3<<20))
	check("Put of 3 MiB", err)
	_, err = s.Open(ctx, stored)
	check("Open", err)
	_, err = s.Stat(ctx, stored)
	check("Stat", err)
	check("Verify", s.Verify(ctx, stored))
	check("Remove", s.Remove(ctx, stored))
	check("Walk", s.Walk(ctx, func(blobstore.Info) error { return nil }))
	check("PutDerived", s.PutDerived(ctx, stored, "p", strings.NewReader("x")))
	_, err = s.OpenDerived(ctx, stored, "p")
	check("OpenDerived", err)
	check("RemoveDerived", s.RemoveDerived(ctx, stored))
}

// TestFaultServerErrors puts a proxy in front of the server that answers
// with S3 errors or not at all: 5xx, throttling and timeouts are
// ErrUnavailable, and the store works again once they stop.
func TestFaultServerErrors(t *testing.T) {
	g := sharedGateway(t)
	target, _ := url.Parse("http://" + g.Addr)
	var mu sync.Mutex
	var status int
	var code string
	proxy := httputil.NewSingleHostReverseProxy(target)
	var release chan struct{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		st, c := status, code
		mu.Unlock()
		if st == 0 {
			proxy.ServeHTTP(w, r)
			return
		}
		if st < 0 { // hang: read nothing, answer nothing
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(st)
		if r.Method != http.MethodHead {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message></Error>`, c)
		}
	}))
	defer srv.Close()
	release = make(chan struct{})
	defer close(release) // before srv.Close, which waits for handlers
	cfg := g.Config(t)
	cfg.MaxRetries = 1
	cfg.Endpoint = strings.TrimPrefix(srv.URL, "http://")
	s, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// impatient gives up on a silent service quickly; s, with the default
	// IdleTimeout, is not at risk of doing so on a loaded machine.
	cfg.IdleTimeout = time.Second
	impatient, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	stored := mustPut(t, s, []byte("stored before the errors"))
	for _, tc := range []struct {
		status int
		code   string
	}{
		{503, "SlowDown"},
		{503, "ServiceUnavailable"},
		{500, "InternalError"},
		{502, "BadGateway"},
		{429, "TooManyRequests"},
		{-1, "Hang"}, // a timeout
	} {
		t.Run(tc.code, func(t *testing.T) {
			mu.Lock()
			status, code = tc.status, tc.code
			mu.Unlock()
			if tc.status < 0 {
				checkUnavailable(t, impatient, stored.Hash)
			} else {
				checkUnavailable(t, s, stored.Hash)
			}
		})
	}
	mu.Lock()
	status, code = 403, "AccessDenied"
	mu.Unlock()
	if _, err := s.Stat(t.Context(), stored.Hash); err == nil || errors.Is(err, s3store.ErrUnavailable) || errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("Stat answered 403 = %v, want a plain error", err)
	}
	mu.Lock()
	status = 0
	mu.Unlock()
	if _, err := s.Stat(t.Context(), stored.Hash); err != nil {
		t.Errorf("Stat once the errors stopped: %v", err)
	}
}

// countingBody adds the bytes read from a request body to n and calls
// hook with the total after each read.
type countingBody struct {
	io.ReadCloser
	n    *atomic.Int64
	hook func(total int64)
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.hook(b.n.Add(int64(n)))
	return n, err
}

// patternReader yields size bytes determined by seed, without holding them.
type patternReader struct {
	block []byte
	left  int64
	off   int
}

func newPatternReader(seed uint64, size int64) *patternReader {
	block := make([]byte, 1<<20+7) // odd length: consecutive blocks differ
	for i := range block {
		block[i] = byte(i * 31)
	}
	binary.LittleEndian.PutUint64(block, seed)
	return &patternReader{block: block, left: size}
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.left)]
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.block[r.off:])
		n += c
		r.off = (r.off + c) % len(r.block)
	}
	r.left -= int64(n)
	return n, nil
}

func hashOf(tb testing.TB, r io.Reader) blobstore.Hash {
	tb.Helper()
	s := sha256.New()
	if _, err := io.Copy(s, r); err != nil {
		tb.Fatal(err)
	}
	return blobstore.Hash(s.Sum(nil))
}

// TestPutRaceLostToReset makes another writer store the content between
// Put's HEAD and PUT, then drops the connection of the PUT unanswered, as a
// service refusing the conditional PUT early may: Put finds the object
// at its key and succeeds with Created false.
func TestPutRaceLostToReset(t *testing.T) {
	g := sharedGateway(t)
	target, _ := url.Parse("http://" + g.Addr)
	proxy := httputil.NewSingleHostReverseProxy(target)
	data := bytes.Repeat([]byte("raced "), 100_000)
	raw, err := g.Client()
	if err != nil {
		t.Fatal(err)
	}
	var dropped atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && dropped.CompareAndSwap(false, true) {
			key := strings.TrimPrefix(r.URL.Path, "/"+testBucket+"/")
			if _, err := raw.PutObject(context.Background(), testBucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
				t.Errorf("the other writer's PUT: %v", err)
			}
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg := g.Config(t)
	cfg.MaxRetries = 1
	cfg.Endpoint = strings.TrimPrefix(srv.URL, "http://")
	s, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Put(t.Context(), bytes.NewReader(data))
	if !dropped.Load() {
		t.Fatal("the PUT was not intercepted")
	}
	if err != nil || res.Created || res.Hash != sha256.Sum256(data) {
		t.Errorf("Put that lost the race = %+v, %v; want the hash with Created false", res, err)
	}
	checkNoTemp(t, cfg.TempDir)
}
