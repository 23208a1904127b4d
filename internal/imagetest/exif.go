package imagetest

import (
	"bytes"
	"encoding/binary"
	"image"
	"math"
)

// EXIF describes the EXIF segment that EXIFSegment builds. Zero fields are
// left out.
type EXIF struct {
	BigEndian        bool // Motorola byte order; Intel by default
	Orientation      int
	Make, Model      string
	DateTimeOriginal string // "2006:01:02 15:04:05"
	GPS              bool
	Lat, Lon         float64 // signed degrees, used when GPS is set
	ISO              int
}

// ifdEntry is one tag with its value bytes already in the file's byte
// order; ptr names the IFD the value points at ("exif", "gps").
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte
	ptr      string
}

// EXIFPayload returns the body of an APP1 segment: "Exif\0\0" and a TIFF
// structure with IFD0 (Make, Model, Orientation), an Exif IFD
// (DateTimeOriginal, ISO) and a GPS IFD, as e asks.
func EXIFPayload(e EXIF) []byte {
	var bo binary.ByteOrder = binary.LittleEndian
	if e.BigEndian {
		bo = binary.BigEndian
	}
	ascii := func(tag uint16, s string) ifdEntry {
		return ifdEntry{tag: tag, typ: 2, count: uint32(len(s) + 1), value: append([]byte(s), 0)}
	}
	short := func(tag uint16, v int) ifdEntry {
		b := make([]byte, 2)
		bo.PutUint16(b, uint16(v))
		return ifdEntry{tag: tag, typ: 3, count: 1, value: b}
	}
	rationals := func(tag uint16, vals ...[2]uint32) ifdEntry {
		b := make([]byte, 8*len(vals))
		for i, v := range vals {
			bo.PutUint32(b[8*i:], v[0])
			bo.PutUint32(b[8*i+4:], v[1])
		}
		return ifdEntry{tag: tag, typ: 5, count: uint32(len(vals)), value: b}
	}
	degrees := func(tag uint16, d float64) ifdEntry {
		d = math.Abs(d)
		deg := math.Floor(d)
		min := math.Floor((d - deg) * 60)
		sec := ((d-deg)*60 - min) * 60
		return rationals(tag, [2]uint32{uint32(deg), 1}, [2]uint32{uint32(min), 1}, [2]uint32{uint32(math.Round(sec * 1000)), 1000})
	}
	var ifd0, exifIFD, gpsIFD []ifdEntry
	if e.Make != "" {
		ifd0 = append(ifd0, ascii(0x010f, e.Make))
	}
	if e.Model != "" {
		ifd0 = append(ifd0, ascii(0x0110, e.Model))
	}
	if e.Orientation != 0 {
		ifd0 = append(ifd0, short(0x0112, e.Orientation))
	}
	if e.DateTimeOriginal != "" {
		exifIFD = append(exifIFD, ascii(0x9003, e.DateTimeOriginal))
	}
	if e.ISO != 0 {
		exifIFD = append(exifIFD, short(0x8827, e.ISO))
	}
	if e.GPS {
		ns, ew := "N", "E"
		if e.Lat < 0 {
			ns = "S"
		}
		if e.Lon < 0 {
			ew = "W"
		}
		gpsIFD = append(gpsIFD, ascii(0x0001, ns), degrees(0x0002, e.Lat), ascii(0x0003, ew), degrees(0x0004, e.Lon))
	}
	if len(exifIFD) > 0 {
		ifd0 = append(ifd0, ifdEntry{tag: 0x8769, typ: 4, count: 1, ptr: "exif"})
	}
	if len(gpsIFD) > 0 {
		ifd0 = append(ifd0, ifdEntry{tag: 0x8825, typ: 4, count: 1, ptr: "gps"})
	}

	// Lay out: header, IFD0 and its data, then the Exif IFD and the GPS
	// IFD with theirs. Offsets count from the TIFF header.
	ifds := []struct {
		name    string
		entries []ifdEntry
	}{{"ifd0", ifd0}, {"exif", exifIFD}, {"gps", gpsIFD}}
	offsets := map[string]uint32{}
	size := func(entries []ifdEntry) uint32 {
		n := 2 + 12*uint32(len(entries)) + 4
		for _, en := range entries {
			if len(en.value) > 4 {
				n += uint32(len(en.value)+1) &^ 1
			}
		}
		return n
	}
	pos := uint32(8)
	for _, d := range ifds {
		if len(d.entries) == 0 {
			continue
		}
		offsets[d.name] = pos
		pos += size(d.entries)
	}
	var tiff bytes.Buffer
	if e.BigEndian {
		tiff.WriteString("MM\x00\x2a")
	} else {
		tiff.WriteString("II\x2a\x00")
	}
	binary.Write(&tiff, bo, uint32(8))
	for _, d := range ifds {
		if len(d.entries) == 0 {
			continue
		}
		start := offsets[d.name]
		dataPos := start + 2 + 12*uint32(len(d.entries)) + 4
		var data bytes.Buffer
		binary.Write(&tiff, bo, uint16(len(d.entries)))
		for _, en := range d.entries {
			binary.Write(&tiff, bo, en.tag)
			binary.Write(&tiff, bo, en.typ)
			binary.Write(&tiff, bo, en.count)
			var field [4]byte
			switch {
			case en.ptr != "":
				bo.PutUint32(field[:], offsets[en.ptr])
			case len(en.value) <= 4:
				copy(field[:], en.value)
			default:
				bo.PutUint32(field[:], dataPos+uint32(data.Len()))
				data.Write(en.value)
				if data.Len()%2 == 1 {
					data.WriteByte(0)
				}
			}
			tiff.Write(field[:])
		}
		binary.Write(&tiff, bo, uint32(0)) // no next IFD
		tiff.Write(data.Bytes())
	}
	return append([]byte("Exif\x00\x00"), tiff.Bytes()...)
}

// WithAPP1 inserts an APP1 segment with payload right after the SOI marker
// of a JPEG.
func WithAPP1(jpegData, payload []byte) []byte {
	out := make([]byte, 0, len(jpegData)+len(payload)+4)
	out = append(out, jpegData[:2]...)
	out = append(out, 0xFF, 0xE1, byte((len(payload)+2)>>8), byte(len(payload)+2))
	out = append(out, payload...)
	return append(out, jpegData[2:]...)
}

// Stored returns the pixels a camera would store for an image that must be
// displayed as shown, given the EXIF orientation o: displaying the result
// with orientation o gives back shown.
func Stored(shown image.Image, o int) *image.RGBA {
	b := shown.Bounds()
	w, h := b.Dx(), b.Dy()
	sw, sh := w, h
	if o >= 5 {
		sw, sh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, sw, sh))
	// For every displayed pixel (dx, dy), find the stored pixel (sx, sy)
	// that orientation o shows there, and put the displayed colour there.
	for dy := range h {
		for dx := range w {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = sw-1-dx, dy
			case 3:
				sx, sy = sw-1-dx, sh-1-dy
			case 4:
				sx, sy = dx, sh-1-dy
			case 5:
				sx, sy = dy, dx
			case 6:
				sx, sy = dy, sh-1-dx
			case 7:
				sx, sy = sw-1-dy, sh-1-dx
			case 8:
				sx, sy = sw-1-dy, dx
			default:
				sx, sy = dx, dy
			}
			out.Set(sx, sy, shown.At(b.Min.X+dx, b.Min.Y+dy))
		}
	}
	return out
}
