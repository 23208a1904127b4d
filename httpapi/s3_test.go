package httpapi_test

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/s3store"
	"github.com/stockroomhq/stockroom/internal/s3test"
)

// TestEndpointsOnS3 runs the endpoint tests of uploads, versions,
// previews, Range downloads and deletion again with the blobs (and the
// cached previews) in a bucket of a real S3 server, once reading every
// blob from the server and once from local copies of what was stored
// (s3store.Config.CacheSize, as the server runs by default).
func TestEndpointsOnS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server; skipped with -short")
	}
	g := s3test.New(t)
	t.Run("uncached", func(t *testing.T) { endpointsOnS3(t, g, nil) })
	t.Run("cached", func(t *testing.T) {
		endpointsOnS3(t, g, func(c *s3store.Config) { c.CacheDir, c.CacheSize = t.TempDir(), 64<<20 })
	})
}

func endpointsOnS3(t *testing.T, g *s3test.Gateway, edit func(*s3store.Config)) {
	testBlobs = func(tb testing.TB, maxFileSize int64) (blobstore.Store, func(testing.TB) []string) {
		s, cfg := g.Store(tb, edit)
		s.MaxSize = maxFileSize
		return s, func(tb testing.TB) []string {
			keys := g.Keys(tb, cfg.Prefix)
			for i, k := range keys {
				keys[i] = strings.TrimPrefix(k, cfg.Prefix)
			}
			sort.Strings(keys)
			return keys
		}
	}
	t.Cleanup(func() { testBlobs = nil })
	for _, tt := range []struct {
		name string
		test func(*testing.T)
	}{
		{"UploadSingleFileAllFields", TestUploadSingleFileAllFields},
		{"UploadSeveralFiles", TestUploadSeveralFiles},
		{"UploadDuplicate", TestUploadDuplicate},
		{"UploadSameContentTwiceInOneRequest", TestUploadSameContentTwiceInOneRequest},
		{"UploadConcurrentSameContent", TestUploadConcurrentSameContent},
		{"UploadTooLarge", TestUploadTooLarge},
		{"UploadTruncated", TestUploadTruncated},
		{"UploadClientGone", TestUploadClientGone},
		{"Versions", TestVersions},
		{"UploadVersion", TestUploadVersion},
		{"RestoreVersion", TestRestoreVersion},
		{"DeleteVersion", TestDeleteVersion},
		{"CleanupVersions", TestCleanupVersions},
		{"NewVersionChangesPreview", TestNewVersionChangesPreview},
		{"ServeFile", TestServeFile},
		{"ServeFileDeleted", TestServeFileDeleted},
		{"Preview", TestPreview},
		{"PreviewsSharedAndOnce", TestPreviewsSharedAndOnce},
		{"PreviewRevalidation", TestPreviewRevalidation},
		{"RotateEndpoint", TestRotateEndpoint},
		{"GetResource", TestGetResource},
		{"DeleteResource", TestDeleteResource},
		{"DeleteResources", TestDeleteResources},
	} {
		t.Run(tt.name, tt.test)
	}
}

// TestUploadS3Outage stops the S3 server in the middle of an upload: the
// client gets 503 with Retry-After, nothing is written (no resource, no
// object), and once the server is back the same upload succeeds.
func TestUploadS3Outage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server; skipped with -short")
	}
	g := s3test.New(t)
	var cfg s3store.Config
	testBlobs = func(tb testing.TB, maxFileSize int64) (blobstore.Store, func(testing.TB) []string) {
		var s *s3store.Store
		// One try and a short idle bound: the test is about what the
		// client sees once the store gives up, not about the retries.
		s, cfg = g.Store(tb, func(c *s3store.Config) { c.MaxRetries, c.IdleTimeout = 1, 2*time.Second })
		return s, nil
	}
	e := newTestEnv(t)
	testBlobs = nil

	content := bytes.Repeat([]byte("stockroom outage test "), 300_000) // 6.6 MB: a multipart upload
	body, ct := multipartBody(t, filePart("resource", "big.bin", content))
	half := len(body) / 2
	pr, pw := io.Pipe()
	go func() {
		pw.Write(body[:half])
		g.Stop()
		pw.Write(body[half:])
		pw.Close()
	}()
	r := do(t, "POST", e.URL+"/v1/resource", pr, "Content-Type", ct)
	r.wantError(t, http.StatusServiceUnavailable)
	if ra := r.Header.Get("Retry-After"); ra == "" {
		t.Errorf("503 without Retry-After; header %v", r.Header)
	}
	e.wait()
	if got := do(t, "GET", e.URL+"/v1/resources", nil).wantStatus(t, http.StatusOK).array(t); len(got) != 0 {
		t.Errorf("resources after the failed upload: %v, want none", got)
	}
	if ids := e.resourceIDs(t); len(ids) != 0 {
		t.Errorf("resource rows after the failed upload: %v", ids)
	}

	if err := g.Restart(); err != nil {
		t.Fatal(err)
	}
	if keys := g.Keys(t, cfg.Prefix); len(keys) != 0 {
		t.Errorf("objects after the failed upload: %v", keys)
	}
	id := e.uploadOK(t, filePart("resource", "big.bin", content))
	loc := do(t, "GET", e.URL+"/v1/resource/view"+qs("id", itoa(id)), nil).wantStatus(t, http.StatusFound).Header.Get("Location")
	if got := do(t, "GET", e.URL+loc, nil).wantStatus(t, http.StatusOK).Body; !bytes.Equal(got, content) {
		t.Errorf("download after the restart: %d bytes, want the %d uploaded", len(got), len(content))
	}
}

// countingTransport counts the requests to the S3 service by method.
type countingTransport struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[req.Method]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// TestUploadRequestsOnS3: an upload of new content costs the S3 service
// two requests, a HEAD for content already stored and the PUT; the type
// and dimensions are read from the server's staged copy, not the bucket.
func TestUploadRequestsOnS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server; skipped with -short")
	}
	g := s3test.New(t)
	ct := &countingTransport{n: map[string]int{}}
	testBlobs = func(tb testing.TB, maxFileSize int64) (blobstore.Store, func(testing.TB) []string) {
		s, _ := g.Store(tb, func(c *s3store.Config) { c.Transport = ct })
		return s, nil
	}
	e := newTestEnv(t)
	testBlobs = nil
	ct.mu.Lock()
	clear(ct.n)
	ct.mu.Unlock()
	e.uploadOK(t, filePart("resource", "new.bin", bytes.Repeat([]byte("counted "), 100_000)))
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if want := map[string]int{"HEAD": 1, "PUT": 1}; !maps.Equal(ct.n, want) {
		t.Errorf("requests to S3 for one upload: %v, want %v", ct.n, want)
	}
}
