package netbudget_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/netbudget"
)

// result is what a handler saw of its request body.
type result struct {
	n       int64
	err     error
	elapsed time.Duration
	ctxErr  error
}

// bodyServer serves ReadBodies(rate) over a handler that reads the whole
// body, waits after (when after > 0) and reports.
func bodyServer(t *testing.T, rate netbudget.Rate, after time.Duration) (string, chan result) {
	t.Helper()
	results := make(chan result, 1)
	h := netbudget.ReadBodies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		n, err := io.Copy(io.Discard, r.Body)
		res := result{n: n, err: err, elapsed: time.Since(start)}
		if err == nil && after > 0 {
			time.Sleep(after)
		}
		res.ctxErr = r.Context().Err()
		results <- res
		fmt.Fprint(w, "ok")
	}), rate)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), results
}

// sendSlowly posts a body of length bytes, chunk bytes every pause.
func sendSlowly(t *testing.T, addr string, length, chunk int, pause time.Duration) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", length)
	go func() {
		for sent := 0; sent < length; sent += chunk {
			if _, err := c.Write([]byte(strings.Repeat("x", min(chunk, length-sent)))); err != nil {
				return
			}
			time.Sleep(pause)
		}
	}()
	return c
}

func TestSlowBodyCut(t *testing.T) {
	rate := netbudget.Rate{BytesPerSecond: 1 << 10, Grace: 300 * time.Millisecond}
	addr, results := bodyServer(t, rate, 0)
	// One byte every 100 ms: 10 B/s, far below 1 KiB/s.
	sendSlowly(t, addr, 100_000, 1, 100*time.Millisecond)
	select {
	case res := <-results:
		var slow *netbudget.SlowError
		if !errors.As(res.err, &slow) {
			t.Fatalf("read %d bytes, err %v; want a SlowError", res.n, res.err)
		}
		// The grace plus the few bytes' allowance, and some slack.
		if res.elapsed > 2*time.Second {
			t.Errorf("cut after %v", res.elapsed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a slow body was not cut off")
	}
}

func TestSteadyBodyPasses(t *testing.T) {
	rate := netbudget.Rate{BytesPerSecond: 100 << 10, Grace: 300 * time.Millisecond}
	// The handler then works twice the grace: the deadline must not cancel
	// the request once the body is in.
	addr, results := bodyServer(t, rate, 700*time.Millisecond)
	// 64 KiB, 8 KiB every 100 ms: 80 KiB/s on average but ahead of the
	// allowance, taking longer than the grace in all.
	c := sendSlowly(t, addr, 64<<10, 8<<10, 100*time.Millisecond)
	res := <-results
	if res.err != nil || res.n != 64<<10 {
		t.Fatalf("read %d bytes, err %v", res.n, res.err)
	}
	if res.elapsed < rate.Grace {
		t.Errorf("the body took %v, want longer than the grace for this test to mean anything", res.elapsed)
	}
	if res.ctxErr != nil {
		t.Errorf("request context ended after the body was read: %v", res.ctxErr)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("answer %v, %v", resp, err)
	}
}

func TestWriteDeadline(t *testing.T) {
	rate := netbudget.Rate{BytesPerSecond: 1 << 10, Grace: 300 * time.Millisecond}
	done := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const size = 64 << 20 // far more than socket buffers hold
		defer netbudget.WriteDeadline(w, size, netbudget.Rate{BytesPerSecond: 1 << 30, Grace: rate.Grace})()
		buf := make([]byte, 1<<20)
		var err error
		for i := 0; i < size/len(buf) && err == nil; i++ {
			_, err = w.Write(buf)
		}
		done <- err
	}))
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	// Never read: the write must fail once the deadline passes.
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("64 MiB written to a client that reads nothing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a client that reads nothing held the download")
	}
}

func TestLimitPerClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })}
	go srv.Serve(netbudget.LimitPerClient(ln, 2))
	defer srv.Close()
	addr := ln.Addr().String()
	get := func(c net.Conn) int {
		t.Helper()
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b := dial(), dial()
	if get(a) != 200 || get(b) != 200 {
		t.Fatal("the first two connections were refused")
	}
	if got := get(dial()); got != http.StatusServiceUnavailable {
		t.Errorf("third connection: %d, want 503", got)
	}
	a.Close()
	// The server notices the close when it next reads a.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dial()
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil && resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place freed after a close: %v %v", resp, err)
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLimitPerClientReadFrom checks that a counted connection keeps the
// ReadFrom of the TCP connection it wraps, through which net/http sends
// files with sendfile(2) and splices sockets: it copies a socket's bytes
// into the connection with splice(2) and reports them all.
func TestLimitPerClientReadFrom(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limited := netbudget.LimitPerClient(ln, 2)
	defer limited.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c, err := limited.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rf, ok := c.(io.ReaderFrom)
	if !ok {
		t.Fatalf("%T has no ReadFrom", c)
	}
	// src is a socket whose peer sends the bytes to copy.
	srcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srcLn.Close()
	want := strings.Repeat("spliced ", 1<<15)
	go func() {
		peer, err := net.Dial("tcp", srcLn.Addr().String())
		if err == nil {
			io.WriteString(peer, want)
			peer.Close()
		}
	}()
	src, err := srcLn.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(client, int64(len(want))))
		got <- string(b)
	}()
	n, err := rf.ReadFrom(&io.LimitedReader{R: src, N: int64(len(want))})
	if err != nil || n != int64(len(want)) {
		t.Fatalf("ReadFrom = %d, %v; want %d", n, err, len(want))
	}
	if g := <-got; g != want {
		t.Errorf("the client read %d bytes that are not those sent", len(g))
	}
}
