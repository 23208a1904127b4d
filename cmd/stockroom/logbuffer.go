package main

import (
	"io"
	"sync"
	"time"
)

// logBuffer batches the request lines of the access log: a busy server
// writes one per request, and a write(2) for each was about 7% of the CPU
// of a single-resource GET. Lines reach out at most delay after they were
// logged, when limit bytes are waiting, or at Flush. Everything else the
// server logs goes through Now, which writes at once and takes the
// waiting lines with it, so the order of the output is the order of the
// records.
type logBuffer struct {
	mu      sync.Mutex
	out     io.Writer
	delay   time.Duration
	limit   int
	buf     []byte
	timer   *time.Timer
	pending bool // timer armed for what buf holds
}

func newLogBuffer(out io.Writer, delay time.Duration) *logBuffer {
	return &logBuffer{out: out, delay: delay, limit: 32 << 10}
}

// Write keeps p for the next batch.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= b.limit {
		return len(p), b.flushLocked()
	}
	if !b.pending {
		b.pending = true
		if b.timer == nil {
			b.timer = time.AfterFunc(b.delay, func() { b.Flush() })
		} else {
			b.timer.Reset(b.delay)
		}
	}
	return len(p), nil
}

// Flush writes what is waiting.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *logBuffer) flushLocked() error {
	if b.pending {
		b.timer.Stop()
		b.pending = false
	}
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.out.Write(b.buf)
	// A failed write drops the batch: keeping it would grow without bound
	// while the output stays broken.
	b.buf = b.buf[:0]
	return err
}

// Now returns a writer whose writes go out at once, after the lines
// waiting in b.
func (b *logBuffer) Now() io.Writer { return immediate{b} }

type immediate struct{ b *logBuffer }

func (w immediate) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	if len(w.b.buf) == 0 {
		return w.b.out.Write(p)
	}
	w.b.buf = append(w.b.buf, p...)
	return len(p), w.b.flushLocked()
}

// accessLogDelay bounds how late a request line is written: soon enough
// for someone watching the log, long enough to batch a busy second.
const accessLogDelay = 100 * time.Millisecond
