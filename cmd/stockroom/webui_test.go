package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeMountsWebUI: serve answers / with the web UI's page and keeps
// /v1/ and the compare page on the API.
func TestServeMountsWebUI(t *testing.T) {
	p := startInProcess(t, "-ephemeral")
	for _, tt := range []struct {
		path, status, ctype, body string
	}{
		{"/", "200", "text/html", `<link rel="stylesheet" href="/ui/static/app.css`},
		{"/ui/tags", "200", "text/html", "<h1>Tags</h1>"},
		{"/v1/resources", "200", "application/json", "[]"},
		{"/v1/nothing", "404", "application/json", "no such endpoint"},
		{"/resource/compare", "400", "application/json", "r1"},
	} {
		resp, err := http.Get(p.base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Status[:3]; got != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.ctype) || !strings.Contains(string(b), tt.body) {
			t.Errorf("GET %s: %s %s, want %s %s with %q\n%s", tt.path, resp.Status, resp.Header.Get("Content-Type"), tt.status, tt.ctype, tt.body, b)
		}
	}
}
