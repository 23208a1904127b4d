package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/dbtest"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/httpapi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testEnv is a running handler over a real library: SQLite in a temporary
// directory and, by default, blobs in memory.
type testEnv struct {
	URL string
	Lib *stockroom.Library
	// Fs holds the blobs; nil when they are on the host filesystem.
	Fs afero.Fs

	srv      *httptest.Server
	handler  http.Handler
	inflight sync.WaitGroup
	logs     *syncBuffer
	// listObjects lists the objects of a blob store that is not a
	// filesystem; nil otherwise.
	listObjects func(testing.TB) []string
}

// envOption adjusts what newTestEnv builds.
type envOption func(*envConfig)

type envConfig struct {
	opts stockroom.Options
	cfg  httpapi.Config
}

// withDiskBlobs keeps the blobs on the host filesystem under a temporary
// directory, for tests whose content must not sit on the heap.
func withDiskBlobs() envOption {
	return func(c *envConfig) { c.opts.Fs = nil }
}

// withMaxUploadSize sets httpapi.Config.MaxUploadSize.
func withMaxUploadSize(n int64) envOption {
	return func(c *envConfig) { c.cfg.MaxUploadSize = n }
}

// withMaxBodySize sets httpapi.Config.MaxBodySize.
func withMaxBodySize(n int64) envOption {
	return func(c *envConfig) { c.cfg.MaxBodySize = n }
}

// withMaxFileSize sets stockroom.Options.MaxFileSize.
func withMaxFileSize(n int64) envOption {
	return func(c *envConfig) { c.opts.MaxFileSize = n }
}

// testBlobs, when set, gives newTestEnv the blob store of its library (the
// S3 runs of s3_test.go), bounded by Options.MaxFileSize, and a function
// that lists every object of the store, as files lists the filesystem's.
var testBlobs func(tb testing.TB, maxFileSize int64) (blobstore.Store, func(testing.TB) []string)

// newTestServer starts the API over a fresh library and returns its base
// URL and the library.
func newTestServer(tb testing.TB) (string, *stockroom.Library) {
	tb.Helper()
	e := newTestEnv(tb)
	return e.URL, e.Lib
}

func newTestEnv(tb testing.TB, options ...envOption) *testEnv {
	tb.Helper()
	dir := tb.TempDir()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c := &envConfig{opts: stockroom.Options{
		DataDir: dir,
		DBPath:  filepath.Join(dir, "test.db"),
		Fs:      afero.NewMemMapFs(),
		Logger:  logger,
	}}
	for _, o := range options {
		o(c)
	}
	var listObjects func(testing.TB) []string
	if testBlobs != nil && c.opts.Blobs == nil {
		c.opts.Blobs, listObjects = testBlobs(tb, c.opts.MaxFileSize)
		c.opts.Fs = nil
	}
	if c.opts.DB == nil && c.opts.PostgresDSN == "" {
		c.opts.PostgresDSN = dbtest.LibraryDSN(tb)
	}
	lib, err := stockroom.Open(context.Background(), c.opts)
	if err != nil {
		tb.Fatal(err)
	}
	c.cfg.Store, c.cfg.Versions, c.cfg.Query, c.cfg.Logger = lib.Store, lib.Versions, lib.Query, logger
	if c.cfg.Media == nil {
		c.cfg.Media = lib.Media
	}
	if c.cfg.Previews == nil {
		c.cfg.Previews = lib.Previews
	}
	e := &testEnv{Lib: lib, Fs: c.opts.Fs, logs: logs, listObjects: listObjects}
	h := httpapi.NewHandler(c.cfg)
	e.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.inflight.Add(1)
		defer e.inflight.Done()
		h.ServeHTTP(w, r)
	})
	e.srv = httptest.NewServer(e.handler)
	e.URL = e.srv.URL
	tb.Cleanup(func() {
		e.srv.Close()
		if err := lib.Close(); err != nil {
			tb.Error(err)
		}
		if tb.Failed() && logs.Len() > 0 {
			tb.Logf("library and handler log:\n%s", logs.String())
		}
	})
	return e
}

// wait blocks until no request is being served.
func (e *testEnv) wait() { e.inflight.Wait() }

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// response is a finished HTTP exchange with its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	// Close reports that the server closes the connection after it.
	Close bool
}

// json decodes the body into a new value of type map[string]any, []any...
func (r *response) json(tb testing.TB) any {
	tb.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("response body is not JSON (%v): %q", err, r.Body)
	}
	return normalizeNumbers(v)
}

// object decodes the body as a JSON object.
func (r *response) object(tb testing.TB) map[string]any {
	tb.Helper()
	m, ok := r.json(tb).(map[string]any)
	if !ok {
		tb.Fatalf("response body is not a JSON object: %s", r.Body)
	}
	return m
}

// array decodes the body as a JSON array.
func (r *response) array(tb testing.TB) []any {
	tb.Helper()
	a, ok := r.json(tb).([]any)
	if !ok {
		tb.Fatalf("response body is not a JSON array: %s", r.Body)
	}
	return a
}

// into decodes the body into v.
func (r *response) into(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// normalizeNumbers turns json.Number into int64 when integral, else float64,
// so that expectations can be written with plain literals.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	}
	return v
}

// do sends a request and reads the whole answer. body may be nil, a string,
// []byte, url.Values (sent as a form), an io.Reader, or anything else (sent
// as JSON).
func do(tb testing.TB, method, u string, body any, header ...string) *response {
	tb.Helper()
	req := newRequest(tb, method, u, body, header...)
	return send(tb, req)
}

func newRequest(tb testing.TB, method, u string, body any, header ...string) *http.Request {
	tb.Helper()
	var r io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	case url.Values:
		r = strings.NewReader(b.Encode())
		contentType = "application/x-www-form-urlencoded"
	case io.Reader:
		r = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		r = bytes.NewReader(j)
		contentType = "application/json"
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if len(header)%2 != 0 {
		tb.Fatal("header wants name, value pairs")
	}
	for i := 0; i < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       2 * time.Minute,
}

func send(tb testing.TB, req *http.Request) *response {
	tb.Helper()
	resp, err := noRedirects.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b, Close: resp.Close}
}

// wantStatus fails the test unless r has the status.
func (r *response) wantStatus(tb testing.TB, status int) *response {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}

// wantError checks a JSON error answer: the status, the JSON content type,
// and an "error" member containing each of the fragments (case-insensitive).
func (r *response) wantError(tb testing.TB, status int, fragments ...string) map[string]any {
	tb.Helper()
	r.wantStatus(tb, status)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		tb.Errorf("Content-Type %q, want application/json", ct)
	}
	m := r.object(tb)
	msg, ok := m["error"].(string)
	if !ok || msg == "" {
		tb.Fatalf("no error message in %s", r.Body)
	}
	for _, f := range fragments {
		if !strings.Contains(strings.ToLower(msg), strings.ToLower(f)) {
			tb.Errorf("error %q does not mention %q", msg, f)
		}
	}
	return m
}

// filePart and fieldPart build the parts of a multipart body, in order.
type mpPart struct {
	name, filename, contentType string
	body                        []byte
}

func fieldPart(name, value string) mpPart { return mpPart{name: name, body: []byte(value)} }

func filePart(name, filename string, body []byte) mpPart {
	return mpPart{name: name, filename: filename, contentType: "application/octet-stream", body: body}
}

// multipartBody encodes parts and returns the body and its Content-Type.
func multipartBody(tb testing.TB, parts ...mpPart) ([]byte, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := make(textproto.MIMEHeader)
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(p.body)
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// upload posts parts to /v1/resource.
func (e *testEnv) upload(tb testing.TB, parts ...mpPart) *response {
	tb.Helper()
	body, ct := multipartBody(tb, parts...)
	return do(tb, "POST", e.URL+"/v1/resource", body, "Content-Type", ct)
}

// uploadOK uploads one file and returns the created resource's ID.
func (e *testEnv) uploadOK(tb testing.TB, parts ...mpPart) int64 {
	tb.Helper()
	m := e.upload(tb, parts...).wantStatus(tb, http.StatusOK).object(tb)
	return m["ID"].(int64)
}

// blobs lists the hashes of the stored blobs.
func (e *testEnv) blobs(tb testing.TB) []string {
	tb.Helper()
	var out []string
	err := e.Lib.Blobs.Walk(context.Background(), func(i blobstore.Info) error {
		out = append(out, i.Hash.String())
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// files lists every regular file of the blob filesystem (blobs and
// anything else, such as temporary files), when it is in memory, or every
// object of the bucket.
func (e *testEnv) files(tb testing.TB) []string {
	tb.Helper()
	if e.listObjects != nil {
		return e.listObjects(tb)
	}
	if e.Fs == nil {
		return nil
	}
	var out []string
	err := afero.Walk(e.Fs, ".", func(p string, info fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			out = append(out, filepath.ToSlash(p))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// resourceIDs lists the IDs of all resources through the library.
func (e *testEnv) resourceIDs(tb testing.TB) []int64 {
	tb.Helper()
	ids := []int64{}
	err := e.Lib.Store.DB().NewSelect().Table("resources").Column("id").Order("id").Scan(context.Background(), &ids)
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

// versionCount counts the version rows.
func (e *testEnv) versionCount(tb testing.TB) int {
	tb.Helper()
	n, err := e.Lib.Store.DB().NewSelect().Table("resource_versions").Count(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return int(n)
}

// state is what a failed request must leave unchanged.
type state struct {
	Resources []int64
	Versions  int
	Blobs     []string
	Files     []string
}

func (e *testEnv) state(tb testing.TB) state {
	tb.Helper()
	return state{Resources: e.resourceIDs(tb), Versions: e.versionCount(tb), Blobs: e.blobs(tb), Files: e.files(tb)}
}

// wantUnchanged fails the test if the library differs from before.
func (e *testEnv) wantUnchanged(tb testing.TB, before state) {
	tb.Helper()
	if diff := cmp.Diff(before, e.state(tb)); diff != "" {
		tb.Errorf("library changed by a failed request (-before +after):\n%s", diff)
	}
}

// pngBytes encodes a w×h PNG whose pixels depend on seed, so that different
// seeds give different content.
func pngBytes(tb testing.TB, w, h int, seed uint8) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{R: uint8(x * 30), G: uint8(y * 40), B: seed, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// create posts JSON to an entity endpoint and returns the object answered.
func (e *testEnv) create(tb testing.TB, path string, body any) map[string]any {
	tb.Helper()
	return do(tb, "POST", e.URL+path, body).wantStatus(tb, http.StatusOK).object(tb)
}

func (e *testEnv) createID(tb testing.TB, path string, body any) int64 {
	tb.Helper()
	return e.create(tb, path, body)["ID"].(int64)
}

// dropVolatile removes the members that differ from run to run (times),
// after checking that they hold RFC 3339 times, in v and everything nested.
func dropVolatile(tb testing.TB, v any) any {
	tb.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch k {
			case "CreatedAt", "UpdatedAt", "createdAt":
				s, ok := e.(string)
				if !ok {
					tb.Errorf("%s = %v, want a time", k, e)
					continue
				}
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
					tb.Errorf("%s = %q: %v", k, s, err)
				}
				delete(x, k)
			default:
				x[k] = dropVolatile(tb, e)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = dropVolatile(tb, e)
		}
	}
	return v
}

// golden compares got, encoded as indented JSON, with testdata/name, or
// rewrites the file under -update.
func golden(tb testing.TB, name string, got any) {
	tb.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// ids extracts the "ID" member of each object of a JSON array.
func ids(tb testing.TB, items []any) []int64 {
	tb.Helper()
	out := []int64{}
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			tb.Fatalf("list item %v is not an object", it)
		}
		out = append(out, m["ID"].(int64))
	}
	return out
}

func qs(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return "?" + v.Encode()
}
