package s3store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/stockroomhq/stockroom/blobstore/s3store"
)

// The tests run against a real S3 server: versitygw with its posix backend
// on a temporary folder, started on a free port of 127.0.0.1 with random
// credentials. Without the binary they skip, unless requiredEnv is 1.
const (
	requiredEnv   = "STOCKROOM_S3_REQUIRED"
	binaryEnv     = "STOCKROOM_VERSITYGW"
	installHint   = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"
	testBucket    = "stockroom-test"
	startDeadline = 15 * time.Second
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.gw != nil {
		shared.gw.stop()
		os.RemoveAll(shared.gw.dir)
	}
	os.Exit(code)
}

// shared is the gateway most tests use, started on first need; each test
// gets its own prefix in testBucket.
var shared struct {
	once sync.Once
	gw   *gateway
	err  error
}

// findVersitygw returns the path of the versitygw binary: $STOCKROOM_VERSITYGW,
// then PATH, then $GOBIN and $GOPATH/bin (or ~/go/bin), where go install
// puts it.
func findVersitygw() string {
	if p := os.Getenv(binaryEnv); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if d := os.Getenv("GOPATH"); d != "" {
		for _, p := range filepath.SplitList(d) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	} else if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// requireBinary returns the versitygw binary or skips (or, with
// STOCKROOM_S3_REQUIRED=1, fails) the test.
func requireBinary(tb testing.TB) string {
	tb.Helper()
	bin := findVersitygw()
	if bin == "" {
		msg := fmt.Sprintf("versitygw not found (PATH, $GOPATH/bin, $%s); install it with %q to run the S3 tests", binaryEnv, installHint)
		if os.Getenv(requiredEnv) == "1" {
			tb.Fatalf("%s; %s=1 makes this a failure", msg, requiredEnv)
		}
		tb.Skip(msg)
	}
	return bin
}

// sharedGateway returns the shared gateway, starting it and creating
// testBucket on first use.
func sharedGateway(tb testing.TB) *gateway {
	tb.Helper()
	bin := requireBinary(tb)
	shared.once.Do(func() {
		shared.gw, shared.err = startGateway(bin)
		if shared.err == nil {
			shared.err = shared.gw.makeBucket(testBucket)
		}
	})
	if shared.err != nil {
		tb.Fatalf("starting versitygw: %v", shared.err)
	}
	return shared.gw
}

// gateway is a versitygw process serving a temporary folder.
type gateway struct {
	bin, dir, addr string
	access, secret string

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

// startGateway starts versitygw on a free port with a new folder and
// random credentials.
func startGateway(bin string) (*gateway, error) {
	dir, err := os.MkdirTemp("", "stockroom-versitygw-")
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	g := &gateway{bin: bin, dir: dir, addr: addr, access: "AK" + randomHex(8), secret: randomHex(20)}
	if err := g.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return g, nil
}

// newGateway starts a gateway of its own for one test, with testBucket,
// stopped and removed at the end of the test.
func newGateway(tb testing.TB) *gateway {
	tb.Helper()
	g, err := startGateway(requireBinary(tb))
	if err != nil {
		tb.Fatalf("starting versitygw: %v", err)
	}
	tb.Cleanup(func() { g.stop(); os.RemoveAll(g.dir) })
	if err := g.makeBucket(testBucket); err != nil {
		tb.Fatal(err)
	}
	return g
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// start runs the gateway process (again, after stop, on the same port and
// folder) and waits until it accepts connections.
func (g *gateway) start() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := &bytes.Buffer{}
	cmd := exec.Command(g.bin, "--port", g.addr, "--access", g.access, "--secret", g.secret, "--quiet", "posix", g.dir)
	cmd.Stdout, cmd.Stderr = out, out
	dieWithParent(cmd)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID=", "ROOT_SECRET_ACCESS_KEY=", "VGW_PORT=")
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	g.cmd, g.out, g.done = cmd, out, done
	deadline := time.Now().Add(startDeadline)
	for {
		select {
		case <-done:
			return fmt.Errorf("versitygw exited at start: %s", out)
		default:
		}
		if c, err := net.DialTimeout("tcp", g.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("versitygw did not listen on %s within %v: %s", g.addr, startDeadline, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the gateway abruptly, as a crash would.
func (g *gateway) kill() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil {
		return
	}
	g.cmd.Process.Kill()
	<-g.done
	g.cmd = nil
}

// stop ends the gateway, politely first.
func (g *gateway) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil {
		return
	}
	g.cmd.Process.Signal(os.Interrupt)
	select {
	case <-g.done:
	case <-time.After(5 * time.Second):
		g.cmd.Process.Kill()
		<-g.done
	}
	g.cmd = nil
}

// client returns a minio client of the gateway, for what the tests do
// behind the store's back.
func (g *gateway) client() (*minio.Client, error) {
	return minio.New(g.addr, &minio.Options{Creds: credentials.NewStaticV4(g.access, g.secret, ""), Region: "us-east-1"})
}

func (g *gateway) makeBucket(name string) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		return fmt.Errorf("creating bucket %s: %w", name, err)
	}
	return nil
}

// config returns the Config of a new empty store in testBucket: a prefix
// of its own and a temporary folder the test can inspect.
func (g *gateway) config(tb testing.TB) s3store.Config {
	return s3store.Config{
		Bucket:     testBucket,
		Prefix:     "t/" + randomHex(6) + "/",
		Endpoint:   g.addr,
		Region:     "us-east-1",
		DisableTLS: true,
		Addressing: s3store.AddressingPath,
		AccessKey:  g.access,
		SecretKey:  g.secret,
		TempDir:    tb.TempDir(),
	}
}

// newStore returns a new empty store on the shared gateway, with cfg
// changed by edit when not nil.
func newStore(tb testing.TB, edit func(*s3store.Config)) (*s3store.Store, s3store.Config) {
	tb.Helper()
	g := sharedGateway(tb)
	cfg := g.config(tb)
	if edit != nil {
		edit(&cfg)
	}
	s, err := s3store.New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("s3store.New: %v", err)
	}
	return s, cfg
}

// listKeys returns every key under prefix in testBucket.
func listKeys(tb testing.TB, g *gateway, prefix string) []string {
	tb.Helper()
	c, err := g.client()
	if err != nil {
		tb.Fatal(err)
	}
	var keys []string
	for obj := range c.ListObjects(context.Background(), testBucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			tb.Fatalf("listing %s: %v", prefix, obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}

// checkNoTemp fails the test if dir holds any file.
func checkNoTemp(tb testing.TB, dir string) {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		tb.Fatal(err)
	}
	for _, e := range entries {
		tb.Errorf("temporary file left behind: %s", e.Name())
	}
}
