//go:build !windows

package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
	t.Run("verify beside the server", func(t *testing.T) {
		// The server keeps a copy of what it stored; a command run beside
		// it must leave the copies alone.
		copyOf := filepath.Join(dataDir, "cache", "s3", res.Hash)
		if _, err := os.Stat(copyOf); err != nil {
			t.Fatalf("no local copy of the upload: %v", err)
		}
		if code, out := runProc(t, g.Env(), "verify", "-data-dir", dataDir, "-blob-store", blobURL); code != 0 || !strings.Contains(out, "checked 2 blobs") {
			t.Fatalf("verify: exit %d:\n%s", code, out)
		}
		if _, err := os.Stat(copyOf); err != nil {
			t.Errorf("after verify: %v", err)
		}
	})
	t.Run("restart", func(t *testing.T) {
		p.stop(os.Interrupt)
		p2 := startServer(t, t.TempDir(), g.Env(), args[:len(args)-1]...) // without -s3-presign
		// The copies of the server before are gone; a file read twice is
		// copied from the bucket again, and read from the copy after.
		for range 2 {
			got, _ := viewBytes(t, p2, res.ID)
			if !bytes.Equal(got, img) {
				t.Fatalf("after a restart without -s3-presign: %d bytes, want the %d uploaded", len(got), len(img))
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for serverMetrics(t, p2.base)["stockroom_blob_cache_fills_total"] < 1 {
			if time.Now().After(deadline) {
				t.Fatalf("no copy from the bucket after two downloads: %v", serverMetrics(t, p2.base))
			}
			time.Sleep(20 * time.Millisecond)
		}
		hits := serverMetrics(t, p2.base)["stockroom_blob_cache_hits_total"]
		if got, _ := viewBytes(t, p2, res.ID); !bytes.Equal(got, img) {
			t.Fatalf("from the copy: %d bytes, want the %d uploaded", len(got), len(img))
		}
		if after := serverMetrics(t, p2.base)["stockroom_blob_cache_hits_total"]; after <= hits {
			t.Errorf("third download not served from the copy: hits %v then %v", hits, after)
		}
		p2.stop(os.Interrupt)
	})
}

// TestE2EDownloadS3 downloads a 3 MiB file from /files/ of a server whose
// files are in its data folder and of two whose files are in a bucket: one
// serves them from its local copy (-s3-cache-size, on by default), the
// other from the service (where spans of 1 MiB and more are spliced from
// the service's socket into the client's). Whole, in ranges large and
// small, several ranges, HEAD and conditional, all answer the same status,
// headers and bytes.
func TestE2EDownloadS3(t *testing.T) {
	g := s3test.New(t)
	content := make([]byte, 3<<20+777)
	rand.NewChaCha8([32]byte{1}).Read(content)
	loc := map[string]string{}
	base := map[string]string{}
	stores := []string{"folder", "s3", "s3-nocache"}
	for _, store := range stores {
		dataDir := filepath.Join(t.TempDir(), "data")
		args := []string{"-bind-address", "127.0.0.1:0", "-data-dir", dataDir}
		var env []string
		if store != "folder" {
			args = append(args, "-blob-store", g.URL())
			env = g.Env()
		}
		if store == "s3-nocache" {
			args = append(args, "-s3-cache-size", "0")
		}
		p := startServer(t, t.TempDir(), env, args...)
		res := upload(t, p, "big.bin", content, nil)
		resp, _ := fetch(t, p.url("/v1/resource/view?id=%d", res.ID))
		loc[store], base[store] = resp.Header.Get("Location"), p.base
		_, err := os.Stat(filepath.Join(dataDir, "cache", "s3", res.Hash))
		if cached := err == nil; cached != (store == "s3") {
			t.Fatalf("%s: a local copy of the upload: %v (%v)", store, cached, err)
		}
	}
	defer func() {
		// Every download of the s3 server came from its copy.
		hits := serverMetrics(t, base["s3"])["stockroom_blob_cache_hits_total"]
		misses := serverMetrics(t, base["s3"])["stockroom_blob_cache_misses_total"]
		if hits < 10 || misses != 0 {
			t.Errorf("s3: %v downloads from the local copy, %v from the service; want all from the copy", hits, misses)
		}
		if hits := serverMetrics(t, base["s3-nocache"])["stockroom_blob_cache_hits_total"]; hits != 0 {
			t.Errorf("s3-nocache: %v downloads from a local copy", hits)
		}
	}()
	for _, store := range stores[1:] {
		if loc["folder"] != loc[store] {
			t.Fatalf("/files/ paths differ: %q and %q", loc["folder"], loc[store])
		}
	}
	etag := `"` + strings.TrimSuffix(path.Base(loc["s3"]), path.Ext(loc["s3"])) + `"`
	size := len(content)
	for _, tc := range []struct {
		name, method string
		header       map[string]string
	}{
		{"whole", "GET", nil},
		{"large range", "GET", map[string]string{"Range": "bytes=1000-2098151"}},
		{"large range to the end", "GET", map[string]string{"Range": fmt.Sprintf("bytes=%d-", size-(1<<20)-1)}},
		{"large suffix", "GET", map[string]string{"Range": "bytes=-1500000"}},
		{"small range", "GET", map[string]string{"Range": "bytes=10-19"}},
		{"two ranges", "GET", map[string]string{"Range": "bytes=0-9,1048576-2200000"}},
		{"unsatisfiable", "GET", map[string]string{"Range": fmt.Sprintf("bytes=%d-", size+1)}},
		{"head", "HEAD", nil},
		{"if-none-match", "GET", map[string]string{"If-None-Match": etag}},
		{"if-range other etag", "GET", map[string]string{"Range": "bytes=5-1048580", "If-Range": `"other"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type answer struct {
				Status  int
				Header  map[string]string
				BodyLen int
			}
			got, bodies := map[string]answer{}, map[string][]byte{}
			for _, store := range stores {
				req := newRequest(t, tc.method, base[store]+loc[store], "", nil)
				for k, v := range tc.header {
					req.Header.Set(k, v)
				}
				resp, err := testClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("%s: %v", store, err)
				}
				a := answer{Status: resp.StatusCode, Header: map[string]string{}, BodyLen: len(body)}
				for _, k := range []string{"Content-Length", "Content-Range", "Content-Type", "ETag", "Cache-Control", "Accept-Ranges"} {
					a.Header[k] = resp.Header.Get(k)
				}
				if ct, _, _ := strings.Cut(a.Header["Content-Type"], ";"); ct == "multipart/byteranges" {
					// The boundary is random; the parts are compared.
					a.Header["Content-Type"] = ct
					body = bytes.ReplaceAll(body, []byte(strings.TrimPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges; boundary=")), nil)
				}
				got[store], bodies[store] = a, body
			}
			for _, store := range stores[1:] {
				if diff := cmp.Diff(got["folder"], got[store]); diff != "" {
					t.Errorf("folder and %s answers differ (-folder +%s):\n%s", store, store, diff)
				}
				if !bytes.Equal(bodies["folder"], bodies[store]) {
					t.Errorf("folder and %s bodies differ", store)
				}
				if tc.name == "whole" && !bytes.Equal(bodies[store], content) {
					t.Errorf("%s served %d bytes that are not the file", store, len(bodies[store]))
				}
			}
		})
	}
}

// TestE2EPreviewMemoryS3: with the files in a bucket, a preview asked for
// again is served from memory, not read back from the bucket, unless
// -preview-memory is 0; a browser revalidating it gets 304 without either.
func TestE2EPreviewMemoryS3(t *testing.T) {
	g := s3test.New(t)
	for _, memory := range []string{"32MiB", "0"} {
		t.Run(memory, func(t *testing.T) {
			p := startServer(t, t.TempDir(), g.Env(), "-bind-address", "127.0.0.1:0", "-data-dir", filepath.Join(t.TempDir(), "data"),
				"-blob-store", g.URL(), "-preview-memory", memory)
			res := upload(t, p, "tiny.png", testPNG(t), nil)
			u := p.url("/v1/resource/preview?id=%d&Width=64", res.ID)
			var etag string
			var first []byte
			for i := range 3 {
				resp, body := fetch(t, u)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Stockroom-Preview") != "" {
					t.Fatalf("preview %d: %d, placeholder %q", i, resp.StatusCode, resp.Header.Get("X-Stockroom-Preview-Reason"))
				}
				if i == 0 {
					etag, first = resp.Header.Get("ETag"), body
				} else if !bytes.Equal(body, first) || resp.Header.Get("ETag") != etag {
					t.Fatalf("preview %d differs from the first", i)
				}
			}
			wantNotModified(t, u, etag)
			m := serverMetrics(t, p.base)
			wantMemory := map[string]float64{"32MiB": 2, "0": 0}[memory]
			if m["stockroom_preview_renders_total"] != 1 || m["stockroom_preview_cache_hits_total"] != 2 || m["stockroom_preview_memory_hits_total"] != wantMemory {
				t.Errorf("renders %v, cache hits %v, from memory %v; want 1, 2, %v", m["stockroom_preview_renders_total"],
					m["stockroom_preview_cache_hits_total"], m["stockroom_preview_memory_hits_total"], wantMemory)
			}
		})
	}
}
