package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/httpapi"
)

// kindStatus is the status of every kind. A kind added to errs without an
// entry here fails TestStatusOfEveryKind.
var kindStatus = map[errs.Kind]int{
	errs.Other:        http.StatusInternalServerError,
	errs.Invalid:      http.StatusBadRequest,
	errs.NotFound:     http.StatusNotFound,
	errs.Conflict:     http.StatusConflict,
	errs.TooLarge:     http.StatusRequestEntityTooLarge,
	errs.Unsupported:  http.StatusUnsupportedMediaType,
	errs.Unavailable:  http.StatusServiceUnavailable,
	errs.Unauthorized: http.StatusUnauthorized,
	errs.Forbidden:    http.StatusForbidden,
	errs.RateLimited:  http.StatusTooManyRequests,
	errs.Internal:     http.StatusInternalServerError,
}

func TestStatusOfEveryKind(t *testing.T) {
	for _, k := range errs.Kinds() {
		want, ok := kindStatus[k]
		if !ok {
			t.Errorf("kind %q has no expected status: add it to kindStatus and to statusOf", k)
			continue
		}
		if got := httpapi.StatusOf(k); got != want {
			t.Errorf("StatusOf(%q) = %d, want %d", k, got, want)
		}
	}
}

// TestErrorKindsThroughHandler sends, for each kind, requests that really
// produce it to a real handler over a real library, and checks the status
// (the kind's), the JSON body and the message.
func TestErrorKindsThroughHandler(t *testing.T) {
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	for _, tt := range []struct {
		name      string
		kind      errs.Kind
		options   []envOption
		send      func(t *testing.T, e *testEnv) *response
		fragments []string
		check     func(t *testing.T, r *response, body map[string]any)
	}{
		{name: "missing ID", kind: errs.Invalid,
			send: func(t *testing.T, e *testEnv) *response {
				return do(t, "GET", e.URL+"/v1/resource", nil)
			}, fragments: []string{"id"}},
		{name: "invalid field of a library call", kind: errs.Invalid,
			send: func(t *testing.T, e *testEnv) *response {
				return do(t, "POST", e.URL+"/v1/resources/setDimensions", map[string]any{"ID": e.uploadFile(t, "a.txt", []byte("a")), "Width": 0, "Height": 5})
			}, fragments: []string{"positive"},
			check: func(t *testing.T, _ *response, body map[string]any) {
				if msg := body["error"].(string); strings.Contains(msg, "resources.") {
					t.Errorf("message %q names an operation", msg)
				}
			}},
		{name: "body cut off while a file streams", kind: errs.Invalid,
			send: func(t *testing.T, e *testEnv) *response {
				body, ct := multipartBody(t, filePart("resource", "big.bin", bytes.Repeat([]byte("x"), 64<<10)))
				return do(t, "POST", e.URL+"/v1/resource", string(body[:len(body)/2]), "Content-Type", ct)
			}, fragments: []string{"could not be read"}},
		{name: "unknown resource", kind: errs.NotFound,
			send: func(t *testing.T, e *testEnv) *response {
				return do(t, "GET", e.URL+"/v1/resource"+qs("id", "999"), nil)
			}, fragments: []string{"resource 999 not found"}},
		{name: "unknown version", kind: errs.NotFound,
			send: func(t *testing.T, e *testEnv) *response {
				id := e.uploadFile(t, "b.txt", []byte("b"))
				return do(t, "GET", e.URL+"/resource/compare.json"+qs("r1", itoa(id), "v1", "1", "r2", itoa(id), "v2", "7"), nil)
			}, fragments: []string{"has no version 7"}},
		{name: "duplicate upload", kind: errs.Conflict,
			send: func(t *testing.T, e *testEnv) *response {
				e.uploadFile(t, "c.txt", []byte("same"))
				return e.upload(t, filePart("resource", "d.txt", []byte("same")))
			}, fragments: []string{"already stored as resource"},
			check: func(t *testing.T, _ *response, body map[string]any) {
				if id, ok := body["existingResourceId"].(int64); !ok || id <= 0 {
					t.Errorf("existingResourceId = %v", body["existingResourceId"])
				}
			}},
		{name: "tag name taken", kind: errs.Conflict,
			send: func(t *testing.T, e *testEnv) *response {
				e.createID(t, "/v1/tag", map[string]any{"Name": "sunset"})
				other := e.createID(t, "/v1/tag", map[string]any{"Name": "dawn"})
				return do(t, "POST", e.URL+"/v1/tag", map[string]any{"ID": other, "Name": "sunset"})
			}, fragments: []string{`a tag named "sunset" already exists`},
			check: func(t *testing.T, _ *response, body map[string]any) {
				if _, ok := body["existingResourceId"]; ok {
					t.Error("existingResourceId on a conflict that is no duplicate")
				}
			}},
		{name: "request body over MaxBodySize", kind: errs.TooLarge, options: []envOption{withMaxBodySize(1 << 10)},
			send: func(t *testing.T, e *testEnv) *response {
				return do(t, "POST", e.URL+"/v1/tag", map[string]any{"Name": "x", "Description": strings.Repeat("d", 4<<10)})
			}},
		{name: "upload over MaxUploadSize", kind: errs.TooLarge, options: []envOption{withMaxUploadSize(4 << 10)},
			send: func(t *testing.T, e *testEnv) *response {
				return e.upload(t, filePart("resource", "e.bin", bytes.Repeat([]byte("e"), 64<<10)))
			}, fragments: []string{"larger than the limit"}},
		{name: "blob over MaxFileSize", kind: errs.TooLarge, options: []envOption{withMaxFileSize(100)},
			send: func(t *testing.T, e *testEnv) *response {
				return e.upload(t, filePart("resource", "f.bin", bytes.Repeat([]byte("f"), 1000)))
			}, fragments: []string{"larger than the 100 bytes"}},
		{name: "rotate a PDF", kind: errs.Unsupported,
			send: func(t *testing.T, e *testEnv) *response {
				id := e.uploadFile(t, "g.pdf", pdf)
				return do(t, "POST", e.URL+"/v1/resources/rotate", map[string]any{"ID": id, "Degrees": 90})
			}, fragments: []string{"application/pdf", "not a raster image"}},
		{name: "downloads not enabled", kind: errs.Unavailable,
			send: func(t *testing.T, e *testEnv) *response {
				return do(t, "GET", e.URL+"/v1/jobs/queue", nil)
			}, fragments: []string{"not enabled"},
			check: func(t *testing.T, r *response, _ map[string]any) {
				if r.Header.Get("Retry-After") == "" {
					t.Error("no Retry-After")
				}
			}},
		{name: "database broken", kind: errs.Internal,
			send: func(t *testing.T, e *testEnv) *response {
				if _, err := e.Lib.Store.DB().ExecContext(context.Background(), "ALTER TABLE tags RENAME TO tags_gone"); err != nil {
					t.Fatal(err)
				}
				return do(t, "GET", e.URL+"/v1/tags", nil)
			},
			check: func(t *testing.T, _ *response, body map[string]any) {
				if body["error"] != "internal error" {
					t.Errorf("error %q, want the generic text", body["error"])
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, tt.options...)
			r := tt.send(t, e)
			if want := kindStatus[tt.kind]; httpapi.StatusOf(tt.kind) != want {
				t.Fatalf("StatusOf(%q) = %d, want %d", tt.kind, httpapi.StatusOf(tt.kind), want)
			}
			body := r.wantError(t, kindStatus[tt.kind], tt.fragments...)
			if tt.check != nil {
				tt.check(t, r, body)
			}
		})
	}
}

// TestErrorPageStatus: the HTML error page of the comparison answers the
// status of the kind, as the JSON error does.
func TestErrorPageStatus(t *testing.T) {
	e := newTestEnv(t)
	for _, tt := range []struct {
		query  string
		status int
		msg    string
	}{
		{qs("r1", "999", "v1", "1", "r2", "999", "v2", "2"), http.StatusNotFound, "999"},
		{qs("r1", "x"), http.StatusBadRequest, "r1"},
	} {
		html := do(t, "GET", e.URL+"/resource/compare"+tt.query, nil, "Accept", "text/html").wantStatus(t, tt.status)
		if ct := html.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(html.Body), tt.msg) {
			t.Errorf("%s: %s page %q", tt.query, ct, html.Body)
		}
		do(t, "GET", e.URL+"/resource/compare"+tt.query, nil).wantError(t, tt.status, tt.msg)
	}
}
