package webpenc_test

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"testing"

	"golang.org/x/image/webp"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/webpenc"
)

func roundTrip(t *testing.T, src image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := webpenc.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	got, err := webp.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("x/image/webp cannot read it: %v", err)
	}
	b := src.Bounds()
	if got.Bounds().Size() != b.Size() {
		t.Fatalf("size %v, want %v", got.Bounds().Size(), b.Size())
	}
	want := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(want, want.Rect, src, b.Min, draw.Src)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			w := want.NRGBAAt(x, y)
			g := color.NRGBAModel.Convert(got.At(got.Bounds().Min.X+x, got.Bounds().Min.Y+y)).(color.NRGBA)
			if w != g {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, g, w)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	tests := map[string]image.Image{
		"photo":      imagetest.Photo(97, 61, 1),
		"textured":   imagetest.Textured(70, 40, 2),
		"quadrants":  imagetest.Quadrants(64, 32),
		"one pixel":  imagetest.Photo(1, 1, 3),
		"one row":    imagetest.Photo(50, 1, 4),
		"one column": imagetest.Photo(1, 50, 5),
		"flat":       image.NewUniform(color.RGBA{1, 2, 3, 255}),
	}
	for name, img := range tests {
		t.Run(name, func(t *testing.T) {
			if u, ok := img.(*image.Uniform); ok {
				m := image.NewRGBA(image.Rect(0, 0, 33, 33))
				draw.Draw(m, m.Rect, u, image.Point{}, draw.Src)
				img = m
			}
			roundTrip(t, img)
		})
	}
	t.Run("alpha", func(t *testing.T) {
		m := image.NewNRGBA(image.Rect(0, 0, 40, 40))
		for i := range m.Pix {
			m.Pix[i] = byte(i * 7)
		}
		roundTrip(t, m)
	})
	t.Run("sub-image", func(t *testing.T) {
		roundTrip(t, imagetest.Photo(80, 80, 6).SubImage(image.Rect(13, 7, 61, 50)))
	})
}

func TestTooLarge(t *testing.T) {
	if err := webpenc.Encode(&bytes.Buffer{}, image.NewGray(image.Rect(0, 0, webpenc.MaxSide+1, 1))); err == nil {
		t.Error("a 16385-pixel row was accepted")
	}
}
