package imaging

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
)

// UprightJPEGExif returns a copy of the APP1 Exif segment (marker, length
// and payload) of the JPEG whose first bytes are head, with its
// orientation tag (0x0112), when it has one, set to 1: what a re-encoded
// image whose pixels already show the right way up should carry to keep
// its camera, lens, date and position. It returns nil when head holds no
// such segment before the image data.
func UprightJPEGExif(head []byte) []byte {
	if len(head) < 4 || head[0] != 0xFF || head[1] != 0xD8 {
		return nil
	}
	for i := 2; i+4 <= len(head); {
		if head[i] != 0xFF {
			return nil
		}
		marker := head[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD7: // no length
			i += 2
			continue
		case marker == 0xDA || marker == 0xD9: // image data or end
			return nil
		}
		end := i + 2 + int(binary.BigEndian.Uint16(head[i+2:]))
		if end > len(head) || end < i+4 {
			return nil
		}
		if marker == 0xE1 && bytes.HasPrefix(head[i+4:end], []byte("Exif\x00\x00")) {
			seg := bytes.Clone(head[i:end])
			uprightTIFF(seg[4+6:])
			return seg
		}
		i = end
	}
	return nil
}

// uprightTIFF sets the orientation entry of the first IFD of the TIFF
// structure t to 1, in place. Malformed structures are left as they are.
func uprightTIFF(t []byte) {
	if len(t) < 8 {
		return
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return
	}
	n := int(bo.Uint16(t[ifd:]))
	for k := range n {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return
		}
		// Tag 0x0112, type SHORT, one value: the value sits in the
		// entry itself.
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 && bo.Uint32(t[e+4:]) == 1 {
			bo.PutUint16(t[e+8:], 1)
			return
		}
	}
}

// InsertAfterSOI returns a writer that passes the JPEG written to it on to
// w with seg (a whole marker segment) inserted right after its SOI marker,
// where the Exif APP1 segment belongs.
func InsertAfterSOI(w io.Writer, seg []byte) io.Writer {
	return &insertAfter{w: w, seg: seg, at: 2}
}

// pngHeaderSize is the signature and the IHDR chunk, which the eXIf chunk
// must follow.
const pngHeaderSize = 8 + 12 + 13

// InsertAfterPNGHeader returns a writer that passes the PNG written to it
// on to w with chunk (a whole chunk) inserted right after its IHDR chunk.
// The PNG must start with the IHDR chunk, as the standard library's
// encoder writes it.
func InsertAfterPNGHeader(w io.Writer, chunk []byte) io.Writer {
	return &insertAfter{w: w, seg: chunk, at: pngHeaderSize}
}

// ExifKeeper returns what makes a re-encoded image of type contentType
// carry the EXIF block of the original, whose first bytes are head, with
// orientation 1: a function that wraps the writer the encoder writes to.
// It returns nil when the original has no EXIF block this package can
// carry over (JPEG APP1 and PNG eXIf are).
func ExifKeeper(contentType string, head []byte) func(io.Writer) io.Writer {
	switch contentType {
	case "image/jpeg":
		if seg := UprightJPEGExif(head); seg != nil {
			return func(w io.Writer) io.Writer { return InsertAfterSOI(w, seg) }
		}
	case "image/png":
		if chunk := UprightPNGExif(head); chunk != nil {
			return func(w io.Writer) io.Writer { return InsertAfterPNGHeader(w, chunk) }
		}
	}
	return nil
}

// UprightPNGExif returns a copy of the eXIf chunk (length, type, data and
// CRC) of the PNG whose first bytes are head, with its orientation tag set
// to 1 and its CRC recomputed, or nil when head holds none before the
// image data.
func UprightPNGExif(head []byte) []byte {
	if len(head) < 8 || string(head[:8]) != "\x89PNG\r\n\x1a\n" {
		return nil
	}
	for i := 8; i+12 <= len(head); {
		n := int(binary.BigEndian.Uint32(head[i:]))
		end := i + 12 + n
		if n > len(head) || end > len(head) {
			return nil
		}
		switch string(head[i+4 : i+8]) {
		case "IDAT", "IEND":
			return nil
		case "eXIf":
			chunk := bytes.Clone(head[i:end])
			uprightTIFF(chunk[8 : 8+n])
			binary.BigEndian.PutUint32(chunk[8+n:], crc32.ChecksumIEEE(chunk[4:8+n]))
			return chunk
		}
		i = end
	}
	return nil
}

// insertAfter passes what is written to it on to w, with seg inserted
// after the first at bytes.
type insertAfter struct {
	w    io.Writer
	seg  []byte
	at   int
	seen int // bytes passed on before seg
}

func (a *insertAfter) Write(p []byte) (int, error) {
	written := 0
	if a.seen < a.at {
		k := min(a.at-a.seen, len(p))
		n, err := a.w.Write(p[:k])
		written += n
		a.seen += n
		if err != nil {
			return written, err
		}
		p = p[k:]
		if a.seen == a.at {
			if _, err := a.w.Write(a.seg); err != nil {
				return written, err
			}
		}
	}
	if len(p) == 0 {
		return written, nil
	}
	n, err := a.w.Write(p)
	return written + n, err
}
