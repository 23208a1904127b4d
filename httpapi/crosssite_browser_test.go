//go:build unix

package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stockroomhq/stockroom/httpapi"
	"github.com/stockroomhq/stockroom/resources"
)

// seen records the requests a server answered, with their status.
type seen struct {
	mu   sync.Mutex
	reqs []string // "METHOD path?query status"
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &recordWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.mu.Lock()
		s.reqs = append(s.reqs, fmt.Sprintf("%s %s %d", r.Method, r.URL.RequestURI(), sw.status))
		s.mu.Unlock()
	})
}

// status waits for a request whose "METHOD path?query" starts with prefix
// and returns its status.
func (s *seen) status(tb testing.TB, prefix string) int {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for _, r := range s.reqs {
			if strings.HasPrefix(r, prefix) {
				s.mu.Unlock()
				var code int
				fmt.Sscanf(r[strings.LastIndexByte(r, ' ')+1:], "%d", &code)
				return code
			}
		}
		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tb.Fatalf("the browser never sent %q; the server saw %q", prefix, s.reqs)
	return 0
}

type recordWriter struct {
	http.ResponseWriter
	status int
}

func (w *recordWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// attackPage posts to target as another site's page would: a plain HTML
// form (text/plain, so no preflight) and a no-cors fetch.
func attackPage(target string, resourceID int64, tag string) string {
	return fmt.Sprintf(`<!DOCTYPE html><html><body>
<iframe name="sink"></iframe>
<form id="f" method="POST" enctype="text/plain" target="sink" action="%[1]s/v1/resources/delete?ID=%[2]d">
<input name="x" value="y"></form>
<script>
fetch(%[1]q + "/v1/tag?name=%[3]s", {method: "POST", mode: "no-cors", body: "name=%[3]s",
  headers: {"Content-Type": "application/x-www-form-urlencoded"}})
  .finally(() => { document.getElementById("f").submit(); document.body.dataset.sent = "yes"; });
</script></body></html>`, target, resourceID, tag)
}

// TestBrowserCrossSiteWrites opens, in headless Chromium, a page on
// another site that tries a form POST and a fetch against the server
// (auth off: nothing but the guard stands in the way). Both are refused and
// nothing changes. The same page served from the server's own origin
// succeeds, so the test can tell.
func TestBrowserCrossSiteWrites(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium not installed (.ci/run installs it)")
	}
	if testing.Short() {
		t.Skip("starts a browser")
	}
	e := newAuthEnv(t, false, httpapi.AccessConfig{AllowedHosts: []string{"localhost"}})
	ctx := context.Background()
	victim := mustCreate(t, e.Lib, ctx, []byte("must survive"), "victim.txt")
	control := mustCreate(t, e.Lib, ctx, []byte("deleted by its own origin"), "control.txt")

	// The server under test, at 127.0.0.1, with one page of its own
	// origin for the control.
	rec := &seen{}
	api := httpapi.NewHandler(httpapi.Config{Store: e.Lib.Store, Versions: e.Lib.Versions, Query: e.Lib.Query,
		Logger: slog.New(slog.DiscardHandler), Media: e.Lib.Media, Previews: e.Lib.Previews, AccessConfig: httpapi.AccessConfig{AllowedHosts: []string{"localhost"}}})
	mux := http.NewServeMux()
	mux.Handle("/", api)
	srv := httptest.NewServer(rec.wrap(mux))
	defer srv.Close()
	mux.HandleFunc("GET /same-origin.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, attackPage(srv.URL, control.ID, "same"))
	})
	// The attacker, on another site: "localhost" against "127.0.0.1".
	evil := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, attackPage(srv.URL, victim.ID, "evil"))
	}))
	ln, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	evil.Listener = ln
	evil.Start()
	defer evil.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	evilURL := "http://localhost:" + port + "/"

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
	}
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, time.Minute)
	defer cancel()

	if err := chromedp.Do(bctx,
		chromedp.Navigate(evilURL),
		chromedp.WaitReady(`body[data-sent="yes"]`),
	); err != nil {
		t.Fatalf("attack page: %v", err)
	}
	if got := rec.status(t, "POST /v1/tag?name=evil"); got != http.StatusForbidden {
		t.Errorf("cross-site fetch: status %d, want 403", got)
	}
	if got := rec.status(t, fmt.Sprintf("POST /v1/resources/delete?ID=%d", victim.ID)); got != http.StatusForbidden {
		t.Errorf("cross-site form: status %d, want 403", got)
	}
	if _, err := e.Lib.Store.Get(ctx, victim.ID); err != nil {
		t.Errorf("the resource is gone after the cross-site page: %v", err)
	}
	if tags, err := e.Lib.Store.ListTags(ctx, resources.ListOptions{}); err != nil || tags.Total != 0 {
		t.Errorf("tags after the cross-site page: %+v, %v", tags.Items, err)
	}

	// The control: the same page from the server's own origin writes.
	if err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/same-origin.html"),
		chromedp.WaitReady(`body[data-sent="yes"]`),
	); err != nil {
		t.Fatalf("same-origin page: %v", err)
	}
	if got := rec.status(t, "POST /v1/tag?name=same"); got != http.StatusOK {
		t.Errorf("same-origin fetch: status %d, want 200", got)
	}
	if got := rec.status(t, fmt.Sprintf("POST /v1/resources/delete?ID=%d", control.ID)); got != http.StatusOK {
		t.Errorf("same-origin form: status %d, want 200", got)
	}
}
