// Package imaging decodes, orients, resizes, rotates and encodes raster
// images for Stockroom's previews, rotation and perceptual hashes, in pure
// Go on the standard library and golang.org/x/image.
//
// Every decode is bounded: the size in the header is checked against a pixel
// limit before any pixel is decoded (a decompression bomb is refused without
// allocating), decoders run with panics turned into errors, and JPEGs that a
// thumbnail only needs small are decoded at 1/2, 1/4 or 1/8 scale straight
// from their DCT coefficients (package jpegscale).
package imaging

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/media/jpegscale"
	"github.com/stockroomhq/stockroom/media/probe"
)

// DefaultMaxPixels is the default bound on width × height: 100 megapixels.
const DefaultMaxPixels = 100_000_000

// MaxJPEGBytes bounds the size of a JPEG file read into memory for scaled
// decoding; larger files are refused.
const MaxJPEGBytes = 256 << 20

// Errors of this package. All are of kind errs.Unsupported: the content
// is not an image this server can work on.
var (
	// ErrTooManyPixels reports an image whose header claims more pixels
	// than allowed. Nothing was decoded.
	ErrTooManyPixels = errs.New(errs.Unsupported, "image has more pixels than allowed")
	// ErrNotRaster reports content that this package cannot decode: not
	// JPEG, PNG, GIF, WebP, BMP or TIFF.
	ErrNotRaster = errs.New(errs.Unsupported, "not a raster image this server can decode")
	// ErrDecode reports a raster image whose data could not be decoded.
	ErrDecode = errs.New(errs.Unsupported, "image data could not be decoded")
)

// rasterTypes are the content types Decode reads.
var rasterTypes = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/gif": true,
	"image/webp": true, "image/bmp": true, "image/tiff": true,
}

// IsRaster reports whether Decode reads content of this type (as
// probe.Sniff reports it).
func IsRaster(contentType string) bool { return rasterTypes[contentType] }

// Options bound and shape a Decode.
type Options struct {
	// MaxPixels bounds width × height as the header states it; 0 means
	// DefaultMaxPixels.
	MaxPixels int64
	// MinWidth and MinHeight, when positive, say that the caller needs
	// no more than an image this large: a JPEG is then decoded at the
	// smallest DCT scale (1/2, 1/4, 1/8) that still covers both.
	MinWidth, MinHeight int
}

// Decoded is a decoded image and what is known about it.
type Decoded struct {
	Image image.Image
	// Width and Height are the full size as stored (before orientation);
	// Image may be smaller when a reduced scale was asked for.
	Width, Height int
	// Orientation is the EXIF orientation, to apply for display.
	Orientation probe.Orientation
	// Scale is the reduction the image was decoded at (1, 2, 4 or 8).
	Scale int
}

// Config reads the stored size of an image from its header and checks it
// against opts.MaxPixels. r must be positioned at the start.
func Config(r io.ReadSeeker, contentType string, opts Options) (width, height int, err error) {
	if !IsRaster(contentType) {
		return 0, 0, ErrNotRaster
	}
	w, h, ok := probe.Dimensions(r, contentType)
	if !ok {
		return 0, 0, fmt.Errorf("%w: unreadable header", ErrDecode)
	}
	if err := checkPixels(w, h, opts); err != nil {
		return 0, 0, err
	}
	return w, h, nil
}

func checkPixels(w, h int, opts Options) error {
	limit := opts.MaxPixels
	if limit <= 0 {
		limit = DefaultMaxPixels
	}
	if int64(w)*int64(h) > limit {
		return fmt.Errorf("%w: %d×%d is more than %d pixels", ErrTooManyPixels, w, h, limit)
	}
	return nil
}

// Decode decodes an image of contentType (JPEG, PNG, GIF (first frame),
// WebP, BMP or TIFF) from r, which must be positioned at the start and
// support seeking. It reads the header first and refuses images over the
// pixel limit before decoding; it reads the EXIF orientation but does not
// apply it (see Orient).
func Decode(r io.ReadSeeker, contentType string, opts Options) (*Decoded, error) {
	w, h, err := Config(r, contentType, opts)
	if err != nil {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	orientation := probe.ReadOrientation(r, contentType)
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	d := &Decoded{Width: w, Height: h, Orientation: orientation, Scale: 1}
	switch _, isAt := r.(io.ReaderAt); {
	case contentType == "image/jpeg":
		d.Image, d.Scale, err = decodeJPEG(r, w, h, opts)
	case contentType == "image/tiff" && isAt:
		// x/image/tiff reads a ReaderAt in place instead of buffering
		// the whole file.
		d.Image, err = safeDecode(contentType, r)
	default:
		d.Image, err = safeDecode(contentType, bufio.NewReaderSize(r, 64<<10))
	}
	if err != nil {
		return nil, err
	}
	// A decoder must not hand back more than its header promised.
	if b := d.Image.Bounds(); int64(b.Dx())*int64(b.Dy()) > int64(w)*int64(h) {
		return nil, fmt.Errorf("%w: frame larger than the header says", ErrDecode)
	}
	return d, nil
}

// JPEGScale returns the largest DCT reduction (1, 2, 4 or 8) that keeps a
// w×h JPEG at least minW×minH (each bound ignored when not positive).
func JPEGScale(w, h, minW, minH int) int {
	if minW <= 0 && minH <= 0 {
		return 1
	}
	for _, s := range []int{8, 4, 2} {
		sw, sh := (w+s-1)/s, (h+s-1)/s
		if (minW <= 0 || sw >= minW) && (minH <= 0 || sh >= minH) {
			return s
		}
	}
	return 1
}

func decodeJPEG(r io.ReadSeeker, w, h int, opts Options) (image.Image, int, error) {
	data, err := readAll(r, MaxJPEGBytes)
	if err != nil {
		return nil, 0, err
	}
	if s := JPEGScale(w, h, opts.MinWidth, opts.MinHeight); s > 1 {
		img, err := jpegscale.Decode(data, jpegscale.Options{Scale: s, MaxPixels: maxPixels(opts)})
		switch {
		case err == nil:
			return img, s, nil
		case errors.Is(err, jpegscale.ErrTooManyPixels):
			return nil, 0, ErrTooManyPixels
		case !errors.Is(err, jpegscale.ErrUnsupported):
			// Let image/jpeg try: it may accept what this decoder calls
			// malformed, and then the two agree on what is broken.
		}
	}
	img, err := safeDecode("image/jpeg", bytes.NewReader(data))
	return img, 1, err
}

func maxPixels(opts Options) int64 {
	if opts.MaxPixels > 0 {
		return opts.MaxPixels
	}
	return DefaultMaxPixels
}

// safeDecode runs the standard decoder of contentType and turns a panic in
// it into ErrDecode.
func safeDecode(contentType string, r io.Reader) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("%w: decoder panicked", ErrDecode)
		}
	}()
	switch contentType {
	case "image/jpeg":
		img, err = jpeg.Decode(r)
	case "image/png":
		img, err = png.Decode(r)
	case "image/gif":
		img, err = gif.Decode(r)
	case "image/webp":
		img, err = webp.Decode(r)
	case "image/bmp":
		img, err = bmp.Decode(r)
	case "image/tiff":
		img, err = tiff.Decode(r)
	default:
		return nil, ErrNotRaster
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	return img, nil
}

// readAll reads the rest of r, at most limit bytes, into one buffer sized
// from the file's length.
func readAll(r io.ReadSeeker, limit int64) ([]byte, error) {
	pos, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	end, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if _, err := r.Seek(pos, io.SeekStart); err != nil {
		return nil, err
	}
	if end-pos > limit {
		return nil, fmt.Errorf("%w: file larger than %d bytes", ErrDecode, limit)
	}
	data := make([]byte, end-pos)
	n, err := io.ReadFull(r, data)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return data[:n], nil
}
