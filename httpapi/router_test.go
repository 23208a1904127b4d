package httpapi_test

import (
	"net/http"
	"testing"
)

func TestUnknownRoute(t *testing.T) {
	base, _ := newTestServer(t)
	for _, tt := range []struct{ method, path string }{
		{"GET", "/"},
		{"GET", "/v1/nothing"},
		{"POST", "/v1/nothing"},
		{"GET", "/v1/resource/"},
		{"GET", "/v1/resources/nothing"},
		{"GET", "/v2/resource"},
		{"GET", "/V1/RESOURCE"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			do(t, tt.method, base+tt.path, nil).wantError(t, http.StatusNotFound, "no such endpoint")
		})
	}
}

func TestWrongMethod(t *testing.T) {
	e := newTestEnv(t)
	for _, tt := range []struct{ method, path, allow string }{
		{"DELETE", "/v1/resource", "GET, HEAD, POST"},
		{"PUT", "/v1/resource", "GET, HEAD, POST"},
		{"GET", "/v1/resource/delete", "POST"},
		{"GET", "/v1/resource/edit", "POST"},
		{"POST", "/v1/resources", "GET, HEAD"},
		{"POST", "/v1/resource/view", "GET, HEAD"},
		{"DELETE", "/v1/tag", "GET, HEAD, POST"},
		{"GET", "/v1/series/create", "POST"},
		{"POST", "/v1/resource/version/file", "GET, HEAD"},
		{"GET", "/v1/resource/version/restore", "POST"},
		{"PUT", "/v1/resource/version", "DELETE, GET, HEAD"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := do(t, tt.method, e.URL+tt.path, nil)
			r.wantError(t, http.StatusMethodNotAllowed, tt.method)
			if got := r.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}
