package netbudget

import (
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// refusal is what a client past its connection cap reads before the
// connection closes: a complete HTTP answer, so that it knows to retry.
var refusal = func() string {
	body := `{"error":"too many connections from this client"}`
	return "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n" + body
}()

// LimitPerClient returns a listener that holds at most perClient open
// connections per client IP address: past that, a new connection gets a
// 503 and is closed at once, so one client cannot take every descriptor.
// perClient <= 0 returns ln unchanged.
func LimitPerClient(ln net.Listener, perClient int) net.Listener {
	if perClient <= 0 {
		return ln
	}
	return &perClientListener{Listener: ln, max: perClient, open: map[string]int{}}
}

type perClientListener struct {
	net.Listener
	max  int
	mu   sync.Mutex
	open map[string]int
}

func (l *perClientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := clientHost(c.RemoteAddr())
		l.mu.Lock()
		ok := l.open[host] < l.max
		if ok {
			l.open[host]++
		}
		l.mu.Unlock()
		if ok {
			return &countedConn{Conn: c, release: func() { l.release(host) }}, nil
		}
		go refuse(c)
	}
}

func (l *perClientListener) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
}

// refuse answers 503 without reading the request, briefly, and closes.
func refuse(c net.Conn) {
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write([]byte(refusal))
	c.Close()
}

// Open reports the connections held by host (for tests and metrics).
func (l *perClientListener) Open(host string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[host]
}

func clientHost(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// countedConn releases its place once, on the first Close.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// ReadFrom lets net/http send a body with the connection's own ReadFrom,
// which sends files with sendfile(2) and splices sockets (splice(2)).
func (c *countedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
