// Package imagetest makes images for tests: patterned pictures, files in
// every format Stockroom reads, JPEGs carrying an EXIF segment, and headers
// that lie about their size. It is for tests only.
package imagetest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/stockroomhq/stockroom/media/webpenc"
)

// Quadrant colours of Quadrants, clockwise from the top left.
var (
	TopLeft     = color.RGBA{220, 30, 30, 255}  // red
	TopRight    = color.RGBA{30, 200, 30, 255}  // green
	BottomRight = color.RGBA{30, 30, 220, 255}  // blue
	BottomLeft  = color.RGBA{240, 240, 40, 255} // yellow
)

// Quadrants returns a w×h image whose four quadrants have the colours
// TopLeft, TopRight, BottomRight and BottomLeft, so that any flip or
// rotation can be told from the result.
func Quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var c color.RGBA
			switch {
			case x < w/2 && y < h/2:
				c = TopLeft
			case y < h/2:
				c = TopRight
			case x >= w/2:
				c = BottomRight
			default:
				c = BottomLeft
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// Photo returns a w×h picture with smooth shapes and some texture, seeded,
// so that different seeds give unrelated pictures. Perceptual hashes of it
// are far from flat.
func Photo(w, h int, seed uint64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rnd := seed*0x9E3779B97F4A7C15 + 1
	next := func() float64 {
		rnd ^= rnd << 13
		rnd ^= rnd >> 7
		rnd ^= rnd << 17
		return float64(rnd%10000) / 10000
	}
	type blob struct{ cx, cy, r, cr, cg, cb float64 }
	blobs := make([]blob, 12)
	for i := range blobs {
		blobs[i] = blob{next(), next(), 0.1 + 0.3*next(), next() * 255, next() * 255, next() * 255}
	}
	fx, fy, ph := 3+10*next(), 3+10*next(), 6*next()
	for y := range h {
		for x := range w {
			u, v := float64(x)/float64(w), float64(y)/float64(h)
			r, g, b := 128.0, 128.0, 128.0
			for _, bl := range blobs {
				d := math.Hypot(u-bl.cx, v-bl.cy)
				if d < bl.r {
					t := 1 - d/bl.r
					r += (bl.cr - r) * t
					g += (bl.cg - g) * t
					b += (bl.cb - b) * t
				}
			}
			tex := 12 * math.Sin(u*fx*math.Pi*2+ph) * math.Cos(v*fy*math.Pi*2)
			img.SetRGBA(x, y, color.RGBA{clamp(r + tex), clamp(g + tex), clamp(b + tex), 255})
		}
	}
	return img
}

func clamp(f float64) uint8 {
	switch {
	case f < 0:
		return 0
	case f > 255:
		return 255
	}
	return uint8(f + 0.5)
}

// Formats are the raster formats Encode writes.
var Formats = []string{"image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff", "image/webp"}

// Encode encodes img in the format of contentType: image/jpeg (quality 90),
// image/png, image/gif, image/bmp, image/tiff or image/webp (lossless).
func Encode(tb testing.TB, img image.Image, contentType string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	var err error
	switch contentType {
	case "image/jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	case "image/png":
		err = png.Encode(&buf, img)
	case "image/gif":
		err = gif.Encode(&buf, img, nil)
	case "image/bmp":
		err = bmp.Encode(&buf, img)
	case "image/tiff":
		err = tiff.Encode(&buf, img, nil)
	case "image/webp":
		err = webpenc.Encode(&buf, img)
	default:
		tb.Fatalf("imagetest.Encode: no encoder for %s", contentType)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// JPEG encodes img as a JPEG of the given quality.
func JPEG(tb testing.TB, img image.Image, quality int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// PNGHeader returns a PNG signature and an IHDR chunk claiming w×h RGBA
// pixels, followed by a tiny IDAT and IEND: a decompression bomb's header
// without the bomb.
func PNGHeader(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		buf.WriteString(typ)
		c.Write([]byte(typ))
		buf.Write(data)
		c.Write(data)
		binary.Write(&buf, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8 bits, RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return buf.Bytes()
}

// Textured returns Photo with fine grain added, so that it compresses like
// a camera picture (a 12 MP JPEG at quality 90 of it is a few megabytes)
// rather than like a smooth drawing.
func Textured(w, h int, seed uint64) *image.RGBA {
	img := Photo(w, h, seed)
	rnd := seed*0xD1B54A32D192ED03 + 7
	for i := 0; i < len(img.Pix); i += 4 {
		rnd ^= rnd << 13
		rnd ^= rnd >> 7
		rnd ^= rnd << 17
		n := int(rnd%41) - 20
		for c := range 3 {
			img.Pix[i+c] = clamp(float64(int(img.Pix[i+c]) + n))
		}
	}
	return img
}
