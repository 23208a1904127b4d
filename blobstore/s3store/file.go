package s3store

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/stockroomhq/stockroom/blobstore"
)

var _ blobstore.File = (*File)(nil)

// File is an open object: a blobstore.File that reads with GET requests.
// Read streams one GET from the current offset to the end of the object
// and reuses it while reads follow each other; a Seek elsewhere drops it
// and the next Read starts a new GET from there, so http.ServeContent
// serves a Range request with one ranged GET. ReadAt makes one GET of
// exactly the bytes asked for and is safe for concurrent use. Read, Seek
// and Close are not. Every request runs on the context given to Open.
type File struct {
	s       *Store
	ctx     context.Context
	key     string
	size    int64
	etag    string
	modTime time.Time

	pos       int64         // offset of the next Read
	body      io.ReadCloser // open GET, or nil
	bodyStart int64         // offset where body started
	bodyPos   int64         // offset of the next byte of body
	closed    bool

	// head keeps the first bytes read from a GET of the whole object,
	// up to headSize, so that reading them again after a Seek to 0 (as
	// http.ServeContent does after sniffing the content type) reuses the
	// GET instead of starting another.
	head []byte
}

// headSize is what http.ServeContent reads to sniff a content type.
const headSize = 512

// Size returns the length of the object.
func (f *File) Size() int64 { return f.size }

// ModTime returns when the object was stored.
func (f *File) ModTime() time.Time { return f.modTime }

// ETag returns the service's entity tag of the object, which is not the
// content hash.
func (f *File) ETag() string { return f.etag }

// Read implements io.Reader.
func (f *File) Read(p []byte) (int, error) {
	const op = "s3store.File.Read"
	if f.closed {
		return 0, fmt.Errorf("%s %s: %w", op, f.key, fs.ErrClosed)
	}
	if f.pos >= f.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if h := int64(len(f.head)); f.bodyStart == 0 && f.pos < h && (f.body != nil && f.bodyPos == h || h == f.size) {
		n := copy(p, f.head[f.pos:])
		f.pos += int64(n)
		return n, nil
	}
	if f.body != nil && f.bodyPos != f.pos {
		f.dropBody()
	}
	if f.body == nil {
		body, err := f.get(f.pos, -1)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", op, err)
		}
		f.body, f.bodyStart, f.bodyPos = body, f.pos, f.pos
		f.head = f.head[:0]
	}
	n, err := f.body.Read(p[:min(int64(len(p)), f.size-f.pos)])
	if start := f.pos; f.bodyStart == 0 && start == int64(len(f.head)) && start+int64(n) <= headSize {
		f.head = append(f.head, p[:n]...)
	}
	f.pos += int64(n)
	f.bodyPos = f.pos
	switch {
	case err == io.EOF && f.pos < f.size:
		f.dropBody()
		return n, f.s.fail(f.ctx, op, f.key, io.ErrUnexpectedEOF)
	case err == io.EOF:
		f.dropBody()
		return n, nil // the next Read reports io.EOF
	case err != nil:
		f.dropBody()
		return n, f.s.fail(f.ctx, op, f.key, err)
	}
	return n, nil
}

// Seek implements io.Seeker. It makes no request.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.pos + offset
	case io.SeekEnd:
		abs = f.size + offset
	default:
		return 0, fmt.Errorf("s3store.File.Seek: invalid whence %d", whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("s3store.File.Seek: negative position %d", abs)
	}
	f.pos = abs
	return abs, nil
}

// ReadAt implements io.ReaderAt with one ranged GET.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	const op = "s3store.File.ReadAt"
	if off < 0 {
		return 0, fmt.Errorf("%s: negative offset %d", op, off)
	}
	if off >= f.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), f.size-off)
	if want == 0 {
		return 0, nil
	}
	body, err := f.get(off, off+want-1)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	defer body.Close()
	n, err := io.ReadFull(body, p[:want])
	if err != nil {
		return n, f.s.fail(f.ctx, op, f.key, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// get starts a GET of the bytes from start to end inclusive, or to the end
// of the object when end is negative.
func (f *File) get(start, end int64) (io.ReadCloser, error) {
	body, _, err := f.getHeader(f.ctx, start, end)
	return body, err
}

// getHeader is get on ctx, which also returns the answer's header.
func (f *File) getHeader(ctx context.Context, start, end int64) (io.ReadCloser, http.Header, error) {
	var opts minio.GetObjectOptions
	switch {
	case end >= 0:
		opts.SetRange(start, end)
	case start > 0:
		opts.SetRange(start, 0)
	}
	body, _, hdr, err := f.s.core.GetObject(ctx, f.s.bucket, f.key, opts)
	if err != nil {
		return nil, nil, f.s.fail(f.ctx, "get", f.key, err)
	}
	return body, hdr, nil
}

// dropBody closes the open GET. Closing an unfinished response body drops
// its connection rather than downloading the rest.
func (f *File) dropBody() {
	if f.body != nil {
		f.body.Close()
		f.body = nil
	}
}

// Close implements io.Closer.
func (f *File) Close() error {
	f.dropBody()
	f.closed = true
	return nil
}
