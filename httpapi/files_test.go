package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestServeFile(t *testing.T) {
	e := newTestEnv(t)
	img := pngBytes(t, 16, 16, 5)
	id := e.uploadOK(t, filePart("resource", "serve.png", img))
	hash := sha256Hex(img)
	loc := do(t, "GET", e.URL+"/v1/resource/view"+qs("id", itoa(id)), nil).wantStatus(t, http.StatusFound).Header.Get("Location")
	etag := `"` + hash + `"`

	t.Run("GET", func(t *testing.T) {
		r := do(t, "GET", e.URL+loc, nil).wantStatus(t, http.StatusOK)
		if !bytes.Equal(r.Body, img) {
			t.Errorf("body differs from the upload (%d bytes, want %d)", len(r.Body), len(img))
		}
		for name, want := range map[string]string{
			"Content-Type":   "image/png",
			"ETag":           etag,
			"Content-Length": itoa(int64(len(img))),
			"Accept-Ranges":  "bytes",
		} {
			if got := r.Header.Get(name); got != want {
				t.Errorf("%s %q, want %q", name, got, want)
			}
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=") {
			t.Errorf("Cache-Control %q, want long immutable caching", cc)
		}
	})
	t.Run("without extension", func(t *testing.T) {
		r := do(t, "GET", e.URL+strings.TrimSuffix(loc, ".png"), nil).wantStatus(t, http.StatusOK)
		if !bytes.Equal(r.Body, img) {
			t.Error("body differs from the upload")
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		r := do(t, "HEAD", e.URL+loc, nil).wantStatus(t, http.StatusOK)
		if len(r.Body) != 0 || r.Header.Get("ETag") != etag {
			t.Errorf("HEAD: %d bytes of body, ETag %q", len(r.Body), r.Header.Get("ETag"))
		}
	})
	t.Run("Range", func(t *testing.T) {
		r := do(t, "GET", e.URL+loc, nil, "Range", "bytes=10-19").wantStatus(t, http.StatusPartialContent)
		if !bytes.Equal(r.Body, img[10:20]) {
			t.Errorf("range body %x, want %x", r.Body, img[10:20])
		}
		wantCR := "bytes 10-19/" + itoa(int64(len(img)))
		if cr := r.Header.Get("Content-Range"); cr != wantCR {
			t.Errorf("Content-Range %q, want %q", cr, wantCR)
		}
		r = do(t, "GET", e.URL+loc, nil, "Range", "bytes=-5").wantStatus(t, http.StatusPartialContent)
		if !bytes.Equal(r.Body, img[len(img)-5:]) {
			t.Errorf("suffix range body %x, want %x", r.Body, img[len(img)-5:])
		}
		for _, rng := range []string{"bytes=100000-", "bytes=x-y"} {
			r = do(t, "GET", e.URL+loc, nil, "Range", rng)
			r.wantError(t, http.StatusRequestedRangeNotSatisfiable, "Range")
			if rng == "bytes=100000-" && r.Header.Get("Content-Range") != "bytes */"+itoa(int64(len(img))) {
				t.Errorf("416 Content-Range %q", r.Header.Get("Content-Range"))
			}
		}
	})
	t.Run("If-None-Match", func(t *testing.T) {
		r := do(t, "GET", e.URL+loc, nil, "If-None-Match", etag).wantStatus(t, http.StatusNotModified)
		if len(r.Body) != 0 {
			t.Errorf("304 with a body: %q", r.Body)
		}
		do(t, "GET", e.URL+loc, nil, "If-None-Match", `"other"`).wantStatus(t, http.StatusOK)
	})

	// A blob in the store that no resource refers to is not served.
	orphan := []byte("garbage awaiting collection\n")
	if _, err := e.Lib.Blobs.Put(context.Background(), bytes.NewReader(orphan)); err != nil {
		t.Fatal(err)
	}
	oh := sha256Hex(orphan)
	notFound := []struct{ name, path string }{
		{"root", "/files/"},
		{"first level", "/files/" + hash[:2] + "/"},
		{"second level", "/files/" + hash[:2] + "/" + hash[2:4] + "/"},
		{"wrong first prefix", "/files/zz/" + hash[2:4] + "/" + hash + ".png"},
		{"wrong second prefix", "/files/" + hash[:2] + "/00/" + hash + ".png"},
		{"swapped prefixes", "/files/" + hash[2:4] + "/" + hash[:2] + "/" + hash},
		{"short hash", "/files/" + hash[:2] + "/" + hash[2:4] + "/" + hash[:40]},
		{"not hex", "/files/zz/zz/" + strings.Repeat("z", 64)},
		{"unknown hash", "/files/00/00/" + strings.Repeat("0", 64)},
		{"unreferenced blob", "/files/" + oh[:2] + "/" + oh[2:4] + "/" + oh},
		{"extra segment", "/files/" + hash[:2] + "/" + hash[2:4] + "/" + hash + "/x"},
		{"temporary dir", "/files/tmp/"},
	}
	for _, tt := range notFound {
		t.Run(tt.name, func(t *testing.T) {
			do(t, "GET", e.URL+tt.path, nil).wantError(t, http.StatusNotFound)
		})
	}
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		t.Run(method, func(t *testing.T) {
			r := do(t, method, e.URL+loc, "x")
			r.wantError(t, http.StatusMethodNotAllowed)
			if allow := r.Header.Get("Allow"); allow != "GET, HEAD" {
				t.Errorf("Allow %q", allow)
			}
		})
	}
}

// TestServeFileDeleted checks that a file is gone from /files/ once its
// resource is deleted.
func TestServeFileDeleted(t *testing.T) {
	e := newTestEnv(t)
	id := e.uploadOK(t, filePart("resource", "a.txt", []byte("soon gone\n")))
	loc := do(t, "GET", e.URL+"/v1/resource/view"+qs("id", itoa(id)), nil).wantStatus(t, http.StatusFound).Header.Get("Location")
	r := do(t, "GET", e.URL+loc, nil).wantStatus(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/plain" {
		t.Errorf("Content-Type %q", ct)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no X-Content-Type-Options: nosniff")
	}
	do(t, "POST", e.URL+"/v1/resource/delete"+qs("id", itoa(id)), nil).wantStatus(t, http.StatusOK)
	do(t, "GET", e.URL+loc, nil).wantError(t, http.StatusNotFound)
}
