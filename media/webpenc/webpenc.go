// Package webpenc writes lossless WebP (VP8L) images, so that a WebP can be
// rotated and saved as a WebP again without loss. It uses the subtract-green
// and predictor transforms (a predictor chosen per 32×32 tile) and Huffman
// codes built from the image's own statistics; it does not search for
// backward references, so files are larger than libwebp's, but exact.
package webpenc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"image"
	"image/draw"
	"io"
)

// MaxSide is the largest width or height a VP8L image can have.
const MaxSide = 1 << 14

// ErrTooLarge reports an image wider or taller than MaxSide.
var ErrTooLarge = errors.New("webpenc: image larger than 16384 pixels on a side")

// Encode writes img as a lossless WebP.
func Encode(w io.Writer, img image.Image) error {
	b := img.Bounds()
	width, height := b.Dx(), b.Dy()
	if width < 1 || height < 1 || width > MaxSide || height > MaxSide {
		return ErrTooLarge
	}
	nrgba, ok := img.(*image.NRGBA)
	if !ok || nrgba.Rect.Min != (image.Point{}) {
		nrgba = image.NewNRGBA(image.Rect(0, 0, width, height))
		draw.Draw(nrgba, nrgba.Rect, img, b.Min, draw.Src)
	}
	argb := make([]uint32, width*height)
	alpha := false
	for y := range height {
		row := nrgba.Pix[y*nrgba.Stride:]
		for x := range width {
			p := row[4*x : 4*x+4]
			if p[3] != 255 {
				alpha = true
			}
			argb[y*width+x] = uint32(p[3])<<24 | uint32(p[0])<<16 | uint32(p[1])<<8 | uint32(p[2])
		}
	}

	var bw bitWriter
	bw.bytes = append(bw.bytes, 0x2f)
	bw.write(uint32(width-1), 14)
	bw.write(uint32(height-1), 14)
	bw.write(b2u(alpha), 1)
	bw.write(0, 3) // version

	// Subtract green, then predict: the decoder undoes them in reverse.
	bw.write(1, 1)
	bw.write(2, 2) // SUBTRACT_GREEN
	for i, p := range argb {
		g := (p >> 8) & 0xff
		r := ((p>>16)&0xff - g) & 0xff
		bl := (p&0xff - g) & 0xff
		argb[i] = p&0xff00ff00 | r<<16 | bl
	}
	bw.write(1, 1)
	bw.write(0, 2) // PREDICTOR
	bw.write(tileBits-2, 3)
	modes, residuals := predict(argb, width, height)
	tw, th := tilesOf(width), tilesOf(height)
	modeImage := make([]uint32, tw*th)
	for i, m := range modes {
		modeImage[i] = uint32(m) << 8
	}
	writeImage(&bw, modeImage, false)
	bw.write(0, 1) // no more transforms

	writeImage(&bw, residuals, true)
	data := bw.flush()

	bufw := bufio.NewWriter(w)
	size := len(data)
	pad := size & 1
	header := make([]byte, 20)
	copy(header[0:], "RIFF")
	binary.LittleEndian.PutUint32(header[4:], uint32(4+8+size+pad))
	copy(header[8:], "WEBPVP8L")
	binary.LittleEndian.PutUint32(header[16:], uint32(size))
	bufw.Write(header)
	bufw.Write(data)
	if pad == 1 {
		bufw.WriteByte(0)
	}
	return bufw.Flush()
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// writeImage writes an entropy-coded image: no colour cache, (for the main
// image) no meta prefix codes, five prefix codes from the pixels' own
// histograms, then every pixel as four literal symbols.
func writeImage(bw *bitWriter, pix []uint32, main bool) {
	bw.write(0, 1) // no colour cache
	if main {
		bw.write(0, 1) // one group of prefix codes
	}
	var hist [4][]int
	hist[0] = make([]int, 256+24) // green, and the unused length prefixes
	for i := 1; i < 4; i++ {
		hist[i] = make([]int, 256)
	}
	for _, p := range pix {
		hist[0][(p>>8)&0xff]++
		hist[1][(p>>16)&0xff]++
		hist[2][p&0xff]++
		hist[3][p>>24]++
	}
	var codes [4]prefixCode
	for i := range 4 {
		codes[i] = writePrefixCode(bw, hist[i])
	}
	writePrefixCode(bw, make([]int, 40)) // distances: none used
	for _, p := range pix {
		codes[0].put(bw, int((p>>8)&0xff))
		codes[1].put(bw, int((p>>16)&0xff))
		codes[2].put(bw, int(p&0xff))
		codes[3].put(bw, int(p>>24))
	}
}
