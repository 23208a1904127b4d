package s3store

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"sync"
	"time"
)

// spliceMin is the smallest span CopyNTo splices; below it the new
// connection a spliced GET needs costs more than the copies it saves.
const spliceMin = 1 << 20

// spliceChunk is how much one splice round may move before the idle
// deadline moves.
const spliceChunk = 1 << 20

// spliceKey is the context key of a GET whose body CopyNTo splices.
type spliceKey struct{}

// newSpliceTransport returns the transport of spliced GETs, a copy of tr
// whose connections serve one request each (the spliced body leaves the
// connection in no state to reuse) and hand no byte past the response
// header to net/http (see headConn), so that the body can be read from
// the socket itself.
func newSpliceTransport(tr *http.Transport, dialer *net.Dialer, idle time.Duration) *http.Transport {
	st := tr.Clone()
	st.DisableKeepAlives = true
	// The response header is all net/http reads from it.
	st.ReadBufferSize = 0
	st.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc, ok := c.(*net.TCPConn)
		if !ok {
			return &idleConn{Conn: c, timeout: idle}, nil
		}
		return &headConn{tc: tc, timeout: idle}, nil
	}
	return st
}

// headConn is a connection that gives its reader the response header and
// nothing more until the body is taken over (take) or read through it: the
// bytes that arrived with the header wait in held. It fails a Read or
// Write that makes no progress for timeout, as idleConn does.
type headConn struct {
	tc      *net.TCPConn
	timeout time.Duration

	mu        sync.Mutex
	line      int    // bytes of the header line being read
	lineCR    bool   // the line so far is "\r"
	lines     int    // complete header lines read
	ended     bool   // the end of the header was delivered
	pastEnd   bool   // a byte past the header's end was delivered
	held      []byte // bytes read past the header's end, not yet delivered
	heldStart int
	taken     bool
}

func (c *headConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.taken {
		return 0, net.ErrClosed
	}
	if c.heldStart < len(c.held) {
		n := copy(p, c.held[c.heldStart:])
		c.heldStart += n
		c.pastEnd = true
		return n, nil
	}
	c.tc.SetReadDeadline(time.Now().Add(c.timeout))
	n, err := c.tc.Read(p)
	if c.ended {
		c.pastEnd = c.pastEnd || n > 0
		return n, err
	}
	if end := c.scan(p[:n]); end >= 0 {
		c.ended = true
		c.held = append(c.held[:0], p[end:n]...)
		c.heldStart = 0
		n = end
	}
	return n, err
}

// scan follows the header through p and returns the offset in p just
// past its end, the first empty line ("\n" or "\r\n" as net/http accepts),
// or -1 when p does not reach it.
func (c *headConn) scan(p []byte) int {
	for i, b := range p {
		switch {
		case b == '\n' && c.lines > 0 && (c.line == 0 || c.line == 1 && c.lineCR):
			return i + 1
		case b == '\n':
			c.lines++
			c.line, c.lineCR = 0, false
		default:
			c.lineCR = c.line == 0 && b == '\r'
			c.line++
		}
	}
	return -1
}

// take hands over the connection once net/http has read the response
// header and nothing past it: the bytes of the body already read, and
// the socket to read the rest from. Reads through the connection fail from
// then on. It reports false, and changes nothing, when net/http has seen
// more than the header (a 1xx answer before it, say).
func (c *headConn) take() (held []byte, tc *net.TCPConn, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ended || c.pastEnd || c.taken {
		return nil, nil, false
	}
	c.taken = true
	return c.held[c.heldStart:], c.tc, true
}

func (c *headConn) Write(p []byte) (int, error) {
	c.tc.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.tc.Write(p)
}

func (c *headConn) Close() error                       { return c.tc.Close() }
func (c *headConn) LocalAddr() net.Addr                { return c.tc.LocalAddr() }
func (c *headConn) RemoteAddr() net.Addr               { return c.tc.RemoteAddr() }
func (c *headConn) SetDeadline(t time.Time) error      { return c.tc.SetDeadline(t) }
func (c *headConn) SetReadDeadline(t time.Time) error  { return c.tc.SetReadDeadline(t) }
func (c *headConn) SetWriteDeadline(t time.Time) error { return c.tc.SetWriteDeadline(t) }

// CopyNTo copies n bytes from the offset of the next Read to w, as
// io.CopyN(w, f, n) does, and moves the offset past them. When w has a
// ReadFrom (net/http's ResponseWriter has) and the store talks plain HTTP,
// a span of at least 1 MiB is read with a GET of its own whose body
// w.ReadFrom reads from the service's socket itself: net/http splices it
// into the client's socket (splice(2)), so the bytes never pass through
// the process. Otherwise it copies through a 256 KiB buffer.
func (f *File) CopyNTo(w io.Writer, n int64) (int64, error) {
	if rf, ok := w.(io.ReaderFrom); ok && f.s.splice && n >= spliceMin && !f.closed && f.pos+n <= f.size {
		if written, err, ok := f.spliceTo(w, rf, n); ok {
			if err == nil && written < n {
				err = io.EOF
			}
			return written, err
		}
	}
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	written, err := io.CopyBuffer(struct{ io.Writer }{w}, io.LimitReader(f, n), *buf)
	if err == nil && written < n {
		err = io.EOF
	}
	return written, err
}

// spliceTo sends the n bytes from f.pos through a GET on a connection of
// the splice transport. It reports false, having written nothing, when
// the answer cannot be spliced (its length is not n, or net/http read
// past its header).
func (f *File) spliceTo(w io.Writer, rf io.ReaderFrom, n int64) (written int64, err error, ok bool) {
	const op = "s3store.File.CopyNTo"
	f.dropBody()
	var conn *headConn
	ctx := httptrace.WithClientTrace(context.WithValue(f.ctx, spliceKey{}, true), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { conn, _ = info.Conn.(*headConn) },
	})
	end := f.pos + n - 1
	if end == f.size-1 {
		end = -1
	}
	body, hdr, err := f.getHeader(ctx, f.pos, end)
	if err != nil {
		return 0, err, true
	}
	defer body.Close() // an unread body closes its connection
	if conn == nil || hdr.Get("Content-Length") != strconv.FormatInt(n, 10) || hdr.Get("Content-Encoding") != "" {
		return 0, nil, false
	}
	held, tc, ok := conn.take()
	if !ok {
		return 0, nil, false
	}
	defer func() {
		f.pos += written
		if err != nil {
			err = f.s.fail(f.ctx, op, f.key, err)
		}
	}()
	if len(held) > 0 {
		m, err := w.Write(held[:min(int64(len(held)), n)])
		written += int64(m)
		if err != nil {
			return written, err, true
		}
	}
	for written < n {
		tc.SetReadDeadline(time.Now().Add(f.s.idle))
		m, err := rf.ReadFrom(&io.LimitedReader{R: tc, N: min(n-written, spliceChunk)})
		written += m
		if err != nil && m > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
			// The round moved bytes: its time went to writing them to
			// a slow client, which the service's deadline does not
			// bound. A service that stopped fails the next round.
			continue
		}
		if err != nil {
			return written, err, true
		}
		if m == 0 {
			return written, io.ErrUnexpectedEOF, true
		}
	}
	return written, nil, true
}
