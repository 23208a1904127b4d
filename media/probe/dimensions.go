package probe

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// Bounds on what Dimensions reads.
const (
	// MaxHeaderBytes is the most Dimensions reads from a raster image while
	// looking for its size. JPEG metadata segments (EXIF, XMP, ICC profiles)
	// precede the frame header and can add up to a few MiB.
	MaxHeaderBytes = 8 << 20

	// MaxSVGHeadBytes is the most Dimensions reads from an SVG to find its
	// root element (after any XML declaration, comments and DOCTYPE).
	MaxSVGHeadBytes = 1 << 20
)

// decodeConfig maps a canonical content type to the header-only decoder for
// it. Importing these packages also registers them with image.DecodeConfig.
var decodeConfig = map[string]func(io.Reader) (image.Config, error){
	"image/jpeg": jpeg.DecodeConfig,
	"image/png":  png.DecodeConfig,
	"image/gif":  gif.DecodeConfig,
	"image/webp": webp.DecodeConfig,
	"image/bmp":  bmp.DecodeConfig,
	"image/tiff": tiff.DecodeConfig,
}

// Dimensions reads an image's width and height from its header, never
// decoding pixels, for JPEG, PNG, GIF, WebP, BMP, TIFF and SVG. contentType
// is Sniff's answer for the same file and picks the parser; IsImage tells in
// advance whether it is one of these.
//
// r must be positioned at the start of the file. At most MaxHeaderBytes are
// read from a raster image and MaxSVGHeadBytes from an SVG. When r is also an
// io.ReaderAt at offset 0 (an *os.File, a bytes.Reader), a TIFF whose
// directory lies past MaxHeaderBytes is read in place through ReadAt; only
// the bytes the header walk needs are touched.
//
// An SVG's size comes from its width and height attributes when they are
// unitless or in px; a missing one, or one in other units or a percentage,
// is taken from the viewBox (keeping its aspect ratio when the other
// attribute is usable). Sizes are rounded to whole pixels.
//
// ok is false, never an error, for other content types, for truncated or
// malformed headers, and for sizes that are not positive.
func Dimensions(r io.Reader, contentType string) (width, height int, ok bool) {
	ct := canonical(contentType)
	if ct == "image/svg+xml" {
		return svgDimensions(io.LimitReader(r, MaxSVGHeadBytes))
	}
	decode, known := decodeConfig[ct]
	if !known {
		return 0, 0, false
	}
	var src io.Reader = io.LimitReader(r, MaxHeaderBytes)
	if ct == "image/tiff" {
		if ra, isAt := readerAtStart(r); isAt {
			// TIFF directories may sit at the end of the file; ReadAt
			// fetches just them. The 4 GiB span is what 32-bit TIFF
			// offsets can address.
			src = io.NewSectionReader(ra, 0, 1<<32)
		} else {
			// x/image/tiff would buffer a plain reader itself, growing
			// in 10 MB steps towards whatever offset the header claims;
			// this one holds no more than was actually read.
			src = &lazyReaderAt{r: src}
		}
	}
	cfg, err := safeDecodeConfig(decode, src)
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, 0, false
	}
	return cfg.Width, cfg.Height, true
}

// readerAtStart returns r as an io.ReaderAt if it is one whose current
// position is the start, so that ReadAt offsets are file offsets.
func readerAtStart(r io.Reader) (io.ReaderAt, bool) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return nil, false
	}
	if s, ok := r.(io.Seeker); ok {
		if pos, err := s.Seek(0, io.SeekCurrent); err != nil || pos != 0 {
			return nil, false
		}
	}
	return ra, true
}

// lazyReaderAt turns a stream into an io.ReaderAt by keeping what has been
// read so far, reading further only as far as a ReadAt asks.
type lazyReaderAt struct {
	r   io.Reader
	buf []byte
	err error
}

func (l *lazyReaderAt) Read(p []byte) (int, error) {
	return 0, errors.New("probe: lazyReaderAt is read through ReadAt")
}

func (l *lazyReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("probe: negative offset")
	}
	end := off + int64(len(p))
	for empty := 0; int64(len(l.buf)) < end && l.err == nil; {
		l.buf = slices.Grow(l.buf, 32<<10)
		n, err := l.r.Read(l.buf[len(l.buf):cap(l.buf)])
		l.buf = l.buf[:len(l.buf)+n]
		l.err = err
		if empty++; n > 0 {
			empty = 0
		} else if empty > 100 {
			l.err = io.ErrNoProgress
		}
	}
	if off >= int64(len(l.buf)) {
		return 0, io.EOF
	}
	n := copy(p, l.buf[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// safeDecodeConfig runs a decoder and turns a panic inside it into an error:
// decoders are third-party code fed hostile bytes, and Dimensions promises
// never to panic.
func safeDecodeConfig(decode func(io.Reader) (image.Config, error), r io.Reader) (cfg image.Config, err error) {
	defer func() {
		if p := recover(); p != nil {
			cfg, err = image.Config{}, errDecoderPanic
		}
	}()
	return decode(r)
}

var errDecoderPanic = errors.New("probe: image decoder panicked")

// svgDimensions reads the root element of an SVG document.
func svgDimensions(r io.Reader) (width, height int, ok bool) {
	root, ok := svgRoot(r)
	if !ok {
		return 0, 0, false
	}
	return svgRootSize(root.Attr)
}

// svgRoot returns the root element of an XML document if it is an <svg>
// element (with or without a namespace prefix). It reads no further than
// the end of that element's start tag.
func svgRoot(r io.Reader) (xml.StartElement, bool) {
	dec := xml.NewDecoder(r)
	// Only ASCII attribute values of the root element matter; accept any
	// declared encoding rather than failing on encoding="ISO-8859-1".
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	// encoding/xml never fetches or expands external entities; Strict mode
	// rejects undefined ones.
	dec.Strict = true
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return xml.StartElement{}, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, t.Name.Local == "svg"
		case xml.EndElement:
			return xml.StartElement{}, false
		case xml.CharData:
			// Only white space (and a byte order mark, which encoding/xml
			// passes through) may precede the root element.
			if len(bytes.TrimSpace(bytes.ReplaceAll(t, utf8BOM, nil))) != 0 {
				return xml.StartElement{}, false
			}
		}
	}
}

var utf8BOM = []byte("\ufeff")

// svgRootSize computes the size from the root element's attributes.
func svgRootSize(attrs []xml.Attr) (width, height int, ok bool) {
	var wAttr, hAttr, vbAttr string
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "width":
			wAttr = a.Value
		case "height":
			hAttr = a.Value
		case "viewBox":
			vbAttr = a.Value
		}
	}
	w, wok := svgLength(wAttr)
	h, hok := svgLength(hAttr)
	vbW, vbH, vbok := svgViewBox(vbAttr)
	switch {
	case wok && hok:
	case wok && vbok:
		h = w * vbH / vbW
	case hok && vbok:
		w = h * vbW / vbH
	case vbok:
		w, h = vbW, vbH
	default:
		return 0, 0, false
	}
	return toPixels(w, h)
}

// toPixels rounds a float size to whole pixels, rejecting sizes that are not
// positive or do not fit an int32.
func toPixels(w, h float64) (int, int, bool) {
	wi, hi := math.Round(w), math.Round(h)
	if !(wi >= 1 && hi >= 1 && wi <= math.MaxInt32 && hi <= math.MaxInt32) {
		return 0, 0, false
	}
	return int(wi), int(hi), true
}

// svgLength parses a width or height attribute that is unitless or in px.
// Other units and percentages report false.
func svgLength(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "px")
	return positiveFloat(strings.TrimSpace(s))
}

// svgViewBox parses "min-x min-y width height" (separated by whitespace
// and/or commas) and returns width and height.
func svgViewBox(s string) (w, h float64, ok bool) {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(f) != 4 {
		return 0, 0, false
	}
	for _, v := range f[:2] {
		if strings.TrimLeft(v, "0123456789.eE+-") != "" {
			return 0, 0, false
		}
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return 0, 0, false
		}
	}
	w, wok := positiveFloat(f[2])
	h, hok := positiveFloat(f[3])
	return w, h, wok && hok
}

// positiveFloat parses a finite decimal number greater than zero. Go-only
// spellings that ParseFloat accepts ("0x1p4", "Inf", "1_0") are refused.
func positiveFloat(s string) (float64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789.eE+-") != "" {
		return 0, false
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
		return 0, false
	}
	return x, true
}
