package webui_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/httpapi"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/webui"
)

var cheapPasswords = access.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// env is the server as cmd/stockroom mounts it: httpapi for /v1/, /files/
// and /resource/, the web UI for the rest, over a real library.
type env struct {
	URL string
	Lib *stockroom.Library
}

func newEnv(tb testing.TB, auth bool) *env {
	tb.Helper()
	dir := tb.TempDir()
	lib, err := stockroom.Open(context.Background(), stockroom.Options{
		DataDir: dir, DBPath: filepath.Join(dir, "test.db"), Fs: afero.NewMemMapFs(),
		Logger: slog.New(slog.DiscardHandler), Password: cheapPasswords, DisableMediaWorker: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	var ac httpapi.AccessConfig
	if auth {
		ac.Access = lib.Access
	}
	api := httpapi.NewHandler(httpapi.Config{Store: lib.Store, Versions: lib.Versions, Query: lib.Query,
		Logger: slog.New(slog.DiscardHandler), Media: lib.Media, Previews: lib.Previews, AccessConfig: ac})
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/files/", api)
	mux.Handle("/resource/", api)
	mux.Handle("/", webui.NewHandler(webui.Config{Store: lib.Store, Versions: lib.Versions, Query: lib.Query,
		Access: ac.Access, Logger: slog.New(slog.DiscardHandler)}))
	srv := httptest.NewServer(mux)
	tb.Cleanup(func() {
		srv.Close()
		if err := lib.Close(); err != nil {
			tb.Error(err)
		}
	})
	return &env{URL: srv.URL, Lib: lib}
}

func pngOf(tb testing.TB, w, h int, c color.Color) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func (e *env) create(tb testing.TB, content []byte, name string) *resources.Resource {
	tb.Helper()
	res, err := e.Lib.Store.Create(context.Background(), bytes.NewReader(content), resources.CreateInput{Name: name, OriginalName: name})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// get fetches path with client c and returns status, headers and body.
func get(tb testing.TB, c *http.Client, url string) (int, http.Header, string) {
	tb.Helper()
	resp, err := c.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// signIn returns a client with a session of a new user of role.
func (e *env) signIn(tb testing.TB, name string, role access.Role) *http.Client {
	tb.Helper()
	if _, err := e.Lib.Access.CreateUser(context.Background(), access.UserInput{Username: name, Password: "password-" + name, Role: role}); err != nil {
		tb.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(e.URL+"/v1/auth/login", "application/x-www-form-urlencoded",
		strings.NewReader("username="+name+"&password=password-"+name))
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("login: %d", resp.StatusCode)
	}
	return c
}
