package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/resources"
)

// writeJSON answers status with v as JSON.
//
// The body is encoded into a pooled buffer first and sent with its
// Content-Length in one write: streamed through the response, a list
// page went out in chunks of 4 KB, a write system call each, and the
// encoder's buffer was allocated anew for every answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBufs.Get().(*bytes.Buffer)
	defer func() {
		// A rare huge answer would otherwise pin its memory in the pool.
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			jsonBufs.Put(buf)
		}
	}()
	buf.Reset()
	err := encodeJSON(buf, v)
	writeEncoded(w, status, buf.Bytes(), err == nil)
}

// writeEncoded writes b, an encoded JSON value and its newline, with its
// Content-Length when whole.
func writeEncoded(w http.ResponseWriter, status int, b []byte, whole bool) {
	w.Header().Set("Content-Type", "application/json")
	if whole {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encodeJSON writes v and a newline to buf as json.Encoder does; the
// resources of reads, uploads and lists, the answers made most often, by
// hand (resources.AppendJSON), which is several times cheaper.
func encodeJSON(buf *bytes.Buffer, v any) error {
	var b []byte
	ok := false
	switch v := v.(type) {
	case *resources.Resource:
		b, ok = v.AppendJSON(buf.AvailableBuffer())
	case []*resources.Resource:
		b, ok = resources.AppendJSON(buf.AvailableBuffer(), v)
	}
	if ok {
		buf.Write(append(b, '\n'))
		return nil
	}
	return json.NewEncoder(buf).Encode(v)
}

type errorBody struct {
	Error              string `json:"error"`
	ExistingResourceID int64  `json:"existingResourceId,omitempty"`
	// Details repeats a duplicate's error per file, the form in which
	// newer versions of the reference report failed uploads.
	Details []errorDetail `json:"details,omitempty"`
}

type errorDetail struct {
	Error              string `json:"error"`
	ExistingResourceID int64  `json:"existingResourceId,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// clientStreamError marks a failure to read the request body (a cut-off
// upload, a client that went away): the client's fault, never a 5xx.
type clientStreamError struct{ err error }

func (e *clientStreamError) Error() string { return "reading request body: " + e.err.Error() }
func (e *clientStreamError) Unwrap() error { return e.err }

// clientReader tags every read error of the request body as the client's.
type clientReader struct{ r io.Reader }

func (c clientReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &clientStreamError{err}
	}
	return n, err
}

// fail answers err as a JSON error: the status of its kind (statusOf), and
// errs.Message as the text, or "internal error" when the error has no
// kind or is Internal, whose cause is logged instead. Every handler and
// the HTML pages answer errors through it.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := a.answer(w.Header(), r, err)
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		// The body may be unread: closing spares the server reading it
		// out to reuse the connection, which a slow client could stretch
		// for as long as it likes.
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, status, body)
}

// answer decides fail's status and body for err, and sets the headers
// that go with them in h.
func (a *api) answer(h http.Header, r *http.Request, err error) (int, errorBody) {
	err = requestError(r, err)
	kind := errs.KindOf(err)
	status := statusOf(kind)
	body := errorBody{Error: errs.Message(err)}
	switch kind {
	case errs.Internal, errs.Other:
		a.log.LogAttrs(r.Context(), slog.LevelError, "internal error", slog.String("path", r.URL.Path), slog.Any("err", err))
		body.Error = "internal error"
	case errs.Unavailable, errs.RateLimited:
		// Both mean "try later"; a full queue drains within seconds.
		h.Set("Retry-After", "30")
	}
	var dup *resources.DuplicateError
	if kind == errs.Conflict && errors.As(err, &dup) {
		body.ExistingResourceID = dup.ExistingID
		body.Details = []errorDetail{{Error: body.Error, ExistingResourceID: dup.ExistingID}}
	}
	return status, body
}

// statusOf maps a kind to its HTTP status. It is the only place that
// chooses a status for an error.
func statusOf(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.Unsupported:
		return http.StatusUnsupportedMediaType
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError // Internal, Other
}

// requestError gives a kind to the errors of reading a request, which
// net/http and the client produce without one: a body over the limit is
// TooLarge, a body cut off or a client gone away is Invalid (never a 5xx).
func requestError(r *http.Request, err error) error {
	var (
		maxb  *http.MaxBytesError
		cserr *clientStreamError
	)
	switch {
	case errors.As(err, &maxb):
		return &errs.Error{Kind: errs.TooLarge, Msg: "request body larger than the limit", Err: err}
	case errs.KindOf(err) != errs.Other:
		return err
	case errors.As(err, &cserr), errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return &errs.Error{Kind: errs.Invalid, Msg: "the request body could not be read completely", Err: err}
	}
	return err
}
