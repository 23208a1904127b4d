package phash

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGrayGridsMatchPixelByPixel checks grayGrids, which reads rows and
// fills several grids at once, against the plain reading of one pixel at a
// time through a closure and one grid per pass (its earlier form, kept
// here): the same cells to the last bit, for every kind of image, odd
// sizes and sub-images that do not start at the origin.
func TestGrayGridsMatchPixelByPixel(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	fill := func(pix []byte) {
		for i := range pix {
			pix[i] = byte(rnd.IntN(256))
		}
	}
	var imgs []image.Image
	for _, size := range [][2]int{{1, 1}, {3, 200}, {100, 75}, {64, 64}, {33, 31}, {257, 9}} {
		r := image.Rect(0, 0, size[0], size[1])
		for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422} {
			m := image.NewYCbCr(r, ratio)
			fill(m.Y)
			fill(m.Cb)
			fill(m.Cr)
			imgs = append(imgs, m)
		}
		g := image.NewGray(r)
		fill(g.Pix)
		rgba := image.NewRGBA(r)
		fill(rgba.Pix)
		nrgba := image.NewNRGBA(r)
		fill(nrgba.Pix)
		pal := image.NewPaletted(r, color.Palette{color.Black, color.White, color.RGBA{200, 30, 90, 255}})
		for i := range pal.Pix {
			pal.Pix[i] = byte(rnd.IntN(3))
		}
		imgs = append(imgs, g, rgba, nrgba, pal)
	}
	// Sub-images whose bounds start away from the origin.
	var subs []image.Image
	for _, m := range imgs {
		b := m.Bounds()
		if b.Dx() > 4 && b.Dy() > 4 {
			subs = append(subs, m.(interface {
				SubImage(image.Rectangle) image.Image
			}).SubImage(image.Rect(b.Min.X+1, b.Min.Y+2, b.Max.X-1, b.Max.Y-1)))
		}
	}
	imgs = append(imgs, subs...)
	imgs = append(imgs, image.NewGray(image.Rect(0, 0, 0, 5)))

	for _, m := range imgs {
		got := grayGrids(m, [2]int{32, 32}, [2]int{9, 8})
		want := [][]float64{refGrayGrid(m, 32, 32), refGrayGrid(m, 9, 8)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%T %v: grids differ (-pixel by pixel +by rows):\n%s", m, m.Bounds(), diff)
		}
	}
}

// refGrayGrid is the earlier grayGrid: one grid, one pixel at a time.
func refGrayGrid(img image.Image, w, h int) []float64 {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	out := make([]float64, w*h)
	if sw == 0 || sh == 0 {
		return out
	}
	lum := refLuminance(img)
	// Weights of source columns/rows in target cells.
	type part struct {
		cell int
		w    float64
	}
	split := func(n, m int) [][]part {
		parts := make([][]part, n)
		scale := float64(m) / float64(n)
		for i := range n {
			lo, hi := float64(i)*scale, float64(i+1)*scale
			for c := int(lo); c < m && float64(c) < hi; c++ {
				ov := math.Min(hi, float64(c+1)) - math.Max(lo, float64(c))
				if ov > 1e-12 {
					parts[i] = append(parts[i], part{c, ov})
				}
			}
		}
		return parts
	}
	cols, rows := split(sw, w), split(sh, h)
	rowBuf := make([]float64, w)
	for y := range sh {
		clear(rowBuf)
		for x := range sw {
			v := lum(b.Min.X+x, b.Min.Y+y)
			for _, p := range cols[x] {
				rowBuf[p.cell] += v * p.w
			}
		}
		for _, p := range rows[y] {
			dst := out[p.cell*w : p.cell*w+w]
			for i, v := range rowBuf {
				dst[i] += v * p.w
			}
		}
	}
	// Overlaps are measured in cells, so each cell's weights sum to one:
	// out holds averages.
	return out
}

// refLuminance returns a function giving the brightness of a pixel, reading
// the common image types directly.
func refLuminance(img image.Image) func(x, y int) float64 {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) float64 { return float64(m.Y[m.YOffset(x, y)]) }
	case *image.Gray:
		return func(x, y int) float64 { return float64(m.Pix[m.PixOffset(x, y)]) }
	case *image.RGBA:
		return func(x, y int) float64 {
			p := m.Pix[m.PixOffset(x, y):]
			return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		}
	case *image.NRGBA:
		return func(x, y int) float64 {
			p := m.Pix[m.PixOffset(x, y):]
			a := float64(p[3]) / 255
			return (0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])) * a
		}
	}
	return func(x, y int) float64 {
		r, g, b, _ := img.At(x, y).RGBA()
		c := color.RGBA64{uint16(r), uint16(g), uint16(b), 0xffff}
		return (0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)) / 257
	}
}
