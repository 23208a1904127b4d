//go:build unix

package httpapi_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// chromiumPath finds Debian's chromium, or returns "" (the browser tests
// then skip). .ci/run installs it.
func chromiumPath() string {
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// chromium runs headless Chromium on url with args added, and returns its
// standard output. The browser and its helper processes are killed when the
// test's deadline or a minute passes.
func chromium(tb testing.TB, bin, url string, args ...string) []byte {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	argv := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + tb.TempDir(),
	}, args...)
	argv = append(argv, url)
	cmd := exec.CommandContext(ctx, bin, argv...)
	// Its own process group, so that the helpers it starts go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// Two colours that nothing on the page but the test images uses.
var (
	markRed  = color.NRGBA{R: 220, G: 30, B: 40, A: 255}
	markBlue = color.NRGBA{R: 20, G: 90, B: 230, A: 255}
)

// markedPNG is a w×h image filled with c, with a white diagonal band, so
// that a screenshot shows where it was drawn.
func markedPNG(tb testing.TB, w, h int, c color.NRGBA) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{c}, image.Point{}, draw.Src)
	for x := range w {
		for d := range h / 8 {
			if y := x*h/w + d; y < h {
				img.Set(x, y, color.White)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// box is the bounding box of the pixels of a screenshot close to a colour,
// and how many there are.
type box struct {
	image.Rectangle
	n int
}

func findColour(img image.Image, c color.NRGBA) box {
	var b box
	near := func(x uint32, y uint8) bool { d := int(x>>8) - int(y); return -12 < d && d < 12 }
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, c.R) && near(g, c.G) && near(bl, c.B) {
				p := image.Rect(x, y, x+1, y+1)
				if b.n == 0 {
					b.Rectangle = p
				} else {
					b.Rectangle = b.Union(p)
				}
				b.n++
			}
		}
	}
	return b
}

// TestComparePageInBrowser renders the cross-resource compare page in
// headless Chromium: the DOM has both previews, the server serves both
// files, and the screenshots show both images, side by side on a wide
// window and one above the other on a phone-sized one. Set
// STOCKROOM_SCREENSHOT_DIR to keep the screenshots.
func TestComparePageInBrowser(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newTestEnv(t)
	red, blue := markedPNG(t, 480, 320, markRed), markedPNG(t, 400, 400, markBlue)
	a := e.uploadOK(t, filePart("resource", "harbour.png", red), fieldPart("Name", "Harbour at dusk"))
	b := e.uploadOK(t, filePart("resource", "logo.png", markedPNG(t, 64, 64, color.NRGBA{G: 160, A: 255})), fieldPart("Name", "Logo"))
	e.uploadVersion(t, qs("resourceId", itoa(b)), filePart("file", "logo-v2.png", blue), fieldPart("comment", "square, blue")).wantStatus(t, http.StatusOK)
	redURL, blueURL := fileURLOf(t, e, e.versionIDs(t, a)[0]), fileURLOf(t, e, e.versionIDs(t, b)[0])

	// Our own server on 127.0.0.1 over the API's handler, noting what the
	// browser asks for and what it gets.
	var (
		mu   sync.Mutex
		seen = map[string]int{} // path -> last status
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		e.handler.ServeHTTP(sw, r)
		mu.Lock()
		seen[r.URL.Path] = sw.status
		mu.Unlock()
	}))
	defer srv.Close()
	pageURL := srv.URL + "/resource/compare" + qs("r1", itoa(a), "v1", "1", "r2", itoa(b), "v2", "2")

	t.Run("dom", func(t *testing.T) {
		dom := string(chromium(t, bin, pageURL, "--dump-dom"))
		imgs := regexp.MustCompile(`<img [^>]*src="([^"]+)"`).FindAllStringSubmatch(dom, -1)
		var srcs []string
		for _, m := range imgs {
			srcs = append(srcs, m[1])
		}
		if len(srcs) != 2 || srcs[0] != redURL || srcs[1] != blueURL {
			t.Errorf("images %q, want [%s %s]", srcs, redURL, blueURL)
		}
		for _, want := range []string{"Harbour at dusk · version 1", "Logo · version 2", "square, blue", "Two resources", "Different dimensions"} {
			if !strings.Contains(dom, want) {
				t.Errorf("rendered page lacks %q", want)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, p := range []string{redURL, blueURL} {
			if status, ok := seen[p]; !ok || status != http.StatusOK {
				t.Errorf("the browser's request for %s: seen %v, status %d", p, ok, status)
			}
		}
	})

	for _, tt := range []struct {
		name          string
		width, height int
		sideBySide    bool
	}{
		{"wide", 1280, 1500, true},
		{"narrow", 390, 2000, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			shot := filepath.Join(dir, "shot.png")
			chromium(t, bin, pageURL, "--screenshot="+shot, "--window-size="+itoa(int64(tt.width))+","+itoa(int64(tt.height)))
			f, err := os.Open(shot)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			if keep := os.Getenv("STOCKROOM_SCREENSHOT_DIR"); keep != "" {
				data, _ := os.ReadFile(shot)
				if err := os.WriteFile(filepath.Join(keep, "compare-"+tt.name+".png"), data, 0o644); err != nil {
					t.Error(err)
				}
			}
			if got := img.Bounds().Size(); got.X != tt.width {
				t.Errorf("screenshot %v wide, want %d", got, tt.width)
			}
			r, bl := findColour(img, markRed), findColour(img, markBlue)
			t.Logf("red image drawn at %v (%d px), blue at %v (%d px)", r.Rectangle, r.n, bl.Rectangle, bl.n)
			const minPixels = 5000 // a real image, not a stray pixel
			if r.n < minPixels || bl.n < minPixels {
				t.Fatalf("the images are not both on the screenshot: %d red and %d blue pixels", r.n, bl.n)
			}
			if tt.sideBySide {
				if !(r.Max.X <= bl.Min.X && r.Min.Y < bl.Max.Y && bl.Min.Y < r.Max.Y) {
					t.Errorf("wide window: red %v and blue %v are not side by side", r.Rectangle, bl.Rectangle)
				}
			} else if !(r.Max.Y <= bl.Min.Y) {
				t.Errorf("narrow window: red %v is not above blue %v", r.Rectangle, bl.Rectangle)
			}
			if r.Max.X > tt.width || bl.Max.X > tt.width {
				t.Errorf("an image overflows the window")
			}
			// Shown whole and undistorted: the drawn boxes keep the images'
			// proportions (480×320 and 400×400).
			for _, c := range []struct {
				name string
				b    box
				want float64
			}{{"red", r, 1.5}, {"blue", bl, 1}} {
				got := float64(c.b.Dx()) / float64(c.b.Dy())
				if got < c.want*0.97 || got > c.want*1.03 {
					t.Errorf("%s image drawn %dx%d, proportions %.2f, want %.2f", c.name, c.b.Dx(), c.b.Dy(), got, c.want)
				}
			}
		})
	}
}

// statusRecorder remembers the status a handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
