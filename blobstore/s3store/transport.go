package s3store

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
)

// defaultIdleTimeout is Config.IdleTimeout when zero.
const defaultIdleTimeout = time.Minute

// sendChunk is how much of a file body one sendfile round may send before
// the idle deadline moves.
const sendChunk = 1 << 20

// newTransport returns cfg.Transport, or minio-go's transport whose
// connections fail once they make no progress for the idle timeout.
// minio-go's own bounds the wait for a response header only; a service that
// stops reading a request body or sending a response body would hold a
// Put or a download forever. Either is wrapped in a fileBodyTransport,
// which over plain HTTP also sends the GETs of File.CopyNTo through a
// transport of their own.
func newTransport(cfg Config) (http.RoundTripper, error) {
	if cfg.Transport != nil {
		return fileBodyTransport{base: cfg.Transport}, nil
	}
	tr, err := minio.DefaultTransport(!cfg.DisableTLS)
	if err != nil {
		return nil, err
	}
	idle := idleTimeout(cfg)
	dialer := &net.Dialer{Timeout: min(idle, 30*time.Second), KeepAlive: 30 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &idleConn{Conn: c, timeout: idle}, nil
	}
	tr.ResponseHeaderTimeout = idle
	// net/http's 4 KiB default makes a 64 MiB PUT sixteen thousand writes
	// (each also moving the idle deadline); blobs are large.
	tr.WriteBufferSize, tr.ReadBufferSize = bufSize, bufSize
	t := fileBodyTransport{base: tr}
	if cfg.DisableTLS {
		t.splice = newSpliceTransport(tr, dialer, idle)
	}
	return t, nil
}

// idleTimeout is cfg.IdleTimeout or its default.
func idleTimeout(cfg Config) time.Duration {
	if cfg.IdleTimeout == 0 {
		return defaultIdleTimeout
	}
	return cfg.IdleTimeout
}

// stagedBodyKey is the context key of a stagedBody.
type stagedBodyKey struct{}

// stagedBody names the staged file that a PUT sends whole.
type stagedBody struct {
	name string
	size int64
}

// withStagedBody returns ctx telling the transport that a PUT of size bytes
// made with it sends the file name, from its start.
func withStagedBody(ctx context.Context, name string, size int64) context.Context {
	return context.WithValue(ctx, stagedBodyKey{}, stagedBody{name, size})
}

// fileBodyTransport gives a PUT whose context names its staged file (see
// withStagedBody) that file, opened anew, as its body instead of
// minio-go's wrapper of it. net/http hands a file body to the connection's
// ReadFrom, which sends it with sendfile(2): the bytes go from the page
// cache to the socket without being copied through the process, which
// spares a CPU the service needs at that moment. Other requests pass
// through unchanged.
type fileBodyTransport struct {
	base   http.RoundTripper
	splice *http.Transport // for GETs of File.CopyNTo; nil: none
}

func (t fileBodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.splice != nil && req.Method == http.MethodGet && req.Context().Value(spliceKey{}) != nil {
		return t.splice.RoundTrip(req)
	}
	sb, ok := req.Context().Value(stagedBodyKey{}).(stagedBody)
	if !ok || req.Method != http.MethodPut || req.Body == nil || req.ContentLength != sb.size {
		return t.base.RoundTrip(req)
	}
	f, err := os.Open(sb.name)
	if err != nil {
		return t.base.RoundTrip(req) // minio-go's reader of the same bytes
	}
	req.Body.Close()
	r := req.Clone(req.Context())
	r.Body, r.GetBody = f, nil // the transport closes f
	return t.base.RoundTrip(r)
}

// idleConn fails a Read or Write that makes no progress for timeout, with
// a net.Error whose Timeout() is true.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// ReadFrom copies r to the connection; the HTTP transport sends request
// bodies so. A file (see fileBodyTransport) goes through the connection's
// own ReadFrom, which uses sendfile(2), sendChunk bytes per deadline.
// Anything else is copied bufSize bytes at a time, not io.Copy's 32 KiB:
// eight times fewer system calls (and deadline updates).
func (c *idleConn) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := c.Conn.(io.ReaderFrom)
	f, limit, isFile := fileSource(r)
	if !ok || !isFile {
		buf := bufPool.Get().(*[]byte)
		defer bufPool.Put(buf)
		return io.CopyBuffer(struct{ io.Writer }{c}, r, *buf)
	}
	var sent int64
	var err error
	for limit != 0 {
		chunk := &io.LimitedReader{R: f, N: sendChunk}
		if limit > 0 {
			chunk.N = min(chunk.N, limit)
		}
		c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
		var n int64
		n, err = rf.ReadFrom(chunk)
		sent += n
		if limit > 0 {
			limit -= n
		}
		if err != nil || n == 0 { // n == 0: the end of the file
			break
		}
	}
	if lr, ok := r.(*io.LimitedReader); ok {
		lr.N -= sent
	}
	return sent, err
}

// fileSource returns the file r reads and how many bytes of it r lets
// through (-1: to its end), when r is a file or a LimitedReader of one.
func fileSource(r io.Reader) (f *os.File, limit int64, ok bool) {
	switch r := r.(type) {
	case *os.File:
		return r, -1, true
	case *io.LimitedReader:
		if f, ok := r.R.(*os.File); ok {
			return f, r.N, true
		}
	}
	return nil, 0, false
}
