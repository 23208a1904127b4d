package probe

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/imagetest"
)

func TestDescribeOrientations(t *testing.T) {
	// A 40×24 landscape picture as it must be displayed.
	shown := imagetest.Quadrants(40, 24)
	for o := 1; o <= 8; o++ {
		for _, bigEndian := range []bool{false, true} {
			t.Run(fmt.Sprintf("orientation %d big-endian %v", o, bigEndian), func(t *testing.T) {
				stored := imagetest.Stored(shown, o)
				data := imagetest.WithAPP1(imagetest.JPEG(t, stored, 90), imagetest.EXIFPayload(imagetest.EXIF{BigEndian: bigEndian, Orientation: o}))
				f, err := Describe(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				want := Facts{ContentType: "image/jpeg", Width: 40, Height: 24, Orientation: Orientation(o), EXIF: EXIF{Orientation: Orientation(o)}, HasEXIF: true}
				if diff := cmp.Diff(want, f); diff != "" {
					t.Errorf("Describe (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestDescribeFacts(t *testing.T) {
	data := imagetest.WithAPP1(imagetest.JPEG(t, imagetest.Quadrants(30, 20), 80), imagetest.EXIFPayload(imagetest.EXIF{
		Orientation: 6, Make: "Canon", Model: "Canon EOS 5D Mark IV", DateTimeOriginal: "2023:07:14 18:30:05",
		GPS: true, Lat: -33.8568, Lon: 151.2153, ISO: 400,
	}))
	f, err := Describe(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 20 || f.Height != 30 {
		t.Errorf("size %dx%d, want 20x30 (orientation 6 turns 30x20 upright)", f.Width, f.Height)
	}
	want := map[string]any{
		"make": "Canon", "model": "Canon EOS 5D Mark IV", "dateTaken": "2023-07-14T18:30:05",
		"orientation": 6, "gpsLatitude": -33.8568, "gpsLongitude": 151.2153, "iso": 400,
	}
	if diff := cmp.Diff(want, f.EXIF.Meta()); diff != "" {
		t.Errorf("EXIF meta (-want +got):\n%s", diff)
	}
}

func TestDescribeWithoutEXIF(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want Facts
	}{
		{"jpeg", imagetest.JPEG(t, imagetest.Quadrants(9, 7), 80), Facts{ContentType: "image/jpeg", Width: 9, Height: 7, Orientation: OrientNormal}},
		{"png", encodePNG(t, 5, 3), Facts{ContentType: "image/png", Width: 5, Height: 3, Orientation: OrientNormal}},
		{"text", []byte("hello, world\n"), Facts{ContentType: "text/plain", Orientation: OrientNormal}},
		{"empty", nil, Facts{ContentType: OctetStream, Orientation: OrientNormal}},
		{"png bomb header", imagetest.PNGHeader(50000, 50000), Facts{ContentType: "image/png", Width: 50000, Height: 50000, Orientation: OrientNormal}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Describe(bytes.NewReader(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, f); diff != "" {
				t.Errorf("Describe (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadEXIFHostile(t *testing.T) {
	good := imagetest.EXIFPayload(imagetest.EXIF{Orientation: 3, Make: "X"})
	base := imagetest.JPEG(t, imagetest.Quadrants(8, 8), 80)
	// Truncations and corruptions of the segment must never panic, and a
	// bad orientation value is ignored.
	for cut := 0; cut < len(good); cut += 3 {
		data := imagetest.WithAPP1(base, good[:cut])
		ReadEXIF(bytes.NewReader(data), "image/jpeg")
	}
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0xA5
		e, _ := ReadEXIF(bytes.NewReader(imagetest.WithAPP1(base, bad)), "image/jpeg")
		if e.Orientation != 0 && !e.Orientation.Valid() {
			t.Fatalf("corruption at %d: orientation %d", i, e.Orientation)
		}
	}
	if o := ReadOrientation(bytes.NewReader(imagetest.WithAPP1(base, imagetest.EXIFPayload(imagetest.EXIF{Orientation: 9}))), "image/jpeg"); o != OrientNormal {
		t.Errorf("orientation 9 read as %d, want OrientNormal", o)
	}
	if _, ok := ReadEXIF(bytes.NewReader([]byte("not an image")), "text/plain"); ok {
		t.Error("ReadEXIF found EXIF in text")
	}
}
