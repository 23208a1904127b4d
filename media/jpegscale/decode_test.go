package jpegscale

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stockroomhq/stockroom/internal/imagetest"
)

// reference decodes data with image/jpeg and averages it down by scale,
// which is what a scaled decode approximates.
func reference(tb testing.TB, data []byte, scale int) *image.RGBA {
	tb.Helper()
	full, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("image/jpeg: %v", err)
	}
	return boxDown(full, scale)
}

func boxDown(src image.Image, scale int) *image.RGBA {
	b := src.Bounds()
	w, h := (b.Dx()+scale-1)/scale, (b.Dy()+scale-1)/scale
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var r, g, bl, n uint32
			for yy := y * scale; yy < min((y+1)*scale, b.Dy()); yy++ {
				for xx := x * scale; xx < min((x+1)*scale, b.Dx()); xx++ {
					cr, cg, cb, _ := src.At(b.Min.X+xx, b.Min.Y+yy).RGBA()
					r, g, bl, n = r+cr>>8, g+cg>>8, bl+cb>>8, n+1
				}
			}
			out.SetRGBA(x, y, color.RGBA{uint8(r / n), uint8(g / n), uint8(bl / n), 255})
		}
	}
	return out
}

// psnr compares two images of the same size on their RGB channels.
func psnr(tb testing.TB, a, b image.Image) float64 {
	tb.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		tb.Fatalf("sizes differ: %v and %v", a.Bounds(), b.Bounds())
	}
	var sum float64
	n := 0
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				sum += d * d
				n++
			}
		}
	}
	if sum == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/(sum/float64(n)))
}

// checkScaled decodes data at each scale and compares with the reference.
// Differences come from chroma: at 1/8 a 4:2:0 chroma sample covers 2×2
// output pixels, where the reference blends full-size upsampled chroma.
func checkScaled(t *testing.T, data []byte, minPSNR float64, scales ...int) {
	t.Helper()
	cfg, err := DecodeConfig(data)
	if err != nil {
		t.Fatalf("DecodeConfig: %v", err)
	}
	if len(scales) == 0 {
		scales = []int{2, 4, 8}
	}
	for _, scale := range scales {
		img, err := Decode(data, Options{Scale: scale})
		if err != nil {
			t.Fatalf("Decode 1/%d: %v", scale, err)
		}
		wantW, wantH := (cfg.Width+scale-1)/scale, (cfg.Height+scale-1)/scale
		if got := img.Bounds(); got.Dx() != wantW || got.Dy() != wantH {
			t.Fatalf("Decode 1/%d: size %v, want %dx%d", scale, got, wantW, wantH)
		}
		if p := psnr(t, reference(t, data, scale), img); p < minPSNR {
			t.Errorf("Decode 1/%d: PSNR %.1f dB against image/jpeg averaged down, want at least %.0f", scale, p, minPSNR)
		}
	}
}

func TestDecodeGoEncoded(t *testing.T) {
	tests := []struct {
		name    string
		img     image.Image
		minPSNR float64
		scales  []int
	}{
		{"photo 4:2:0", imagetest.Photo(203, 131, 1), 28, nil},
		// Hard colour edges inside a 16×16 chroma block: only the scales
		// that keep more than one chroma sample per block.
		{"quadrants 4:2:0", imagetest.Quadrants(64, 48), 28, []int{2, 4}},
		{"grey", toGray(imagetest.Photo(77, 50, 2)), 30, nil},
		{"one pixel", imagetest.Photo(1, 1, 3), 30, nil},
		// Partial edge blocks: the reference averages fewer pixels there.
		{"odd sizes", imagetest.Photo(17, 9, 4), 24, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, q := range []int{50, 90, 100} {
				checkScaled(t, imagetest.JPEG(t, tt.img, q), tt.minPSNR, tt.scales...)
			}
		})
	}
}

func toGray(src image.Image) *image.Gray {
	g := image.NewGray(src.Bounds())
	for y := src.Bounds().Min.Y; y < src.Bounds().Max.Y; y++ {
		for x := src.Bounds().Min.X; x < src.Bounds().Max.X; x++ {
			g.Set(x, y, src.At(x, y))
		}
	}
	return g
}

// TestDecodeCorpus checks every JPEG under $STOCKROOM_JPEG_CORPUS against
// image/jpeg. Files this package does not support are skipped.
func TestDecodeCorpus(t *testing.T) {
	dir := os.Getenv("STOCKROOM_JPEG_CORPUS")
	if dir == "" {
		t.Skip("set STOCKROOM_JPEG_CORPUS to a folder of JPEGs")
	}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(strings.ToLower(p), ".jpg") {
			return nil
		}
		data, _ := os.ReadFile(p)
		t.Run(filepath.Base(p), func(t *testing.T) {
			cfg, err := DecodeConfig(data)
			if err != nil || !cfg.Supported {
				t.Skipf("not supported: %v", err)
			}
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				t.Skipf("image/jpeg cannot decode it either: %v", err)
			}
			checkScaled(t, data, 26)
		})
		return nil
	})
}

func TestDecodeErrors(t *testing.T) {
	good := imagetest.JPEG(t, imagetest.Photo(40, 30, 5), 80)
	if _, err := Decode(good, Options{Scale: 3}); err == nil {
		t.Error("Scale 3 accepted")
	}
	if _, err := Decode(good, Options{Scale: 2, MaxPixels: 40*30 - 1}); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("over MaxPixels: %v, want ErrTooManyPixels", err)
	}
	if _, err := Decode(good, Options{Scale: 2, MaxPixels: 40 * 30}); err != nil {
		t.Errorf("at MaxPixels: %v", err)
	}
	var fe FormatError
	if _, err := Decode([]byte("not a jpeg"), Options{Scale: 8}); !errors.As(err, &fe) {
		t.Errorf("text: %v, want a FormatError", err)
	}
	// Truncated entropy data decodes (the rest is grey); a cut inside the
	// headers is an error. Neither panics.
	for cut := 2; cut < len(good); cut += 7 {
		Decode(good[:cut], Options{Scale: 4})
	}
	img, err := Decode(good[:len(good)*3/4], Options{Scale: 8})
	if err != nil || img.Bounds().Dx() != 5 {
		t.Errorf("truncated scan: %v, %v", img, err)
	}
}

func TestDecodeCorruptNeverPanics(t *testing.T) {
	good := imagetest.JPEG(t, imagetest.Photo(48, 32, 6), 75)
	seed := uint64(42)
	for i := range 800 {
		bad := bytes.Clone(good)
		for range 1 + i%4 {
			seed = seed*6364136223846793005 + 1442695040888963407
			bad[int(seed>>33)%len(bad)] = byte(seed >> 20)
		}
		for _, s := range []int{2, 4, 8} {
			Decode(bad, Options{Scale: s, MaxPixels: 1 << 24})
		}
	}
}

func TestUnsupported(t *testing.T) {
	// A progressive frame header.
	good := imagetest.JPEG(t, imagetest.Photo(16, 16, 7), 80)
	i := bytes.Index(good, []byte{0xFF, 0xC0})
	prog := bytes.Clone(good)
	prog[i+1] = 0xC2
	if _, err := Decode(prog, Options{Scale: 2}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("progressive: %v, want ErrUnsupported", err)
	}
	cfg, err := DecodeConfig(prog)
	if err != nil || cfg.Supported || cfg.Width != 16 {
		t.Errorf("DecodeConfig(progressive) = %+v, %v", cfg, err)
	}
}

func TestEstimateQuality(t *testing.T) {
	for _, q := range []int{30, 50, 75, 90, 95} {
		got, ok := EstimateQuality(imagetest.JPEG(t, imagetest.Photo(16, 16, 8), q))
		if !ok || got < q-2 || got > q+2 {
			t.Errorf("quality %d estimated as %d (%v)", q, got, ok)
		}
	}
}
