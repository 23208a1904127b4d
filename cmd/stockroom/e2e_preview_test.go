//go:build !windows

package main

import (
	"bytes"
	"image"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/imagetest"
)

// TestE2EPreviewExactBox: the real binary serves a preview that fits the
// exact box asked for, keeping the aspect (the other side rounded to the
// nearest pixel) and capped at 2048, each box with its own ETag, which
// revalidates with a 304.
func TestE2EPreviewExactBox(t *testing.T) {
	p := startServer(t, t.TempDir(), nil, "-bind-address", "127.0.0.1:0", "-data-dir", filepath.Join(t.TempDir(), "data"))
	id := upload(t, p, "wide.jpg", imagetest.JPEG(t, imagetest.Photo(3000, 1000, 1), 85), nil).ID
	type answer struct {
		Status        int
		ContentType   string
		Width, Height int
	}
	etags := map[string]string{}
	for _, tt := range []struct {
		query string
		want  answer
	}{
		{"Width=200&Height=200", answer{200, "image/jpeg", 200, 67}},
		{"Width=210&Height=200", answer{200, "image/jpeg", 210, 70}},
		{"Width=300", answer{200, "image/jpeg", 300, 100}},
		{"Height=100", answer{200, "image/jpeg", 300, 100}},
		{"Width=5000", answer{200, "image/jpeg", 2048, 683}},
		{"", answer{200, "image/jpeg", 600, 200}},
	} {
		resp, body := fetch(t, p.url("/v1/resource/preview?id=%d&%s", id, tt.query))
		got := answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
		if c, _, err := image.DecodeConfig(bytes.NewReader(body)); err == nil {
			got.Width, got.Height = c.Width, c.Height
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.query, diff)
		}
		etags[tt.query] = resp.Header.Get("ETag")
	}
	if e := etags["Width=200&Height=200"]; e == "" || e == etags["Width=210&Height=200"] {
		t.Errorf("ETags of 200x200 and 210x200: %q %q", e, etags["Width=210&Height=200"])
	}
	wantNotModified(t, p.url("/v1/resource/preview?id=%d&Width=200&Height=200", id), etags["Width=200&Height=200"])
}

// wantNotModified revalidates u with etag and expects a 304.
func wantNotModified(t *testing.T, u, etag string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("If-None-Match", etag)
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation of %s: %d, want 304", u, resp.StatusCode)
	}
}
