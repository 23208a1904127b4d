package imaging

import (
	"image"
	"image/color"
	"math"
)

// The resampler: separable Catmull-Rom (the cubic with a = -0.5), its
// support widened by the reduction factor when shrinking so that it also
// filters out what the smaller image cannot show. Weights are fixed point,
// computed once per output column and row.

const weightBits = 14

// contrib lists, for one output sample, the first input sample it reads
// and the weights of that and the following ones.
type contrib struct {
	start   int
	weights []int32
}

func catmullRom(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x < 1:
		return (1.5*x-2.5)*x*x + 1
	case x < 2:
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}

// contribs computes the weights that take n input samples to m output
// samples covering the same extent.
func contribs(n, m int) []contrib {
	scale := float64(n) / float64(m)
	support := 2.0
	filterScale := 1.0
	if scale > 1 {
		support *= scale
		filterScale = scale
	}
	out := make([]contrib, m)
	for i := range out {
		centre := (float64(i)+0.5)*scale - 0.5
		lo := int(math.Floor(centre - support + 1))
		hi := int(math.Ceil(centre + support))
		lo, hi = max(lo, 0), min(hi, n-1)
		ws := make([]float64, hi-lo+1)
		var sum float64
		for j := range ws {
			ws[j] = catmullRom((float64(lo+j) - centre) / filterScale)
			sum += ws[j]
		}
		fixed := make([]int32, len(ws))
		var total int32
		for j, w := range ws {
			fixed[j] = int32(math.Round(w / sum * (1 << weightBits)))
			total += fixed[j]
		}
		// Exact unity gain: put the rounding error on the largest weight.
		big := 0
		for j := range fixed {
			if fixed[j] > fixed[big] {
				big = j
			}
		}
		fixed[big] += 1<<weightBits - total
		out[i] = contrib{start: lo, weights: fixed}
	}
	return out
}

func clampWeighted(v int32) byte {
	v = (v + 1<<(weightBits-1)) >> weightBits
	if uint32(v) <= 255 {
		return byte(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// resamplePlane resizes interleaved samples: sw×sh pixels of bpp bytes in
// src with the given stride, to dw×dh, every byte of a pixel filtered
// alike.
func resamplePlane(src []byte, sw, sh, stride, bpp, dw, dh int) []byte {
	xs := contribs(sw, dw)
	ys := contribs(sh, dh)
	// Horizontal pass over the rows the vertical pass reads.
	rowLo, rowHi := ys[0].start, ys[dh-1].start+len(ys[dh-1].weights)
	mid := make([]byte, (rowHi-rowLo)*dw*bpp)
	for y := rowLo; y < rowHi; y++ {
		in := src[y*stride:]
		out := mid[(y-rowLo)*dw*bpp:]
		for x, c := range xs {
			for k := range bpp {
				var acc int32
				p := c.start*bpp + k
				for _, w := range c.weights {
					acc += w * int32(in[p])
					p += bpp
				}
				out[x*bpp+k] = clampWeighted(acc)
			}
		}
	}
	// Vertical pass, a row of accumulators at a time.
	dst := make([]byte, dw*dh*bpp)
	acc := make([]int32, dw*bpp)
	for y, c := range ys {
		clear(acc)
		for j, w := range c.weights {
			row := mid[(c.start+j-rowLo)*dw*bpp : (c.start+j-rowLo+1)*dw*bpp]
			for i, v := range row {
				acc[i] += w * int32(v)
			}
		}
		out := dst[y*dw*bpp : (y+1)*dw*bpp]
		for i, v := range acc {
			out[i] = clampWeighted(v)
		}
	}
	return dst
}

// resampleYCbCr resizes the three planes of a YCbCr image separately (the
// chroma planes straight from their own size) and converts the result to
// RGBA once per output pixel.
func resampleYCbCr(m *image.YCbCr, w, h int) *image.RGBA {
	b := m.Bounds()
	cw, ch := chromaSize(b.Dx(), b.Dy(), m.SubsampleRatio)
	y := resamplePlane(m.Y[m.YOffset(b.Min.X, b.Min.Y):], b.Dx(), b.Dy(), m.YStride, 1, w, h)
	co := m.COffset(b.Min.X, b.Min.Y)
	cb := resamplePlane(m.Cb[co:], cw, ch, m.CStride, 1, w, h)
	cr := resamplePlane(m.Cr[co:], cw, ch, m.CStride, 1, w, h)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range y {
		r, g, bl := color.YCbCrToRGB(y[i], cb[i], cr[i])
		p := dst.Pix[4*i : 4*i+4]
		p[0], p[1], p[2], p[3] = r, g, bl, 255
	}
	return dst
}
