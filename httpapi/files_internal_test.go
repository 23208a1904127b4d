package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestActiveContent(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/html; charset=utf-8": true,
		"image/svg+xml":            true,
		"IMAGE/SVG+XML":            true,
		"application/xhtml+xml":    true,
		"application/rss+xml":      true,
		"text/javascript":          true,
		"image/png":                false,
		"text/plain":               false,
		"application/pdf":          false,
		"video/mp4":                false,
		"":                         false,
	} {
		if got := activeContent(ct); got != want {
			t.Errorf("activeContent(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestMounted(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1/resources":     true,
		"/files/ab/cd":      true,
		"/resource/compare": true,
		"/healthz":          true,
		"/metrics":          true,
		"/metrics/x":        false,
		"/healthzz":         false,
		"/v1":               false,
		"/":                 false,
		"/resources":        false,
	} {
		if got := mounted(path); got != want {
			t.Errorf("mounted(%q) = %v, want %v", path, got, want)
		}
	}
}

// writeSizes records the size of every Write to a ResponseWriter.
type writeSizes struct {
	http.ResponseWriter
	sizes []int
}

func (w *writeSizes) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.ResponseWriter.Write(p)
}

// TestLargeWrites serves content that is not a local file through
// http.ServeContent as serveBlob does, whole and by range: the body is
// intact, and goes out in copyBufSize writes rather than net/http's 32 KiB.
func TestLargeWrites(t *testing.T) {
	content := make([]byte, 4*copyBufSize+100)
	for i := range content {
		content[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name, rangeHeader string
		want              []byte
		wantSizes         []int
	}{
		{"whole", "", content, []int{copyBufSize, copyBufSize, copyBufSize, copyBufSize, 100}},
		{"range", "bytes=100-", content[100:], []int{copyBufSize, copyBufSize, copyBufSize, copyBufSize}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			w := &writeSizes{ResponseWriter: rec}
			req := httptest.NewRequest("GET", "/files/x", nil)
			if tc.rangeHeader != "" {
				req.Header.Set("Range", tc.rangeHeader)
			}
			http.ServeContent(largeWrites{w}, req, "", time.Time{}, bytes.NewReader(content))
			if !bytes.Equal(rec.Body.Bytes(), tc.want) {
				t.Fatalf("body of %d bytes differs from the %d bytes served", rec.Body.Len(), len(tc.want))
			}
			if diff := cmp.Diff(tc.wantSizes, w.sizes); diff != "" {
				t.Errorf("write sizes (-want +got):\n%s", diff)
			}
		})
	}
}
