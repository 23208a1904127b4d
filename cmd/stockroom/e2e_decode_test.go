//go:build !windows

package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EBodies: through the real binary, a multipart upload cut short
// before its closing boundary stores nothing, and a GET's body is read like
// a POST's (REFERENCE.md: every endpoint takes parameters from the query,
// a form or a JSON body, the body winning).
func TestE2EBodies(t *testing.T) {
	p := startServer(t, t.TempDir(), nil, "-bind-address", "127.0.0.1:0", "-data-dir", filepath.Join(t.TempDir(), "data"))
	first := upload(t, p, "first.txt", []byte("first\n"), url.Values{"Name": {"First"}})
	second := upload(t, p, "second.txt", []byte("second\n"), url.Values{"Name": {"Second"}})

	head := "--XYZ\r\nContent-Disposition: form-data; name=\"resource\"; filename=\"cut.txt\"\r\nContent-Type: text/plain\r\n\r\n"
	for _, body := range []string{head + "cut short", head + "cut short\r\n", head + strings.Repeat("x", 100<<10)} {
		doJSON(t, newRequest(t, "POST", p.url("/v1/resource"), "multipart/form-data; boundary=XYZ", strings.NewReader(body)), http.StatusBadRequest, nil)
	}
	doJSON(t, newRequest(t, "POST", p.url("/v1/tag?Name=fallback"), "multipart/form-data; boundary=XYZ", strings.NewReader("garbage")), http.StatusBadRequest, nil)

	var list []resourceJSON
	doJSON(t, newRequest(t, "GET", p.url("/v1/resources"), "", nil), http.StatusOK, &list)
	if len(list) != 2 {
		t.Fatalf("%d resources after the cut uploads, want 2", len(list))
	}
	var got resourceJSON
	doJSON(t, newRequest(t, "GET", p.url("/v1/resource?id=%d", first.ID), "application/json", strings.NewReader(`{"id": `+itoa(second.ID)+`}`)), http.StatusOK, &got)
	if got.ID != second.ID {
		t.Errorf("GET /v1/resource with a JSON body naming %d answered %d", second.ID, got.ID)
	}
	doJSON(t, newRequest(t, "GET", p.url("/v1/resources"), "application/json", strings.NewReader(`{"Name": "Second"}`)), http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != second.ID {
		t.Errorf("GET /v1/resources with a JSON body {Name: Second}: %+v", list)
	}
	doJSON(t, newRequest(t, "GET", p.url("/v1/resources"), "application/x-www-form-urlencoded", strings.NewReader(`Name=First`)), http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != first.ID {
		t.Errorf("GET /v1/resources with a form body Name=First: %+v", list)
	}
	doJSON(t, newRequest(t, "GET", p.url("/v1/resources"), "application/json", strings.NewReader(`{"Name": `)), http.StatusBadRequest, nil)
}
