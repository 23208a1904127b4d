package httpapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/httpapi"
)

func get(t *testing.T, u string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHealthAndMetrics: /healthz answers, /readyz follows Ready, /metrics
// counts requests by route (unknown paths as "other") and the upload bytes.
func TestHealthAndMetrics(t *testing.T) {
	var notReady error
	m := httpapi.NewMetrics()
	m.SetBlobStats(7, 1234)
	e := newTestEnv(t, func(c *envConfig) {
		c.cfg.Metrics = m
		c.cfg.Ready = func(context.Context) error { return notReady }
	})
	if code, body := get(t, e.URL+"/healthz", nil); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, _ := get(t, e.URL+"/readyz", nil); code != 200 {
		t.Errorf("/readyz: %d", code)
	}
	notReady = errors.New("database: gone")
	if code, body := get(t, e.URL+"/readyz", nil); code != 503 || !strings.Contains(body, "database: gone") {
		t.Errorf("/readyz when not ready: %d %s", code, body)
	}
	get(t, e.URL+"/no/such/path/123", nil)
	resp, err := http.Post(e.URL+"/v1/tag", "application/x-www-form-urlencoded", strings.NewReader("name=metered"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, body := get(t, e.URL+"/metrics", nil)
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`stockroom_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`stockroom_http_requests_total{code="503",method="GET",route="/readyz"} 1`,
		`stockroom_http_requests_total{code="404",method="GET",route="other"} 1`,
		`stockroom_http_request_duration_seconds_bucket{route="/v1/tag",le="+Inf"} 1`,
		`stockroom_upload_bytes_total 12`,
		`stockroom_blobs 7`,
		`stockroom_blob_bytes 1234`,
		`stockroom_preview_cache_hits_total 0`,
		`stockroom_image_budget_used_bytes 0`,
		`stockroom_procs_narrowed_total 0`, // no governor in a test of the library
		`stockroom_procs_widened_total 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

// TestMetricsNeedSignIn: with auth on, /metrics needs a token; the health
// checks stay open.
func TestMetricsNeedSignIn(t *testing.T) {
	e := newAuthEnvMetrics(t)
	if code, _ := get(t, e.URL+"/healthz", nil); code != 200 {
		t.Errorf("/healthz with auth: %d", code)
	}
	if code, _ := get(t, e.URL+"/readyz", nil); code != 200 {
		t.Errorf("/readyz with auth: %d", code)
	}
	if code, _ := get(t, e.URL+"/metrics", nil); code != 401 {
		t.Errorf("/metrics without a token: %d, want 401", code)
	}
	if code, _ := get(t, e.URL+"/metrics", map[string]string{"Authorization": "Bearer " + e.tokens["user"]}); code != 200 {
		t.Errorf("/metrics with a token: %d", code)
	}
}

type metricsAuthEnv struct {
	URL    string
	tokens map[string]string
}

// newAuthEnvMetrics is the handler with auth on and metrics, and a user
// with a token.
func newAuthEnvMetrics(t *testing.T) *metricsAuthEnv {
	t.Helper()
	dir := t.TempDir()
	lib, err := stockroom.Open(context.Background(), stockroom.Options{
		DataDir: dir, Fs: afero.NewMemMapFs(), Password: cheapPasswords, DisableMediaWorker: true,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	u, err := lib.Access.CreateUser(context.Background(), access.UserInput{Username: "u", Password: "password-u", Role: access.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := lib.Access.CreateToken(context.Background(), u.ID, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.NewHandler(httpapi.Config{Store: lib.Store, Logger: slog.New(slog.DiscardHandler), Metrics: httpapi.NewMetrics(),
		Ready: lib.Ready, AccessConfig: httpapi.AccessConfig{Access: lib.Access}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &metricsAuthEnv{URL: srv.URL, tokens: map[string]string{"user": secret}}
}

// BenchmarkHealthzMetered is what the middleware costs a request when the
// metrics are on, as the server runs: /healthz does next to nothing else.
func BenchmarkHealthzMetered(b *testing.B) {
	e := newTestEnv(b, func(c *envConfig) { c.cfg.Metrics = httpapi.NewMetrics() })
	serveLoop(b, e.handler, httptest.NewRequest("GET", "/healthz", nil))
}

// serveLoop serves req with h for each iteration of b, reporting
// allocations, and fails on any answer but 200.
func serveLoop(b *testing.B, h http.Handler, req *http.Request) {
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
