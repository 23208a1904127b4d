// Package s3test starts a real S3 server for tests: versitygw with its
// posix backend on a temporary folder, on a free port of 127.0.0.1, with
// random credentials. Without the binary, tests that ask for it skip, or
// fail when STOCKROOM_S3_REQUIRED=1 (as in .ci/run).
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
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

const (
	// RequiredEnv set to 1 turns a missing binary into a test failure.
	RequiredEnv = "STOCKROOM_S3_REQUIRED"
	// BinaryEnv names the versitygw binary, when not on PATH or in $GOPATH/bin.
	BinaryEnv = "STOCKROOM_VERSITYGW"
	// InstallHint is the command that installs the binary.
	InstallHint = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"
	// Bucket is the bucket every gateway of this package starts with.
	Bucket = "stockroom-test"
	// Region is the region the clients sign for.
	Region = "us-east-1"

	startDeadline = 15 * time.Second
)

// ChecksumETags is the flag of versitygw's posix backend that derives ETags from the
// request's data-integrity checksum (the CRC32C s3store sends) instead of
// an MD5 of the content: the MD5, single-threaded, is most of the
// gateway's CPU on a PUT.
const ChecksumETags = "--data-integrity-etag"

// FindBinary returns the path of versitygw: $STOCKROOM_VERSITYGW, then PATH,
// then $GOBIN and $GOPATH/bin (or ~/go/bin), where go install puts it; ""
// when there is none.
func FindBinary() string {
	if p := os.Getenv(BinaryEnv); p != "" {
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

// RequireBinary returns the versitygw binary or skips (with
// STOCKROOM_S3_REQUIRED=1: fails) the test.
func RequireBinary(tb testing.TB) string {
	tb.Helper()
	bin := FindBinary()
	if bin == "" {
		msg := fmt.Sprintf("versitygw not found (PATH, $GOPATH/bin, $%s); install it with %q to run the S3 tests", BinaryEnv, InstallHint)
		if os.Getenv(RequiredEnv) == "1" {
			tb.Fatalf("%s; %s=1 makes this a failure", msg, RequiredEnv)
		}
		tb.Skip(msg)
	}
	return bin
}

// Gateway is a versitygw process serving a temporary folder.
type Gateway struct {
	// Addr is host:port of the S3 endpoint (plain HTTP, path-style).
	Addr string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
	// Dir is the folder behind the posix backend.
	Dir string

	bin   string
	flags []string
	mu    sync.Mutex
	cmd   *exec.Cmd
	out   *bytes.Buffer
	done  chan struct{}
}

// Start starts versitygw on a free port with a new folder and random
// credentials, and creates Bucket. flags are flags of versitygw's posix
// backend, such as ChecksumETags. The caller stops it and removes Dir.
func Start(bin string, flags ...string) (*Gateway, error) {
	dir, err := os.MkdirTemp("", "stockroom-versitygw-")
	if err != nil {
		return nil, err
	}
	addr, err := FreeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	g := &Gateway{bin: bin, flags: flags, Dir: dir, Addr: addr, AccessKey: "AK" + RandomHex(8), SecretKey: RandomHex(20)}
	if err := g.Restart(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := g.MakeBucket(Bucket); err != nil {
		g.Stop()
		os.RemoveAll(dir)
		return nil, err
	}
	return g, nil
}

// New starts a gateway of its own for one test, stopped and removed at
// the end of the test, with flags of versitygw's posix backend.
func New(tb testing.TB, flags ...string) *Gateway {
	tb.Helper()
	g, err := Start(RequireBinary(tb), flags...)
	if err != nil {
		tb.Fatalf("starting versitygw: %v", err)
	}
	tb.Cleanup(func() { g.Stop(); os.RemoveAll(g.Dir) })
	return g
}

// shared is the gateway of Shared, started on first need.
var shared struct {
	mu  sync.Mutex
	gw  *Gateway
	err error
}

// Shared returns the package-wide gateway, starting it on first use. Tests
// that share it keep to prefixes of their own; the test binary's TestMain
// calls StopShared.
func Shared(tb testing.TB) *Gateway {
	tb.Helper()
	bin := RequireBinary(tb)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.gw == nil && shared.err == nil {
		shared.gw, shared.err = Start(bin)
	}
	if shared.err != nil {
		tb.Fatalf("starting versitygw: %v", shared.err)
	}
	return shared.gw
}

// StopShared stops the gateway of Shared, if started, and removes its
// folder.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.gw != nil {
		shared.gw.Stop()
		os.RemoveAll(shared.gw.Dir)
		shared.gw = nil
	}
}

func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// RandomHex returns 2n random hex digits.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Restart runs the gateway process again after Stop or Kill, on the same
// port, folder and credentials, and waits until it accepts connections.
func (g *Gateway) Restart() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd != nil {
		return fmt.Errorf("versitygw on %s is running", g.Addr)
	}
	out := &bytes.Buffer{}
	args := append([]string{"--port", g.Addr, "--access", g.AccessKey, "--secret", g.SecretKey, "--quiet", "posix"}, g.flags...)
	cmd := exec.Command(g.bin, append(args, g.Dir)...)
	cmd.Stdout, cmd.Stderr = out, out
	dieWithParent(cmd)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID=", "ROOT_SECRET_ACCESS_KEY=", "VGW_PORT=")
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(startDeadline)
	for {
		select {
		case <-done:
			return fmt.Errorf("versitygw exited at start: %s", out)
		default:
		}
		if c, err := net.DialTimeout("tcp", g.Addr, 200*time.Millisecond); err == nil {
			c.Close()
			g.cmd, g.out, g.done = cmd, out, done
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("versitygw did not listen on %s within %v: %s", g.Addr, startDeadline, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Pid returns the process id of the running gateway, 0 when stopped.
func (g *Gateway) Pid() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil {
		return 0
	}
	return g.cmd.Process.Pid
}

// Kill ends the gateway abruptly, as a crash would.
func (g *Gateway) Kill() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil {
		return
	}
	g.cmd.Process.Kill()
	<-g.done
	g.cmd = nil
}

// Stop ends the gateway, politely first.
func (g *Gateway) Stop() {
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

// Client returns a minio client of the gateway, for what tests do behind
// the store's back.
func (g *Gateway) Client() (*minio.Client, error) {
	return minio.New(g.Addr, &minio.Options{Creds: credentials.NewStaticV4(g.AccessKey, g.SecretKey, ""), Region: Region})
}

// MakeBucket creates a bucket.
func (g *Gateway) MakeBucket(name string) error {
	c, err := g.Client()
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

// Config returns the s3store.Config of a new empty store in Bucket: a
// prefix of its own and a temporary staging folder.
func (g *Gateway) Config(tb testing.TB) s3store.Config {
	return s3store.Config{
		Bucket:     Bucket,
		Prefix:     "t/" + RandomHex(6) + "/",
		Endpoint:   g.Addr,
		Region:     Region,
		DisableTLS: true,
		Addressing: s3store.AddressingPath,
		AccessKey:  g.AccessKey,
		SecretKey:  g.SecretKey,
		TempDir:    tb.TempDir(),
	}
}

// Store returns a new empty store on g (see Config), with cfg changed by
// edit when not nil.
func (g *Gateway) Store(tb testing.TB, edit func(*s3store.Config)) (*s3store.Store, s3store.Config) {
	tb.Helper()
	cfg := g.Config(tb)
	if edit != nil {
		edit(&cfg)
	}
	s, err := s3store.New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("s3store.New: %v", err)
	}
	// Before the temporary folders go: copies from the service write there.
	tb.Cleanup(func() { s.Close() })
	return s, cfg
}

// URL returns the -blob-store value of a new empty prefix in Bucket; the
// credentials go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Env).
func (g *Gateway) URL() string {
	q := url.Values{"endpoint": {g.Addr}, "region": {Region}, "tls": {"false"}, "path-style": {"true"}}
	return "s3://" + Bucket + "/t/" + RandomHex(6) + "?" + q.Encode()
}

// Env returns the environment that carries the gateway's credentials to a
// stockroom process.
func (g *Gateway) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + g.AccessKey, "AWS_SECRET_ACCESS_KEY=" + g.SecretKey}
}

// Keys returns every key under prefix in Bucket.
func (g *Gateway) Keys(tb testing.TB, prefix string) []string {
	tb.Helper()
	c, err := g.Client()
	if err != nil {
		tb.Fatal(err)
	}
	var keys []string
	for obj := range c.ListObjects(context.Background(), Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			tb.Fatalf("listing %s: %v", prefix, obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}
