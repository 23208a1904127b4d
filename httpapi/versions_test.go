package httpapi_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersions(t *testing.T) {
	e := newTestEnv(t)
	img := pngBytes(t, 9, 6, 7)
	hash := sha256Hex(img)
	res := e.upload(t, filePart("resource", "v.png", img)).wantStatus(t, http.StatusOK).object(t)
	id := res["ID"].(int64)
	versionID, ok := res["currentVersionId"].(int64)
	if !ok {
		t.Fatalf("currentVersionId = %v", res["currentVersionId"])
	}
	wantVersion := map[string]any{
		"id":            versionID,
		"resourceId":    id,
		"versionNumber": int64(1),
		"hash":          hash,
		"hashType":      "SHA256",
		"fileSize":      int64(len(img)),
		"contentType":   "image/png",
		"width":         int64(9),
		"height":        int64(6),
		"location":      hash[:2] + "/" + hash[2:4] + "/" + hash,
		"comment":       "",
	}

	t.Run("list", func(t *testing.T) {
		for _, key := range []string{"resourceId", "ResourceId", "RESOURCEID", "id"} {
			got := do(t, "GET", e.URL+"/v1/resource/versions"+qs(key, itoa(id)), nil).wantStatus(t, http.StatusOK).json(t)
			if diff := cmp.Diff([]any{wantVersion}, dropVolatile(t, got)); diff != "" {
				t.Errorf("%s: versions (-want +got):\n%s", key, diff)
			}
		}
		do(t, "GET", e.URL+"/v1/resource/versions"+qs("resourceId", "999"), nil).wantError(t, http.StatusNotFound, "resource 999")
		do(t, "GET", e.URL+"/v1/resource/versions", nil).wantError(t, http.StatusBadRequest, "resourceId")
		do(t, "GET", e.URL+"/v1/resource/versions"+qs("resourceId", "x"), nil).wantError(t, http.StatusBadRequest, "resourceId")
	})
	t.Run("get", func(t *testing.T) {
		for _, key := range []string{"id", "ID", "versionId"} {
			got := do(t, "GET", e.URL+"/v1/resource/version"+qs(key, itoa(versionID)), nil).wantStatus(t, http.StatusOK).json(t)
			if diff := cmp.Diff(any(wantVersion), dropVolatile(t, got)); diff != "" {
				t.Errorf("%s: version (-want +got):\n%s", key, diff)
			}
		}
		do(t, "GET", e.URL+"/v1/resource/version"+qs("id", "999"), nil).wantError(t, http.StatusNotFound, "version 999")
		do(t, "GET", e.URL+"/v1/resource/version", nil).wantError(t, http.StatusBadRequest, "id")
	})
	t.Run("file", func(t *testing.T) {
		r := do(t, "GET", e.URL+"/v1/resource/version/file"+qs("versionId", itoa(versionID)), nil).wantStatus(t, http.StatusOK)
		if !bytes.Equal(r.Body, img) {
			t.Errorf("body differs from the upload")
		}
		wantHeaders := map[string]string{
			"Content-Disposition": `attachment; filename="v1_` + hash[:8] + `.png"`,
			"Content-Type":        "image/png",
			"ETag":                `"` + hash + `"`,
			// Served like /files/: a stored HTML or SVG cannot script
			// the origin even when a browser renders it.
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox",
		}
		for name, want := range wantHeaders {
			if got := r.Header.Get(name); got != want {
				t.Errorf("%s %q, want %q", name, got, want)
			}
		}
		r = do(t, "GET", e.URL+"/v1/resource/version/file"+qs("VersionID", itoa(versionID)), nil, "Range", "bytes=0-7").
			wantStatus(t, http.StatusPartialContent)
		if !bytes.Equal(r.Body, img[:8]) {
			t.Errorf("range body %x, want %x", r.Body, img[:8])
		}
		do(t, "GET", e.URL+"/v1/resource/version/file"+qs("versionId", itoa(versionID)), nil, "If-None-Match", `"`+hash+`"`).
			wantStatus(t, http.StatusNotModified)
		do(t, "GET", e.URL+"/v1/resource/version/file"+qs("versionId", "999"), nil).wantError(t, http.StatusNotFound)
		do(t, "GET", e.URL+"/v1/resource/version/file", nil).wantError(t, http.StatusBadRequest, "versionId")
	})
	t.Run("deleted resource", func(t *testing.T) {
		do(t, "POST", e.URL+"/v1/resource/delete"+qs("id", itoa(id)), nil).wantStatus(t, http.StatusOK)
		do(t, "GET", e.URL+"/v1/resource/version"+qs("id", itoa(versionID)), nil).wantError(t, http.StatusNotFound)
		do(t, "GET", e.URL+"/v1/resource/version/file"+qs("versionId", itoa(versionID)), nil).wantError(t, http.StatusNotFound)
		do(t, "GET", e.URL+"/v1/resource/versions"+qs("resourceId", itoa(id)), nil).wantError(t, http.StatusNotFound)
	})
}
