package s3store

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"
)

// defaultIdleTimeout is Config.IdleTimeout when zero.
const defaultIdleTimeout = time.Minute

// newTransport returns cfg.Transport, or minio-go's transport whose
// connections fail once they make no progress for the idle timeout.
// minio-go's own bounds the wait for a response header only; a service that
// stops reading a request body or sending a response body would hold a
// Put or a download forever.
func newTransport(cfg Config) (http.RoundTripper, error) {
	if cfg.Transport != nil {
		return cfg.Transport, nil
	}
	tr, err := minio.DefaultTransport(!cfg.DisableTLS)
	if err != nil {
		return nil, err
	}
	idle := cfg.IdleTimeout
	if idle == 0 {
		idle = defaultIdleTimeout
	}
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
	return tr, nil
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

// ReadFrom copies r to the connection bufSize bytes at a time. The HTTP
// transport sends request bodies with io.Copy to the connection, which
// would otherwise write 32 KiB at a time: eight times the system calls
// (and deadline updates) for an upload.
func (c *idleConn) ReadFrom(r io.Reader) (int64, error) {
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	return io.CopyBuffer(struct{ io.Writer }{c}, r, *buf)
}
