package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stockroomhq/stockroom/internal/s3test"
)

// TestE2EBlobStoreS3 runs the binary with its files in a bucket of a real
// S3 server and -s3-presign: uploads land in the bucket, previews are
// made from it, /files/ redirects to presigned URLs that serve the bytes
// with Range, active content comes back as an attachment, and a restart
// finds everything again.
func TestE2EBlobStoreS3(t *testing.T) {
	g := s3test.New(t)
	blobURL := g.URL()
	prefix := strings.TrimPrefix(strings.SplitN(blobURL, "?", 2)[0], "s3://"+s3test.Bucket+"/")
	dataDir := filepath.Join(t.TempDir(), "data")
	args := []string{"-bind-address", "127.0.0.1:0", "-data-dir", dataDir, "-blob-store", blobURL, "-s3-presign"}
	p := startServer(t, t.TempDir(), g.Env(), args...)

	img := testPNG(t)
	res := upload(t, p, "photo.png", img, nil)
	html := []byte("<!doctype html><script>alert(document.cookie)</script>\n")
	page := upload(t, p, "page.html", html, nil)

	// The content is in the bucket, under the prefix; none in the data folder.
	keys := g.Keys(t, prefix+"/")
	for _, h := range []string{res.Hash, page.Hash} {
		want := prefix + "/" + h[:2] + "/" + h[2:4] + "/" + h
		found := false
		for _, k := range keys {
			found = found || k == want
		}
		if !found {
			t.Errorf("object %s missing from the bucket: %v", want, keys)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dataDir, "files")); len(entries) != 0 {
		t.Errorf("data folder files/ holds %d entries with -blob-store", len(entries))
	}

	presigned := func(id int64) string {
		t.Helper()
		resp, _ := fetch(t, p.url("/v1/resource/view?id=%d", id))
		loc := resp.Header.Get("Location")
		if !strings.HasPrefix(loc, "/files/") {
			t.Fatalf("view %d: Location %q, want /files/", id, loc)
		}
		resp, body := fetch(t, p.base+loc)
		if resp.StatusCode != http.StatusTemporaryRedirect {
			t.Fatalf("GET %s: status %d, want 307 to a presigned URL: %s", loc, resp.StatusCode, body)
		}
		u, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || u.Host != g.Addr || u.Query().Get("X-Amz-Signature") == "" {
			t.Fatalf("redirect to %q, want a presigned URL of %s", resp.Header.Get("Location"), g.Addr)
		}
		return u.String()
	}

	t.Run("presigned download", func(t *testing.T) {
		u := presigned(res.ID)
		resp, body := fetch(t, u)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, img) {
			t.Fatalf("GET presigned: status %d, %d bytes, want 200 and the %d uploaded", resp.StatusCode, len(body), len(img))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
			t.Errorf("Content-Type %q, want image/png", ct)
		}
		req := newRequest(t, "GET", u, "", nil)
		req.Header.Set("Range", "bytes=10-19")
		rr, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Body.Close()
		var part bytes.Buffer
		part.ReadFrom(rr.Body)
		if rr.StatusCode != http.StatusPartialContent || !bytes.Equal(part.Bytes(), img[10:20]) {
			t.Errorf("Range GET: status %d body %x, want 206 and %x", rr.StatusCode, part.Bytes(), img[10:20])
		}
	})
	t.Run("active content is an attachment", func(t *testing.T) {
		resp, body := fetch(t, presigned(page.ID))
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, html) {
			t.Fatalf("GET presigned: status %d body %q", resp.StatusCode, body)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
			t.Errorf("Content-Disposition %q, want attachment", cd)
		}
		if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "html") {
			t.Errorf("Content-Type %q: the browser would render it", ct)
		}
	})
	t.Run("preview", func(t *testing.T) {
		resp, body := fetch(t, p.url("/v1/resource/preview?ID=%d&Width=2", res.ID))
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("\x89PNG")) && !bytes.HasPrefix(body, []byte("\xff\xd8")) {
			t.Fatalf("preview: status %d, %d bytes of %s", resp.StatusCode, len(body), resp.Header.Get("Content-Type"))
		}
	})
	t.Run("restart", func(t *testing.T) {
		p.stop(os.Interrupt)
		p2 := startServer(t, t.TempDir(), g.Env(), args[:len(args)-1]...) // without -s3-presign
		got, _ := viewBytes(t, p2, res.ID)
		if !bytes.Equal(got, img) {
			t.Errorf("after a restart without -s3-presign: %d bytes, want the %d uploaded", len(got), len(img))
		}
		p2.stop(os.Interrupt)
	})
}
