package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/fetch"
)

// loopback allows the test origins, which listen on 127.0.0.1.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func newFetcher() *fetch.Fetcher {
	return &fetch.Fetcher{Allow: loopback, IdleTimeout: 2 * time.Second, OverallTimeout: 10 * time.Second}
}

func TestIsSpecial(t *testing.T) {
	special := []string{
		"127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3", "224.0.0.1",
		"239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "198.51.100.7",
		"203.0.113.9", "192.0.0.8",
		"::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
		"fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1", "64:ff9b::a00:1",
		"2002:7f00:1::", "2001:db8::1", "2001::1", "100::1", "fec0::1",
	}
	public := []string{"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "192.169.0.1",
		"2606:4700:4700::1111", "2a00:1450:4001::1", "::ffff:8.8.8.8"}
	for _, s := range special {
		if !fetch.IsSpecial(netip.MustParseAddr(s)) {
			t.Errorf("IsSpecial(%s) = false, want true", s)
		}
	}
	for _, s := range public {
		if fetch.IsSpecial(netip.MustParseAddr(s)) {
			t.Errorf("IsSpecial(%s) = true, want false", s)
		}
	}
}

func TestParseAllowList(t *testing.T) {
	got, err := fetch.ParseAllowList("127.0.0.1, 10.0.0.0/8 ::1\t::ffff:192.168.0.0/112")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1/32", "10.0.0.0/8", "::1/128", "192.168.0.0/16"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("entry %d = %s, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"localhost", "10.0.0.0/33", "1.2.3"} {
		if _, err := fetch.ParseAllowList(bad); err == nil {
			t.Errorf("ParseAllowList(%q) succeeded", bad)
		}
	}
	if got, err := fetch.ParseAllowList(""); err != nil || len(got) != 0 {
		t.Errorf("empty list = %v, %v", got, err)
	}
}

func TestCheckURL(t *testing.T) {
	for _, bad := range []string{"file:///etc/passwd", "ftp://example.com/x", "gopher://x/", "/relative/path",
		"example.com/x", "http://", "http:///path", "javascript:alert(1)", "http://[::1"} {
		_, err := fetch.CheckURL(bad)
		if !errors.Is(err, fetch.ErrBadURL) {
			t.Errorf("CheckURL(%q) = %v, want ErrBadURL", bad, err)
		}
	}
	u, err := fetch.CheckURL("  HTTPS://user:secret@example.com/a%20b.jpg#frag ")
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Fragment != "" {
		t.Errorf("CheckURL normalised to %s", u)
	}
	_, err = fetch.CheckURL("ftp://user:secret@example.com/")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("error %v shows the password", err)
	}
}

func TestNameFromURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://example.com/a/b/photo%20one.jpg?x=1": "photo one.jpg",
		"https://example.com/a/b/":                    "b",
		"https://example.com/":                        "example.com",
		"https://example.com":                         "example.com",
		"https://example.com/..%2F..%2Fetc%2Fpasswd":  "passwd",
		"https://example.com/a%5Cb.png":               "b.png",
	} {
		u, _ := url.Parse(raw)
		if got := fetch.NameFromURL(u); got != want {
			t.Errorf("NameFromURL(%s) = %q, want %q", raw, got, want)
		}
	}
}

func readAll(tb testing.TB, f *fetch.Fetcher, rawURL string) ([]byte, error) {
	tb.Helper()
	resp, err := f.Get(context.Background(), rawURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func TestFetchAllowed(t *testing.T) {
	content := bytes.Repeat([]byte("stockroom "), 10000)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", `attachment; filename="../../report.pdf"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
	}))
	defer origin.Close()
	resp, err := newFetcher().Get(context.Background(), origin.URL+"/x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if resp.Size != int64(len(content)) || resp.Offset != 0 || !resp.AcceptRanges || resp.FileName != "report.pdf" {
		t.Errorf("response = %+v", resp)
	}
}

// TestForbiddenDestinations: without the allow list, loopback is refused at
// connect time, whether named by IP or by a host name, and the error does
// not tell where the name resolved to.
func TestForbiddenDestinations(t *testing.T) {
	var hits atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "secret")
	}))
	defer origin.Close()
	_, port, _ := net.SplitHostPort(origin.Listener.Addr().String())
	f := &fetch.Fetcher{}
	for _, u := range []string{origin.URL, "http://localhost:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/"} {
		_, err := readAll(t, f, u)
		if !errors.Is(err, fetch.ErrForbidden) {
			t.Errorf("%s: err = %v, want ErrForbidden", u, err)
			continue
		}
		if strings.Contains(u, "localhost") && (strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), "::1")) {
			t.Errorf("error reveals the resolved address: %v", err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("origin was reached %d times", n)
	}
}

// TestRedirects follows redirects between allowed addresses and refuses one
// to a loopback address outside the allow list, and more than ten.
func TestRedirects(t *testing.T) {
	var forbiddenHits atomic.Int32
	forbidden, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	other := &httptest.Server{Listener: forbidden, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forbiddenHits.Add(1)
		io.WriteString(w, "internal")
	})}}
	other.Start()
	defer other.Close()

	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/final":
			io.WriteString(w, "final")
		case r.URL.Path == "/hop":
			http.Redirect(w, r, "/final", http.StatusFound)
		case r.URL.Path == "/internal":
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
		case r.URL.Path == "/file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/loop/"):
			var n int
			fmt.Sscanf(r.URL.Path, "/loop/%d", &n)
			if n == 0 {
				io.WriteString(w, "end")
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/loop/%d", n-1), http.StatusMovedPermanently)
		}
	}))
	defer origin.Close()
	f := newFetcher()

	got, err := readAll(t, f, origin.URL+"/hop")
	if err != nil || string(got) != "final" {
		t.Errorf("redirect: %q, %v", got, err)
	}
	if got, err := readAll(t, f, origin.URL+"/loop/10"); err != nil || string(got) != "end" {
		t.Errorf("ten redirects: %q, %v", got, err)
	}
	if _, err := readAll(t, f, origin.URL+"/loop/11"); !errors.Is(err, fetch.ErrTooManyRedirects) {
		t.Errorf("eleven redirects: %v, want ErrTooManyRedirects", err)
	}
	_, err = readAll(t, f, origin.URL+"/internal")
	if !errors.Is(err, fetch.ErrForbidden) {
		t.Errorf("redirect to 127.0.0.2: %v, want ErrForbidden", err)
	} else if strings.Contains(err.Error(), "127.0.0.2") {
		t.Errorf("error reveals the redirect target: %v", err)
	}
	if _, err := readAll(t, f, origin.URL+"/file"); !errors.Is(err, fetch.ErrBadURL) {
		t.Errorf("redirect to file://: %v, want ErrBadURL", err)
	}
	if n := forbiddenHits.Load(); n != 0 {
		t.Errorf("forbidden origin reached %d times", n)
	}
}

func TestTimeoutsSizeAndStatus(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stall-body":
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/stall-headers":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/drip":
			for i := 0; i < 100; i++ {
				io.WriteString(w, "x")
				w.(http.Flusher).Flush()
				select {
				case <-time.After(50 * time.Millisecond):
				case <-r.Context().Done():
					return
				}
			}
		case "/big-declared":
			w.Header().Set("Content-Length", "5000")
			w.Write(make([]byte, 5000))
		case "/big-chunked":
			for i := 0; i < 5; i++ {
				w.Write(make([]byte, 1000))
				w.(http.Flusher).Flush()
			}
		case "/exact":
			w.Write(make([]byte, 1000))
		case "/short":
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, "short")
		default:
			http.NotFound(w, r)
		}
	}))
	defer origin.Close()
	f := &fetch.Fetcher{Allow: loopback, IdleTimeout: 200 * time.Millisecond, OverallTimeout: time.Second, MaxSize: 1000}

	for _, tt := range []struct {
		path string
		kind error
	}{
		{"/stall-body", fetch.ErrTimeout},
		{"/stall-headers", fetch.ErrTimeout},
		{"/drip", fetch.ErrTimeout},
		{"/big-declared", fetch.ErrTooLarge},
		{"/big-chunked", fetch.ErrTooLarge},
		{"/missing", fetch.ErrStatus},
		{"/short", fetch.ErrNetwork},
	} {
		start := time.Now()
		_, err := readAll(t, f, origin.URL+tt.path)
		if !errors.Is(err, tt.kind) {
			t.Errorf("%s: err = %v, want %v", tt.path, err, tt.kind)
		}
		var fe *fetch.Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: err %T is not a *fetch.Error", tt.path, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s took %v", tt.path, d)
		}
	}
	if got, err := readAll(t, f, origin.URL+"/exact"); err != nil || len(got) != 1000 {
		t.Errorf("exactly the limit: %d bytes, %v", len(got), err)
	}
	_, err := readAll(t, f, origin.URL+"/missing")
	var fe *fetch.Error
	if errors.As(err, &fe) && fe.Status != http.StatusNotFound {
		t.Errorf("status = %d", fe.Status)
	}
}

func TestCanceledByCaller(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer origin.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := newFetcher().Get(ctx, origin.URL)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestRange(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789"), 1000)
	modified := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	etag := `"v1"`
	ranged := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", etag)
		http.ServeContent(w, r, "", modified, bytes.NewReader(content))
	}))
	defer ranged.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(content)
	}))
	defer plain.Close()
	f := newFetcher()
	ctx := context.Background()

	get := func(req fetch.Request) (*fetch.Response, []byte) {
		t.Helper()
		resp, err := f.Fetch(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	resp, b := get(fetch.Request{URL: ranged.URL, Offset: 4000, IfRange: etag})
	if resp.Offset != 4000 || resp.Size != int64(len(content)) || !bytes.Equal(b, content[4000:]) {
		t.Errorf("ranged: offset %d size %d, %d bytes", resp.Offset, resp.Size, len(b))
	}
	if resp.Validator() != etag {
		t.Errorf("validator = %q", resp.Validator())
	}
	resp, b = get(fetch.Request{URL: ranged.URL, Offset: 4000, IfRange: `"v0"`})
	if resp.Offset != 0 || !bytes.Equal(b, content) {
		t.Errorf("changed content: offset %d, %d bytes", resp.Offset, len(b))
	}
	resp, b = get(fetch.Request{URL: ranged.URL, Offset: int64(len(content)) + 5})
	if resp.Offset != 0 || !bytes.Equal(b, content) {
		t.Errorf("range past the end: offset %d, %d bytes", resp.Offset, len(b))
	}
	resp, b = get(fetch.Request{URL: plain.URL, Offset: 4000})
	if resp.Offset != 0 || !bytes.Equal(b, content) {
		t.Errorf("no range support: offset %d, %d bytes", resp.Offset, len(b))
	}
}
