package blobstore

import "io"

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
