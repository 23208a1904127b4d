package imaging_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"testing"

	xdraw "golang.org/x/image/draw"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/media/probe"
)

// sameRGBA reports whether a and b have the same size and, within tol per
// channel, the same colours.
func sameRGBA(a, b image.Image, tol int) error {
	if a.Bounds().Size() != b.Bounds().Size() {
		return fmt.Errorf("sizes %v and %v", a.Bounds().Size(), b.Bounds().Size())
	}
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			ca := color.RGBAModel.Convert(a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y)).(color.RGBA)
			cb := color.RGBAModel.Convert(b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y)).(color.RGBA)
			for i, d := range []int{int(ca.R) - int(cb.R), int(ca.G) - int(cb.G), int(ca.B) - int(cb.B), int(ca.A) - int(cb.A)} {
				if d > tol || d < -tol {
					return fmt.Errorf("pixel (%d,%d) channel %d: %v vs %v", x, y, i, ca, cb)
				}
			}
		}
	}
	return nil
}

func convert(src image.Image, kind string) image.Image {
	b := src.Bounds()
	var dst draw.Image
	switch kind {
	case "RGBA":
		dst = image.NewRGBA(b)
	case "NRGBA":
		dst = image.NewNRGBA(b)
	case "RGBA64":
		dst = image.NewRGBA64(b)
	case "Paletted":
		dst = image.NewPaletted(b, color.Palette{imagetest.TopLeft, imagetest.TopRight, imagetest.BottomRight, imagetest.BottomLeft})
	case "YCbCr444", "YCbCr420", "YCbCr422", "YCbCr440":
		ratio := map[string]image.YCbCrSubsampleRatio{
			"YCbCr444": image.YCbCrSubsampleRatio444, "YCbCr420": image.YCbCrSubsampleRatio420,
			"YCbCr422": image.YCbCrSubsampleRatio422, "YCbCr440": image.YCbCrSubsampleRatio440,
		}[kind]
		y := image.NewYCbCr(b, ratio)
		for py := b.Min.Y; py < b.Max.Y; py++ {
			for px := b.Min.X; px < b.Max.X; px++ {
				r, g, bl, _ := src.At(px, py).RGBA()
				yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
				y.Y[y.YOffset(px, py)] = yy
				y.Cb[y.COffset(px, py)] = cb
				y.Cr[y.COffset(px, py)] = cr
			}
		}
		return y
	}
	draw.Draw(dst, b, src, b.Min, draw.Src)
	return dst
}

func TestOrientAllEight(t *testing.T) {
	shown := imagetest.Quadrants(16, 8)
	for _, kind := range []string{"RGBA", "NRGBA", "RGBA64", "Paletted", "YCbCr444", "YCbCr420", "YCbCr422", "YCbCr440"} {
		for o := 1; o <= 8; o++ {
			t.Run(fmt.Sprintf("%s/%d", kind, o), func(t *testing.T) {
				stored := convert(imagetest.Stored(shown, o), kind)
				got := imaging.Orient(stored, probe.Orientation(o))
				// Chroma subsampling blurs colours across the quadrant
				// borders only; the border sits on even pixels here.
				if err := sameRGBA(shown, got, 3); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

func TestOrientOddYCbCrIsExact(t *testing.T) {
	shown := imagetest.Quadrants(7, 5)
	for o := 1; o <= 8; o++ {
		stored := convert(imagetest.Stored(shown, o), "YCbCr420")
		got := imaging.Orient(stored, probe.Orientation(o))
		want := imaging.Orient(convert(stored, "RGBA"), probe.Orientation(o))
		if err := sameRGBA(want, got, 0); err != nil {
			t.Errorf("orientation %d: %v", o, err)
		}
	}
}

func TestRotate(t *testing.T) {
	img := imagetest.Quadrants(4, 2)
	r90 := imaging.Rotate(img, 90)
	if r90.Bounds().Dx() != 2 || r90.Bounds().Dy() != 4 {
		t.Fatalf("90°: %v", r90.Bounds())
	}
	// Clockwise: the top-left quadrant ends at the top right.
	if c := color.RGBAModel.Convert(r90.At(1, 0)); c != imagetest.TopLeft {
		t.Errorf("90°: top right is %v, want the old top left", c)
	}
	if err := sameRGBA(img, imaging.Rotate(imaging.Rotate(img, 180), 180), 0); err != nil {
		t.Errorf("180°+180°: %v", err)
	}
	if err := sameRGBA(img, imaging.Rotate(imaging.Rotate(img, 90), 270), 0); err != nil {
		t.Errorf("90°+270°: %v", err)
	}
}

func TestFit(t *testing.T) {
	tests := []struct{ w, h, bw, bh, ww, wh int }{
		{4000, 3000, 256, 256, 256, 192},
		{3000, 4000, 256, 256, 192, 256},
		{100, 50, 600, 600, 100, 50}, // never enlarged
		{4000, 3000, 200, 0, 200, 150},
		{4000, 3000, 0, 300, 400, 300},
		{4000, 3000, 0, 0, 4000, 3000},
		{10000, 1, 100, 100, 100, 1},
		{1, 10000, 100, 100, 1, 100},
		{1000, 999, 10, 10, 10, 10},
	}
	for _, tt := range tests {
		if w, h := imaging.Fit(tt.w, tt.h, tt.bw, tt.bh); w != tt.ww || h != tt.wh {
			t.Errorf("Fit(%d, %d, %d, %d) = %d, %d, want %d, %d", tt.w, tt.h, tt.bw, tt.bh, w, h, tt.ww, tt.wh)
		}
	}
}

func TestResizeKeepsColoursAndAlpha(t *testing.T) {
	src := imagetest.Quadrants(400, 200)
	for _, kind := range []string{"RGBA", "NRGBA", "YCbCr444", "YCbCr420", "Paletted"} {
		got := imaging.Resize(convert(src, kind), 40, 20)
		if got.Bounds().Dx() != 40 || got.Bounds().Dy() != 20 {
			t.Fatalf("%s: size %v", kind, got.Bounds())
		}
		corner := image.Rect(2, 2, 18, 8)
		sub := got.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(corner)
		if err := sameRGBA(imagetest.Quadrants(40, 20).SubImage(corner), sub, 6); err != nil {
			t.Errorf("%s top-left corner: %v", kind, err)
		}
	}
	clear := image.NewNRGBA(image.Rect(0, 0, 100, 100))
	if got := imaging.Resize(clear, 10, 10); !imaging.HasAlpha(got) {
		t.Error("a transparent image lost its transparency")
	}
	if imaging.HasAlpha(imaging.Resize(src, 10, 5)) {
		t.Error("an opaque image gained transparency")
	}
}

func TestDecodeEachFormat(t *testing.T) {
	shown := imagetest.Quadrants(40, 30)
	for _, ct := range imagetest.Formats {
		t.Run(ct, func(t *testing.T) {
			d, err := imaging.Decode(bytes.NewReader(imagetest.Encode(t, shown, ct)), ct, imaging.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Width != 40 || d.Height != 30 || d.Scale != 1 {
				t.Errorf("decoded %dx%d at 1/%d", d.Width, d.Height, d.Scale)
			}
			tol := 16
			if ct == "image/gif" {
				tol = 80 // dithered to the Plan 9 palette
			}
			if err := sameRGBA(shown.SubImage(image.Rect(0, 0, 10, 10)), d.Image.(interface {
				SubImage(image.Rectangle) image.Image
			}).SubImage(image.Rect(0, 0, 10, 10)), tol); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDecodeScaledJPEG(t *testing.T) {
	data := imagetest.JPEG(t, imagetest.Photo(800, 600, 1), 85)
	d, err := imaging.Decode(bytes.NewReader(data), "image/jpeg", imaging.Options{MinWidth: 100, MinHeight: 100})
	if err != nil {
		t.Fatal(err)
	}
	if d.Scale != 4 || d.Image.Bounds().Dx() != 200 || d.Width != 800 {
		t.Errorf("decoded at 1/%d to %v (full %dx%d), want 1/4 to 200x150", d.Scale, d.Image.Bounds(), d.Width, d.Height)
	}
	if got := imaging.JPEGScale(4000, 3000, 256, 256); got != 8 {
		t.Errorf("JPEGScale(4000x3000 for 256) = %d, want 8", got)
	}
	if got := imaging.JPEGScale(4000, 3000, 1024, 1024); got != 2 {
		t.Errorf("JPEGScale(4000x3000 for 1024) = %d, want 2", got)
	}
	if got := imaging.JPEGScale(300, 200, 600, 600); got != 1 {
		t.Errorf("JPEGScale(300x200 for 600) = %d, want 1", got)
	}
}

func TestDecodeRefusesBombs(t *testing.T) {
	bomb := imagetest.PNGHeader(50000, 50000)
	_, err := imaging.Decode(bytes.NewReader(bomb), "image/png", imaging.Options{})
	if !errors.Is(err, imaging.ErrTooManyPixels) {
		t.Fatalf("50000x50000 PNG: %v, want ErrTooManyPixels", err)
	}
	small := imagetest.Encode(t, imagetest.Quadrants(20, 20), "image/png")
	if _, err := imaging.Decode(bytes.NewReader(small), "image/png", imaging.Options{MaxPixels: 399}); !errors.Is(err, imaging.ErrTooManyPixels) {
		t.Errorf("400 pixels over a limit of 399: %v", err)
	}
	jpg := imagetest.JPEG(t, imagetest.Quadrants(20, 20), 80)
	if _, err := imaging.Decode(bytes.NewReader(jpg), "image/jpeg", imaging.Options{MaxPixels: 399, MinWidth: 2}); !errors.Is(err, imaging.ErrTooManyPixels) {
		t.Errorf("JPEG over the limit: %v", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	if _, err := imaging.Decode(bytes.NewReader([]byte("hello")), "text/plain", imaging.Options{}); !errors.Is(err, imaging.ErrNotRaster) {
		t.Errorf("text: %v, want ErrNotRaster", err)
	}
	good := imagetest.Encode(t, imagetest.Photo(64, 64, 2), "image/png")
	bad := append(bytes.Clone(good[:len(good)/2]), make([]byte, 100)...)
	if _, err := imaging.Decode(bytes.NewReader(bad), "image/png", imaging.Options{}); !errors.Is(err, imaging.ErrDecode) {
		t.Errorf("corrupt PNG: %v, want ErrDecode", err)
	}
}

// TestResizeMatchesCatmullRom checks the resampler against x/image/draw's
// Catmull-Rom on the same input, for the types with their own paths.
func TestResizeMatchesCatmullRom(t *testing.T) {
	src := imagetest.Photo(200, 150, 5)
	for _, size := range [][2]int{{50, 38}, {120, 90}, {199, 149}, {300, 225}} {
		want := image.NewRGBA(image.Rect(0, 0, size[0], size[1]))
		xdraw.CatmullRom.Scale(want, want.Rect, src, src.Bounds(), xdraw.Src, nil)
		for _, kind := range []string{"RGBA", "YCbCr444", "YCbCr420"} {
			got := imaging.Resize(convert(src, kind), size[0], size[1])
			if p := psnr(want, got); p < 33 {
				t.Errorf("%s to %v: PSNR %.1f dB against x/image/draw, want at least 33", kind, size, p)
			}
		}
	}
}

func psnr(a, b image.Image) float64 {
	var sum float64
	var n int
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
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
