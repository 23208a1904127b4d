package mediasvc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"io"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/media/jpegscale"
	"github.com/stockroomhq/stockroom/media/probe"
	"github.com/stockroomhq/stockroom/resources"
)

// Rotate turns the image of resource id clockwise by degrees (90, 180 or
// 270; anything else is ErrInvalid) and appends the result as a new
// version, which becomes current. The image is shown as its EXIF
// orientation says before it is turned, and the result has orientation 1:
// it looks turned by exactly degrees. A JPEG or PNG keeps its EXIF block
// (camera, date, position...), and the orientation in Meta becomes 1 too.
// It is re-encoded in its own format: JPEG at about the quality it was
// saved with, PNG, GIF (every frame of an animation), BMP, TIFF, WebP
// (lossless). Content that is not a raster image, images over the pixel
// limit and undecodable data are resources.ErrUnsupported. A concurrent change of
// the resource's file makes it resources.ErrConflict. It returns the resource as
// stored.
func (m *Media) Rotate(ctx context.Context, id int64, degrees int) (*resources.Resource, error) {
	const op = "mediasvc.Rotate"
	if degrees != 90 && degrees != 180 && degrees != 270 {
		return nil, fmt.Errorf("%s: %w", op, invalidf("Degrees must be 90, 180 or 270, not %d", degrees))
	}
	s := m.store
	r, err := s.GetTx(ctx, s.DB(), id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	ct := r.ContentType
	if !imaging.IsRaster(ct) {
		return nil, errs.Errorf(op, errs.Unsupported, "%s is not a raster image", describeType(ct))
	}
	if !imaging.CanEncode(ct) {
		return nil, errs.Errorf(op, errs.Unsupported, "%s images cannot be re-encoded here", ct)
	}
	f, err := s.Blobs().Open(ctx, r.Hash)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer f.Close()
	encode, release, err := m.rotated(ctx, f, ct, degrees)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer release() // once staged: the encoder has finished with the image
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 64<<10)
		err := encode(bw)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	up, err := s.Stage(ctx, pr)
	pr.CloseWithError(errors.New("rotate: staging stopped")) // ends the encoder if Stage failed early
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer s.Release(ctx, up)
	err = dbtx.Write(ctx, s.DB(), func(ctx context.Context, tx dbtx.Tx) error {
		var current blobstore.Hash
		if err := tx.NewSelect().Table("resources").Column("hash").Where("id = ?", id).Scan(ctx, &current); err != nil {
			return err
		}
		if current != r.Hash {
			return fmt.Errorf("%w: the resource's file changed while it was being rotated; try again", resources.ErrConflict)
		}
		if _, err := resources.AppendVersionTx(ctx, tx, id, up.Content(), fmt.Sprintf("Rotated %d° clockwise", degrees)); err != nil {
			return err
		}
		return resources.UprightMetaTx(ctx, tx, id)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	m.Wake()
	out, err := s.GetTx(ctx, s.DB(), id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// rotated decodes the image in f and returns a function that writes it
// turned and re-encoded, and the release of the image budget it holds.
func (m *Media) rotated(ctx context.Context, f blobstore.File, ct string, degrees int) (func(io.Writer) error, func(), error) {
	opts := imaging.Options{MaxPixels: m.maxPixels}
	if ct == "image/gif" {
		return m.rotatedGIF(ctx, f, degrees, opts)
	}
	w, h, err := imaging.Config(f, ct, opts)
	if err != nil {
		return nil, nil, unsupportedImage(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	cost, err := imaging.Cost(f, ct, opts)
	if err != nil {
		return nil, nil, unsupportedImage(err)
	}
	// The decoded image, and the oriented and turned copies.
	release, err := m.budget.Acquire(ctx, cost+2*4*int64(w)*int64(h))
	if err != nil {
		return nil, nil, unsupportedImage(err)
	}
	quality := 0
	var keepExif func(io.Writer) io.Writer // carries the EXIF block over, orientation 1
	if ct == "image/jpeg" || ct == "image/png" {
		head := make([]byte, 256<<10)
		n, _ := f.ReadAt(head, 0)
		if q, ok := jpegscale.EstimateQuality(head[:n]); ok && ct == "image/jpeg" {
			quality = min(max(q, 75), 95)
		}
		keepExif = imaging.ExifKeeper(ct, head[:n])
	}
	d, err := imaging.Decode(f, ct, opts)
	if err != nil {
		release()
		return nil, nil, unsupportedImage(err)
	}
	img := imaging.Rotate(imaging.Orient(d.Image, d.Orientation), degrees)
	return func(w io.Writer) error {
		if keepExif != nil {
			w = keepExif(w)
		}
		return imaging.Encode(w, img, ct, quality)
	}, release, nil
}

// rotatedGIF turns every frame of a (possibly animated) GIF.
// Its frames are counted from their descriptors before any is decoded:
// every frame and its turned copy must fit in the image budget.
func (m *Media) rotatedGIF(ctx context.Context, f blobstore.File, degrees int, opts imaging.Options) (func(io.Writer) error, func(), error) {
	if _, _, err := imaging.Config(f, "image/gif", opts); err != nil {
		return nil, nil, unsupportedImage(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	_, pixels, err := imaging.GIFFrames(f, min(4*m.maxPixels, m.budget.Size()/2))
	if err != nil {
		return nil, nil, unsupportedImage(err)
	}
	release, err := m.budget.Acquire(ctx, 2*pixels)
	if err != nil {
		return nil, nil, unsupportedImage(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		release()
		return nil, nil, err
	}
	g, err := decodeAllGIF(bufio.NewReader(f))
	if err != nil {
		release()
		return nil, nil, unsupportedImage(fmt.Errorf("%w: %v", imaging.ErrDecode, err))
	}
	var total int64
	for _, fr := range g.Image {
		total += int64(fr.Rect.Dx()) * int64(fr.Rect.Dy())
	}
	if total > pixels {
		// More than the descriptors said: cannot happen with a decoder
		// that allocates each frame as its descriptor states.
		release()
		return nil, nil, unsupportedImage(imaging.ErrOverBudget)
	}
	o := map[int]probe.Orientation{90: probe.OrientRotate90, 180: probe.OrientRotate180, 270: probe.OrientRotate270}[degrees]
	w, h := g.Config.Width, g.Config.Height
	for i, fr := range g.Image {
		turned := imaging.Orient(fr, o).(*image.Paletted)
		turned.Rect = orientRect(fr.Rect, w, h, o)
		g.Image[i] = turned
	}
	if o.SwapsAxes() {
		g.Config.Width, g.Config.Height = h, w
	}
	return func(wr io.Writer) error { return gif.EncodeAll(wr, g) }, release, nil
}

func decodeAllGIF(r io.Reader) (g *gif.GIF, err error) {
	defer func() {
		if p := recover(); p != nil {
			g, err = nil, errors.New("decoder panicked")
		}
	}()
	return gif.DecodeAll(r)
}

// orientRect is where the rectangle r of a w×h canvas lands when the
// canvas is turned by a quarter-turn orientation (6, 3 or 8).
func orientRect(r image.Rectangle, w, h int, o probe.Orientation) image.Rectangle {
	switch o {
	case probe.OrientRotate90: // (x, y) -> (h-1-y, x)
		return image.Rect(h-r.Max.Y, r.Min.X, h-r.Min.Y, r.Max.X)
	case probe.OrientRotate180: // -> (w-1-x, h-1-y)
		return image.Rect(w-r.Max.X, h-r.Max.Y, w-r.Min.X, h-r.Min.Y)
	case probe.OrientRotate270: // -> (y, w-1-x)
		return image.Rect(r.Min.Y, w-r.Max.X, r.Max.Y, w-r.Min.X)
	}
	return r
}

// unsupportedImage turns a decoding failure into resources.ErrUnsupported with a
// message for the client.
func unsupportedImage(err error) error {
	switch {
	case errors.Is(err, imaging.ErrTooManyPixels), errors.Is(err, imaging.ErrOverBudget):
		return fmt.Errorf("%w: %w", resources.ErrUnsupported, err)
	case errors.Is(err, imaging.ErrDecode), errors.Is(err, imaging.ErrNotRaster):
		return fmt.Errorf("%w: the image cannot be decoded (%v)", resources.ErrUnsupported, err)
	}
	return err
}

func describeType(ct string) string {
	if ct == "" {
		return "content of unknown type"
	}
	return ct
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", resources.ErrInvalid, fmt.Sprintf(format, args...))
}
