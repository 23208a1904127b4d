package jpegscale

import (
	"errors"
	"image"
	"math"
)

// ErrUnsupported reports a JPEG variant this package does not decode
// (progressive, arithmetic-coded, lossless, 12-bit, CMYK or RGB-coded, or
// with unusual chroma sampling). image/jpeg may still decode it.
var ErrUnsupported = errors.New("jpegscale: unsupported JPEG variant")

// ErrTooManyPixels reports a frame larger than Options.MaxPixels.
var ErrTooManyPixels = errors.New("jpegscale: image has too many pixels")

// FormatError reports input that is not a valid JPEG.
type FormatError string

func (e FormatError) Error() string { return "jpegscale: invalid JPEG: " + string(e) }

// Options control Decode.
type Options struct {
	// Scale is the reduction: 2, 4 or 8. The result is the image at
	// 1/Scale of its width and height, rounded up.
	Scale int
	// MaxPixels, when positive, bounds the width times height of the
	// full-size frame; larger images fail with ErrTooManyPixels before
	// any pixel memory is allocated.
	MaxPixels int64
}

// Config is what the headers say about an image.
type Config struct {
	Width, Height int
	Components    int
	// Supported tells whether Decode can decode the image; when false,
	// Decode answers ErrUnsupported.
	Supported bool
}

// zigzag maps the zigzag index of a coefficient to its natural (row-major)
// index in the 8×8 block.
var zigzag = [64]int{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

type component struct {
	id     byte
	h, v   int
	tq     int
	td, ta int
	pred   int32
	plane  []byte
	stride int
	// bw and bh are the blocks of a non-interleaved scan of the
	// component: its own size in blocks.
	bw, bh int
}

type decoder struct {
	data   []byte
	pos    int
	opts   Options
	n      int // output size of a block: 8/Scale
	width  int
	height int
	comps  []component
	hmax   int
	vmax   int
	mcusX  int
	mcusY  int
	quant  [4][64]int32 // zigzag order
	qset   [4]bool
	dc, ac [4]huffTable
	ri     int // restart interval in MCUs, 0 for none

	adobe          bool
	adobeTransform byte
	frame          bool
	frameOK        bool // the frame can be decoded by this package
	scans          int

	// sub maps a zigzag index to the coefficient's index in the n×n
	// block that the reduced IDCT reads, or -1 when it does not
	// contribute; kmax is the largest zigzag index that does.
	sub  [64]int8
	kmax int
}

// DecodeConfig reads the headers of a JPEG up to its frame header.
func DecodeConfig(data []byte) (Config, error) {
	d := &decoder{data: data, opts: Options{Scale: 8}}
	d.n = 1
	err := d.parse(true)
	if err != nil && !errors.Is(err, ErrUnsupported) {
		return Config{}, err
	}
	if !d.frame {
		return Config{}, FormatError("no frame header")
	}
	return Config{Width: d.width, Height: d.height, Components: len(d.comps), Supported: err == nil && d.frameOK}, nil
}

// Decode decodes a baseline JPEG at 1/opts.Scale of its size. The result is
// an *image.YCbCr or, for greyscale images, an *image.Gray. It fails with
// ErrUnsupported for variants it does not decode and ErrTooManyPixels for
// frames over opts.MaxPixels.
func Decode(data []byte, opts Options) (img image.Image, err error) {
	if opts.Scale != 2 && opts.Scale != 4 && opts.Scale != 8 {
		return nil, errors.New("jpegscale: Scale must be 2, 4 or 8")
	}
	d := &decoder{data: data, opts: opts, n: 8 / opts.Scale}
	d.initSub()
	defer func() {
		// Index checks guard every slice access; a failure there on
		// hostile input must be an error, not a crash.
		if r := recover(); r != nil {
			img, err = nil, FormatError("internal error on malformed data")
		}
	}()
	if err := d.parse(false); err != nil {
		return nil, err
	}
	if d.scans == 0 {
		return nil, FormatError("no image data")
	}
	return d.image(), nil
}

func (d *decoder) initSub() {
	d.kmax = 0
	for k := range 64 {
		row, col := zigzag[k]/8, zigzag[k]%8
		if row < d.n && col < d.n {
			d.sub[k] = int8(row*d.n + col)
			d.kmax = k
		} else {
			d.sub[k] = -1
		}
	}
}

// parse walks the markers. With configOnly it stops after the frame
// header.
func (d *decoder) parse(configOnly bool) error {
	data := d.data
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return FormatError("missing SOI marker")
	}
	d.pos = 2
	for {
		// Find the next marker, skipping anything else (stray bytes
		// after a scan, fill bytes).
		for d.pos < len(data) && data[d.pos] != 0xFF {
			d.pos++
		}
		for d.pos < len(data) && data[d.pos] == 0xFF {
			d.pos++
		}
		if d.pos >= len(data) {
			return d.end()
		}
		m := data[d.pos]
		d.pos++
		switch {
		case m == 0x00, m >= 0xD0 && m <= 0xD7, m == 0x01:
			continue // stuffed byte, stray restart marker, TEM
		case m == 0xD9:
			return d.end()
		case m == 0xD8:
			return FormatError("unexpected SOI marker")
		}
		if d.pos+2 > len(data) {
			return d.end()
		}
		length := int(data[d.pos])<<8 | int(data[d.pos+1])
		if length < 2 {
			return FormatError("bad segment length")
		}
		if d.pos+length > len(data) {
			if m == 0xDA || !d.frame {
				return FormatError("truncated segment")
			}
			return d.end()
		}
		seg := data[d.pos+2 : d.pos+length]
		d.pos += length
		switch m {
		case 0xC0, 0xC1:
			if err := d.parseSOF(seg); err != nil {
				return err
			}
			if configOnly {
				return nil
			}
			if !d.frameOK {
				return ErrUnsupported
			}
		case 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
			// Progressive, lossless, hierarchical or arithmetic-coded.
			if len(seg) >= 6 {
				d.frame = true
				d.height = int(seg[1])<<8 | int(seg[2])
				d.width = int(seg[3])<<8 | int(seg[4])
				d.comps = make([]component, seg[5])
			}
			return ErrUnsupported
		case 0xC4:
			if err := d.parseDHT(seg); err != nil {
				return err
			}
		case 0xDB:
			if err := d.parseDQT(seg); err != nil {
				return err
			}
		case 0xDD:
			if len(seg) != 2 {
				return FormatError("bad DRI segment")
			}
			d.ri = int(seg[0])<<8 | int(seg[1])
		case 0xEE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe = true
				d.adobeTransform = seg[11]
			}
		case 0xDA:
			if !d.frame {
				return FormatError("scan before frame header")
			}
			if err := d.parseSOS(seg); err != nil {
				return err
			}
		}
	}
}

// end is reached at EOI or at the end of the data. Missing EOI is
// tolerated once a scan was decoded.
func (d *decoder) end() error {
	if !d.frame {
		return FormatError("no frame header")
	}
	return nil
}

func (d *decoder) parseSOF(seg []byte) error {
	if d.frame {
		return FormatError("more than one frame")
	}
	if len(seg) < 6 {
		return FormatError("short SOF segment")
	}
	d.frame = true
	precision := seg[0]
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	nc := int(seg[5])
	if d.width == 0 || d.height == 0 {
		// A zero height is defined by a DNL marker, which is almost never
		// used.
		return ErrUnsupported
	}
	if len(seg) != 6+3*nc || nc == 0 {
		return FormatError("bad SOF segment")
	}
	if d.opts.MaxPixels > 0 && int64(d.width)*int64(d.height) > d.opts.MaxPixels {
		return ErrTooManyPixels
	}
	d.comps = make([]component, nc)
	for i := range d.comps {
		c := &d.comps[i]
		c.id = seg[6+3*i]
		c.h, c.v = int(seg[7+3*i]>>4), int(seg[7+3*i]&15)
		c.tq = int(seg[8+3*i])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return FormatError("bad component sampling or table")
		}
		for j := 0; j < i; j++ {
			if d.comps[j].id == c.id {
				return FormatError("repeated component ID")
			}
		}
	}
	d.frameOK = precision == 8 && (nc == 1 || nc == 3)
	if nc == 3 {
		if d.adobe && d.adobeTransform == 0 {
			d.frameOK = false // RGB samples, not YCbCr
		}
		if d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B' {
			d.frameOK = false
		}
		if d.comps[1].h != 1 || d.comps[1].v != 1 || d.comps[2].h != 1 || d.comps[2].v != 1 {
			d.frameOK = false
		}
		if _, ok := subsampleRatio(d.comps[0].h, d.comps[0].v); !ok {
			d.frameOK = false
		}
	}
	if nc == 1 {
		// A single component is always coded in non-interleaved 8×8
		// blocks, whatever its sampling factors say.
		d.comps[0].h, d.comps[0].v = 1, 1
	}
	return nil
}

// allocate makes the output planes once the frame is known.
func (d *decoder) allocate() {
	d.hmax, d.vmax = 1, 1
	for _, c := range d.comps {
		d.hmax = max(d.hmax, c.h)
		d.vmax = max(d.vmax, c.v)
	}
	d.mcusX = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcusY = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := range d.comps {
		c := &d.comps[i]
		c.stride = d.mcusX * c.h * d.n
		rows := d.mcusY * c.v * d.n
		c.plane = make([]byte, c.stride*rows)
		for j := range c.plane {
			c.plane[j] = 128 // what a block never reached shows
		}
		cw := (d.width*c.h + d.hmax - 1) / d.hmax
		ch := (d.height*c.v + d.vmax - 1) / d.vmax
		c.bw, c.bh = (cw+7)/8, (ch+7)/8
	}
}

func (d *decoder) parseDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return FormatError("bad DQT segment")
		}
		seg = seg[1:]
		if pq == 0 {
			if len(seg) < 64 {
				return FormatError("short DQT segment")
			}
			for k := range 64 {
				d.quant[tq][k] = int32(seg[k])
			}
			seg = seg[64:]
		} else {
			if len(seg) < 128 {
				return FormatError("short DQT segment")
			}
			for k := range 64 {
				d.quant[tq][k] = int32(seg[2*k])<<8 | int32(seg[2*k+1])
			}
			seg = seg[128:]
		}
		d.qset[tq] = true
	}
	return nil
}

func (d *decoder) parseDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return FormatError("short DHT segment")
		}
		class, id := seg[0]>>4, int(seg[0]&15)
		if class > 1 || id > 3 {
			return FormatError("bad DHT segment")
		}
		var counts [16]byte
		copy(counts[:], seg[1:17])
		total := 0
		for _, c := range counts {
			total += int(c)
		}
		if len(seg) < 17+total {
			return FormatError("short DHT segment")
		}
		t := &d.dc[id]
		if class == 1 {
			t = &d.ac[id]
		}
		if err := t.build(&counts, seg[17:17+total], class == 1); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

func (d *decoder) parseSOS(seg []byte) error {
	if len(seg) < 1 {
		return FormatError("short SOS segment")
	}
	ns := int(seg[0])
	if ns < 1 || ns > 4 || len(seg) != 4+2*ns {
		return FormatError("bad SOS segment")
	}
	if d.scans == 0 {
		d.allocate()
	}
	scan := make([]*component, 0, ns)
	for i := range ns {
		id, tables := seg[1+2*i], seg[2+2*i]
		var c *component
		for j := range d.comps {
			if d.comps[j].id == id {
				c = &d.comps[j]
			}
		}
		if c == nil {
			return FormatError("scan names an unknown component")
		}
		c.td, c.ta = int(tables>>4), int(tables&15)
		if c.td > 3 || c.ta > 3 || !d.dc[c.td].defined || !d.ac[c.ta].defined {
			return FormatError("scan uses an undefined Huffman table")
		}
		if !d.qset[c.tq] {
			return FormatError("component uses an undefined quantization table")
		}
		scan = append(scan, c)
	}
	ss, se, ahal := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]
	if ss != 0 || se != 63 || ahal != 0 {
		return ErrUnsupported
	}
	d.scans++
	return d.decodeScan(scan)
}

// subsampleRatio maps the luma sampling factors of a YCbCr JPEG whose
// chroma is sampled 1×1 to image's ratio.
func subsampleRatio(h, v int) (image.YCbCrSubsampleRatio, bool) {
	switch {
	case h == 1 && v == 1:
		return image.YCbCrSubsampleRatio444, true
	case h == 2 && v == 1:
		return image.YCbCrSubsampleRatio422, true
	case h == 2 && v == 2:
		return image.YCbCrSubsampleRatio420, true
	case h == 1 && v == 2:
		return image.YCbCrSubsampleRatio440, true
	case h == 4 && v == 1:
		return image.YCbCrSubsampleRatio411, true
	case h == 4 && v == 2:
		return image.YCbCrSubsampleRatio410, true
	}
	return 0, false
}

// image wraps the planes.
func (d *decoder) image() image.Image {
	w := (d.width*d.n + 7) / 8
	h := (d.height*d.n + 7) / 8
	r := image.Rect(0, 0, w, h)
	if len(d.comps) == 1 {
		c := d.comps[0]
		return &image.Gray{Pix: c.plane, Stride: c.stride, Rect: r}
	}
	ratio, _ := subsampleRatio(d.comps[0].h, d.comps[0].v)
	return &image.YCbCr{
		Y: d.comps[0].plane, Cb: d.comps[1].plane, Cr: d.comps[2].plane,
		YStride: d.comps[0].stride, CStride: d.comps[1].stride,
		SubsampleRatio: ratio, Rect: r,
	}
}

// EstimateQuality estimates the quality setting (1 to 100, on the scale of
// libjpeg and image/jpeg) that produced a JPEG's luminance quantization
// table, so that a re-encoding can keep about as much detail. ok is false
// when the data has no table before its first scan.
func EstimateQuality(data []byte) (quality int, ok bool) {
	d := &decoder{data: data}
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 0, false
	}
	d.pos = 2
	for d.pos+4 <= len(data) {
		if data[d.pos] != 0xFF {
			return 0, false
		}
		m := data[d.pos+1]
		if m == 0xFF {
			d.pos++
			continue
		}
		length := int(data[d.pos+2])<<8 | int(data[d.pos+3])
		if length < 2 || d.pos+2+length > len(data) || m == 0xDA {
			break
		}
		if m == 0xDB && d.parseDQT(data[d.pos+4:d.pos+2+length]) == nil && d.qset[0] {
			break
		}
		d.pos += 2 + length
	}
	if !d.qset[0] {
		return 0, false
	}
	// The standard luminance table (ITU T.81 Annex K), in zigzag order.
	std := [64]float64{
		16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40,
		26, 24, 22, 22, 24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51,
		56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80, 109, 81, 87,
		95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
	}
	var sum float64
	for k := range 64 {
		sum += float64(d.quant[0][k]) * 100 / std[k]
	}
	scale := sum / 64
	var q float64
	if scale <= 100 {
		q = (200 - scale) / 2
	} else {
		q = 5000 / scale
	}
	return int(math.Max(1, math.Min(100, math.Round(q)))), true
}
