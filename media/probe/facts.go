package probe

import (
	"errors"
	"io"
)

// Facts is what Describe learns about a file from its bytes.
type Facts struct {
	// ContentType is Sniff's answer.
	ContentType string
	// Width and Height are the size of an image as displayed: read from
	// the header, then exchanged when the EXIF orientation turns the
	// image by 90°. Zero when unknown.
	Width, Height int
	// Orientation is the EXIF orientation, OrientNormal when none.
	Orientation Orientation
	// EXIF holds the EXIF facts; HasEXIF tells whether there were any.
	EXIF    EXIF
	HasEXIF bool
}

// Describe reads the facts of a file: its content type from the first
// HeadSize bytes, the size of an image from its header (Dimensions), and
// its EXIF metadata (ReadEXIF), whose orientation is applied to the size: a
// portrait photo stored landscape with orientation 6 reports a portrait
// width and height. r must be positioned at the start of the file; reads
// are bounded as each of those functions says. Only read and seek errors
// are returned.
func Describe(r io.ReadSeeker) (Facts, error) {
	head := make([]byte, HeadSize)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Facts{}, err
	}
	f := Facts{ContentType: Sniff(head[:n]), Orientation: OrientNormal}
	if n == 0 {
		return f, nil
	}
	if IsImage(f.ContentType) {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return Facts{}, err
		}
		if w, h, ok := Dimensions(r, f.ContentType); ok {
			f.Width, f.Height = w, h
		}
	}
	if _, canEXIF := exifFormats[f.ContentType]; canEXIF {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return Facts{}, err
		}
		f.EXIF, f.HasEXIF = ReadEXIF(r, f.ContentType)
		if f.EXIF.Orientation.Valid() {
			f.Orientation = f.EXIF.Orientation
		}
		if f.Orientation.SwapsAxes() {
			f.Width, f.Height = f.Height, f.Width
		}
	}
	return f, nil
}
