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
	g := grayGrids(img, [2]int{32, 32}, [2]int{9, 8})
	g32 := g[0]
	var h Hashes
	h.Flat = stdDev(g32) < FlatStdDev
	h.DHash = dHash(g[1])
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

// grid is a w×h grid of cells over an image, each the average of the
// brightness of the pixels it covers (in parts, at its edges).
type grid struct {
	w        int
	cols     [][]share // for each column of cells, its pixel columns, left to right
	rowCells []share   // for each row of pixels, the rows of cells it falls into (x is the cell's row)...
	rowStart []int     // ...those of pixel row y being rowCells[rowStart[y]:rowStart[y+1]]
	rowSum   []float64
	out      []float64
}

// share is the share w of pixel column (or row) x that falls in a cell.
type share struct {
	x int
	w float64
}

func newGrid(w, h, sw, sh int) *grid {
	g := &grid{w: w, cols: make([][]share, w), rowStart: make([]int, sh+1), rowSum: make([]float64, w), out: make([]float64, w*h)}
	// A cell holds at most sw/w+2 pixel columns, in part or whole: one
	// array holds them all.
	per := sw/w + 2
	backing := make([]share, w*per)
	for c := range g.cols {
		g.cols[c] = backing[c*per : c*per : (c+1)*per]
	}
	overlaps(sw, w, func(x, c int, part float64) {
		g.cols[c] = append(g.cols[c], share{x, part})
	})
	g.rowCells = make([]share, 0, sh+h)
	overlaps(sh, h, func(y, c int, part float64) {
		g.rowCells = append(g.rowCells, share{c, part})
		g.rowStart[y+1] = len(g.rowCells)
	})
	// A row no cell took (none does, but for rounding) ends where the one
	// before it ended.
	for y := range sh {
		g.rowStart[y+1] = max(g.rowStart[y+1], g.rowStart[y])
	}
	return g
}

// overlaps calls fn for each of n pixels in a line, in order, and each of
// the m cells over the same line that it overlaps, with the part of the
// pixel in the cell (in cells).
func overlaps(n, m int, fn func(i, cell int, part float64)) {
	scale := float64(m) / float64(n)
	for i := range n {
		lo, hi := float64(i)*scale, float64(i+1)*scale
		for c := int(lo); c < m && float64(c) < hi; c++ {
			ov := math.Min(hi, float64(c+1)) - math.Max(lo, float64(c))
			if ov > 1e-12 {
				fn(i, c, ov)
			}
		}
	}
}

// addRow adds row y, the brightness of its pixels, to the cells.
func (g *grid) addRow(y int, row []float64) {
	// Each cell sums its pixels in a register, left to right: the same
	// additions in the same order as adding each pixel to the sums of its
	// cells, without storing and loading a sum between pixels, which made
	// every pixel wait for the one before.
	for c, shares := range g.cols {
		sum := 0.0
		for _, s := range shares {
			sum += row[s.x] * s.w
		}
		g.rowSum[c] = sum
	}
	for _, r := range g.rowCells[g.rowStart[y]:g.rowStart[y+1]] {
		dst := g.out[r.x*g.w : r.x*g.w+g.w]
		for i, v := range g.rowSum {
			dst[i] += v * r.w
		}
	}
}

// grayGrids averages the brightness (luma, 0-255; transparent pixels
// count as black) of img over grids of equal cells, one grid for each of
// sizes (w, h), reading each row of pixels once for all of them. Each
// source pixel contributes to the cells it overlaps, weighted by the
// overlap, so the result does not depend on the source size beyond
// rounding. Overlaps are measured in cells, so each cell's weights sum to
// one: the grids hold averages.
func grayGrids(img image.Image, sizes ...[2]int) [][]float64 {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	out := make([][]float64, len(sizes))
	if sw == 0 || sh == 0 {
		for i, s := range sizes {
			out[i] = make([]float64, s[0]*s[1])
		}
		return out
	}
	grids := make([]*grid, len(sizes))
	for i, s := range sizes {
		grids[i] = newGrid(s[0], s[1], sw, sh)
		out[i] = grids[i].out
	}
	read := rowReader(img)
	row := make([]float64, sw)
	for y := range sh {
		read(b.Min.Y+y, row)
		for _, g := range grids {
			g.addRow(y, row)
		}
	}
	return out
}

// rowReader returns a function that reads the brightness of the pixels of
// row y of img into row, reading the common image types directly.
func rowReader(img image.Image) func(y int, row []float64) {
	minX := img.Bounds().Min.X
	switch m := img.(type) {
	case *image.YCbCr:
		return func(y int, row []float64) {
			src := m.Y[m.YOffset(minX, y):][:len(row)]
			for i, v := range src {
				row[i] = float64(v)
			}
		}
	case *image.Gray:
		return func(y int, row []float64) {
			src := m.Pix[m.PixOffset(minX, y):][:len(row)]
			for i, v := range src {
				row[i] = float64(v)
			}
		}
	case *image.RGBA:
		return func(y int, row []float64) {
			src := m.Pix[m.PixOffset(minX, y):][:4*len(row)]
			for i := range row {
				p := src[4*i : 4*i+3]
				row[i] = 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
			}
		}
	case *image.NRGBA:
		return func(y int, row []float64) {
			src := m.Pix[m.PixOffset(minX, y):][:4*len(row)]
			for i := range row {
				p := src[4*i : 4*i+4]
				a := float64(p[3]) / 255
				row[i] = (0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])) * a
			}
		}
	}
	return func(y int, row []float64) {
		for i := range row {
			r, g, b, _ := img.At(minX+i, y).RGBA()
			c := color.RGBA64{uint16(r), uint16(g), uint16(b), 0xffff}
			row[i] = (0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)) / 257
		}
	}
}
