package imaging

import (
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/media/webpenc"
)

// ErrNoEncoder reports a format this package can read but not write. Its
// kind is errs.Unsupported.
var ErrNoEncoder = errs.New(errs.Unsupported, "no encoder for this image format")

// CanEncode reports whether Encode writes contentType.
func CanEncode(contentType string) bool {
	switch contentType {
	case "image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff", "image/webp":
		return true
	}
	return false
}

// Encode writes img in the format of contentType: JPEG at the given quality
// (1-100; 0 means 90), PNG, GIF (one frame), BMP, TIFF (Deflate) or
// lossless WebP. Anything else fails with ErrNoEncoder.
func Encode(w io.Writer, img image.Image, contentType string, quality int) error {
	switch contentType {
	case "image/jpeg":
		if quality <= 0 || quality > 100 {
			quality = 90
		}
		return jpeg.Encode(w, img, &jpeg.Options{Quality: quality})
	case "image/png":
		return (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(w, img)
	case "image/gif":
		return gif.Encode(w, img, nil)
	case "image/bmp":
		return bmp.Encode(w, img)
	case "image/tiff":
		return tiff.Encode(w, img, &tiff.Options{Compression: tiff.Deflate})
	case "image/webp":
		return webpenc.Encode(w, img)
	}
	return ErrNoEncoder
}

// HasAlpha reports whether any pixel of img is not fully opaque. Images
// whose type cannot hold transparency answer false at once.
func HasAlpha(img image.Image) bool {
	switch img.(type) {
	case *image.YCbCr, *image.Gray, *image.Gray16, *image.CMYK:
		return false
	}
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return !o.Opaque()
	}
	return true
}
