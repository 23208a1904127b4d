package probe

import (
	"errors"
	"io"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bep/imagemeta"
)

// Bounds on what ReadEXIF reads, for hostile files.
const (
	// MaxEXIFBytes is the most ReadEXIF reads from a file.
	MaxEXIFBytes = 16 << 20
	// EXIFTimeout is the most time ReadEXIF spends on a file.
	EXIFTimeout = 2 * time.Second
	// maxEXIFTags bounds the number of tags looked at.
	maxEXIFTags = 2000
	// maxEXIFString bounds the length of a text fact.
	maxEXIFString = 256
)

// MetaKey is the key of a resource's Meta under which the EXIF facts of its
// file are stored, as an object (see EXIF.Meta). It is reserved: probe
// overwrites it. MetaQuery reaches the facts with dotted keys such as
// "exif.model" or "exif.dateTaken".
const MetaKey = "exif"

// Orientation is the EXIF orientation of an image (tag 0x0112): how the
// stored pixels must be transformed for display. The values 1 to 8 are
// those of the EXIF specification; 0 means unknown and is treated as 1.
type Orientation int

// The EXIF orientations.
const (
	OrientNormal     Orientation = 1 // as stored
	OrientFlipH      Orientation = 2 // mirrored left to right
	OrientRotate180  Orientation = 3
	OrientFlipV      Orientation = 4 // mirrored top to bottom
	OrientTranspose  Orientation = 5 // mirrored along the top-left to bottom-right diagonal
	OrientRotate90   Orientation = 6 // rotate 90° clockwise for display
	OrientTransverse Orientation = 7 // mirrored along the top-right to bottom-left diagonal
	OrientRotate270  Orientation = 8 // rotate 270° clockwise (90° counter-clockwise) for display
)

// Valid reports whether o is one of the eight EXIF orientations.
func (o Orientation) Valid() bool { return o >= 1 && o <= 8 }

// SwapsAxes reports whether displaying the image exchanges its width and
// height (orientations 5 to 8).
func (o Orientation) SwapsAxes() bool { return o >= 5 && o <= 8 }

// EXIF holds the facts of a file's EXIF metadata worth searching. Zero
// values mean absent.
type EXIF struct {
	Orientation  Orientation
	Make         string
	Model        string
	LensModel    string
	Software     string
	DateTaken    string // "2006-01-02T15:04:05", with "+07:00" when the file records the offset
	HasGPS       bool
	GPSLatitude  float64 // degrees, south negative
	GPSLongitude float64 // degrees, west negative
	GPSAltitude  *float64
	ISO          int
	FNumber      float64
	ExposureTime float64 // seconds
	FocalLength  float64 // millimetres
}

// Meta returns the facts as the object stored under MetaKey, with the keys
// make, model, lensModel, software, dateTaken, orientation, gpsLatitude,
// gpsLongitude, gpsAltitude, iso, fNumber, exposureTime and focalLength;
// absent facts are left out. It is nil when there is nothing to store.
func (e EXIF) Meta() map[string]any {
	m := map[string]any{}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	putF := func(k string, v float64) {
		if v > 0 && !math.IsInf(v, 0) {
			m[k] = roundTo(v, 6)
		}
	}
	put("make", e.Make)
	put("model", e.Model)
	put("lensModel", e.LensModel)
	put("software", e.Software)
	put("dateTaken", e.DateTaken)
	if e.Orientation.Valid() {
		m["orientation"] = int(e.Orientation)
	}
	if e.HasGPS {
		m["gpsLatitude"] = roundTo(e.GPSLatitude, 7)
		m["gpsLongitude"] = roundTo(e.GPSLongitude, 7)
		if e.GPSAltitude != nil {
			m["gpsAltitude"] = roundTo(*e.GPSAltitude, 2)
		}
	}
	if e.ISO > 0 {
		m["iso"] = e.ISO
	}
	putF("fNumber", e.FNumber)
	putF("exposureTime", e.ExposureTime)
	putF("focalLength", e.FocalLength)
	if len(m) == 0 {
		return nil
	}
	return m
}

func roundTo(x float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(x*p) / p
}

// exifFormats maps the content types that can carry EXIF to imagemeta's
// format names.
var exifFormats = map[string]imagemeta.ImageFormat{
	"image/jpeg": imagemeta.JPEG,
	"image/tiff": imagemeta.TIFF,
	"image/png":  imagemeta.PNG,
	"image/webp": imagemeta.WebP,
	"image/heic": imagemeta.HEIF,
	"image/heif": imagemeta.HEIF,
	"image/avif": imagemeta.AVIF,
}

// exifTags are the tags ReadEXIF asks for.
var exifTags = map[string]bool{
	"Orientation": true, "Make": true, "Model": true, "LensModel": true, "Software": true,
	"DateTimeOriginal": true, "DateTime": true, "OffsetTimeOriginal": true,
	"GPSLatitude": true, "GPSLatitudeRef": true, "GPSLongitude": true, "GPSLongitudeRef": true,
	"GPSAltitude": true, "GPSAltitudeRef": true,
	"ISO": true, "FNumber": true, "ExposureTime": true, "FocalLength": true,
}

// ReadEXIF reads the EXIF facts of a JPEG, TIFF, PNG, WebP, HEIF or AVIF
// file (contentType as Sniff answers it). r must be positioned at the start
// of the file. ok is false, never an error, when the file has no readable
// EXIF data. It reads at most MaxEXIFBytes and gives up after EXIFTimeout.
func ReadEXIF(r io.ReadSeeker, contentType string) (e EXIF, ok bool) {
	format, known := exifFormats[canonical(contentType)]
	if !known {
		return EXIF{}, false
	}
	br := &boundedReader{r: r, budget: MaxEXIFBytes, deadline: time.Now().Add(EXIFTimeout)}
	var tags imagemeta.Tags
	_, err := imagemeta.Decode(imagemeta.Options{
		R:           br,
		ImageFormat: format,
		Sources:     imagemeta.EXIF,
		ShouldHandleTag: func(ti imagemeta.TagInfo) bool {
			// IFD1 describes the embedded thumbnail, not the image.
			return strings.HasPrefix(ti.Namespace, "IFD0") && exifTags[ti.Tag]
		},
		HandleTag: func(ti imagemeta.TagInfo) error {
			if !tags.Has(ti) {
				tags.Add(ti)
			}
			return nil
		},
		LimitNumTags: maxEXIFTags,
		LimitTagSize: 4096,
	})
	all := tags.EXIF()
	if len(all) == 0 {
		return EXIF{}, false
	}
	// A decoding error part way still leaves the tags read before it,
	// which are as trustworthy as any.
	_ = err
	if n, isNum := exifInt(all["Orientation"].Value); isNum && Orientation(n).Valid() {
		e.Orientation = Orientation(n)
	}
	e.Make = exifString(all["Make"].Value)
	e.Model = exifString(all["Model"].Value)
	e.LensModel = exifString(all["LensModel"].Value)
	e.Software = exifString(all["Software"].Value)
	e.DateTaken = exifDate(exifString(all["DateTimeOriginal"].Value), exifString(all["OffsetTimeOriginal"].Value))
	if e.DateTaken == "" {
		e.DateTaken = exifDate(exifString(all["DateTime"].Value), "")
	}
	lat, latOK := exifFloat(all["GPSLatitude"].Value)
	lon, lonOK := exifFloat(all["GPSLongitude"].Value)
	if latOK && lonOK && math.Abs(lat) <= 90 && math.Abs(lon) <= 180 && !(lat == 0 && lon == 0) {
		if strings.EqualFold(exifString(all["GPSLatitudeRef"].Value), "S") {
			lat = -lat
		}
		if strings.EqualFold(exifString(all["GPSLongitudeRef"].Value), "W") {
			lon = -lon
		}
		e.HasGPS, e.GPSLatitude, e.GPSLongitude = true, lat, lon
		if alt, altOK := exifFloat(all["GPSAltitude"].Value); altOK && alt < 1e6 {
			if ref, _ := exifInt(all["GPSAltitudeRef"].Value); ref == 1 {
				alt = -alt
			}
			e.GPSAltitude = &alt
		}
	}
	if n, isNum := exifInt(all["ISO"].Value); isNum && n > 0 && n < 10_000_000 {
		e.ISO = n
	}
	e.FNumber, _ = exifFloat(all["FNumber"].Value)
	e.ExposureTime, _ = exifFloat(all["ExposureTime"].Value)
	e.FocalLength, _ = exifFloat(all["FocalLength"].Value)
	return e, true
}

// ReadOrientation returns the EXIF orientation of an image, or OrientNormal
// when it has none. r must be positioned at the start of the file.
func ReadOrientation(r io.ReadSeeker, contentType string) Orientation {
	e, ok := ReadEXIF(r, contentType)
	if !ok || !e.Orientation.Valid() {
		return OrientNormal
	}
	return e.Orientation
}

var errEXIFBudget = errors.New("probe: EXIF read limit reached")

// boundedReader fails reads once budget bytes have been read or the
// deadline has passed, so that a decoder fed hostile input stops.
type boundedReader struct {
	r        io.ReadSeeker
	budget   int64
	deadline time.Time
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.budget <= 0 || time.Now().After(b.deadline) {
		return 0, errEXIFBudget
	}
	if int64(len(p)) > b.budget {
		p = p[:b.budget]
	}
	n, err := b.r.Read(p)
	b.budget -= int64(n)
	return n, err
}

func (b *boundedReader) Seek(offset int64, whence int) (int64, error) {
	if time.Now().After(b.deadline) {
		return 0, errEXIFBudget
	}
	return b.r.Seek(offset, whence)
}

// exifString returns printable text, trimmed and bounded, or "".
func exifString(v any) string {
	s, ok := v.(string)
	if !ok {
		if b, isBytes := v.([]byte); isBytes {
			s = string(b)
		} else {
			return ""
		}
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxEXIFString {
		s = s[:maxEXIFString]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

func exifInt(v any) (int, bool) {
	switch x := v.(type) {
	case uint8:
		return int(x), true
	case uint16:
		return int(x), true
	case uint32:
		return int(x), true
	case int16:
		return int(x), true
	case int32:
		return int(x), true
	case int:
		return x, true
	case []any:
		if len(x) > 0 {
			return exifInt(x[0])
		}
	}
	return 0, false
}

func exifFloat(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case imagemeta.Rat[uint32]:
		if x.Den() == 0 {
			return 0, false
		}
		f = x.Float64()
	case imagemeta.Rat[int32]:
		if x.Den() == 0 {
			return 0, false
		}
		f = x.Float64()
	default:
		n, ok := exifInt(v)
		if !ok {
			return 0, false
		}
		f = float64(n)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// exifDate turns "2006:01:02 15:04:05" (and an optional "+07:00" offset)
// into "2006-01-02T15:04:05[+07:00]"; anything else is "".
func exifDate(s, offset string) string {
	t, err := time.Parse("2006:01:02 15:04:05", s)
	if err != nil || t.Year() < 1800 {
		return ""
	}
	out := t.Format("2006-01-02T15:04:05")
	if len(offset) == 6 && (offset[0] == '+' || offset[0] == '-') {
		if _, err := time.Parse("-07:00", offset); err == nil {
			out += offset
		}
	}
	return out
}
