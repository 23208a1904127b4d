package imaging

import (
	"image"
	"image/draw"

	"github.com/stockroomhq/stockroom/media/probe"
)

// Orient returns img transformed as EXIF orientation o says it must be for
// display. OrientNormal (and any invalid value) returns img itself. The
// result has the same concrete type for *image.RGBA, *image.NRGBA,
// *image.RGBA64, *image.NRGBA64, *image.Gray, *image.Gray16, *image.Alpha,
// *image.Alpha16, *image.CMYK and *image.Paletted; an *image.YCbCr stays
// YCbCr when its chroma sampling allows (4:4:4, 4:2:0, and 4:2:2 with 4:4:0
// exchanged by a quarter turn); anything else becomes *image.RGBA.
func Orient(img image.Image, o probe.Orientation) image.Image {
	if !o.Valid() || o == probe.OrientNormal {
		return img
	}
	b := img.Bounds()
	switch m := img.(type) {
	case *image.RGBA:
		pix, stride, r := orientPix(m.Pix, m.Stride, b, 4, o)
		return &image.RGBA{Pix: pix, Stride: stride, Rect: r}
	case *image.NRGBA:
		pix, stride, r := orientPix(m.Pix, m.Stride, b, 4, o)
		return &image.NRGBA{Pix: pix, Stride: stride, Rect: r}
	case *image.RGBA64:
		pix, stride, r := orientPix(m.Pix, m.Stride, b, 8, o)
		return &image.RGBA64{Pix: pix, Stride: stride, Rect: r}
	case *image.NRGBA64:
		pix, stride, r := orientPix(m.Pix, m.Stride, b, 8, o)
		return &image.NRGBA64{Pix: pix, Stride: stride, Rect: r}
	case *image.Gray:
		pix, stride, r := orientPix(m.Pix, m.Stride, b, 1, o)
		return &image.Gray{Pix: pix, Stride: stride, Rect: r}
	case *image.Gray16:
		pix, stride, r := orientPix(m.Pix, m.Stride, b, 2, o)
		return &image.Gray16{Pix: pix, Stride: stride, Rect: r}
	case *image.Alpha:
		pix, stride, r := orientPix(m.Pix, m.Stride, b, 1, o)
		return &image.Alpha{Pix: pix, Stride: stride, Rect: r}
	case *image.Alpha16:
		pix, stride, r := orientPix(m.Pix, m.Stride, b, 2, o)
		return &image.Alpha16{Pix: pix, Stride: stride, Rect: r}
	case *image.CMYK:
		pix, stride, r := orientPix(m.Pix, m.Stride, b, 4, o)
		return &image.CMYK{Pix: pix, Stride: stride, Rect: r}
	case *image.Paletted:
		pix, stride, r := orientPix(m.Pix, m.Stride, b, 1, o)
		return &image.Paletted{Pix: pix, Stride: stride, Rect: r, Palette: m.Palette}
	case *image.YCbCr:
		if out, ok := orientYCbCr(m, o); ok {
			return out
		}
	}
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	return Orient(rgba, o)
}

// Rotate turns img clockwise by 90, 180 or 270 degrees (any other value
// returns img).
func Rotate(img image.Image, degrees int) image.Image {
	switch degrees {
	case 90:
		return Orient(img, probe.OrientRotate90)
	case 180:
		return Orient(img, probe.OrientRotate180)
	case 270:
		return Orient(img, probe.OrientRotate270)
	}
	return img
}

// orientedSize is the size of a w×h image displayed with orientation o.
func orientedSize(w, h int, o probe.Orientation) (int, int) {
	if o.SwapsAxes() {
		return h, w
	}
	return w, h
}

// orientPix transforms the pixels of the rectangle b (bpp bytes each) of a
// Pix/Stride image. The result starts at the origin.
func orientPix(pix []byte, stride int, b image.Rectangle, bpp int, o probe.Orientation) ([]byte, int, image.Rectangle) {
	w, h := b.Dx(), b.Dy()
	dw, dh := orientedSize(w, h, o)
	dstStride := dw * bpp
	out := make([]byte, dstStride*dh)
	// Walk the source; (dx, dy) is where source pixel (sx, sy) goes,
	// computed incrementally as start + sx*stepX + sy*stepY (in pixels of
	// the destination, as a byte offset).
	var start, stepX, stepY int
	at := func(x, y int) int { return y*dstStride + x*bpp }
	switch o {
	case probe.OrientFlipH: // (sx, sy) -> (w-1-sx, sy)
		start, stepX, stepY = at(w-1, 0), -bpp, dstStride
	case probe.OrientRotate180: // -> (w-1-sx, h-1-sy)
		start, stepX, stepY = at(w-1, h-1), -bpp, -dstStride
	case probe.OrientFlipV: // -> (sx, h-1-sy)
		start, stepX, stepY = at(0, h-1), bpp, -dstStride
	case probe.OrientTranspose: // -> (sy, sx)
		start, stepX, stepY = 0, dstStride, bpp
	case probe.OrientRotate90: // -> (h-1-sy, sx)
		start, stepX, stepY = at(h-1, 0), dstStride, -bpp
	case probe.OrientTransverse: // -> (h-1-sy, w-1-sx)
		start, stepX, stepY = at(h-1, w-1), -dstStride, -bpp
	case probe.OrientRotate270: // -> (sy, w-1-sx)
		start, stepX, stepY = at(0, w-1), -dstStride, bpp
	default:
		start, stepX, stepY = 0, bpp, dstStride
	}
	// Pix starts at the pixel b.Min, also for sub-images.
	for sy := range h {
		src := pix[sy*stride : sy*stride+w*bpp]
		d := start + sy*stepY
		for sx := 0; sx < w; sx++ {
			copy(out[d:d+bpp], src[sx*bpp:sx*bpp+bpp])
			d += stepX
		}
	}
	return out, dstStride, image.Rect(0, 0, dw, dh)
}

// orientYCbCr transforms the three planes of a YCbCr image when the chroma
// sampling survives the transformation.
func orientYCbCr(m *image.YCbCr, o probe.Orientation) (*image.YCbCr, bool) {
	ratio := m.SubsampleRatio
	switch ratio {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420:
	case image.YCbCrSubsampleRatio422:
		if o.SwapsAxes() {
			ratio = image.YCbCrSubsampleRatio440
		}
	case image.YCbCrSubsampleRatio440:
		if o.SwapsAxes() {
			ratio = image.YCbCrSubsampleRatio422
		}
	default:
		return nil, false
	}
	b := m.Bounds()
	if b.Min != (image.Point{}) || ratio != image.YCbCrSubsampleRatio444 && (b.Dx()%2 == 1 || b.Dy()%2 == 1) {
		// A sub-image, or an odd size whose half-covered chroma samples
		// would land on the wrong side: the RGBA path is exact.
		return nil, false
	}
	y, ys, r := orientPix(m.Y, m.YStride, b, 1, o)
	cw, ch := chromaSize(b.Dx(), b.Dy(), m.SubsampleRatio)
	cb, cs, _ := orientPix(m.Cb, m.CStride, image.Rect(0, 0, cw, ch), 1, o)
	cr, _, _ := orientPix(m.Cr, m.CStride, image.Rect(0, 0, cw, ch), 1, o)
	return &image.YCbCr{Y: y, Cb: cb, Cr: cr, YStride: ys, CStride: cs, SubsampleRatio: ratio, Rect: r}, true
}

// chromaSize is the size of the chroma planes of a w×h YCbCr image.
func chromaSize(w, h int, ratio image.YCbCrSubsampleRatio) (int, int) {
	switch ratio {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}
