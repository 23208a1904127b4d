//go:build !windows

// End-to-end tests: they build the real binary once and drive it as a user
// would, over HTTP and with signals.

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Timeouts of the end-to-end tests. Each wait has one, so that a broken
// binary fails a test instead of hanging the package.
const (
	startTimeout = 30 * time.Second // build cache warm, SQLite migrated
	exitTimeout  = 10 * time.Second // after SIGINT/SIGTERM
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaryEnv names a binary already built, for a test binary that runs
// itself (see TestServerDiesWithTestBinary).
const binaryEnv = "STOCKROOM_E2E_BINARY"

// stockroomBinary builds the command once per test run and returns its path.
func stockroomBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test builds and runs the binary; skipped with -short")
	}
	buildOnce.Do(func() {
		if p := os.Getenv(binaryEnv); p != "" {
			binPath = p // built by the test binary that runs this one
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		binDir, buildErr = os.MkdirTemp("", "stockroom-e2e-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "stockroom")
		cmd := exec.Command(goTool, "build", "-o", binPath, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// serverEnvVars are the variables the binary reads; the tests clear them
// from the inherited environment so that the developer's shell cannot change
// what is tested.
var serverEnvVars = regexp.MustCompile(`^(BIND_ADDRESS|STOCKROOM_DATA_DIR|DB_TYPE|DB_DSN|FILE_SAVE_PATH|EPHEMERAL|MEMORY_DB|MEMORY_FS|MAX_UPLOAD_SIZE|ALLOW_DUPLICATES|LOG_FORMAT|FILE_ALT_(NAME|PATH)_\d+|ALLOW_PRIVATE_FETCH|FFMPEG_PATH|SHUTDOWN_TIMEOUT|AUTH_ENABLED|INSECURE_NO_AUTH|PUBLIC_URL|ALLOWED_HOSTS|IMAGE_MEMORY|PREVIEW_CACHE_SIZE|PREVIEW_MEMORY|TEMP_GRACE|MIN_TRANSFER_RATE|TRANSFER_GRACE|MAX_CONCURRENT_UPLOADS|MAX_CONNS_PER_CLIENT|ALT_FS_ALLOW_HARD_LINKS|BLOB_STORE|S3_PRESIGN|S3_CACHE_SIZE|ADAPTIVE_PROCS|TIMER_SLACK|STOCKROOM_TIMERSLACK_EXECED|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)=`)

func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !serverEnvVars.MatchString(kv) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// stderrWatcher keeps what the process writes and reports the address of
// its "listening" line.
type stderrWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	found bool
	addr  chan string
}

// listeningAddr finds the address in the "listening" line, in text or JSON
// logs.
var listeningAddr = regexp.MustCompile(`msg=listening addr=(http://\S+)|"msg":"listening","addr":"(http://[^"]+)"`)

func (w *stderrWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.found {
		b := w.buf.Bytes()
		for len(b) > 0 {
			line, rest, ok := bytes.Cut(b, []byte("\n"))
			if !ok {
				break // wait for the end of the line
			}
			if m := listeningAddr.FindSubmatch(line); m != nil {
				w.found = true
				w.addr <- string(m[1]) + string(m[2])
				break
			}
			b = rest
		}
	}
	return len(p), nil
}

func (w *stderrWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// proc is a running stockroom process.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	stderr *stderrWatcher
	base   string        // http://127.0.0.1:port, once listening
	done   chan struct{} // closed when the process has exited
	err    error         // from Wait, once done
}

// startProc starts the binary in dir and returns at once.
func startProc(t testing.TB, dir string, env []string, args ...string) *proc {
	t.Helper()
	return startProcOf(t, stockroomBinary(t), dir, env, args...)
}

// startProcOf is startProc of the stockroom binary at bin, which may be
// another commit's (the load benchmark compares them).
func startProcOf(t testing.TB, bin, dir string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = cleanEnv(env...)
	p := &proc{t: t, cmd: cmd, stderr: &stderrWatcher{addr: make(chan string, 1)}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	cmd.Stdout = p.stderr
	cmd.WaitDelay = 5 * time.Second
	started := make(chan error, 1)
	go func() {
		// The child is killed when the thread that started it ends (see
		// dieWithParent): a test binary killed from outside, whose
		// cleanups never run, leaves no server behind to skew the next
		// measurement. The thread is this goroutine's until the child
		// is gone, and is then given back rather than ended, which would
		// also kill what other code started on it (a test's S3 gateway).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		dieWithParent(cmd)
		err := cmd.Start()
		started <- err
		if err != nil {
			return
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(exitTimeout):
			t.Errorf("process %d did not die after SIGKILL", cmd.Process.Pid)
		}
	})
	return p
}

// startServer starts the binary and waits for its "listening" line.
func startServer(t testing.TB, dir string, env []string, args ...string) *proc {
	t.Helper()
	return startServerOf(t, stockroomBinary(t), dir, env, args...)
}

// startServerOf is startServer of the stockroom binary at bin.
func startServerOf(t testing.TB, bin, dir string, env []string, args ...string) *proc {
	t.Helper()
	p := startProcOf(t, bin, dir, env, args...)
	select {
	case addr := <-p.stderr.addr:
		u, err := url.Parse(addr)
		if err != nil || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Port() == "0" {
			t.Fatalf("listening on %q, want 127.0.0.1 and a port", addr)
		}
		p.base = addr
		// The line comes before the library is open; the first answer
		// says the server is serving.
		ready := &http.Client{Timeout: startTimeout}
		resp, err := ready.Get(addr + "/v1/tags")
		if err != nil {
			t.Fatalf("stockroom %s listens on %s but does not answer: %v\n%s", strings.Join(args, " "), addr, err, p.stderr)
		}
		resp.Body.Close()
	case <-p.done:
		t.Fatalf("stockroom %s exited before listening: %v\n%s", strings.Join(args, " "), p.err, p.stderr)
	case <-time.After(startTimeout):
		t.Fatalf("stockroom %s not listening after %v:\n%s", strings.Join(args, " "), startTimeout, p.stderr)
	}
	return p
}

// wait waits for the process to exit and returns its exit code (-1 when a
// signal killed it).
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("process still running after %v:\n%s", timeout, p.stderr)
	}
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		p.t.Fatalf("wait: %v", p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// stop sends sig and expects a clean exit.
func (p *proc) stop(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	if code := p.wait(exitTimeout); code != 0 {
		p.t.Fatalf("exit code %d after %v, want 0:\n%s", code, sig, p.stderr)
	}
}

// runProc runs the binary to completion and returns its exit code and
// output. Should it serve by mistake, it does so on a free port.
func runProc(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	p := startProc(t, t.TempDir(), append([]string{"BIND_ADDRESS=127.0.0.1:0"}, env...), args...)
	code := p.wait(exitTimeout)
	return code, p.stderr.String()
}

func (p *proc) url(path string, args ...any) string {
	return p.base + fmt.Sprintf(path, args...)
}

func jsonBody(t testing.TB, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// testPNG is a small image whose type the server detects from its bytes.
func testPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for x := range 4 {
		for y := range 3 {
			img.Set(x, y, color.RGBA{uint8(60 * x), uint8(80 * y), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fetch GETs a URL without following redirects.
func fetch(t testing.TB, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := testClient.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, b
}

// viewBytes follows /v1/resource/view to /files/ and returns the content.
func viewBytes(t testing.TB, p *proc, id int64) ([]byte, string) {
	t.Helper()
	resp, _ := fetch(t, p.url("/v1/resource/view?id=%d", id))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/files/") {
		t.Fatalf("view %d: status %d Location %q, want 302 to /files/", id, resp.StatusCode, loc)
	}
	resp, b := fetch(t, p.base+loc)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", loc, resp.StatusCode, b)
	}
	return b, resp.Header.Get("Content-Type")
}

func upload(t testing.TB, p *proc, filename string, content []byte, fields url.Values) resourceJSON {
	t.Helper()
	ct, body := multipartBody(t, filename, content, fields)
	var res resourceJSON
	doJSON(t, newRequest(t, "POST", p.url("/v1/resource"), ct, body), http.StatusOK, &res)
	return res
}

func getResource(t testing.TB, p *proc, id int64) resourceJSON {
	t.Helper()
	var res resourceJSON
	doJSON(t, newRequest(t, "GET", p.url("/v1/resource?id=%d", id), "", nil), http.StatusOK, &res)
	return res
}

func expectStatus(t testing.TB, method, u string, want int) {
	t.Helper()
	doJSON(t, newRequest(t, method, u, "", nil), want, nil)
}

// TestE2EWalkthrough follows the README: tag, upload, get, view, edit,
// rename, delete; then a restart on the same data folder.
func TestE2EWalkthrough(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	work := t.TempDir()
	p := startServer(t, work, nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)

	var tag struct {
		ID   int64
		Name string
	}
	doJSON(t, newRequest(t, "POST", p.url("/v1/tag"), "application/json", jsonBody(t, map[string]any{"Name": "holiday"})), http.StatusOK, &tag)
	if tag.ID == 0 || tag.Name != "holiday" {
		t.Fatalf("POST /v1/tag answered %+v", tag)
	}

	pic := testPNG(t)
	res := upload(t, p, "beach.png", pic, url.Values{"Name": {"Beach"}, "Tags": {fmt.Sprint(tag.ID)}})
	if res.ID == 0 || res.Name != "Beach" || res.ContentType != "image/png" || res.FileSize != int64(len(pic)) {
		t.Errorf("upload answered %+v", res)
	}
	if len(res.Tags) != 1 || res.Tags[0].ID != tag.ID {
		t.Errorf("upload tags = %+v, want [%d]", res.Tags, tag.ID)
	}

	got := getResource(t, p, res.ID)
	if got.ID != res.ID || got.Name != "Beach" || got.Hash != res.Hash || len(got.Tags) != 1 {
		t.Errorf("GET /v1/resource = %+v, want %+v", got, res)
	}

	b, ct := viewBytes(t, p, res.ID)
	if !bytes.Equal(b, pic) {
		t.Errorf("/files/ served %d bytes, not the %d uploaded", len(b), len(pic))
	}
	if ct != "image/png" {
		t.Errorf("/files/ Content-Type %q, want image/png", ct)
	}

	var edited resourceJSON
	doJSON(t, newRequest(t, "POST", p.url("/v1/resource/edit"), "application/json",
		jsonBody(t, map[string]any{"ID": res.ID, "Name": "Beach at noon", "Description": "sunny", "Tags": []int64{}})),
		http.StatusOK, &edited)
	if edited.Name != "Beach at noon" || edited.Description != "sunny" || len(edited.Tags) != 0 {
		t.Errorf("edit answered %+v", edited)
	}

	var ok struct {
		ID int64 `json:"id"`
		OK bool  `json:"ok"`
	}
	doJSON(t, newRequest(t, "POST", p.url("/v1/resource/editName?id=%d", res.ID), "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"Name": {"Renamed"}}.Encode())), http.StatusOK, &ok)
	if ok.ID != res.ID || !ok.OK {
		t.Errorf("editName answered %+v", ok)
	}
	if got := getResource(t, p, res.ID); got.Name != "Renamed" || got.Description != "sunny" {
		t.Errorf("after editName: %+v", got)
	}

	// A resource that must survive the restart.
	keep := upload(t, p, "keep.txt", []byte("kept across restarts\n"), url.Values{"Name": {"Keeper"}, "Tags": {fmt.Sprint(tag.ID)}})

	doJSON(t, newRequest(t, "POST", p.url("/v1/resource/delete?Id=%d", res.ID), "", nil), http.StatusOK, nil)
	expectStatus(t, "GET", p.url("/v1/resource?id=%d", res.ID), http.StatusNotFound)
	expectStatus(t, "GET", p.url("/v1/resource/view?id=%d", res.ID), http.StatusNotFound)
	expectStatus(t, "POST", p.url("/v1/resource/delete?Id=%d", res.ID), http.StatusNotFound)
	expectStatus(t, "GET", p.url("/v1/nothing"), http.StatusNotFound)

	// One log line a request, with method, path and status. The line is
	// written after the answer, so it may lag behind it a little.
	waitFor(t, 5*time.Second, "request log lines", func() bool {
		logs := p.stderr.String()
		return strings.Contains(logs, "msg=request method=GET path=/v1/resource status=200") &&
			strings.Contains(logs, "msg=request method=GET path=/v1/resource status=404") &&
			strings.Contains(logs, "msg=request method=POST path=/v1/resource/delete status=200")
	})
	logs := p.stderr.String()
	if !strings.Contains(logs, "path=/v1/resource") || !strings.Contains(logs, "status=200") {
		t.Errorf("no request log line:\n%s", logs)
	}

	p.stop(os.Interrupt)
	if logs := p.stderr.String(); !strings.Contains(logs, "msg=stopped") || strings.Contains(logs, "level=ERROR") {
		t.Errorf("shutdown logs:\n%s", logs)
	}

	// Same data folder, new process, new port.
	p2 := startServer(t, work, nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)
	got = getResource(t, p2, keep.ID)
	if got.Name != "Keeper" || got.Hash != keep.Hash || len(got.Tags) != 1 || got.Tags[0].ID != tag.ID {
		t.Errorf("after restart: %+v, want %+v", got, keep)
	}
	if b, _ := viewBytes(t, p2, keep.ID); string(b) != "kept across restarts\n" {
		t.Errorf("after restart the file holds %q", b)
	}
	expectStatus(t, "GET", p2.url("/v1/tag?id=%d", tag.ID), http.StatusOK)
	expectStatus(t, "GET", p2.url("/v1/resource?id=%d", res.ID), http.StatusNotFound)
	p2.stop(syscall.SIGTERM)

	// Nothing was written to the working directory.
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Errorf("working directory holds %v", entries)
	}
}

func TestE2EEphemeral(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	work := t.TempDir()
	args := []string{"-ephemeral", "-bind-address", "127.0.0.1:0", "-data-dir", dataDir}
	p := startServer(t, work, nil, args...)
	res := upload(t, p, "gone.txt", []byte("gone soon\n"), url.Values{"Name": {"Gone"}})
	if b, _ := viewBytes(t, p, res.ID); string(b) != "gone soon\n" {
		t.Errorf("ephemeral file holds %q", b)
	}
	p.stop(os.Interrupt)
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-ephemeral created the data folder: %v", err)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Errorf("-ephemeral wrote to the working directory: %v", entries)
	}

	p2 := startServer(t, work, []string{"EPHEMERAL=true"}, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)
	expectStatus(t, "GET", p2.url("/v1/resource?id=%d", res.ID), http.StatusNotFound)
	var list []resourceJSON
	doJSON(t, newRequest(t, "GET", p2.url("/v1/resources"), "", nil), http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("a new ephemeral server lists %+v", list)
	}
	p2.stop(os.Interrupt)
}

// TestE2EBareCommand runs "stockroom" with no arguments: it lists the
// commands and exits 2. "stockroom serve" serves, configured by the
// environment, with its data in ./stockroom-data; so does "stockroom" with
// server flags, as the reference server does.
func TestE2EBareCommand(t *testing.T) {
	code, out := runProc(t, nil)
	if code != 2 {
		t.Errorf("stockroom with no arguments: exit %d, want 2:\n%s", code, out)
	}
	for _, c := range commands {
		if !regexp.MustCompile(`(?m)^  ` + c.name + ` +\S`).MatchString(out) {
			t.Errorf("the usage does not list %q on a line of its own:\n%s", c.name, out)
		}
	}

	work := t.TempDir()
	p := startServer(t, work, []string{"BIND_ADDRESS=127.0.0.1:0"}, "serve")
	res := upload(t, p, "bare.txt", []byte("bare\n"), nil)
	for _, name := range []string{"stockroom-data", "stockroom-data/stockroom.db", "stockroom-data/files"} {
		if _, err := os.Stat(filepath.Join(work, name)); err != nil {
			t.Errorf("stockroom serve: %v", err)
		}
	}
	p.stop(os.Interrupt)

	p2 := startServer(t, work, nil, "-bind-address", "127.0.0.1:0")
	if got := getResource(t, p2, res.ID); got.Hash != res.Hash {
		t.Errorf("stockroom -bind-address on the same folder: %+v", got)
	}
	p2.stop(syscall.SIGTERM)
}

func TestE2EEnvironment(t *testing.T) {
	dir := t.TempDir()
	files := filepath.Join(dir, "blobs")
	db := filepath.Join(dir, "db", "s.db")
	p := startServer(t, t.TempDir(), []string{
		"BIND_ADDRESS=127.0.0.1:0",
		"STOCKROOM_DATA_DIR=" + filepath.Join(dir, "unused"),
		"FILE_SAVE_PATH=" + files,
		"DB_DSN=file:" + db + "?cache=shared",
		"MAX_UPLOAD_SIZE=1KiB",
		"LOG_FORMAT=json",
	}, "serve")
	upload(t, p, "small.txt", []byte("small\n"), nil)
	ct, body := multipartBody(t, "big.bin", bytes.Repeat([]byte{'x'}, 4<<10), nil)
	doJSON(t, newRequest(t, "POST", p.url("/v1/resource"), ct, body), http.StatusRequestEntityTooLarge, nil)
	p.stop(os.Interrupt)
	for _, path := range []string{files, db} {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("FILE_SAVE_PATH / DB_DSN: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "unused", "stockroom.db")); err == nil {
		t.Errorf("DB_DSN ignored: the database is in the data folder")
	}
	if !strings.Contains(p.stderr.String(), `"msg":"request"`) {
		t.Errorf("LOG_FORMAT=json ignored:\n%s", p.stderr)
	}
}

func TestE2EUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		code int
		want string
	}{
		{"unknown command", []string{"bogus"}, nil, 2, `unknown command "bogus"`},
		{"unknown flag", []string{"serve", "-nope"}, nil, 2, "-nope"},
		{"unknown flag, no command", []string{"-nope"}, nil, 2, "-nope"},
		{"postgres", []string{"serve", "-db-type", "POSTGRES"}, nil, 2, "POSTGRES"},
		{"bad variable", []string{"serve"}, []string{"EPHEMERAL=sometimes"}, 2, "EPHEMERAL"},
		{"serve -h", []string{"serve", "-h"}, nil, 0, "-bind-address"},
		{"-h", []string{"-h"}, nil, 0, "stockroom COMMAND -h"},
		{"--help", []string{"--help"}, nil, 0, "stockroom COMMAND -h"},
		{"help", []string{"help"}, nil, 0, "stockroom COMMAND -h"},
		{"import -h", []string{"import", "-h"}, nil, 0, "-workers"},
		{"import with no path", []string{"import"}, nil, 2, "(see stockroom import -h)"},
		{"serve hint", []string{"-nope"}, nil, 2, "(see stockroom serve -h)"},
		{"unknown command hint", []string{"bogus"}, nil, 2, "(see stockroom help)"},
		{"version with an argument", []string{"version", "x"}, nil, 2, `unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runProc(t, tt.env, tt.args...)
			if code != tt.code {
				t.Errorf("stockroom %s: exit %d, want %d\n%s", strings.Join(tt.args, " "), code, tt.code, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("stockroom %s: output lacks %q:\n%s", strings.Join(tt.args, " "), tt.want, out)
			}
			if tt.code == 2 && strings.Count(out, tt.want) != 1 {
				t.Errorf("stockroom %s: the error is printed %d times:\n%s", strings.Join(tt.args, " "), strings.Count(out, tt.want), out)
			}
		})
	}
}

// startStuckUpload begins an upload that never ends and returns once the
// server is streaming it.
func startStuckUpload(t *testing.T, p *proc, dataDir string) {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.CloseWithError(errors.New("test over")) })
	req := newRequest(t, "POST", p.url("/v1/resource"), "multipart/form-data; boundary=XYZ", pr)
	go func() {
		resp, err := testClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}()
	go func() {
		io.WriteString(pw, "--XYZ\r\nContent-Disposition: form-data; name=\"resource\"; filename=\"stuck.bin\"\r\n\r\n")
		pw.Write(bytes.Repeat([]byte("s"), 128<<10)) // more than the blob store reads whole before making a file
	}()
	waitFor(t, 10*time.Second, "the upload to reach the blob store", func() bool {
		return spooling(p.cmd.Process.Pid, dataDir)
	})
}

// TestE2EShutdownTimeout: a request that does not finish holds shutdown for
// -shutdown-timeout, then the process exits 1.
func TestE2EShutdownTimeout(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	p := startServer(t, t.TempDir(), nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir, "-shutdown-timeout", "500ms")
	startStuckUpload(t, p, dataDir)
	start := time.Now()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	code := p.wait(exitTimeout)
	if code != 1 {
		t.Errorf("exit %d after the shutdown timeout, want 1:\n%s", code, p.stderr)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("exited after %v, before the shutdown timeout", d)
	}
	if !strings.Contains(p.stderr.String(), "shutdown") {
		t.Errorf("no word of the shutdown failure:\n%s", p.stderr)
	}
}

// TestE2ESecondSignal: while shutdown waits for a request, a second SIGINT
// ends the process at once.
func TestE2ESecondSignal(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	p := startServer(t, t.TempDir(), nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir, "-shutdown-timeout", "1m")
	startStuckUpload(t, p, dataDir)
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "shutting down", func() bool { return strings.Contains(p.stderr.String(), "shutting down") })
	// The first signal is handled before the handler of the second is
	// removed: repeat until the process goes.
	deadline := time.Now().Add(exitTimeout)
	for {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(100 * time.Millisecond):
			if time.Now().Before(deadline) {
				continue
			}
			t.Fatalf("still running after repeated SIGINT:\n%s", p.stderr)
		}
		break
	}
	if p.cmd.ProcessState.Success() {
		t.Errorf("a forced exit reported success")
	}
}

// TestE2EListSearch lists through the real binary: substring searches of
// every kind (full-text and short), sorted orders and the total headers,
// with parameter names in any case, and the schema steps logged on the
// first start.
func TestE2EListSearch(t *testing.T) {
	p := startServer(t, t.TempDir(), nil, "-bind-address", "127.0.0.1:0", "-data-dir", filepath.Join(t.TempDir(), "data"))
	for _, f := range []struct{ file, name, location string }{
		{"IMG_0042.JPG", "Harbour at dusk", "https://cdn.example.com/shoot/IMG_0042.JPG"},
		{"dscf1234.raf", "Lighthouse", "/imports/2024/dscf1234.raf"},
		{"notes.txt", "Zebra crossing", "/imports/2023/notes.txt"},
	} {
		upload(t, p, f.file, []byte("content of "+f.file), url.Values{"Name": {f.name}, "OriginalLocation": {f.location}})
	}
	list := func(query string) ([]string, http.Header) {
		t.Helper()
		resp, err := testClient.Do(newRequest(t, "GET", p.url("/v1/resources?%s", query), "", nil))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rs []resourceJSON
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("GET /v1/resources?%s: status %d: %s", query, resp.StatusCode, b)
		}
		if err := json.NewDecoder(resp.Body).Decode(&rs); err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, r := range rs {
			names = append(names, r.Name)
		}
		return names, resp.Header
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"OriginalName=img_0042", []string{"Harbour at dusk"}},
		{"originalname=.RAF", []string{"Lighthouse"}},
		{"OriginalLocation=%2Fimports%2F", []string{"Zebra crossing", "Lighthouse"}},
		{"originalLocation=cdn.example.com%2Fshoot", []string{"Harbour at dusk"}},
		{"name=HOUSE", []string{"Lighthouse"}},
		{"Name=OU", []string{"Lighthouse", "Harbour at dusk"}},
		{"SortBy=name", []string{"Harbour at dusk", "Lighthouse", "Zebra crossing"}},
		{"sortby=name+desc&MaxResults=2", []string{"Zebra crossing", "Lighthouse"}},
		{"SortBy=file_size+desc&OriginalLocation=imports", []string{"Lighthouse", "Zebra crossing"}},
	} {
		got, h := list(c.query)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("GET /v1/resources?%s (-want +got):\n%s", c.query, diff)
		}
		if h.Get("X-Total-Count") == "" {
			t.Errorf("GET /v1/resources?%s: no X-Total-Count", c.query)
		}
	}
	if _, h := list("SortBy=name&MaxResults=1"); h.Get("X-Total-Count") != "3" || h.Get("X-Total-Count-Capped") != "" {
		t.Errorf("X-Total-Count %q capped %q, want 3 exactly", h.Get("X-Total-Count"), h.Get("X-Total-Count-Capped"))
	}
	p.stop(os.Interrupt)
	if logs := p.stderr.String(); !regexp.MustCompile(`msg="updated the database schema" (\S+ )*step=5`).MatchString(logs) {
		t.Errorf("the schema steps were not logged:\n%s", logs)
	}
}
