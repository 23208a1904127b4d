package mediasvc_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/probe"
	"github.com/stockroomhq/stockroom/mediasvc"
	"github.com/stockroomhq/stockroom/resources"
)

// TestRotateKeepsEXIF checks that a rotated JPEG keeps its camera, model
// and date, with orientation 1 in the file and in Meta, and still looks
// turned by exactly the degrees asked.
func TestRotateKeepsEXIF(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	m := mediasvc.New(s, mediasvc.Config{})
	for i, tt := range []struct {
		ct        string
		bigEndian bool
	}{{"image/jpeg", false}, {"image/jpeg", true}, {"image/png", false}, {"image/png", true}} {
		shown := imagetest.Quadrants(40, 20)
		payload := imagetest.EXIFPayload(imagetest.EXIF{
			Orientation: 6, Make: "FUJIFILM", Model: "X-T4", DateTimeOriginal: "2021:03:04 05:06:07", BigEndian: tt.bigEndian,
		})
		var data []byte
		if tt.ct == "image/jpeg" {
			data = imagetest.WithAPP1(imagetest.JPEG(t, imagetest.Stored(shown, 6), 92), payload)
		} else {
			data = withEXIfChunk(imagetest.Encode(t, imagetest.Stored(shown, 6), "image/png"), payload[len("Exif\x00\x00"):])
		}
		r := mustCreate(t, s, data, resources.CreateInput{Name: fmt.Sprint(i), Meta: resources.Meta(`{"album": "trip"}`)})
		if r.Width != 40 || r.Height != 20 {
			t.Fatalf("%s: created %dx%d, want 40x20 (orientation 6 applied)", tt.ct, r.Width, r.Height)
		}
		got, err := m.Rotate(ctx, r.ID, 90)
		if err != nil {
			t.Fatal(err)
		}
		// Shown 40×20, turned a quarter: 20×40.
		if got.Width != 20 || got.Height != 40 {
			t.Errorf("size %dx%d, want 20x40", got.Width, got.Height)
		}
		img := readImage(t, s, got)
		if c := img.At(15, 5); !near(c, imagetest.TopLeft, 40) {
			t.Errorf("%s: top right after 90° is %v, want the shown top left %v", tt.ct, c, imagetest.TopLeft)
		}
		f, err := s.Blobs().Open(ctx, got.Hash)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(f)
		f.Close()
		e, ok := probe.ReadEXIF(bytes.NewReader(buf.Bytes()), tt.ct)
		if !ok {
			t.Fatalf("%s: the rotated file has no EXIF", tt.ct)
		}
		if e.Make != "FUJIFILM" || e.Model != "X-T4" || e.DateTaken != "2021-03-04T05:06:07" || e.Orientation != probe.OrientNormal {
			t.Errorf("%s: EXIF of the rotated file: %+v", tt.ct, e)
		}
		var meta map[string]any
		if err := json.Unmarshal(got.Meta, &meta); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"album": "trip", "exif": map[string]any{"make": "FUJIFILM", "model": "X-T4", "dateTaken": "2021-03-04T05:06:07", "orientation": float64(1)}}
		if diff := cmp.Diff(want, meta); diff != "" {
			t.Errorf("Meta after rotating (-want +got):\n%s", diff)
		}
	}
}

// withEXIfChunk inserts an eXIf chunk holding tiff right after the IHDR
// chunk of a PNG.
func withEXIfChunk(pngData, tiff []byte) []byte {
	const header = 8 + 12 + 13
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(tiff)))
	chunk = append(chunk, "eXIf"...)
	chunk = append(chunk, tiff...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append([]byte{}, pngData[:header]...)
	out = append(out, chunk...)
	return append(out, pngData[header:]...)
}
