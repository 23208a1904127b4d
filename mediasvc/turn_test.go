package mediasvc_test

import (
	"context"
	"image"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/mediasvc"
	"github.com/stockroomhq/stockroom/resources"
)

// TestOneWorkerPerDatabase: two servers' media workers on one PostgreSQL
// database. While the first has the turn the second leaves the queue
// alone; once the first stops, the second takes over and finds the pairs
// of new images with those the first filed.
func TestOneWorkerPerDatabase(t *testing.T) {
	if !dbtest.OnPostgres() {
		t.Skip("the turn of the media worker is shared through PostgreSQL; set " + dbtest.EnvPostgres + " to run it")
	}
	s, _ := newTestStore(t)
	ctx := context.Background()
	first, second := mediasvc.New(s, mediasvc.Config{}), mediasvc.New(s, mediasvc.Config{})
	defer second.Close()
	photo := imagetest.Photo(320, 240, 3)
	orig := mustCreate(t, s, imagetest.JPEG(t, photo, 92), resources.CreateInput{Name: "original"})
	if err := first.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s, "image_hashes", ""); n != 1 {
		t.Fatalf("the first worker hashed %d images, want 1", n)
	}

	small := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := range 120 {
		for x := range 160 {
			small.Set(x, y, photo.At(2*x, 2*y))
		}
	}
	cp := mustCreate(t, s, imagetest.Encode(t, small, "image/png"), resources.CreateInput{Name: "copy"})
	if err := second.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s, "media_queue", ""); n != 1 {
		t.Fatalf("queue after the second worker's Sync while the first has the turn: %d rows, want 1", n)
	}

	first.Close()
	if err := second.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s, "media_queue", ""); n != 0 {
		t.Errorf("queue after the second worker took over: %d rows", n)
	}
	sim, err := s.Similar(ctx, cp.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, x := range sim {
		ids = append(ids, x.ID)
	}
	if !cmp.Equal(ids, []int64{orig.ID}) {
		t.Errorf("similar to the copy after the takeover: %v, want [%d]", ids, orig.ID)
	}
}
