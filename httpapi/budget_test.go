package httpapi_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/httpapi"
)

// withConfig adjusts the handler's configuration.
func withConfig(f func(*httpapi.Config)) envOption {
	return func(c *envConfig) { f(&c.cfg) }
}

// TestUploadCap: past MaxConcurrentUploads, uploads, versions and
// synchronous remote fetches get 503 with Retry-After without their body
// being read, and nothing is stored; a place frees when an upload ends.
func TestUploadCap(t *testing.T) {
	e := newTestEnv(t, withConfig(func(c *httpapi.Config) { c.MaxConcurrentUploads = 1 }))
	id := e.uploadOK(t, filePart("resource", "first.txt", []byte("first\n")))

	// An upload in progress holds the one place.
	body, ct := multipartBody(t, filePart("resource", "slow.txt", []byte("slow upload\n")))
	pr, pw := io.Pipe()
	req := newRequest(t, "POST", e.URL+"/v1/resource", pr, "Content-Type", ct)
	done := make(chan *response, 1)
	go func() { done <- send(t, req) }()
	pw.Write(body[:10])
	// Wait for it to hold the place: a version upload to no resource
	// changes nothing, and is refused once the place is taken.
	b1, ct1 := multipartBody(t, filePart("file", "v.txt", []byte("probe\n")))
	time.Sleep(50 * time.Millisecond) // its headers are sent: let the handler start
	waitUntil := time.Now().Add(10 * time.Second)
	for do(t, "POST", e.URL+"/v1/resource/versions?resourceId=999999", b1, "Content-Type", ct1).Status != http.StatusServiceUnavailable {
		if time.Now().After(waitUntil) {
			t.Fatal("the slow upload never took the place")
		}
		time.Sleep(5 * time.Millisecond)
	}
	before := e.state(t)
	b2, ct2 := multipartBody(t, filePart("resource", "b.txt", []byte("second\n")))
	r := do(t, "POST", e.URL+"/v1/resource", b2, "Content-Type", ct2)
	r.wantError(t, http.StatusServiceUnavailable, "too many uploads")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	b3, ct3 := multipartBody(t, filePart("file", "v2.txt", []byte("version\n")))
	do(t, "POST", e.URL+"/v1/resource/versions?resourceId="+itoa(id), b3, "Content-Type", ct3).wantError(t, http.StatusServiceUnavailable, "too many uploads")
	do(t, "POST", e.URL+"/v1/resource/remote", map[string]any{"URL": "http://192.0.2.1/x"}).wantError(t, http.StatusServiceUnavailable, "too many uploads")
	e.wantUnchanged(t, before)

	// The slow upload ends; the place is free again.
	pw.Write(body[10:])
	pw.Close()
	(<-done).wantStatus(t, http.StatusOK)
	e.uploadOK(t, filePart("resource", "third.txt", []byte("third\n")))
}
