package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/httpapi/internal/params"
	"github.com/stockroomhq/stockroom/resources"
)

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type errorBody struct {
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

// fail maps an error to its status. It is the only place that does.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		perr  *params.Error
		dup   *resources.DuplicateError
		maxb  *http.MaxBytesError
		cserr *clientStreamError
	)
	switch {
	case errors.As(err, &maxb), errors.Is(err, blobstore.ErrTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "request body larger than the limit")
	case errors.As(err, &perr):
		status := http.StatusBadRequest
		if perr.TooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		writeError(w, status, perr.Error())
	case errors.As(err, &dup):
		writeJSON(w, http.StatusConflict, errorBody{Error: dup.Error(), ExistingResourceID: dup.ExistingID})
	case errors.Is(err, resources.ErrNotFound):
		writeError(w, http.StatusNotFound, lastMessage(err))
	case errors.Is(err, resources.ErrInvalid):
		writeError(w, http.StatusBadRequest, lastMessage(err))
	case errors.Is(err, resources.ErrConflict):
		writeError(w, http.StatusConflict, lastMessage(err))
	case errors.Is(err, resources.ErrUnsupported):
		writeError(w, http.StatusUnsupportedMediaType, lastMessage(err))
	case errors.As(err, &cserr), errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		writeError(w, http.StatusBadRequest, "the request body could not be read completely")
	default:
		a.log.LogAttrs(r.Context(), slog.LevelError, "internal error", slog.String("path", r.URL.Path), slog.Any("err", err))
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

// opPrefix matches the "pkg.Op: " prefix that wrapping adds.
var opPrefix = regexp.MustCompile(`^[a-z]+\.[A-Za-z]+: `)

// lastMessage strips the "pkg.Op: " prefixes from err's text, leaving the
// message meant for the client.
func lastMessage(err error) string {
	msg := err.Error()
	for {
		loc := opPrefix.FindStringIndex(msg)
		if loc == nil {
			return msg
		}
		msg = msg[loc[1]:]
	}
}
