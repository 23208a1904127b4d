package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// openFDs counts this process's open descriptors (Linux).
func openFDs(t *testing.T) int {
	t.Helper()
	list, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(list)
}

// TestSlowloris: 300 connections sending an upload body a byte at a time,
// in the short form (1 s grace, 1 KiB/s): they neither delay a normal
// request nor hold descriptors, since each is refused past the cap per
// client address or cut off once it falls behind the minimum rate.
func TestSlowloris(t *testing.T) {
	p := startInProcess(t, "-ephemeral", "-min-transfer-rate", "1KiB", "-transfer-grace", "1s",
		"-max-conns-per-client", "100", "-max-concurrent-uploads", "300")
	addr := strings.TrimPrefix(p.base, "http://")
	// The attacker comes from another loopback address than the normal
	// client, as it would from another host.
	attacker := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	if c, err := attacker.Dial("tcp", addr); err != nil {
		t.Skipf("cannot dial from 127.0.0.2: %v", err)
	} else {
		c.Close()
	}
	baseline := openFDs(t)

	const n = 300
	var wg sync.WaitGroup
	closedAfter := make(chan time.Duration, n)
	start := time.Now()
	for range n {
		c, err := attacker.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		wg.Add(2)
		go func() { // a byte every 300 ms: 3 B/s
			defer wg.Done()
			fmt.Fprintf(c, "POST /v1/resource HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n")
			for i := 0; i < 100; i++ {
				if _, err := c.Write([]byte("-")); err != nil {
					return
				}
				time.Sleep(300 * time.Millisecond)
			}
		}()
		go func() { // notices when the server lets go
			defer wg.Done()
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			buf := make([]byte, 4096)
			for {
				if _, err := c.Read(buf); err != nil {
					closedAfter <- time.Since(start)
					return
				}
			}
		}()
	}

	// A normal client is served at once meanwhile.
	peak := 0
	for range 5 {
		t0 := time.Now()
		resp, err := http.Get(p.base + "/v1/resources")
		if err != nil {
			t.Fatalf("normal request during the attack: %v", err)
		}
		resp.Body.Close()
		if d := time.Since(t0); resp.StatusCode != http.StatusOK || d > time.Second {
			t.Errorf("normal request during the attack: %d after %v", resp.StatusCode, d)
		}
		peak = max(peak, openFDs(t))
		time.Sleep(100 * time.Millisecond)
	}
	// Descriptors: the attacker's 300 sockets in this process, and at
	// most 100 on the server's side.
	if peak > baseline+n+100+30 {
		t.Errorf("%d descriptors open at the peak, baseline %d", peak, baseline)
	}
	wg.Wait()
	close(closedAfter)
	var last time.Duration
	for d := range closedAfter {
		last = max(last, d)
	}
	// Cut after the grace and the allowance of a few bytes; a client
	// that kept its pace would have taken 30 s.
	if last > 8*time.Second {
		t.Errorf("the last slow connection was let go after %v", last)
	}
	waitFor(t, 5*time.Second, "descriptors back to the baseline", func() bool { return openFDs(t) <= baseline+10 })
	// And uploads work as before.
	ct, body := multipartBody(t, "after.txt", []byte("after the attack\n"), nil)
	var created resourceJSON
	doJSON(t, newRequest(t, "POST", p.base+"/v1/resource", ct, body), http.StatusOK, &created)
}
