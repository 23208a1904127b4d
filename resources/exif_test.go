package resources_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/resources"
)

func TestCreateRecordsEXIF(t *testing.T) {
	s, _ := newTestStore(t)
	// A 60×40 picture stored turned, with orientation 6 to show it as
	// 40×60 portrait.
	data := imagetest.WithAPP1(imagetest.JPEG(t, imagetest.Photo(60, 40, 1), 85), imagetest.EXIFPayload(imagetest.EXIF{
		Orientation: 6, Make: "FUJIFILM", Model: "X-T4", DateTimeOriginal: "2021:03:04 05:06:07",
	}))
	r := mustCreate(t, s, data, resources.CreateInput{Name: "portrait", Meta: resources.Meta(`{"exif":"mine","album":"trip"}`)})
	if r.Width != 40 || r.Height != 60 {
		t.Errorf("size %dx%d, want 40x60 (EXIF orientation applied)", r.Width, r.Height)
	}
	var meta map[string]any
	if err := json.Unmarshal(r.Meta, &meta); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"album": "trip",
		"exif":  map[string]any{"make": "FUJIFILM", "model": "X-T4", "dateTaken": "2021-03-04T05:06:07", "orientation": float64(6)},
	}
	if diff := cmp.Diff(want, meta); diff != "" {
		t.Errorf("Meta (-want +got):\n%s", diff)
	}

	// Without EXIF the caller's Meta is kept as given.
	plain := mustCreate(t, s, imagetest.JPEG(t, imagetest.Photo(30, 20, 2), 85), resources.CreateInput{Meta: resources.Meta(`{"exif":"mine"}`)})
	if string(plain.Meta) != `{"exif":"mine"}` || plain.Width != 30 || plain.Height != 20 {
		t.Errorf("without EXIF: meta %s, size %dx%d", plain.Meta, plain.Width, plain.Height)
	}
}
