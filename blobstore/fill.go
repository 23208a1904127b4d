package blobstore

import (
	"context"
	"io"
)

// Fill reads r into p until p is full or r fails, and returns r's error
// as it is. Unlike io.ReadFull, it never makes an io.ErrUnexpectedEOF of
// its own, so the end of the content (io.EOF) cannot be confused with a
// reader's failure, such as a multipart part whose body ended early.
func Fill(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ContextReader returns a reader of r whose Reads fail with ctx's error
// once ctx is done, so that a copy from a reader that never ends stops
// between chunks. Stores wrap the content of Put in it.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return ctxReader{ctx, r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
