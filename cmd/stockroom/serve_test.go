package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeEnv is a getenv over a map.
func fakeEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// defaultConfig is what parse returns with no flags and no environment.
func defaultConfig() serveConfig {
	return serveConfig{
		bindAddress:     "127.0.0.1:8181",
		dataDir:         "stockroom-data",
		dbType:          "SQLITE",
		maxUploadSize:   "32GiB",
		logFormat:       "text",
		shutdownTimeout: 30 * time.Second,
		adaptiveProcs:   true,
		timerSlack:      time.Millisecond,
	}
}

func parseOK(t *testing.T, args []string, env map[string]string) serveConfig {
	t.Helper()
	cfg, err := (&serveCommand{usageOut: io.Discard}).parse(args, fakeEnv(env))
	if err != nil {
		t.Fatalf("parse(%q, %v): %v", args, env, err)
	}
	return *cfg
}

var cmpConfig = cmp.Options{cmp.AllowUnexported(serveConfig{}, accessFlags{}, blobFlags{}), ignoreIntake, ignoreMedia, ignoreBudget, ignoreOps} // intakeflags_test.go and mediaflags_test.go check theirs

func TestParseDefaults(t *testing.T) {
	got := parseOK(t, nil, nil)
	if diff := cmp.Diff(defaultConfig(), got, cmpConfig); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// allEnv sets every variable parse reads.
var allEnv = map[string]string{
	"BIND_ADDRESS":        "127.0.0.1:9000",
	"STOCKROOM_DATA_DIR":  "/srv/env-data",
	"DB_TYPE":             "sqlite",
	"DB_DSN":              "file:env.db?_pragma=x",
	"FILE_SAVE_PATH":      "/srv/env-files",
	"EPHEMERAL":           "true",
	"MEMORY_DB":           "1",
	"MEMORY_FS":           "TRUE",
	"MAX_UPLOAD_SIZE":     "500MB",
	"ALLOW_DUPLICATES":    "t",
	"LOG_FORMAT":          "json",
	"FILE_ALT_NAME_1":     "archive",
	"FILE_ALT_PATH_1":     "/mnt/archive",
	"FILE_ALT_NAME_2":     "photos",
	"FILE_ALT_PATH_2":     "/mnt/photos",
	"ALLOW_PRIVATE_FETCH": "10.0.0.0/8",
	"FFMPEG_PATH":         "/usr/bin/ffmpeg",
	"SHUTDOWN_TIMEOUT":    "5s",
	"ADAPTIVE_PROCS":      "false",
	"TIMER_SLACK":         "0",
}

func TestParseEnv(t *testing.T) {
	got := parseOK(t, nil, allEnv)
	want := serveConfig{
		bindAddress:     "127.0.0.1:9000",
		dataDir:         "/srv/env-data",
		dbType:          "sqlite",
		dbDSN:           "file:env.db?_pragma=x",
		fileSavePath:    "/srv/env-files",
		ephemeral:       true,
		memoryDB:        true,
		memoryFS:        true,
		maxUploadSize:   "500MB",
		allowDuplicates: true,
		logFormat:       "json",
		altFS:           multiFlag{"archive:/mnt/archive", "photos:/mnt/photos"},
		allowPrivate:    "10.0.0.0/8",
		ffmpegPath:      "/usr/bin/ffmpeg",
		shutdownTimeout: 5 * time.Second,
	}
	if diff := cmp.Diff(want, got, cmpConfig); diff != "" {
		t.Errorf("from the environment (-want +got):\n%s", diff)
	}
}

func TestParseFlagsOverrideEnv(t *testing.T) {
	args := []string{
		"-bind-address", "127.0.0.1:9100",
		"-data-dir", "/srv/flag-data",
		"-db-type", "SQLITE",
		"-db-dsn", "flag.db",
		"-file-save-path", "/srv/flag-files",
		"-ephemeral=false",
		"-memory-db=false",
		"-memory-fs=false",
		"-max-upload-size", "2GiB",
		"-allow-duplicates=false",
		"-log-format", "text",
		"-alt-fs", "docs:/mnt/docs",
		"-allow-private-fetch", "192.168.1.1",
		"-ffmpeg-path", "/opt/ffmpeg",
		"-shutdown-timeout", "1m",
		"-adaptive-procs",
		"-timer-slack", "2ms",
	}
	got := parseOK(t, args, allEnv)
	want := serveConfig{
		bindAddress:     "127.0.0.1:9100",
		dataDir:         "/srv/flag-data",
		dbType:          "SQLITE",
		dbDSN:           "flag.db",
		fileSavePath:    "/srv/flag-files",
		maxUploadSize:   "2GiB",
		logFormat:       "text",
		altFS:           multiFlag{"docs:/mnt/docs"},
		allowPrivate:    "192.168.1.1",
		ffmpegPath:      "/opt/ffmpeg",
		shutdownTimeout: time.Minute,
		adaptiveProcs:   true,
		timerSlack:      2 * time.Millisecond,
	}
	if diff := cmp.Diff(want, got, cmpConfig); diff != "" {
		t.Errorf("flags over the environment (-want +got):\n%s", diff)
	}
}

func TestParseEachFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		set  func(c *serveConfig)
	}{
		{"bind-address flag", []string{"-bind-address", ":0"}, nil, func(c *serveConfig) { c.bindAddress = ":0" }},
		{"BIND_ADDRESS", nil, map[string]string{"BIND_ADDRESS": "[::1]:1"}, func(c *serveConfig) { c.bindAddress = "[::1]:1" }},
		{"data-dir flag", []string{"-data-dir=d"}, nil, func(c *serveConfig) { c.dataDir = "d" }},
		{"STOCKROOM_DATA_DIR", nil, map[string]string{"STOCKROOM_DATA_DIR": "e"}, func(c *serveConfig) { c.dataDir = "e" }},
		{"db-type flag", []string{"-db-type", "Sqlite"}, nil, func(c *serveConfig) { c.dbType = "Sqlite" }},
		{"DB_TYPE", nil, map[string]string{"DB_TYPE": "sqlite"}, func(c *serveConfig) { c.dbType = "sqlite" }},
		{"db-dsn flag", []string{"-db-dsn", "x.db"}, nil, func(c *serveConfig) { c.dbDSN = "x.db" }},
		{"DB_DSN", nil, map[string]string{"DB_DSN": "y.db"}, func(c *serveConfig) { c.dbDSN = "y.db" }},
		{"memory DSN", []string{"-db-dsn", ":memory:"}, nil, func(c *serveConfig) { c.dbDSN = ":memory:"; c.memoryDB = true }},
		{"file-save-path flag", []string{"-file-save-path", "f"}, nil, func(c *serveConfig) { c.fileSavePath = "f" }},
		{"FILE_SAVE_PATH", nil, map[string]string{"FILE_SAVE_PATH": "g"}, func(c *serveConfig) { c.fileSavePath = "g" }},
		{"ephemeral flag", []string{"-ephemeral"}, nil, func(c *serveConfig) { c.ephemeral = true }},
		{"EPHEMERAL", nil, map[string]string{"EPHEMERAL": "true"}, func(c *serveConfig) { c.ephemeral = true }},
		{"EPHEMERAL false", nil, map[string]string{"EPHEMERAL": "false"}, func(c *serveConfig) {}},
		{"memory-db flag", []string{"-memory-db"}, nil, func(c *serveConfig) { c.memoryDB = true }},
		{"MEMORY_DB", nil, map[string]string{"MEMORY_DB": "1"}, func(c *serveConfig) { c.memoryDB = true }},
		{"memory-fs flag", []string{"--memory-fs"}, nil, func(c *serveConfig) { c.memoryFS = true }},
		{"MEMORY_FS", nil, map[string]string{"MEMORY_FS": "true"}, func(c *serveConfig) { c.memoryFS = true }},
		{"max-upload-size flag", []string{"-max-upload-size", "1024"}, nil, func(c *serveConfig) { c.maxUploadSize = "1024" }},
		{"MAX_UPLOAD_SIZE", nil, map[string]string{"MAX_UPLOAD_SIZE": "10MiB"}, func(c *serveConfig) { c.maxUploadSize = "10MiB" }},
		{"allow-duplicates flag", []string{"-allow-duplicates"}, nil, func(c *serveConfig) { c.allowDuplicates = true }},
		{"ALLOW_DUPLICATES", nil, map[string]string{"ALLOW_DUPLICATES": "true"}, func(c *serveConfig) { c.allowDuplicates = true }},
		{"log-format flag", []string{"-log-format", "json"}, nil, func(c *serveConfig) { c.logFormat = "json" }},
		{"LOG_FORMAT", nil, map[string]string{"LOG_FORMAT": "json"}, func(c *serveConfig) { c.logFormat = "json" }},
		{"log-level flag", []string{"-log-level", "debug"}, nil, func(c *serveConfig) { c.logLevel = slog.LevelDebug }},
		{"LOG_LEVEL", nil, map[string]string{"LOG_LEVEL": "WARN"}, func(c *serveConfig) { c.logLevel = slog.LevelWarn }},
		{"alt-fs flags", []string{"-alt-fs", "a:/x", "-alt-fs", "b:/y:z"}, nil, func(c *serveConfig) { c.altFS = multiFlag{"a:/x", "b:/y:z"} }},
		{"FILE_ALT_NAME_1", nil, map[string]string{"FILE_ALT_NAME_1": "a", "FILE_ALT_PATH_1": "/x"}, func(c *serveConfig) { c.altFS = multiFlag{"a:/x"} }},
		{"FILE_ALT_NAME_N stops at a gap", nil, map[string]string{
			"FILE_ALT_NAME_1": "a", "FILE_ALT_PATH_1": "/x",
			"FILE_ALT_NAME_3": "c", "FILE_ALT_PATH_3": "/z",
		}, func(c *serveConfig) { c.altFS = multiFlag{"a:/x"} }},
		{"alt-fs flag replaces FILE_ALT_*", []string{"-alt-fs", "b:/y"}, map[string]string{"FILE_ALT_NAME_1": "a", "FILE_ALT_PATH_1": "/x"}, func(c *serveConfig) { c.altFS = multiFlag{"b:/y"} }},
		{"allow-private-fetch flag", []string{"-allow-private-fetch", "127.0.0.1"}, nil, func(c *serveConfig) { c.allowPrivate = "127.0.0.1" }},
		{"ALLOW_PRIVATE_FETCH", nil, map[string]string{"ALLOW_PRIVATE_FETCH": "10.0.0.0/8"}, func(c *serveConfig) { c.allowPrivate = "10.0.0.0/8" }},
		{"ffmpeg-path flag", []string{"-ffmpeg-path", "/f"}, nil, func(c *serveConfig) { c.ffmpegPath = "/f" }},
		{"FFMPEG_PATH", nil, map[string]string{"FFMPEG_PATH": "/g"}, func(c *serveConfig) { c.ffmpegPath = "/g" }},
		{"shutdown-timeout flag", []string{"-shutdown-timeout", "2s"}, nil, func(c *serveConfig) { c.shutdownTimeout = 2 * time.Second }},
		{"SHUTDOWN_TIMEOUT", nil, map[string]string{"SHUTDOWN_TIMEOUT": "3s"}, func(c *serveConfig) { c.shutdownTimeout = 3 * time.Second }},
		{"adaptive-procs flag", []string{"-adaptive-procs=false"}, nil, func(c *serveConfig) { c.adaptiveProcs = false }},
		{"ADAPTIVE_PROCS", nil, map[string]string{"ADAPTIVE_PROCS": "0"}, func(c *serveConfig) { c.adaptiveProcs = false }},
		{"ADAPTIVE_PROCS true", nil, map[string]string{"ADAPTIVE_PROCS": "true"}, func(c *serveConfig) {}},
		{"timer-slack flag", []string{"-timer-slack", "250us"}, nil, func(c *serveConfig) { c.timerSlack = 250 * time.Microsecond }},
		{"timer-slack 0", []string{"-timer-slack", "0"}, nil, func(c *serveConfig) { c.timerSlack = 0 }},
		{"TIMER_SLACK", nil, map[string]string{"TIMER_SLACK": "5ms"}, func(c *serveConfig) { c.timerSlack = 5 * time.Millisecond }},
		{"timer-slack flag wins over a bad TIMER_SLACK", []string{"-timer-slack", "2ms"}, map[string]string{"TIMER_SLACK": "soon"}, func(c *serveConfig) { c.timerSlack = 2 * time.Millisecond }},
		{"flag wins over a bad variable", []string{"-ephemeral"}, map[string]string{"EPHEMERAL": "maybe"}, func(c *serveConfig) { c.ephemeral = true }},
		{"flag false wins over variable true", []string{"-memory-db=false"}, map[string]string{"MEMORY_DB": "true"}, func(c *serveConfig) {}},
		{"empty variable is unset", nil, map[string]string{"BIND_ADDRESS": "", "EPHEMERAL": ""}, func(c *serveConfig) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := defaultConfig()
			tt.set(&want)
			got := parseOK(t, tt.args, tt.env)
			if diff := cmp.Diff(want, got, cmpConfig); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in the message
	}{
		{"unknown flag", []string{"-nope"}, nil, "-nope"},
		{"missing value", []string{"-bind-address"}, nil, "bind-address"},
		{"positional argument", []string{"extra"}, nil, `"extra"`},
		{"argument after flags", []string{"-ephemeral", "serve"}, nil, `"serve"`},
		{"bad bool flag", []string{"-ephemeral=maybe"}, nil, "ephemeral"},
		{"bad duration flag", []string{"-shutdown-timeout", "soon"}, nil, "shutdown-timeout"},
		{"zero shutdown timeout", []string{"-shutdown-timeout", "0s"}, nil, "shutdown-timeout"},
		{"db-type POSTGRES", []string{"-db-type", "POSTGRES"}, nil, "POSTGRES"},
		{"DB_TYPE POSTGRES", nil, map[string]string{"DB_TYPE": "POSTGRES"}, "POSTGRES"},
		{"db-type empty", []string{"-db-type="}, nil, "db-type"},
		{"log-format", []string{"-log-format", "xml"}, nil, "xml"},
		{"log-level", []string{"-log-level", "loud"}, nil, "log-level"},
		{"max-upload-size garbage", []string{"-max-upload-size", "lots"}, nil, "max-upload-size"},
		{"MAX_UPLOAD_SIZE unit", nil, map[string]string{"MAX_UPLOAD_SIZE": "5 parsecs"}, "max-upload-size"},
		{"max-upload-size zero", []string{"-max-upload-size", "0"}, nil, "max-upload-size"},
		{"max-upload-size negative", []string{"-max-upload-size=-1"}, nil, "max-upload-size"},
		{"max-upload-size overflow", []string{"-max-upload-size", "9999999TB"}, nil, "max-upload-size"},
		{"EPHEMERAL not a bool", nil, map[string]string{"EPHEMERAL": "yes please"}, "EPHEMERAL"},
		{"MEMORY_DB not a bool", nil, map[string]string{"MEMORY_DB": "on"}, "MEMORY_DB"},
		{"MEMORY_FS not a bool", nil, map[string]string{"MEMORY_FS": "2"}, "MEMORY_FS"},
		{"ALLOW_DUPLICATES not a bool", nil, map[string]string{"ALLOW_DUPLICATES": "y"}, "ALLOW_DUPLICATES"},
		{"SHUTDOWN_TIMEOUT", nil, map[string]string{"SHUTDOWN_TIMEOUT": "30"}, "SHUTDOWN_TIMEOUT"},
		{"ADAPTIVE_PROCS not a bool", nil, map[string]string{"ADAPTIVE_PROCS": "sometimes"}, "ADAPTIVE_PROCS"},
		{"TIMER_SLACK not a duration", nil, map[string]string{"TIMER_SLACK": "1"}, "TIMER_SLACK"},
		{"TIMER_SLACK negative", nil, map[string]string{"TIMER_SLACK": "-1ms"}, "TIMER_SLACK"},
		{"timer-slack negative", []string{"-timer-slack=-1ms"}, nil, "timer-slack"},
		{"timer-slack too large", []string{"-timer-slack", "1s"}, nil, "timer-slack"},
		{"alt-fs without colon", []string{"-alt-fs", "archive"}, nil, "alt-fs"},
		{"alt-fs without key", []string{"-alt-fs", ":/x"}, nil, "alt-fs"},
		{"alt-fs without path", []string{"-alt-fs", "a:"}, nil, "alt-fs"},
		{"FILE_ALT_NAME without path", nil, map[string]string{"FILE_ALT_NAME_1": "a"}, "FILE_ALT_PATH_1"},
		{"FILE_ALT_PATH without name", nil, map[string]string{"FILE_ALT_NAME_1": "a", "FILE_ALT_PATH_1": "/x", "FILE_ALT_PATH_2": "/y"}, "FILE_ALT_NAME_2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var usage bytes.Buffer
			cfg, err := (&serveCommand{usageOut: &usage}).parse(tt.args, fakeEnv(tt.env))
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("parse(%q, %v) = %+v, %v; want a *usageError", tt.args, tt.env, cfg, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			// run adds the hint (TestRunHints).
			// main prints the error once; parse itself prints nothing.
			if usage.Len() > 0 {
				t.Errorf("parse printed %q on a usage error", usage.String())
			}
		})
	}
}

func TestParseHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		var usage bytes.Buffer
		_, err := (&serveCommand{usageOut: &usage}).parse([]string{arg}, fakeEnv(nil))
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("parse(%s) = %v, want flag.ErrHelp", arg, err)
		}
		for _, want := range []string{"-bind-address", "BIND_ADDRESS", "-db-dsn", "DB_DSN", "-ephemeral", "-max-upload-size", "-alt-fs", "FILE_ALT_NAME_N"} {
			if !strings.Contains(usage.String(), want) {
				t.Errorf("%s usage lacks %q:\n%s", arg, want, usage.String())
			}
		}
	}
}

func TestRunArgs(t *testing.T) {
	// Only the paths of run that end before serving.
	ctx := context.Background()
	var ue *usageError
	if err := run(ctx, []string{"bogus"}, fakeEnv(nil), io.Discard, io.Discard); !errors.As(err, &ue) {
		t.Errorf("run(bogus) = %v, want a usage error", err)
	}
	if err := run(ctx, []string{"serve", "-db-type", "POSTGRES"}, fakeEnv(nil), io.Discard, io.Discard); !errors.As(err, &ue) {
		t.Errorf("run(serve -db-type POSTGRES) = %v, want a usage error", err)
	}
	if err := run(ctx, []string{"-db-type", "POSTGRES"}, fakeEnv(nil), io.Discard, io.Discard); !errors.As(err, &ue) {
		t.Errorf("run(-db-type POSTGRES) = %v, want a usage error", err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1", 1},
		{"1024", 1024},
		{" 42 ", 42},
		{"10B", 10},
		{"1K", 1 << 10},
		{"1KB", 1000},
		{"1KiB", 1 << 10},
		{"2MB", 2e6},
		{"2MiB", 2 << 20},
		{"2M", 2 << 20},
		{"3GB", 3e9},
		{"3GiB", 3 << 30},
		{"32GiB", 32 << 30},
		{"1TB", 1e12},
		{"1TiB", 1 << 40},
		{"500mb", 500e6},
		{"500mib", 500 << 20},
		{"1gib", 1 << 30},
		{"1.5GiB", 3 << 29},
		{"0.5KB", 500},
		{"5 MB", 5e6},
		{"7TiB", 7 << 40},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", " ", "MB", "abc", "-1", "-1MB", "1XB", "1 2", "1.2.3", "1e3", "NaN", "Inf", "1MBs", "0x10", "99999999999TB", fmt.Sprint(uint64(math.MaxInt64) + 1)} {
		if got, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestDSNPath(t *testing.T) {
	tests := []struct {
		dsn    string
		want   string
		memory bool
	}{
		{"", "", false},
		{"stockroom.db", "stockroom.db", false},
		{"./data/../x.db", "x.db", false},
		{"/var/lib/stockroom/x.db", "/var/lib/stockroom/x.db", false},
		{"file:x.db", "x.db", false},
		{"file:x.db?_pragma=busy_timeout(5000)&_txlock=immediate", "x.db", false},
		{"x.db?cache=shared", "x.db", false},
		{"file:/abs/x.db?mode=rwc", "/abs/x.db", false},
		{"file:///abs/x.db", "/abs/x.db", false},
		{"file://localhost/abs/x.db", "/abs/x.db", false},
		{":memory:", "", true},
		{"file::memory:", "", true},
		{"file::memory:?cache=shared", "", true},
		{"file:x.db?mode=memory&cache=shared", "", true},
		{"file:x.db?cache=shared&MODE=MEMORY", "", true},
	}
	for _, tt := range tests {
		if got := dsnPath(tt.dsn); got != filepath.FromSlash(tt.want) {
			t.Errorf("dsnPath(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
		if got := isMemoryDSN(tt.dsn); got != tt.memory {
			t.Errorf("isMemoryDSN(%q) = %v, want %v", tt.dsn, got, tt.memory)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// inProcess is a serveCommand running in a goroutine.
type inProcess struct {
	base   string // http://host:port
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// startInProcess runs serveCommand.Run with args on 127.0.0.1:0 and waits
// for it to listen.
func startInProcess(t *testing.T, args ...string) *inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProcess{logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	cmd := &serveCommand{ready: func(addr string) { ready <- addr }, logOut: p.logs, usageOut: io.Discard}
	go func() {
		p.done <- cmd.Run(ctx, append([]string{"-bind-address", "127.0.0.1:0"}, args...), fakeEnv(nil))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Error("server still running 10s after cancel")
		}
	})
	select {
	case addr := <-ready:
		p.base = "http://" + addr
	case err := <-p.done:
		t.Fatalf("Run returned before listening: %v\nlogs:\n%s", err, p.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("server not ready after 30s; logs:\n%s", p.logs)
	}
	return p
}

// stop cancels the context and returns what Run returned.
func (p *inProcess) stop(t *testing.T) error {
	t.Helper()
	p.cancel()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("Run did not return 10s after cancel; logs:\n%s", p.logs)
		return nil
	}
}

// multipartBody builds an upload with the file in the field "resource" and
// the given text fields.
func multipartBody(t testing.TB, filename string, content []byte, fields url.Values) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	fw, err := mw.CreateFormFile("resource", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &buf
}

// testClient does not follow redirects and gives up after a while.
var testClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// doJSON sends req, checks the status and decodes the JSON answer into out
// (when not nil).
func doJSON(t testing.TB, req *http.Request, wantStatus int, out any) {
	t.Helper()
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d; body %s", req.Method, req.URL, resp.StatusCode, wantStatus, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", req.Method, req.URL, body, err)
		}
	}
}

func newRequest(t testing.TB, method, url, contentType string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	return req
}

type resourceJSON struct {
	ID          int64
	Name        string
	Description string
	Hash        string
	FileSize    int64
	ContentType string
	Tags        []struct {
		ID   int64
		Name string
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	p := startInProcess(t, "-data-dir", dataDir)

	content := []byte("hello from the in-process test\n")
	ct, body := multipartBody(t, "hello.txt", content, url.Values{"Name": {"Greeting"}})
	var created resourceJSON
	doJSON(t, newRequest(t, "POST", p.base+"/v1/resource", ct, body), http.StatusOK, &created)
	if created.ID == 0 || created.Name != "Greeting" || created.FileSize != int64(len(content)) {
		t.Fatalf("upload answered %+v", created)
	}
	var got resourceJSON
	doJSON(t, newRequest(t, "GET", fmt.Sprintf("%s/v1/resource?id=%d", p.base, created.ID), "", nil), http.StatusOK, &got)
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("get (-upload +get):\n%s", diff)
	}

	if err := p.stop(t); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
	logs := p.logs.String()
	for _, want := range []string{"msg=listening addr=" + p.base, "msg=request method=POST path=/v1/resource status=200", "msg=\"shutting down\"", "msg=stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, name := range []string{"stockroom.db", "files"} {
		if _, err := os.Stat(filepath.Join(dataDir, name)); err != nil {
			t.Errorf("data folder: %v", err)
		}
	}
	// The port is free again.
	if _, err := http.Get(p.base + "/v1/resources"); err == nil {
		t.Errorf("server still answers after Run returned")
	}
}

// TestRunFinishesInFlightUpload cancels the context while an upload is
// streaming: the upload completes, then Run returns nil, and the resource
// is there after a restart.
func TestRunFinishesInFlightUpload(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	p := startInProcess(t, "-data-dir", dataDir)

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req := newRequest(t, "POST", p.base+"/v1/resource", mw.FormDataContentType(), pr)
	type result struct {
		res resourceJSON
		err error
	}
	resc := make(chan result, 1)
	go func() {
		var r result
		resp, err := testClient.Do(req)
		if err != nil {
			r.err = err
		} else {
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				r.err = fmt.Errorf("status %d: %s", resp.StatusCode, b)
			} else {
				r.err = json.Unmarshal(b, &r.res)
			}
		}
		resc <- r
	}()
	fw, err := mw.CreateFormFile("resource", "slow.bin")
	if err != nil {
		t.Fatal(err)
	}
	first := bytes.Repeat([]byte("a"), 128<<10) // more than the blob store reads whole before making a file
	if _, err := fw.Write(first); err != nil {
		t.Fatal(err)
	}
	// The blob store streams the part into a file in files/tmp: once it
	// is there, the handler is running.
	waitFor(t, 10*time.Second, "the upload to reach the blob store", func() bool {
		return spooling(os.Getpid(), dataDir)
	})

	p.cancel()
	// Shutdown waits for the request.
	select {
	case err := <-p.done:
		t.Fatalf("Run returned %v while an upload was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	rest := bytes.Repeat([]byte("b"), 64<<10)
	if _, err := fw.Write(rest); err != nil {
		t.Fatal(err)
	}
	if err := mw.WriteField("Name", "slow upload"); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	pw.Close()

	var r result
	select {
	case r = <-resc:
	case <-time.After(20 * time.Second):
		t.Fatal("upload did not finish")
	}
	if r.err != nil {
		t.Fatalf("in-flight upload: %v", r.err)
	}
	if r.res.FileSize != int64(len(first)+len(rest)) || r.res.Name != "slow upload" {
		t.Errorf("in-flight upload answered %+v", r.res)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}

	p2 := startInProcess(t, "-data-dir", dataDir)
	var got resourceJSON
	doJSON(t, newRequest(t, "GET", fmt.Sprintf("%s/v1/resource?id=%d", p2.base, r.res.ID), "", nil), http.StatusOK, &got)
	if got.Hash != r.res.Hash {
		t.Errorf("after restart: %+v, want %+v", got, r.res)
	}
}

func TestRunEphemeralInProcess(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	p := startInProcess(t, "-ephemeral", "-data-dir", dataDir, "-log-format", "json")
	ct, body := multipartBody(t, "e.txt", []byte("ephemeral bytes"), nil)
	var created resourceJSON
	doJSON(t, newRequest(t, "POST", p.base+"/v1/resource", ct, body), http.StatusOK, &created)
	resp, err := testClient.Get(fmt.Sprintf("%s/v1/resource/view?id=%d", p.base, created.ID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/files/") {
		t.Fatalf("view: %d %q", resp.StatusCode, loc)
	}
	resp, err = testClient.Get(p.base + loc)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ephemeral bytes" {
		t.Errorf("file from memory = %q", b)
	}
	if err := p.stop(t); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-ephemeral touched the data folder: %v", err)
	}
	// JSON logs: one object a line.
	var sawListening bool
	for _, line := range strings.Split(strings.TrimSpace(p.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("-log-format json wrote %q: %v", line, err)
		}
		if rec["msg"] == "listening" {
			sawListening = rec["addr"] == p.base
		}
	}
	if !sawListening {
		t.Errorf("no JSON listening line with addr %s:\n%s", p.base, p.logs)
	}
}

func TestRunListenError(t *testing.T) {
	// The port is taken: Run fails at once instead of hanging.
	p := startInProcess(t, "-ephemeral")
	addr := strings.TrimPrefix(p.base, "http://")
	cmd := &serveCommand{logOut: io.Discard}
	errc := make(chan error, 1)
	go func() {
		errc <- cmd.Run(context.Background(), []string{"-ephemeral", "-bind-address", addr}, fakeEnv(nil))
	}()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("Run on a taken port returned nil")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run on a taken port did not return")
	}
}

// spooling reports whether the server process pid is writing an upload
// into the blob store of dataDir: a temporary file is in its TempDir, or,
// on Linux, the process holds one open there without a name (O_TMPFILE,
// which /proc shows as "tmp/#<inode> (deleted)").
func spooling(pid int, dataDir string) bool {
	tmpDir := filepath.Join(dataDir, "files", "tmp")
	if entries, _ := os.ReadDir(tmpDir); len(entries) > 0 {
		return true
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, _ := os.ReadDir(fdDir)
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && strings.HasPrefix(target, tmpDir+"/") {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
