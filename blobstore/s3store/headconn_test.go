package s3store

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestHeadConnScan feeds response headers to scan cut at every byte: it
// finds the first empty line, with CRLF or bare LF line ends.
func TestHeadConnScan(t *testing.T) {
	for _, head := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 5\n\n",
		"HTTP/1.1 200 OK\r\nX-A: \r\r\nContent-Length: 5\n\r\n",
	} {
		resp := head + "he\r\n\r\n"
		for cut := 0; cut <= len(resp); cut++ {
			c := &headConn{}
			end := c.scan([]byte(resp[:cut]))
			if end < 0 {
				if e := c.scan([]byte(resp[cut:])); e >= 0 {
					end = cut + e
				}
			}
			if end != len(head) {
				t.Errorf("%q cut at %d: end at %d, want %d", resp, cut, end, len(head))
			}
		}
	}
}

// TestHeadConnTake reads responses with net/http through a headConn on a
// real socket: the body's first bytes wait in the connection and the rest
// in the socket; after a 1xx answer net/http has read past the final
// header, so the body cannot be taken over.
func TestHeadConnTake(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		takes        bool
	}{
		{"200", "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", true},
		{"100 then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				c.Write([]byte(tc.answer[:len(tc.answer)-6])) // "world" comes later
				time.Sleep(50 * time.Millisecond)
				c.Write([]byte(tc.answer[len(tc.answer)-6:]))
				io.Copy(io.Discard, c)
			}()
			nc, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			hc := &headConn{tc: nc.(*net.TCPConn), timeout: 5 * time.Second}
			defer hc.Close()
			br := bufio.NewReader(hc)
			resp, err := http.ReadResponse(br, nil)
			for err == nil && resp.StatusCode < 200 {
				resp, err = http.ReadResponse(br, nil)
			}
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("ReadResponse: %v", err)
			}
			held, sock, ok := hc.take()
			if ok != tc.takes {
				t.Fatalf("take() ok = %v, want %v", ok, tc.takes)
			}
			if !ok {
				body, err := io.ReadAll(resp.Body)
				if err != nil || string(body) != "hello world" {
					t.Errorf("body read through the connection = %q, %v", body, err)
				}
				return
			}
			if br.Buffered() != 0 {
				t.Errorf("net/http buffered %d bytes past the header", br.Buffered())
			}
			rest := make([]byte, 11-len(held))
			if _, err := io.ReadFull(sock, rest); err != nil {
				t.Fatal(err)
			}
			if got := string(held) + string(rest); got != "hello world" {
				t.Errorf("held %q + socket %q, want the body", held, rest)
			}
			if _, err := hc.Read(make([]byte, 1)); err == nil {
				t.Error("Read after take succeeded")
			}
		})
	}
}
