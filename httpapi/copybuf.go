package httpapi

import (
	"io"
	"net/http"
	"sync"
)

// copyBufSize is the size of the writes a download from a store that is
// not a local file makes. net/http copies such a body 32 KiB at a time, a
// system call each; for a 64 MiB object from S3 that is 2,048 writes, and
// on loopback each one runs the TCP stack of both ends.
const copyBufSize = 256 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// largeWrites is a ResponseWriter whose ReadFrom, which
// http.ServeContent's copy uses, copies through a copyBufSize buffer. It is
// for content that is not an *os.File: that, net/http sends with sendfile.
type largeWrites struct {
	http.ResponseWriter
}

// ReadFrom implements io.ReaderFrom.
func (w largeWrites) ReadFrom(src io.Reader) (int64, error) {
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	return io.CopyBuffer(writerOnly{w.ResponseWriter}, src, *buf)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w largeWrites) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writerOnly hides every method but Write, so that io.CopyBuffer uses the
// buffer it is given.
type writerOnly struct{ io.Writer }
