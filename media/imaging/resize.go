package imaging

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/draw"
)

// Fit returns the size of a w×h image shrunk to fit inside a boxW×boxH box
// keeping its aspect ratio, never enlarged. A bound that is not positive
// does not constrain. The result is at least 1×1.
func Fit(w, h, boxW, boxH int) (int, int) {
	if w <= 0 || h <= 0 {
		return 0, 0
	}
	scale := 1.0
	if boxW > 0 && w > boxW {
		scale = float64(boxW) / float64(w)
	}
	if boxH > 0 && h > boxH {
		scale = math.Min(scale, float64(boxH)/float64(h))
	}
	if scale >= 1 {
		return w, h
	}
	fw := max(1, int(math.Round(float64(w)*scale)))
	fh := max(1, int(math.Round(float64(h)*scale)))
	// Rounding must not break out of the box.
	if boxW > 0 {
		fw = min(fw, boxW)
	}
	if boxH > 0 {
		fh = min(fh, boxH)
	}
	return fw, fh
}

// Resize returns img scaled to exactly w×h: an *image.Gray for grey
// images, else an *image.RGBA (alpha kept, not composited). Large
// reductions first average boxes of pixels down to about twice the target;
// then a Catmull-Rom filter (widened as the reduction asks) makes the final
// size: as sharp as a Catmull-Rom from the full image, at a fraction of its
// cost. YCbCr images are filtered plane by plane and converted at the
// target size.
func Resize(img image.Image, w, h int) image.Image {
	b := img.Bounds()
	if b.Dx() >= 4*w && b.Dy() >= 4*h {
		img = boxReduce(img, 2*w, 2*h)
		b = img.Bounds()
	}
	switch m := img.(type) {
	case *image.YCbCr:
		return resampleYCbCr(m, w, h)
	case *image.Gray:
		pix := resamplePlane(m.Pix, b.Dx(), b.Dy(), m.Stride, 1, w, h)
		return &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
	case *image.RGBA:
		pix := resamplePlane(m.Pix, b.Dx(), b.Dy(), m.Stride, 4, w, h)
		return &image.RGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	}
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	return Resize(rgba, w, h)
}

// boxReduce shrinks src to w×h (each at most the source's) by averaging
// the source pixels that fall in each target pixel.
func boxReduce(src image.Image, w, h int) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xs := spans(b.Dx(), w)
	ys := spans(b.Dy(), h)
	switch m := src.(type) {
	case *image.YCbCr:
		boxYCbCr(dst, m, xs, ys)
	case *image.Gray:
		boxBytes(dst, m.Pix, m.Stride, 1, xs, ys, func(s []uint32, p []byte) { s[0] += uint32(p[0]) }, func(d []byte, s []uint32, n uint32) {
			v := byte((s[0] + n/2) / n)
			d[0], d[1], d[2], d[3] = v, v, v, 255
		})
	case *image.RGBA:
		boxBytes(dst, m.Pix, m.Stride, 4, xs, ys, addRGBA, storeRGBA)
	case *image.NRGBA:
		boxBytes(dst, m.Pix, m.Stride, 4, xs, ys, func(s []uint32, p []byte) {
			a := uint32(p[3])
			s[0] += uint32(p[0]) * a / 255
			s[1] += uint32(p[1]) * a / 255
			s[2] += uint32(p[2]) * a / 255
			s[3] += a
		}, storeRGBA)
	default:
		// Rare types (paletted, 16-bit, CMYK): convert once, then average.
		rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Rect, src, b.Min, draw.Src)
		boxBytes(dst, rgba.Pix, rgba.Stride, 4, xs, ys, addRGBA, storeRGBA)
	}
	return dst
}

func addRGBA(s []uint32, p []byte) {
	s[0] += uint32(p[0])
	s[1] += uint32(p[1])
	s[2] += uint32(p[2])
	s[3] += uint32(p[3])
}

func storeRGBA(d []byte, s []uint32, n uint32) {
	d[0] = byte((s[0] + n/2) / n)
	d[1] = byte((s[1] + n/2) / n)
	d[2] = byte((s[2] + n/2) / n)
	d[3] = byte((s[3] + n/2) / n)
}

// spans splits n source pixels into m runs of nearly equal length: the
// i-th target pixel averages source pixels [spans[i], spans[i+1]).
func spans(n, m int) []int {
	s := make([]int, m+1)
	for i := range s {
		s[i] = i * n / m
	}
	return s
}

// boxBytes averages a Pix/Stride image with bpp bytes per pixel (Pix
// starting at the first pixel of its bounds).
func boxBytes(dst *image.RGBA, pix []byte, stride, bpp int, xs, ys []int, add func([]uint32, []byte), store func([]byte, []uint32, uint32)) {
	w := len(xs) - 1
	sums := make([]uint32, 4*w)
	for ty := 0; ty < len(ys)-1; ty++ {
		clear(sums)
		for sy := ys[ty]; sy < ys[ty+1]; sy++ {
			row := pix[sy*stride:]
			for tx := range w {
				s := sums[4*tx : 4*tx+4]
				for sx := xs[tx]; sx < xs[tx+1]; sx++ {
					add(s, row[sx*bpp:sx*bpp+bpp])
				}
			}
		}
		rows := uint32(ys[ty+1] - ys[ty])
		out := dst.Pix[ty*dst.Stride:]
		for tx := range w {
			store(out[4*tx:4*tx+4], sums[4*tx:4*tx+4], rows*uint32(xs[tx+1]-xs[tx]))
		}
	}
}

// boxYCbCr averages Y, Cb and Cr separately (the conversion to RGB is
// linear up to rounding) and converts each average once.
func boxYCbCr(dst *image.RGBA, m *image.YCbCr, xs, ys []int) {
	b := m.Bounds()
	w := len(xs) - 1
	sums := make([]uint32, 3*w)
	for ty := 0; ty < len(ys)-1; ty++ {
		clear(sums)
		for sy := ys[ty]; sy < ys[ty+1]; sy++ {
			y := b.Min.Y + sy
			for tx := range w {
				s := sums[3*tx : 3*tx+3]
				for sx := xs[tx]; sx < xs[tx+1]; sx++ {
					x := b.Min.X + sx
					s[0] += uint32(m.Y[m.YOffset(x, y)])
					ci := m.COffset(x, y)
					s[1] += uint32(m.Cb[ci])
					s[2] += uint32(m.Cr[ci])
				}
			}
		}
		rows := uint32(ys[ty+1] - ys[ty])
		out := dst.Pix[ty*dst.Stride:]
		for tx := range w {
			n := rows * uint32(xs[tx+1]-xs[tx])
			s := sums[3*tx : 3*tx+3]
			r, g, bl := color.YCbCrToRGB(byte((s[0]+n/2)/n), byte((s[1]+n/2)/n), byte((s[2]+n/2)/n))
			out[4*tx], out[4*tx+1], out[4*tx+2], out[4*tx+3] = r, g, bl, 255
		}
	}
}
