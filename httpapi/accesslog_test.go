package httpapi_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
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
