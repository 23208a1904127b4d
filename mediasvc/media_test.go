package mediasvc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/mediasvc"
	"github.com/stockroomhq/stockroom/resources"
)

// readImage decodes the current file of a resource.
func readImage(tb testing.TB, s *resources.Store, r *resources.Resource) image.Image {
	tb.Helper()
	f, err := s.Blobs().Open(context.Background(), r.Hash)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	d, err := imaging.Decode(f, r.ContentType, imaging.Options{})
	if err != nil {
		tb.Fatalf("decoding the rotated file: %v", err)
	}
	return imaging.Orient(d.Image, d.Orientation)
}

// near reports whether two colours are within tol per channel.
func near(a, b color.Color, tol int) bool {
	ra, ga, ba, _ := a.RGBA()
	rb, gb, bb, _ := b.RGBA()
	for _, d := range []int{int(ra>>8) - int(rb>>8), int(ga>>8) - int(gb>>8), int(ba>>8) - int(bb>>8)} {
		if d > tol || d < -tol {
			return false
		}
	}
	return true
}

func TestRotateEachFormat(t *testing.T) {
	s, _ := newTestStore(t)
	m := mediasvc.New(s, mediasvc.Config{})
	for i, ct := range imagetest.Formats {
		t.Run(ct, func(t *testing.T) {
			src := imagetest.Quadrants(40, 20)
			r := mustCreate(t, s, imagetest.Encode(t, src, ct), resources.CreateInput{Name: fmt.Sprint(i)})
			got, err := m.Rotate(context.Background(), r.ID, 90)
			if err != nil {
				t.Fatal(err)
			}
			if got.ContentType != ct || got.Width != 20 || got.Height != 40 || got.Hash == r.Hash {
				t.Errorf("after rotating: %s %dx%d hash changed %v", got.ContentType, got.Width, got.Height, got.Hash != r.Hash)
			}
			img := readImage(t, s, got)
			tol := 40
			if ct == "image/gif" {
				tol = 90 // dithered palette
			}
			// Clockwise: the old top-left quadrant is now top right.
			if c := img.At(15, 5); !near(c, imagetest.TopLeft, tol) {
				t.Errorf("top right after 90° is %v, want about %v", c, imagetest.TopLeft)
			}
			if c := img.At(5, 35); !near(c, imagetest.BottomRight, tol) {
				t.Errorf("bottom left after 90° is %v, want about %v", c, imagetest.BottomRight)
			}
			var versions int
			if err := s.DB().NewRaw(`SELECT count(*) FROM resource_versions WHERE resource_id = ?`, r.ID).Scan(context.Background(), &versions); err != nil {
				t.Fatal(err)
			}
			if versions != 2 {
				t.Errorf("%d versions after rotating, want 2", versions)
			}
		})
	}
}

func TestRotateAppliesOrientation(t *testing.T) {
	s, _ := newTestStore(t)
	m := mediasvc.New(s, mediasvc.Config{})
	shown := imagetest.Quadrants(40, 20)
	data := imagetest.WithAPP1(imagetest.JPEG(t, imagetest.Stored(shown, 8), 90), imagetest.EXIFPayload(imagetest.EXIF{Orientation: 8}))
	r := mustCreate(t, s, data, resources.CreateInput{})
	got, err := m.Rotate(context.Background(), r.ID, 180)
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != 40 || got.Height != 20 {
		t.Errorf("size %dx%d, want 40x20", got.Width, got.Height)
	}
	img := readImage(t, s, got)
	if c := img.At(35, 15); !near(c, imagetest.TopLeft, 40) {
		t.Errorf("bottom right after 180° is %v, want the shown top left %v", c, imagetest.TopLeft)
	}
}

func TestRotateAnimatedGIF(t *testing.T) {
	s, _ := newTestStore(t)
	m := mediasvc.New(s, mediasvc.Config{})
	pal := color.Palette{color.Black, color.White, imagetest.TopLeft}
	g := &gif.GIF{Config: image.Config{Width: 30, Height: 10, ColorModel: pal}}
	for i := range 3 {
		fr := image.NewPaletted(image.Rect(0, 0, 30, 10), pal)
		fr.SetColorIndex(i, 0, 2)
		g.Image = append(g.Image, fr)
		g.Delay = append(g.Delay, 10)
	}
	// A sub-frame in a corner.
	sub := image.NewPaletted(image.Rect(20, 0, 30, 5), pal)
	sub.SetColorIndex(29, 0, 1)
	g.Image = append(g.Image, sub)
	g.Delay = append(g.Delay, 10)
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	r := mustCreate(t, s, buf.Bytes(), resources.CreateInput{})
	got, err := m.Rotate(context.Background(), r.ID, 90)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := s.Blobs().Open(context.Background(), got.Hash)
	defer f.Close()
	out, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Image) != 4 || out.Config.Width != 10 || out.Config.Height != 30 {
		t.Fatalf("%d frames of %dx%d, want 4 of 10x30", len(out.Image), out.Config.Width, out.Config.Height)
	}
	// Pixel (29, 0) of the top-right sub-frame turns to (9, 29).
	if want := image.Rect(5, 20, 10, 30); out.Image[3].Rect != want {
		t.Errorf("sub-frame at %v, want %v", out.Image[3].Rect, want)
	}
	if out.Image[3].ColorIndexAt(9, 29) != 1 {
		t.Error("the sub-frame's pixel did not move with it")
	}
}

func TestRotateRefuses(t *testing.T) {
	s, _ := newTestStore(t)
	m := mediasvc.New(s, mediasvc.Config{MaxPixels: 1000})
	img := mustCreate(t, s, imagetest.Encode(t, imagetest.Quadrants(20, 20), "image/png"), resources.CreateInput{})
	for _, deg := range []int{0, 45, -90, 360, 91} {
		_, err := m.Rotate(context.Background(), img.ID, deg)
		wantErr(t, err, resources.ErrInvalid)
	}
	text := mustCreate(t, s, []byte("just some words\n"), resources.CreateInput{})
	_, err := m.Rotate(context.Background(), text.ID, 90)
	wantErr(t, err, resources.ErrUnsupported)
	svg := mustCreate(t, s, []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`), resources.CreateInput{})
	_, err = m.Rotate(context.Background(), svg.ID, 90)
	wantErr(t, err, resources.ErrUnsupported)
	big := mustCreate(t, s, imagetest.Encode(t, imagetest.Quadrants(40, 40), "image/png"), resources.CreateInput{})
	_, err = m.Rotate(context.Background(), big.ID, 90)
	wantErr(t, err, resources.ErrUnsupported)
	bomb := mustCreate(t, s, imagetest.PNGHeader(50000, 50000), resources.CreateInput{})
	_, err = mediasvc.New(s, mediasvc.Config{}).Rotate(context.Background(), bomb.ID, 90)
	wantErr(t, err, resources.ErrUnsupported)
	_, err = m.Rotate(context.Background(), 9999, 90)
	wantErr(t, err, resources.ErrNotFound)
	// Nothing was appended by the refusals.
	if n := countRows(t, s, "resource_versions", ""); n != 5 {
		t.Errorf("%d versions, want 5 (one per resource)", n)
	}
}

func TestSimilar(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	m := mediasvc.New(s, mediasvc.Config{})
	photo := imagetest.Photo(320, 240, 1)
	orig := mustCreate(t, s, imagetest.JPEG(t, photo, 92), resources.CreateInput{Name: "original"})
	// The same picture smaller and saved again, as a PNG.
	small := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := range 120 {
		for x := range 160 {
			small.Set(x, y, photo.At(2*x, 2*y))
		}
	}
	cp := mustCreate(t, s, imagetest.Encode(t, small, "image/png"), resources.CreateInput{Name: "copy"})
	other := mustCreate(t, s, imagetest.JPEG(t, imagetest.Photo(320, 240, 7), 92), resources.CreateInput{Name: "unrelated"})
	flatImg := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range flatImg.Pix {
		flatImg.Pix[i] = 200
	}
	// Two flat images are alike, but flat images are never similar.
	mustCreate(t, s, imagetest.Encode(t, flatImg, "image/png"), resources.CreateInput{Name: "flat"})
	mustCreate(t, s, imagetest.Encode(t, flatImg, "image/bmp"), resources.CreateInput{Name: "flat too"})
	mustCreate(t, s, []byte("a text\n"), resources.CreateInput{Name: "text"})
	if err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	names := func(id int64) []string {
		t.Helper()
		sim, err := s.Similar(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range sim {
			if x.Distance > m.Threshold() {
				t.Errorf("%s at distance %d, over the threshold", x.Name, x.Distance)
			}
			out = append(out, x.Name)
		}
		return out
	}
	if got := names(orig.ID); !cmp.Equal(got, []string{"copy"}) {
		t.Errorf("similar to the original: %v, want [copy]", got)
	}
	if got := names(cp.ID); !cmp.Equal(got, []string{"original"}) {
		t.Errorf("similar to the copy: %v, want [original]", got)
	}
	if got := names(other.ID); len(got) != 0 {
		t.Errorf("similar to an unrelated picture: %v", got)
	}
	if _, err := s.Similar(ctx, 999); !errors.Is(err, resources.ErrNotFound) {
		t.Errorf("Similar(999): %v", err)
	}
	withSimilar := func() []int64 {
		var ids []int64
		if err := s.DB().NewRaw(`SELECT DISTINCT resource_id FROM resource_similar ORDER BY resource_id`).Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := withSimilar(); !cmp.Equal(got, []int64{orig.ID, cp.ID}) {
		t.Errorf("resources with similar images: %v, want %v", got, []int64{orig.ID, cp.ID})
	}

	// A restart (new Media over the same database) keeps the pairs and
	// finds new ones against what was indexed before.
	m.Close()
	m2 := mediasvc.New(s, mediasvc.Config{})
	third := mustCreate(t, s, imagetest.JPEG(t, photo, 60), resources.CreateInput{Name: "third"})
	if err := m2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := names(third.ID); !cmp.Equal(got, []string{"original", "copy"}) && !cmp.Equal(got, []string{"copy", "original"}) {
		t.Errorf("similar to a third copy after a restart: %v", got)
	}

	// Deleting a resource drops its pairs; rotating one recomputes them.
	if err := s.Delete(ctx, cp.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Rotate(ctx, third.ID, 90); err != nil {
		t.Fatal(err)
	}
	if err := m2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := withSimilar(); len(got) != 0 {
		t.Errorf("after deleting the copy and turning the third: pairs of %v remain", got)
	}

	// A lower threshold drops pairs further apart than it.
	if _, err := m2.Rotate(ctx, third.ID, 270); err != nil {
		t.Fatal(err)
	}
	if err := m2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := withSimilar(); len(got) != 2 {
		t.Fatalf("after turning back: %v", got)
	}
	m2.Close()
	strict := mediasvc.New(s, mediasvc.Config{SimilarityThreshold: -1})
	if err := strict.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var far int
	s.DB().NewRaw(`SELECT count(*) FROM resource_similar WHERE distance > 0`).Scan(ctx, &far)
	if far != 0 {
		t.Errorf("%d pairs over threshold 0 remain", far)
	}
}

func TestMediaWorker(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	m := mediasvc.New(s, mediasvc.Config{PollInterval: 10 * time.Millisecond})
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	photo := imagetest.Photo(200, 150, 3)
	a := mustCreate(t, s, imagetest.JPEG(t, photo, 90), resources.CreateInput{})
	mustCreate(t, s, imagetest.JPEG(t, photo, 50), resources.CreateInput{})
	m.Wake()
	for range 500 {
		sim, err := s.Similar(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(sim) == 1 {
			return
		}
		timeSleep()
	}
	t.Fatal("the worker did not pair two copies of one picture")
}

func timeSleep() { <-time.After(10 * time.Millisecond) }

// TestBatchPreparesNothingNew: once the worker's statements are prepared,
// a batch runs them again without parsing any text, however many images
// it files and pairs it finds (bound arguments; bun's texts, with their
// values written in, were parsed anew every batch).
func TestBatchPreparesNothingNew(t *testing.T) {
	dbtest.SkipOnPostgres(t, "counts the statements SQLite's connections prepare")
	s, _ := newTestStore(t)
	ctx := context.Background()
	m := mediasvc.New(s, mediasvc.Config{})
	var perBatch []int64
	for round := range 4 {
		photo := imagetest.Photo(160, 120, uint64(round+1))
		mustCreate(t, s, imagetest.JPEG(t, photo, 92), resources.CreateInput{Name: fmt.Sprint("photo ", round)})
		// The same picture again, as a PNG: a pair to file.
		mustCreate(t, s, imagetest.Encode(t, photo, "image/png"), resources.CreateInput{Name: fmt.Sprint("copy ", round)})
		before := sqlitedb.Prepared()
		if err := m.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		perBatch = append(perBatch, sqlitedb.Prepared()-before)
	}
	if got := perBatch[len(perBatch)-2:]; got[0] != 0 || got[1] != 0 {
		t.Errorf("statements prepared per batch: %v; the last two prepared some", perBatch)
	}
	for round := range 4 {
		if sim, err := s.Similar(ctx, int64(2*round+1)); err != nil || len(sim) != 1 {
			t.Errorf("photo %d: similar %v, %v; want its copy", round, sim, err)
		}
	}
}
