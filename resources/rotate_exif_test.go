package resources_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/resources/ingest"
)

// TestRotateKeepsEXIF checks that a rotated JPEG keeps its camera, model
// and date, with orientation 1 in the file and in Meta, and still looks
// turned by exactly the degrees asked.
func TestRotateKeepsEXIF(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	m := resources.NewMedia(s, resources.MediaConfig{})
	for _, bigEndian := range []bool{false, true} {
		shown := imagetest.Quadrants(40, 20)
		data := imagetest.WithAPP1(imagetest.JPEG(t, imagetest.Stored(shown, 6), 92), imagetest.EXIFPayload(imagetest.EXIF{
			Orientation: 6, Make: "FUJIFILM", Model: "X-T4", DateTimeOriginal: "2021:03:04 05:06:07", BigEndian: bigEndian,
		}))
		r := mustCreate(t, s, data, resources.CreateInput{Meta: resources.Meta(`{"album": "trip"}`)})
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
			t.Errorf("top right after 90° is %v, want the shown top left %v", c, imagetest.TopLeft)
		}
		h, err := blobstore.ParseHash(got.Hash)
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.Blobs().Open(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(f)
		f.Close()
		e, ok := ingest.ReadEXIF(bytes.NewReader(buf.Bytes()), "image/jpeg")
		if !ok {
			t.Fatal("the rotated file has no EXIF")
		}
		if e.Make != "FUJIFILM" || e.Model != "X-T4" || e.DateTaken != "2021-03-04T05:06:07" || e.Orientation != ingest.OrientNormal {
			t.Errorf("EXIF of the rotated file: %+v", e)
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
