package imagetest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
)

// AnimatedGIF returns a GIF of frames uniform w×h frames, built by
// repeating one encoded frame, so that a hostile file of thousands of
// large frames (which decode to gigabytes) costs little to make.
func AnimatedGIF(w, h, frames int) []byte {
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
	var one bytes.Buffer
	if err := gif.Encode(&one, img, nil); err != nil {
		panic(err)
	}
	b := one.Bytes()
	start := 13
	if b[10]&0x80 != 0 {
		start += 3 << (b[10]&7 + 1)
	}
	if b[start] != 0x2C || b[len(b)-1] != 0x3B {
		panic("imagetest: unexpected GIF layout")
	}
	frame := b[start : len(b)-1]
	var out bytes.Buffer
	out.Write(b[:start])
	for range frames {
		out.Write(frame)
	}
	out.WriteByte(0x3B)
	return out.Bytes()
}

// PNG16 returns a complete w×h PNG of 16-bit RGBA (8 bytes a pixel once
// decoded), all zero, compressed as it is written: at the 100 MP limit it
// is under a megabyte and decodes to 800 MB.
func PNG16(w, h uint32) []byte { return PNGZeros(w, h, 16) }

// PNGZeros returns a complete w×h RGBA PNG of depth (8 or 16) bits a
// channel, all zero.
func PNGZeros(w, h uint32, depth int) []byte {
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
	ihdr[8], ihdr[9] = byte(depth), 6 // RGBA
	chunk("IHDR", ihdr)
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	row := make([]byte, 1+depth/2*int(w)) // filter byte 0, then zero pixels
	for range h {
		zw.Write(row)
	}
	zw.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}
