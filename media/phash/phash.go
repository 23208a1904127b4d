// Package phash computes 64-bit perceptual hashes of images and finds
// near neighbours among many of them.
//
// DHash compares the brightness of horizontally adjacent cells of a 9×8
// grid; PHash keeps the signs of the 8×8 lowest frequencies of the DCT of a
// 32×32 grid against their median. Both survive re-encoding, resizing and
// small colour changes: the Hamming distance (Distance) between the hashes
// of an image and of such a copy stays small, while unrelated images land
// near 32 of 64 bits apart. Flat images (one colour, or nearly) have no
// meaningful hash; Compute reports them.
//
// Index stores hashes by ID and answers "which hashes are within distance
// d of this one" without comparing against all of them (multi-index
// hashing over four 16-bit chunks).
package phash

import (
	"image"
	"image/color"
	"math"
	"math/bits"
)

// Hashes are the two perceptual hashes of an image.
type Hashes struct {
	DHash uint64
	PHash uint64
	// Flat is true when the image is (nearly) a single colour: its hashes
	// say nothing and must not be compared.
	Flat bool
}

// FlatStdDev is the standard deviation of brightness (0-255) of the 32×32
// grid below which an image counts as flat.
const FlatStdDev = 2.0

// Distance is the Hamming distance between two hashes: the number of bits
// that differ, 0 to 64.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// Compute returns the hashes of img. The image should be oriented for
// display first; its size does not matter (a 1/8-scale JPEG decode is
// plenty).
func Compute(img image.Image) Hashes {
	g32 := grayGrid(img, 32, 32)
	var h Hashes
	h.Flat = stdDev(g32) < FlatStdDev
	h.DHash = dHash(grayGrid(img, 9, 8))
	h.PHash = pHash(g32)
	return h
}

// dHash sets bit 8*y+x when cell (x, y) of the 9×8 grid is brighter than
// its right neighbour.
func dHash(g []float64) uint64 {
	var h uint64
	for y := range 8 {
		for x := range 8 {
			if g[9*y+x] > g[9*y+x+1] {
				h |= 1 << uint(8*y+x)
			}
		}
	}
	return h
}

// dct32 holds the DCT-II basis for 32 points, the first 8 frequencies.
var dct32 [8][32]float64

func init() {
	for u := range 8 {
		for x := range 32 {
			dct32[u][x] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / 64)
		}
	}
}

// pHash takes the 8×8 lowest DCT frequencies of the 32×32 grid and sets a
// bit for each above the median of the 63 that are not the mean (DC).
func pHash(g []float64) uint64 {
	// Rows first: r[y][u] for u < 8, then columns.
	var r [32][8]float64
	for y := range 32 {
		row := g[32*y : 32*y+32]
		for u := range 8 {
			var s float64
			for x, v := range row {
				s += dct32[u][x] * v
			}
			r[y][u] = s
		}
	}
	var c [64]float64
	for v := range 8 {
		for u := range 8 {
			var s float64
			for y := range 32 {
				s += dct32[v][y] * r[y][u]
			}
			c[8*v+u] = s
		}
	}
	ac := make([]float64, 63)
	copy(ac, c[1:])
	med := median(ac)
	var h uint64
	for i, v := range c {
		if v > med {
			h |= 1 << uint(i)
		}
	}
	return h
}

func median(xs []float64) float64 {
	// Insertion sort: 63 values.
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func stdDev(g []float64) float64 {
	var sum, sq float64
	for _, v := range g {
		sum += v
	}
	mean := sum / float64(len(g))
	for _, v := range g {
		sq += (v - mean) * (v - mean)
	}
	return math.Sqrt(sq / float64(len(g)))
}

// grayGrid averages the brightness (luma, 0-255; transparent pixels count
// as black) of img over a w×h grid of equal cells. Each source pixel
// contributes to the cells it overlaps, weighted by the overlap, so the
// result does not depend on the source size beyond rounding.
func grayGrid(img image.Image, w, h int) []float64 {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	out := make([]float64, w*h)
	if sw == 0 || sh == 0 {
		return out
	}
	lum := luminance(img)
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

// luminance returns a function giving the brightness of a pixel, reading
// the common image types directly.
func luminance(img image.Image) func(x, y int) float64 {
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
