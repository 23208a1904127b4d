package main

import (
	"strings"
	"testing"
	"time"
)

func TestLogBufferOrderAndFlush(t *testing.T) {
	var out syncBuffer
	b := newLogBuffer(&out, time.Hour)
	b.Write([]byte("request 1\n"))
	b.Write([]byte("request 2\n"))
	if got := out.String(); got != "" {
		t.Fatalf("written before a flush: %q", got)
	}
	// A record written at once takes the waiting lines first.
	b.Now().Write([]byte("error\n"))
	if got, want := out.String(), "request 1\nrequest 2\nerror\n"; got != want {
		t.Fatalf("after Now: %q, want %q", got, want)
	}
	b.Write([]byte("request 3\n"))
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "request 1\nrequest 2\nerror\nrequest 3\n"; got != want {
		t.Fatalf("after Flush: %q, want %q", got, want)
	}
}

func TestLogBufferLimit(t *testing.T) {
	var out syncBuffer
	b := newLogBuffer(&out, time.Hour)
	line := strings.Repeat("x", 99) + "\n"
	n := b.limit / len(line)
	for range n {
		b.Write([]byte(line))
	}
	if got := out.String(); got != "" {
		t.Fatalf("%d bytes written below the limit", len(got))
	}
	b.Write([]byte(line))
	if got := len(out.String()); got != (n+1)*len(line) {
		t.Fatalf("at the limit: %d bytes written, want %d", got, (n+1)*len(line))
	}
}

func TestLogBufferDelay(t *testing.T) {
	var out syncBuffer
	b := newLogBuffer(&out, 10*time.Millisecond)
	for round := range 3 {
		b.Write([]byte("request\n"))
		want := strings.Repeat("request\n", round+1)
		waitFor(t, 5*time.Second, "the timer's flush", func() bool { return out.String() == want })
	}
}
