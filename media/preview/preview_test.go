package preview_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/preview"
)

func newService(tb testing.TB) (*preview.Service, *aferostore.Store) {
	tb.Helper()
	blobs := aferostore.New(afero.NewMemMapFs())
	return preview.New(blobs), blobs
}

func put(tb testing.TB, s blobstore.Store, data []byte) blobstore.Hash {
	tb.Helper()
	res, err := s.Put(context.Background(), bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return res.Hash
}

func decode(tb testing.TB, p *preview.Preview) image.Image {
	tb.Helper()
	var img image.Image
	var err error
	switch p.ContentType {
	case "image/jpeg":
		img, err = jpeg.Decode(bytes.NewReader(p.Data))
	case "image/png":
		img, err = png.Decode(bytes.NewReader(p.Data))
	default:
		tb.Fatalf("preview content type %q", p.ContentType)
	}
	if err != nil {
		tb.Fatalf("decoding the preview: %v", err)
	}
	return img
}

func near(a, b color.Color, tol int) bool {
	ra, ga, ba, _ := a.RGBA()
	rb, gb, bb, _ := b.RGBA()
	for _, d := range []int{int(ra>>8) - int(rb>>8), int(ga>>8) - int(gb>>8), int(ba>>8) - int(bb>>8)} {
		if d > tol || d < -tol {
			return false
		}
	}
	return true
}

// previewSize reads the dimensions of an encoded preview.
func previewSize(tb testing.TB, p *preview.Preview) image.Point {
	tb.Helper()
	c, format, err := image.DecodeConfig(bytes.NewReader(p.Data))
	if err != nil || "image/"+format != p.ContentType {
		tb.Fatalf("preview of type %s decodes as %q: %v", p.ContentType, format, err)
	}
	return image.Pt(c.Width, c.Height)
}

func TestNewBox(t *testing.T) {
	tests := []struct {
		w, h int
		want preview.Box
	}{
		{0, 0, preview.Box{Width: 600, Height: 600}},
		{200, 0, preview.Box{Width: 200, Height: 2048}}, // the other side left to the aspect
		{0, 100, preview.Box{Width: 2048, Height: 100}},
		{300, 200, preview.Box{Width: 300, Height: 200}}, // exact
		{1, 2048, preview.Box{Width: 1, Height: 2048}},
		{5000, 9000, preview.Box{Width: 2048, Height: 2048}}, // capped
		{2049, 7, preview.Box{Width: 2048, Height: 7}},
	}
	for _, tt := range tests {
		b, err := preview.NewBox(tt.w, tt.h)
		if err != nil {
			t.Fatalf("NewBox(%d, %d): %v", tt.w, tt.h, err)
		}
		if diff := cmp.Diff(tt.want, b); diff != "" {
			t.Errorf("NewBox(%d, %d) (-want +got):\n%s", tt.w, tt.h, diff)
		}
	}
	if _, err := preview.NewBox(-1, 10); err == nil {
		t.Error("a negative width was accepted")
	}
}

func TestPreviewFitsBox(t *testing.T) {
	s, blobs := newService(t)
	src := imagetest.Photo(400, 200, 1)
	tests := []struct {
		w, h   int
		ww, wh int
	}{
		{0, 0, 400, 200}, // the default box is larger: never enlarged
		{200, 200, 200, 100},
		{100, 0, 100, 50},
		{0, 100, 200, 100},
		{128, 128, 128, 64},
		{2000, 2000, 400, 200},
	}
	for _, ct := range imagetest.Formats {
		h := put(t, blobs, imagetest.Encode(t, src, ct))
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%dx%d", ct, tt.w, tt.h), func(t *testing.T) {
				box, _ := preview.NewBox(tt.w, tt.h)
				p, err := s.Get(context.Background(), h, ct, box)
				if err != nil {
					t.Fatal(err)
				}
				if p.Placeholder || p.ContentType != "image/jpeg" {
					t.Fatalf("placeholder %v (%s), type %s", p.Placeholder, p.Reason, p.ContentType)
				}
				if got := previewSize(t, p); got != image.Pt(tt.ww, tt.wh) {
					t.Errorf("size %v, want %dx%d", got, tt.ww, tt.wh)
				}
			})
		}
	}
}

// TestPreviewExactBox: a preview fits the box asked for, not a larger
// one. The side that constrains is the box's; the other is the source's
// scaled by the same factor, rounded to the nearest pixel (1000 × 200/3000
// = 66.7 → 67), and never more than its side of the box. A smaller source
// is not enlarged.
func TestPreviewExactBox(t *testing.T) {
	s, blobs := newService(t)
	wide := put(t, blobs, imagetest.JPEG(t, imagetest.Photo(3000, 1000, 1), 85))
	tall := put(t, blobs, imagetest.JPEG(t, imagetest.Photo(300, 600, 2), 85))
	small := put(t, blobs, imagetest.JPEG(t, imagetest.Photo(400, 300, 3), 85))
	tests := []struct {
		name  string
		h     blobstore.Hash
		w, hh int
		want  image.Point
	}{
		{"3000x1000 in 200x200", wide, 200, 200, image.Pt(200, 67)},
		{"3000x1000 width 300", wide, 300, 0, image.Pt(300, 100)},
		{"3000x1000 width 5000", wide, 5000, 0, image.Pt(2048, 683)}, // capped at MaxBox
		{"3000x1000 default", wide, 0, 0, image.Pt(600, 200)},
		{"300x600 height 100", tall, 0, 100, image.Pt(50, 100)},
		{"400x300 default", small, 0, 0, image.Pt(400, 300)}, // not enlarged
		{"400x300 in 1000x1000", small, 1000, 1000, image.Pt(400, 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			box, err := preview.NewBox(tt.w, tt.hh)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Get(context.Background(), tt.h, "image/jpeg", box)
			if err != nil || p.Placeholder {
				t.Fatalf("%v, placeholder %v (%s)", err, p.Placeholder, p.Reason)
			}
			if diff := cmp.Diff(tt.want, previewSize(t, p)); diff != "" {
				t.Errorf("size (-want +got):\n%s", diff)
			}
		})
	}
	// Each box has its own cached file and ETag, even boxes that differ
	// little.
	var etags []string
	for _, w := range []int{200, 210} {
		box, _ := preview.NewBox(w, 0)
		p, err := s.Get(context.Background(), wide, "image/jpeg", box)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := previewSize(t, p), image.Pt(w, (1000*w+1500)/3000); got != want {
			t.Errorf("width %d: size %v, want %v", w, got, want)
		}
		etags = append(etags, p.ETag)
	}
	if etags[0] == etags[1] {
		t.Errorf("widths 200 and 210 share the ETag %s", etags[0])
	}
	f, err := blobs.OpenDerived(context.Background(), wide, "preview-v2-210x2048")
	if err != nil {
		t.Fatalf("the preview of width 210 is not cached under its exact box: %v", err)
	}
	f.Close()
	// A box passed to Get without NewBox is capped too.
	p, err := s.Get(context.Background(), wide, "image/jpeg", preview.Box{Width: 9000, Height: 9000})
	if err != nil {
		t.Fatal(err)
	}
	if got := previewSize(t, p); got != image.Pt(2048, 683) || p.ETag != preview.ETag(wide, preview.Box{Width: 2048, Height: 2048}) {
		t.Errorf("a 9000x9000 box: size %v, ETag %s", got, p.ETag)
	}
}

func TestPreviewOrientations(t *testing.T) {
	s, blobs := newService(t)
	shown := imagetest.Quadrants(64, 32)
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			data := imagetest.WithAPP1(imagetest.JPEG(t, imagetest.Stored(shown, o), 95), imagetest.EXIFPayload(imagetest.EXIF{Orientation: o}))
			p, err := s.Get(context.Background(), put(t, blobs, data), "image/jpeg", preview.Box{Width: 32, Height: 32})
			if err != nil {
				t.Fatal(err)
			}
			img := decode(t, p)
			if img.Bounds().Size() != image.Pt(32, 16) {
				t.Fatalf("size %v, want 32x16", img.Bounds().Size())
			}
			for _, c := range []struct {
				x, y int
				want color.Color
			}{{4, 3, imagetest.TopLeft}, {28, 3, imagetest.TopRight}, {28, 12, imagetest.BottomRight}, {4, 12, imagetest.BottomLeft}} {
				if got := img.At(c.x, c.y); !near(got, c.want, 40) {
					t.Errorf("pixel (%d,%d) = %v, want about %v", c.x, c.y, got, c.want)
				}
			}
		})
	}
}

func TestPreviewTransparencyIsPNG(t *testing.T) {
	s, blobs := newService(t)
	img := image.NewNRGBA(image.Rect(0, 0, 50, 50))
	for i := range img.Pix {
		if i%4 == 3 {
			img.Pix[i] = uint8(i % 200)
		}
	}
	p, err := s.Get(context.Background(), put(t, blobs, imagetest.Encode(t, img, "image/png")), "image/png", preview.Box{Width: 20, Height: 20})
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentType != "image/png" || p.Placeholder {
		t.Errorf("transparent source: %s, placeholder %v", p.ContentType, p.Placeholder)
	}
}

func TestPlaceholders(t *testing.T) {
	s, blobs := newService(t)
	corrupt := imagetest.JPEG(t, imagetest.Photo(100, 100, 2), 80)[:300]
	tests := []struct {
		name, ct, reason string
		data             []byte
	}{
		{"text", "text/plain", "not-an-image", []byte("hello\n")},
		{"pdf", "application/pdf", "not-an-image", []byte("%PDF-1.4\n%%EOF\n")},
		{"corrupt jpeg", "image/jpeg", "undecodable", corrupt},
		{"corrupt png", "image/png", "undecodable", []byte("\x89PNG\r\n\x1a\nnot really")},
		{"svg", "image/svg+xml", "vector-image", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>`)},
		{"png bomb", "image/png", "too-many-pixels", imagetest.PNGHeader(50000, 50000)},
		{"video without ffmpeg", "video/mp4", "video-unavailable", []byte("\x00\x00\x00\x18ftypmp42")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			p, err := s.Get(context.Background(), put(t, blobs, tt.data), tt.ct, preview.Box{Width: 100, Height: 80})
			if err != nil {
				t.Fatal(err)
			}
			if !p.Placeholder || p.Reason != tt.reason || p.ContentType != "image/png" {
				t.Errorf("placeholder %v reason %q type %s; want reason %q", p.Placeholder, p.Reason, p.ContentType, tt.reason)
			}
			if got := previewSize(t, p); got != image.Pt(80, 80) {
				t.Errorf("placeholder size %v, want 80x80", got)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestPlaceholderFitsBox: a card is a square as large as the box's
// smaller side (up to 512), so that it fits the exact box asked for.
func TestPlaceholderFitsBox(t *testing.T) {
	s, blobs := newService(t)
	h := put(t, blobs, []byte("%PDF-1.4\n%%EOF\n"))
	tests := []struct {
		w, h int
		want image.Point
	}{
		{100, 100, image.Pt(100, 100)},
		{100, 0, image.Pt(100, 100)},
		{0, 0, image.Pt(512, 512)},
		{120, 90, image.Pt(90, 90)},
		{10, 5, image.Pt(5, 5)},
		{1, 1, image.Pt(1, 1)},
		{5000, 300, image.Pt(300, 300)},
	}
	for _, tt := range tests {
		box, _ := preview.NewBox(tt.w, tt.h)
		p, err := s.Get(context.Background(), h, "application/pdf", box)
		if err != nil || !p.Placeholder {
			t.Fatalf("%dx%d: %v, placeholder %v", tt.w, tt.h, err, p.Placeholder)
		}
		if diff := cmp.Diff(tt.want, previewSize(t, p)); diff != "" {
			t.Errorf("%dx%d: card size (-want +got):\n%s", tt.w, tt.h, diff)
		}
	}
}

// TestPlaceholderLabelContrast reads each category's card as a person
// would: the white label must lie on the card, never on the light
// background around it, and the card must give it WCAG AA's 4.5:1.
func TestPlaceholderLabelContrast(t *testing.T) {
	s, blobs := newService(t)
	types := []string{"text/plain", "application/pdf", "image/svg+xml", "video/mp4", "audio/mpeg", "application/zip", "application/octet-stream"}
	for _, ct := range types {
		for _, side := range []int{80, 256, 512} {
			p, err := s.Get(context.Background(), put(t, blobs, []byte("not decodable as "+ct)), ct, preview.Box{Width: side, Height: side})
			if err != nil {
				t.Fatal(err)
			}
			if !p.Placeholder {
				t.Fatalf("%s: not a placeholder", ct)
			}
			img := decode(t, p)
			white := color.RGBA{255, 255, 255, 255}
			label, under := 0, map[color.RGBA]int{}
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if color.RGBAModel.Convert(img.At(x, y)) != white {
						continue
					}
					label++
					for _, d := range []image.Point{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
						if q := image.Pt(x, y).Add(d); q.In(b) {
							if c := color.RGBAModel.Convert(img.At(q.X, q.Y)).(color.RGBA); c != white {
								under[c]++
							}
						}
					}
				}
			}
			if label == 0 {
				t.Errorf("%s at %d: no label", ct, side)
			}
			if len(under) != 1 {
				t.Errorf("%s at %d: the label touches %d colours %v, want only its card's", ct, side, len(under), under)
			}
			for c := range under {
				if r := contrast(white, c); r < 4.5 {
					t.Errorf("%s at %d: label contrast %.2f on %v, want at least 4.5", ct, side, r, c)
				}
			}
		}
	}
}

// contrast is the WCAG 2.1 contrast ratio of two colours.
func contrast(a, b color.RGBA) float64 {
	lum := func(c color.RGBA) float64 {
		ch := func(v uint8) float64 {
			f := float64(v) / 255
			if f <= 0.03928 {
				return f / 12.92
			}
			return math.Pow((f+0.055)/1.055, 2.4)
		}
		return 0.2126*ch(c.R) + 0.7152*ch(c.G) + 0.0722*ch(c.B)
	}
	l1, l2 := lum(a), lum(b)
	return (max(l1, l2) + 0.05) / (min(l1, l2) + 0.05)
}

func TestCacheAndSharing(t *testing.T) {
	s, blobs := newService(t)
	data := imagetest.JPEG(t, imagetest.Photo(300, 200, 3), 85)
	h := put(t, blobs, data)
	box := preview.Box{Width: 100, Height: 100}
	first, err := s.Get(context.Background(), h, "image/jpeg", box)
	if err != nil {
		t.Fatal(err)
	}
	// Another Service over the same store (another process, a restart)
	// reads the cached preview.
	other := preview.New(blobs)
	again, err := other.Get(context.Background(), h, "image/jpeg", box)
	if err != nil {
		t.Fatal(err)
	}
	if other.Renders() != 0 || !bytes.Equal(first.Data, again.Data) || first.ETag != again.ETag {
		t.Errorf("second Get rendered %d times; same bytes %v; ETags %s %s", other.Renders(), bytes.Equal(first.Data, again.Data), first.ETag, again.ETag)
	}
	// A failure is cached too.
	bad := put(t, blobs, []byte("\x89PNG\r\n\x1a\nbroken"))
	s.Get(context.Background(), bad, "image/png", box)
	p, _ := other.Get(context.Background(), bad, "image/png", box)
	if other.Renders() != 0 || !p.Placeholder || p.Reason != "undecodable" {
		t.Errorf("cached failure: renders %d, %+v", other.Renders(), p.Reason)
	}
	// Removing the blob removes its previews.
	if err := blobs.Remove(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if _, err := blobs.OpenDerived(context.Background(), h, "preview-v2-100x100"); err == nil {
		t.Error("preview kept after its blob was removed")
	}
}

func TestConcurrentRequestsRenderOnce(t *testing.T) {
	s, blobs := newService(t)
	h := put(t, blobs, imagetest.JPEG(t, imagetest.Photo(400, 300, 4), 85))
	var wg sync.WaitGroup
	etags := make([]string, 8)
	for i := range 8 {
		wg.Go(func() {
			p, err := s.Get(context.Background(), h, "image/jpeg", preview.Box{Width: 64, Height: 64})
			if err != nil {
				t.Error(err)
				return
			}
			etags[i] = p.ETag
		})
	}
	wg.Wait()
	if n := s.Renders(); n != 1 {
		t.Errorf("%d renders for 8 identical concurrent requests, want 1", n)
	}
	for _, e := range etags[1:] {
		if e != etags[0] {
			t.Errorf("ETags differ: %s %s", e, etags[0])
		}
	}
}

// slowOpener counts the opens running at once.
type slowOpener struct {
	blobstore.Opener
	now, peak atomic.Int32
}

func (o *slowOpener) Open(ctx context.Context, h blobstore.Hash) (blobstore.File, error) {
	n := o.now.Add(1)
	defer o.now.Add(-1)
	for {
		p := o.peak.Load()
		if n <= p || o.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(30 * time.Millisecond)
	return o.Opener.Open(ctx, h)
}

func TestBoundedRenders(t *testing.T) {
	blobs := aferostore.New(afero.NewMemMapFs())
	op := &slowOpener{Opener: blobs}
	s := &preview.Service{Blobs: op, Concurrency: 2}
	var hashes []blobstore.Hash
	for i := range 6 {
		hashes = append(hashes, put(t, blobs, imagetest.Encode(t, imagetest.Photo(40, 30, uint64(i)), "image/png")))
	}
	var wg sync.WaitGroup
	for _, h := range hashes {
		wg.Go(func() { s.Get(context.Background(), h, "image/png", preview.Box{Width: 10, Height: 10}) })
	}
	wg.Wait()
	if p := op.peak.Load(); p > 2 {
		t.Errorf("%d renders at once, want at most 2", p)
	}
}

// fakeFFmpeg writes a shell script standing in for ffmpeg: it prints the
// PNG frame file, or sleeps.
func fakeFFmpeg(tb testing.TB, body string) string {
	tb.Helper()
	dir := tb.TempDir()
	path := filepath.Join(dir, "ffmpeg")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestVideoWithFFmpeg(t *testing.T) {
	frame := filepath.Join(t.TempDir(), "frame.png")
	if err := os.WriteFile(frame, imagetest.Encode(t, imagetest.Quadrants(160, 90), "image/png"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, blobs := newService(t)
	// The fake checks that it is asked for one frame near 1 s, reads its
	// input from the pipe, and writes the frame.
	s.FFmpegPath = fakeFFmpeg(t, `case "$*" in *"-ss 1 -i pipe:0 -frames:v 1"*) cat >/dev/null; cat `+frame+`;; *) exit 1;; esac`)
	video := put(t, blobs, []byte("\x00\x00\x00\x18ftypmp42 a video"))
	p, err := s.Get(context.Background(), video, "video/mp4", preview.Box{Width: 80, Height: 80})
	if err != nil {
		t.Fatal(err)
	}
	if p.Placeholder {
		t.Fatalf("placeholder (%s) for a video with ffmpeg", p.Reason)
	}
	if img := decode(t, p); img.Bounds().Size() != image.Pt(80, 45) || !near(img.At(5, 5), imagetest.TopLeft, 40) {
		t.Errorf("frame preview %v, top left %v", img.Bounds().Size(), img.At(5, 5))
	}
}

func TestVideoTimeout(t *testing.T) {
	s, blobs := newService(t)
	s.FFmpegPath = fakeFFmpeg(t, "exec sleep 30")
	s.FFmpegTimeout = 300 * time.Millisecond
	video := put(t, blobs, []byte("\x00\x00\x00\x18ftypmp42 slow"))
	start := time.Now()
	p, err := s.Get(context.Background(), video, "video/mp4", preview.Box{Width: 80, Height: 80})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Placeholder || p.Reason != "video-timeout" {
		t.Errorf("got placeholder %v reason %q, want video-timeout", p.Placeholder, p.Reason)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a 300 ms timeout took %v", d)
	}
	// Not cached: a later try runs ffmpeg again.
	s.FFmpegPath = fakeFFmpeg(t, "exit 1")
	if p, _ := s.Get(context.Background(), video, "video/mp4", preview.Box{Width: 80, Height: 80}); p.Reason != "video-undecodable" {
		t.Errorf("after a timeout, the next try gave %q", p.Reason)
	}
}

// TestMemoryCache: a preview served again comes from memory, even once its
// derived file is gone, as its own copy; failures are kept too; a Service
// without a derived area renders once; MemorySize -1 keeps nothing.
func TestMemoryCache(t *testing.T) {
	ctx := context.Background()
	s, blobs := newService(t)
	h := put(t, blobs, imagetest.JPEG(t, imagetest.Photo(300, 200, 4), 85))
	box := preview.Box{Width: 128, Height: 128}
	first, err := s.Get(ctx, h, "image/jpeg", box)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(first.Data)
	if err := blobs.RemoveDerived(ctx, h); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		p, err := s.Get(ctx, h, "image/jpeg", box)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p.Data, want) || p.ETag != first.ETag || p.ContentType != "image/jpeg" || p.Placeholder {
			t.Fatalf("Get %d from memory: same bytes %v, %+v", i, bytes.Equal(p.Data, want), p.ETag)
		}
		clear(p.Data) // the caller's copy: the cache keeps its own
	}
	if s.Renders() != 1 || s.MemoryHits() != 2 || s.CacheHits() != 2 || s.MemoryBytes() != int64(len(want)) {
		t.Errorf("renders %d, memory hits %d, cache hits %d, memory bytes %d (preview %d)", s.Renders(), s.MemoryHits(), s.CacheHits(), s.MemoryBytes(), len(want))
	}
	if got := preview.ETag(h, box); got != first.ETag {
		t.Errorf("ETag %s, Get's %s", got, first.ETag)
	}
	def, err := s.Get(ctx, h, "image/jpeg", preview.Box{})
	if err != nil {
		t.Fatal(err)
	}
	if got := preview.ETag(h, preview.Box{}); got != def.ETag {
		t.Errorf("ETag of the default box %s, Get's %s", got, def.ETag)
	}

	bad := put(t, blobs, []byte("\x89PNG\r\n\x1a\nbroken"))
	s.Get(ctx, bad, "image/png", box)
	blobs.RemoveDerived(ctx, bad)
	renders := s.Renders()
	if p, _ := s.Get(ctx, bad, "image/png", box); s.Renders() != renders || !p.Placeholder || p.Reason != "undecodable" {
		t.Errorf("failure from memory: renders %d→%d, placeholder %v %q", renders, s.Renders(), p.Placeholder, p.Reason)
	}

	noDerived := &preview.Service{Blobs: blobs}
	for range 3 {
		if _, err := noDerived.Get(ctx, h, "image/jpeg", box); err != nil {
			t.Fatal(err)
		}
	}
	if noDerived.Renders() != 1 || noDerived.MemoryHits() != 2 {
		t.Errorf("without a derived area: renders %d, memory hits %d", noDerived.Renders(), noDerived.MemoryHits())
	}

	off := preview.New(blobs)
	off.MemorySize = -1
	for range 2 {
		if _, err := off.Get(ctx, h, "image/jpeg", box); err != nil {
			t.Fatal(err)
		}
		blobs.RemoveDerived(ctx, h)
	}
	if off.Renders() != 2 || off.MemoryHits() != 0 || off.MemoryBytes() != 0 {
		t.Errorf("MemorySize -1: renders %d, memory hits %d, bytes %d", off.Renders(), off.MemoryHits(), off.MemoryBytes())
	}
}
