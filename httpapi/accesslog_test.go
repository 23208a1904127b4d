package httpapi_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stockroomhq/stockroom/httpapi"
)

// TestAccessLogger: with an AccessLogger, request lines go there (the
// env's Logger prints only warnings), so that a server can batch them.
func TestAccessLogger(t *testing.T) {
	access := &syncBuffer{}
	e := newTestEnv(t, func(c *envConfig) {
		c.cfg.AccessLogger = slog.New(slog.NewTextHandler(access, nil))
	})
	id := e.uploadOK(t, filePart("resource", "a.txt", []byte("a")))
	resp, err := http.Get(e.URL + "/v1/resource?id=" + itoa(id))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	e.wait()
	for _, want := range []string{"msg=request method=POST path=/v1/resource status=200", "msg=request method=GET path=/v1/resource status=200"} {
		if !strings.Contains(access.String(), want) {
			t.Errorf("access log lacks %q:\n%s", want, access)
		}
	}
}

// TestAccessLogSourceAndSize: with metrics on, the request line still
// gives the status and size of the answer (the two middlewares share one
// statusWriter), and a handler that adds the source is told the request
// middleware's, not nothing (the records are made without Logger.LogAttrs).
func TestAccessLogSourceAndSize(t *testing.T) {
	access := &syncBuffer{}
	e := newTestEnv(t, func(c *envConfig) {
		c.cfg.Metrics = httpapi.NewMetrics()
		c.cfg.AccessLogger = slog.New(slog.NewTextHandler(access, &slog.HandlerOptions{AddSource: true}))
	})
	id := e.uploadOK(t, filePart("resource", "a.txt", []byte("a")))
	resp, err := http.Get(e.URL + "/v1/resource?id=" + itoa(id))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	e.wait()
	var line string
	for l := range strings.Lines(access.String()) {
		if strings.Contains(l, "method=GET path=/v1/resource ") {
			line = l
		}
	}
	want := fmt.Sprintf("status=200 bytes=%d ", len(body))
	if !strings.Contains(line, want) {
		t.Errorf("request line lacks %q:\n%s", want, line)
	}
	if !regexp.MustCompile(`source=\S*/httpapi/handler\.go:\d+ `).MatchString(line) {
		t.Errorf("request line does not name httpapi/handler.go as its source:\n%s", line)
	}
}
