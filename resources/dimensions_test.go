package resources_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/resources"
)

func TestDimensions(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	img := mustCreate(t, s, imagetest.Encode(t, imagetest.Quadrants(30, 20), "image/png"), resources.CreateInput{})
	text := mustCreate(t, s, []byte("words\n"), resources.CreateInput{})

	got, err := s.SetDimensions(ctx, img.ID, 300, 200)
	if err != nil || got.Width != 300 || got.Height != 200 {
		t.Fatalf("SetDimensions: %v, %v", got, err)
	}
	for _, bad := range [][2]int{{0, 10}, {10, 0}, {-1, 5}} {
		_, err := s.SetDimensions(ctx, img.ID, bad[0], bad[1])
		wantErr(t, err, resources.ErrInvalid)
	}
	_, err = s.SetDimensions(ctx, 999, 1, 1)
	wantErr(t, err, resources.ErrNotFound)

	dims, err := s.RecalculateDimensions(ctx, []int64{img.ID, text.ID, img.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := []resources.Dimensions{
		{ID: img.ID, Width: 30, Height: 20, Changed: true, Known: true},
		{ID: text.ID, Width: 0, Height: 0},
	}
	if diff := cmp.Diff(want, dims); diff != "" {
		t.Errorf("RecalculateDimensions (-want +got):\n%s", diff)
	}
	if r := mustGet(t, s, img.ID); r.Width != 30 || r.Height != 20 {
		t.Errorf("stored size %dx%d after recalculating, want 30x20", r.Width, r.Height)
	}
	_, err = s.RecalculateDimensions(ctx, []int64{img.ID, 999})
	wantErr(t, err, resources.ErrNotFound)
	_, err = s.RecalculateDimensions(ctx, nil)
	wantErr(t, err, resources.ErrInvalid)
}
