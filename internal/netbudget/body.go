// Package netbudget bounds what slow and greedy clients may hold of a
// server: request bodies must arrive at a minimum rate, downloads must be
// read at one, and each client address has a bounded number of
// connections.
package netbudget

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// errDeadline is what a read past the connection's deadline fails with.
var errDeadline = os.ErrDeadlineExceeded

// Rate is a minimum transfer rate: a transfer of n bytes may take Grace
// plus n/BytesPerSecond, and may never stall longer than Grace.
type Rate struct {
	BytesPerSecond int64
	Grace          time.Duration
}

// Defaults: a client slower than 4 KiB/s, or silent for 30 s, is cut off.
var DefaultRate = Rate{BytesPerSecond: 4 << 10, Grace: 30 * time.Second}

// allows returns how long a transfer of n bytes may take in all.
func (r Rate) allows(n int64) time.Duration {
	secs := float64(n) / float64(r.BytesPerSecond)
	if secs > float64(365*24*time.Hour/time.Second) {
		return 365 * 24 * time.Hour // no overflow for absurd sizes
	}
	return r.Grace + time.Duration(secs*float64(time.Second))
}

// ReadBodies wraps next so that every request body must arrive at rate:
// the connection's read deadline moves forward as bytes arrive, at most to
// the time that rate allows for them (so a fast start earns no long stall:
// never beyond Grace from the last progress). A body too slow fails its
// Read with a timeout, which the handler sees as a broken body, and the
// connection is closed. Deadlines are cleared when next returns.
func ReadBodies(next http.Handler, rate Rate) http.Handler {
	if rate.BytesPerSecond <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		b := &rateBody{body: r.Body, rc: rc, rate: rate, start: time.Now(), length: r.ContentLength}
		if err := b.extend(); err != nil {
			// The writer cannot set deadlines (not a server connection):
			// serve without.
			next.ServeHTTP(w, r)
			return
		}
		defer rc.SetReadDeadline(time.Time{})
		r.Body = b
		next.ServeHTTP(w, r)
	})
}

// rateBody moves the read deadline with progress.
type rateBody struct {
	body  io.ReadCloser
	rc    *http.ResponseController
	rate  Rate
	start time.Time
	n     int64
	// length is the body's Content-Length, or -1 when unknown.
	length int64
}

func (b *rateBody) extend() error {
	now := time.Now()
	deadline := b.start.Add(b.rate.allows(b.n))
	if idle := now.Add(b.rate.Grace); deadline.After(idle) {
		deadline = idle
	}
	return b.rc.SetReadDeadline(deadline)
}

func (b *rateBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.n += int64(n)
	switch {
	case err == nil && n > 0 && (b.length < 0 || b.n < b.length):
		b.extend()
	case err != nil && errors.Is(err, errDeadline):
		err = &SlowError{Rate: b.rate}
	}
	// Once the body is in, the server clears the deadline itself before
	// reading the connection in the background.
	return n, err
}

func (b *rateBody) Close() error { return b.body.Close() }

// SlowError reports a request body that arrived slower than Rate.
type SlowError struct{ Rate Rate }

func (e *SlowError) Error() string {
	return "request body arrived slower than the minimum rate"
}

// Timeout marks SlowError as a timeout, like the deadline error it
// replaces.
func (e *SlowError) Timeout() bool { return true }

// WriteDeadline gives the response to r, n bytes long, the time rate
// allows for it, and returns a function that clears the deadline (call it
// when the response is written: a kept-alive connection must not inherit
// it).
func WriteDeadline(w http.ResponseWriter, n int64, rate Rate) (clear func()) {
	if rate.BytesPerSecond <= 0 {
		return func() {}
	}
	rc := http.NewResponseController(w)
	if err := rc.SetWriteDeadline(time.Now().Add(rate.allows(n))); err != nil {
		return func() {}
	}
	return func() { rc.SetWriteDeadline(time.Time{}) }
}
