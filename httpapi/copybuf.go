package httpapi

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
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

// nCopier is a file with a faster way to copy n bytes from its offset
// than reading them (s3store.File splices them from the service's socket
// into the client's).
type nCopier interface {
	CopyNTo(w io.Writer, n int64) (int64, error)
}

// ReadFrom implements io.ReaderFrom. http.ServeContent hands it the file
// limited to the span it sends.
func (w largeWrites) ReadFrom(src io.Reader) (int64, error) {
	if lr, ok := src.(*io.LimitedReader); ok {
		if c, ok := lr.R.(nCopier); ok {
			n, err := c.CopyNTo(connWriter(w.ResponseWriter), lr.N)
			lr.N -= n
			return n, err
		}
	}
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	return io.CopyBuffer(writerOnly{w.ResponseWriter}, src, *buf)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w largeWrites) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writerOnly hides every method but Write, so that io.CopyBuffer uses the
// buffer it is given.
type writerOnly struct{ io.Writer }

// connWriter returns a writer of w's body that also offers the ReadFrom of
// net/http's ResponseWriter under w's statusWriter, counting the bytes
// it copies for the log.
func connWriter(w http.ResponseWriter) io.Writer {
	if sw, ok := w.(*statusWriter); ok {
		if rf, ok := sw.ResponseWriter.(io.ReaderFrom); ok {
			return statusReaderFrom{sw, rf}
		}
	}
	return w
}

// statusReaderFrom writes through a statusWriter, and copies with the
// ReadFrom of the writer it wraps.
type statusReaderFrom struct {
	*statusWriter
	rf io.ReaderFrom
}

func (w statusReaderFrom) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.rf.ReadFrom(src)
	w.bytes += n
	return n, err
}

// serveContent is http.ServeContent with its one error that has a text
// body, 416 for a Range it cannot serve, answered as a JSON error like every
// other of the API (its Content-Range, bytes */size, stays).
func serveContent(w http.ResponseWriter, r *http.Request, modTime time.Time, content io.ReadSeeker) {
	rw := &rangeErrors{ResponseWriter: w}
	http.ServeContent(rw, r, "", modTime, content)
	rw.finish()
}

// rangeErrors passes a response through, except a 416, whose text it
// keeps for finish to write as JSON.
type rangeErrors struct {
	http.ResponseWriter
	unsatisfiable bool
	msg           []byte
}

func (w *rangeErrors) WriteHeader(code int) {
	if code == http.StatusRequestedRangeNotSatisfiable {
		w.unsatisfiable = true
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *rangeErrors) Write(p []byte) (int, error) {
	if w.unsatisfiable {
		w.msg = append(w.msg, p...)
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// ReadFrom keeps the copy of the body, a 200 or 206's, on the ReadFrom
// of the writer underneath (sendfile, splice).
func (w *rangeErrors) ReadFrom(src io.Reader) (int64, error) {
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok && !w.unsatisfiable {
		return rf.ReadFrom(src)
	}
	return io.Copy(writerOnly{w}, src)
}

func (w *rangeErrors) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish writes the JSON error of a 416.
func (w *rangeErrors) finish() {
	if w.unsatisfiable {
		msg := strings.TrimSpace(string(w.msg))
		writeJSON(w.ResponseWriter, http.StatusRequestedRangeNotSatisfiable, map[string]string{"error": "Range: " + msg})
	}
}
