package jpegscale

import "math"

// The reduced inverse DCTs. A block's n×n lowest frequencies F(v,u) (v
// vertical, u horizontal, dequantized) give its n×n output pixels
//
//	f(x,y) = Σu Σv c(x,u) c(y,v) F(v,u),  c(x,u) = ½ C(u) cos((2x+1)uπ/2n)
//
// with C(0) = 1/√2 and C(u) = 1 otherwise: the 8-point IDCT of JPEG with
// the cosines of an n-point one. Each output pixel is then close to the
// mean of the (8/n)×(8/n) pixels it stands for; the DC term alone gives
// F(0,0)/8 for every n.

// idct4 holds c(x,u) for n = 4 in fixed point with idctBits fraction bits.
var idct4 [4][4]int64

const idctBits = 13

func init() {
	for x := range 4 {
		for u := range 4 {
			cu := 1.0
			if u == 0 {
				cu = 1 / math.Sqrt2
			}
			idct4[x][u] = int64(math.Round(0.5 * cu * math.Cos(float64(2*x+1)*float64(u)*math.Pi/8) * (1 << idctBits)))
		}
	}
}

func clampPixel(v int32) byte {
	if uint32(v) <= 255 {
		return byte(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// idct writes the n×n pixels of blk at dst with the given stride.
func (d *decoder) idct(blk *[64]int32, dst []byte, stride int) {
	switch d.n {
	case 1:
		dst[0] = clampPixel((blk[0]+4)>>3 + 128)
	case 2:
		a, b, c, e := blk[0], blk[1], blk[2], blk[3] // F00, F01 (horizontal), F10 (vertical), F11
		dst[0] = clampPixel((a+b+c+e+4)>>3 + 128)
		dst[1] = clampPixel((a-b+c-e+4)>>3 + 128)
		dst[stride] = clampPixel((a+b-c-e+4)>>3 + 128)
		dst[stride+1] = clampPixel((a-b-c+e+4)>>3 + 128)
	case 4:
		idct4x4(blk, dst, stride)
	}
}

func idct4x4(blk *[64]int32, dst []byte, stride int) {
	// Rows: t[v][x] = Σu c(x,u) F(v,u).
	var t [4][4]int64
	for v := range 4 {
		f0, f1, f2, f3 := int64(blk[4*v]), int64(blk[4*v+1]), int64(blk[4*v+2]), int64(blk[4*v+3])
		if f1 == 0 && f2 == 0 && f3 == 0 {
			if f0 == 0 {
				continue
			}
			dc := idct4[0][0] * f0
			t[v] = [4]int64{dc, dc, dc, dc}
			continue
		}
		for x := range 4 {
			c := &idct4[x]
			t[v][x] = c[0]*f0 + c[1]*f1 + c[2]*f2 + c[3]*f3
		}
	}
	// Columns: f(x,y) = Σv c(y,v) t[v][x].
	const round = 1 << (2*idctBits - 1)
	for y := range 4 {
		c := &idct4[y]
		row := dst[y*stride : y*stride+4]
		for x := range 4 {
			s := c[0]*t[0][x] + c[1]*t[1][x] + c[2]*t[2][x] + c[3]*t[3][x]
			row[x] = clampPixel(int32((s+round)>>(2*idctBits)) + 128)
		}
	}
}
