package preview

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"sync"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/stockroomhq/stockroom/media/probe"
)

// placeholderColours are the card colours of each content category. Each
// is dark enough for the white label to reach WCAG AA's 4.5:1 (the test
// measures it).
var placeholderColours = map[string]color.RGBA{
	probe.CategoryImage:    {46, 125, 50, 255},
	probe.CategoryVideo:    {106, 27, 154, 255},
	probe.CategoryAudio:    {180, 70, 0, 255},
	probe.CategoryDocument: {21, 101, 192, 255},
	probe.CategoryArchive:  {121, 85, 72, 255},
	probe.CategoryOther:    {84, 110, 122, 255},
}

// placeholderLabel is the text on the card of a content type: its usual
// extension ("PDF", "MP4") or its category ("VIDEO").
func placeholderLabel(contentType string) string {
	if ext := strings.TrimPrefix(probe.Extension(contentType), "."); ext != "" && len(ext) <= 5 {
		return strings.ToUpper(ext)
	}
	return strings.ToUpper(probe.Category(contentType))
}

// placeholderDesign numbers the look of the cards; it is in their ETags,
// so that a browser drops a card it cached before the look changed.
const placeholderDesign = 2

// placeholders caches rendered cards by kind and size; they are small and
// few.
type placeholders struct {
	mu    sync.Mutex
	cache map[string][]byte
}

const maxCachedPlaceholders = 256

// get returns the PNG card for a content type that fits in box.
func (p *placeholders) get(contentType string, box Box) ([]byte, string) {
	label := placeholderLabel(contentType)
	cat := probe.Category(contentType)
	side := placeholderSide(box)
	key := cat + "/" + label + "/" + itoa(side)
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.cache[key]; ok {
		return b, key
	}
	b := renderPlaceholder(side, placeholderColours[cat], label)
	if p.cache == nil || len(p.cache) >= maxCachedPlaceholders {
		p.cache = make(map[string][]byte)
	}
	p.cache[key] = b
	return b, key
}

// placeholderSide is the side of the square card: the box's smaller side,
// so that the card fits the box, up to 512 (larger cards say no more).
func placeholderSide(box Box) int {
	return max(1, min(box.Width, box.Height, 512))
}

// renderPlaceholder draws a square: a light background, a coloured card
// with a folded corner, the label in white across it.
func renderPlaceholder(side int, c color.RGBA, label string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{238, 238, 238, 255}), image.Point{}, draw.Src)
	margin := side / 8
	card := image.Rect(margin+side/16, margin, side-margin-side/16, side-margin)
	draw.Draw(img, card, image.NewUniform(c), image.Point{}, draw.Src)
	// The folded corner: a lighter triangle at the top right.
	fold := card.Dx() / 4
	light := color.RGBA{uint8(min(255, int(c.R)+70)), uint8(min(255, int(c.G)+70)), uint8(min(255, int(c.B)+70)), 255}
	for y := 0; y < fold; y++ {
		for x := fold - y; x < fold; x++ {
			img.SetRGBA(card.Max.X-fold+x, card.Min.Y+y, light)
		}
		for x := 0; x < fold-y; x++ {
			img.SetRGBA(card.Max.X-fold+x, card.Min.Y+y, color.RGBA{238, 238, 238, 255})
		}
	}
	// The label: drawn small with the 7×13 bitmap font, then enlarged to
	// about 70% of the card's width.
	face := basicfont.Face7x13
	tw := face.Advance * len(label)
	text := image.NewRGBA(image.Rect(0, 0, tw+2, face.Height+2))
	d := font.Drawer{Dst: text, Src: image.White, Face: face, Dot: fixed.P(1, face.Ascent+1)}
	d.DrawString(label)
	scale := max(1, card.Dx()*7/10/text.Rect.Dx())
	dw, dh := text.Rect.Dx()*scale, text.Rect.Dy()*scale
	// A label wider than the card (a tiny card) is left out: on the light
	// background it could not be read.
	if dw <= card.Dx() && dh <= card.Dy() {
		// Not image.Rect, which would reorder the corners of an empty rectangle.
		pos := image.Pt(card.Min.X+(card.Dx()-dw)/2, card.Min.Y+(card.Dy()-dh)*6/10)
		at := image.Rectangle{Min: pos, Max: pos.Add(image.Pt(dw, dh))}
		draw.NearestNeighbor.Scale(img, at, text, text.Rect, draw.Over, nil)
	}
	var buf bytes.Buffer
	(&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img)
	return buf.Bytes()
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
