package s3store_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/blobstore/s3store"
)

// spliceRecorder is a writer with a ReadFrom, as net/http's ResponseWriter
// has, that keeps what it is given and the type of each source ReadFrom
// reads. With stall it stops reading once, mid-ReadFrom, as a slow client
// would.
type spliceRecorder struct {
	buf     bytes.Buffer
	sources []string
	stall   time.Duration
}

func (w *spliceRecorder) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *spliceRecorder) ReadFrom(r io.Reader) (int64, error) {
	src := r
	if lr, ok := r.(*io.LimitedReader); ok {
		src = lr.R
	}
	w.sources = append(w.sources, fmt.Sprintf("%T", src))
	var n int64
	if w.stall > 0 {
		m, err := io.CopyN(&w.buf, r, 64<<10)
		n += m
		if err != nil {
			return n, err
		}
		time.Sleep(w.stall)
		w.stall = 0
	}
	m, err := w.buf.ReadFrom(r)
	return n + m, err
}

// spliced reports whether ReadFrom read the service's socket itself.
func (w *spliceRecorder) spliced() bool { return slices.Contains(w.sources, "*net.TCPConn") }

// TestCopyNTo copies spans of a blob with File.CopyNTo: those of 1 MiB
// and more are read from the service's socket by the writer's ReadFrom
// (bytes that came with the response header first), smaller ones and
// spans past the end are copied; each leaves the offset after the span.
func TestCopyNTo(t *testing.T) {
	s, _ := newStore(t, nil)
	const size = 3<<20 + 12345
	data, _ := io.ReadAll(newPatternReader(7, size))
	res := mustPut(t, s, data)
	for _, tc := range []struct {
		name    string
		off, n  int64
		want    int64 // bytes copied
		spliced bool
	}{
		{"whole", 0, size, size, true},
		{"middle", 1000, 2 << 20, 2 << 20, true},
		{"to the end", size - (1<<20 + 5), 1<<20 + 5, 1<<20 + 5, true},
		{"small", 10, 100, 100, false},
		{"past the end", size - 1000, 2 << 20, 1000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := s.Open(t.Context(), res.Hash)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.Seek(tc.off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			w := &spliceRecorder{}
			n, err := f.(*s3store.File).CopyNTo(w, tc.n)
			if n != tc.want || (n == tc.n) != (err == nil) || n < tc.n && err != io.EOF {
				t.Fatalf("CopyNTo(%d) at %d = %d, %v; want %d", tc.n, tc.off, n, err, tc.want)
			}
			if !bytes.Equal(w.buf.Bytes(), data[tc.off:tc.off+tc.want]) {
				t.Errorf("copied %d bytes that are not the blob's from %d", w.buf.Len(), tc.off)
			}
			if w.spliced() != tc.spliced {
				t.Errorf("ReadFrom read %v, want the socket: %v", w.sources, tc.spliced)
			}
			next := make([]byte, 10)
			m, _ := io.ReadFull(f, next)
			if at := tc.off + tc.want; !bytes.Equal(next[:m], data[at:min(at+10, size)]) {
				t.Errorf("Read after CopyNTo = %x, want the bytes at %d", next[:m], at)
			}
		})
	}
}

// TestCopyNToResponse serves a span with CopyNTo through net/http's
// ResponseWriter, whose ReadFrom splices the service's socket into the
// client's.
func TestCopyNToResponse(t *testing.T) {
	s, _ := newStore(t, nil)
	const size = 5<<20 + 3
	data, _ := io.ReadAll(newPatternReader(8, size))
	res := mustPut(t, s, data)
	const off, n = 12345, 4 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := s.Open(r.Context(), res.Hash)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		f.Seek(off, io.SeekStart)
		w.Header().Set("Content-Length", strconv.Itoa(n))
		if _, err := f.(*s3store.File).CopyNTo(w, n); err != nil {
			t.Errorf("CopyNTo: %v", err)
		}
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(got, data[off:off+n]) {
		t.Fatalf("served %d bytes (%v), want the %d from %d", len(got), err, n, off)
	}
}

// TestCopyNToSlowClient splices to a writer that stops reading for longer
// than IdleTimeout: the time went to the client, not to a silent service,
// so the copy goes on.
func TestCopyNToSlowClient(t *testing.T) {
	s, _ := newStore(t, func(c *s3store.Config) { c.IdleTimeout = time.Second })
	const size = 3 << 20
	data, _ := io.ReadAll(newPatternReader(9, size))
	res := mustPut(t, s, data)
	f, err := s.Open(t.Context(), res.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &spliceRecorder{stall: 2500 * time.Millisecond}
	n, err := f.(*s3store.File).CopyNTo(w, size)
	if err != nil || n != size || !bytes.Equal(w.buf.Bytes(), data) {
		t.Fatalf("CopyNTo = %d, %v; want the %d bytes", n, err, size)
	}
	if !w.spliced() {
		t.Errorf("ReadFrom read %v, not the socket", w.sources)
	}
}

// TestFaultStallMidSplice puts a proxy in front of the server that stops
// forwarding answers after 1 MiB: a spliced copy fails with
// ErrUnavailable once IdleTimeout passes without a byte, rather than
// waiting for ever.
func TestFaultStallMidSplice(t *testing.T) {
	g := sharedGateway(t)
	s, cfg := newStore(t, nil)
	const size = 4 << 20
	data, _ := io.ReadAll(newPatternReader(10, size))
	res := mustPut(t, s, data)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer ln.Close()
	defer close(stop)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", g.Addr)
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(up, c)
				io.Copy(c, io.LimitReader(up, 1<<20))
				<-stop
			}()
		}
	}()
	cfg.Endpoint = ln.Addr().String()
	cfg.IdleTimeout = time.Second
	stalled, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := stalled.Open(t.Context(), res.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &spliceRecorder{}
	start := time.Now()
	n, err := f.(*s3store.File).CopyNTo(w, size)
	if !errors.Is(err, s3store.ErrUnavailable) || n >= size {
		t.Fatalf("CopyNTo through a stalled service = %d, %v; want ErrUnavailable", n, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("CopyNTo gave up after %v, want about IdleTimeout", d)
	}
	if !w.spliced() || !bytes.Equal(w.buf.Bytes(), data[:n]) {
		t.Errorf("copied %d bytes from %v before failing, want the blob's, spliced", n, w.sources)
	}
}
