package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/preview"
)

// previewImage decodes a preview answer.
func previewImage(tb testing.TB, r *response) image.Image {
	tb.Helper()
	var img image.Image
	var err error
	switch ct := r.Header.Get("Content-Type"); ct {
	case "image/jpeg":
		img, err = jpeg.Decode(bytes.NewReader(r.Body))
	case "image/png":
		img, err = png.Decode(bytes.NewReader(r.Body))
	default:
		tb.Fatalf("preview Content-Type %q; body %.200s", ct, r.Body)
	}
	if err != nil {
		tb.Fatalf("decoding the preview: %v", err)
	}
	return img
}

func (e *testEnv) uploadFile(tb testing.TB, name string, data []byte) int64 {
	tb.Helper()
	return e.uploadOK(tb, filePart("resource", name, data))
}

func TestPreview(t *testing.T) {
	e := newTestEnv(t)
	id := e.uploadFile(t, "wide.png", imagetest.Encode(t, imagetest.Photo(800, 400, 1), "image/png"))
	tests := []struct {
		query        string
		wantW, wantH int
	}{
		{qs("ID", fmt.Sprint(id)), 600, 300},
		{qs("id", fmt.Sprint(id), "Width", "200", "Height", "200"), 200, 100},
		{qs("ID", fmt.Sprint(id), "Height", "50"), 100, 50},
		{qs("id", fmt.Sprint(id), "Width", "256", "Height", "256"), 256, 128},
		{qs("ID", fmt.Sprint(id), "Width", "5000", "Height", "5000"), 800, 400},
	}
	for _, tt := range tests {
		r := do(t, "GET", e.URL+"/v1/resource/preview"+tt.query, nil).wantStatus(t, http.StatusOK)
		if r.Header.Get("Content-Type") != "image/jpeg" || r.Header.Get("X-Stockroom-Preview") != "" {
			t.Errorf("%s: %s, placeholder %q", tt.query, r.Header.Get("Content-Type"), r.Header.Get("X-Stockroom-Preview"))
		}
		if got := previewImage(t, r).Bounds().Size(); got != image.Pt(tt.wantW, tt.wantH) {
			t.Errorf("%s: size %v, want %dx%d", tt.query, got, tt.wantW, tt.wantH)
		}
	}

	// ETag and If-None-Match.
	u := e.URL + "/v1/resource/preview" + qs("ID", fmt.Sprint(id), "Width", "64")
	first := do(t, "GET", u, nil).wantStatus(t, http.StatusOK)
	etag := first.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if r := do(t, "GET", u, nil, "If-None-Match", etag); r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Errorf("If-None-Match: status %d with %d bytes, want 304", r.Status, len(r.Body))
	}
	if r := do(t, "GET", u, nil, "If-None-Match", `"something-else"`); r.Status != http.StatusOK {
		t.Errorf("other If-None-Match: status %d", r.Status)
	}
	if r := do(t, "HEAD", u, nil); r.Status != http.StatusOK || r.Header.Get("ETag") != etag {
		t.Errorf("HEAD: %d, ETag %q", r.Status, r.Header.Get("ETag"))
	}

	do(t, "GET", e.URL+"/v1/resource/preview"+qs("ID", fmt.Sprint(id)), nil, "Range", "bytes=99999999-").wantError(t, http.StatusRequestedRangeNotSatisfiable, "Range")
	do(t, "GET", e.URL+"/v1/resource/preview"+qs("ID", "999"), nil).wantError(t, http.StatusNotFound, "999")
	do(t, "GET", e.URL+"/v1/resource/preview", nil).wantError(t, http.StatusBadRequest, "id")
	do(t, "GET", e.URL+"/v1/resource/preview"+qs("ID", fmt.Sprint(id), "Width", "wide"), nil).wantError(t, http.StatusBadRequest, "Width")
	do(t, "GET", e.URL+"/v1/resource/preview"+qs("ID", fmt.Sprint(id), "Width", "-5"), nil).wantError(t, http.StatusBadRequest, "Width")
}

// TestPreviewExactBox: the preview fits the exact box asked for (capped at
// 2048), keeping the aspect: the constraining side is the box's, the
// other rounded to the nearest pixel (1000 × 200/3000 = 66.7 → 67). A
// smaller image is not enlarged, and a placeholder fits the box too. Each
// box has its own ETag, which revalidates.
func TestPreviewExactBox(t *testing.T) {
	e := newTestEnv(t)
	wide := e.uploadFile(t, "wide.jpg", imagetest.JPEG(t, imagetest.Photo(3000, 1000, 1), 85))
	tall := e.uploadFile(t, "tall.jpg", imagetest.JPEG(t, imagetest.Photo(300, 600, 2), 85))
	small := e.uploadFile(t, "small.jpg", imagetest.JPEG(t, imagetest.Photo(400, 300, 3), 85))
	doc := e.uploadFile(t, "doc.pdf", []byte("%PDF-1.7\n%%EOF\n"))
	type answer struct {
		ContentType, Placeholder string
		Width, Height            int
	}
	get := func(t *testing.T, query string, header ...string) (answer, *response) {
		t.Helper()
		r := do(t, "GET", e.URL+"/v1/resource/preview"+query, nil, header...).wantStatus(t, http.StatusOK)
		c, _, err := image.DecodeConfig(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatalf("%s: decoding: %v", query, err)
		}
		return answer{r.Header.Get("Content-Type"), r.Header.Get("X-Stockroom-Preview"), c.Width, c.Height}, r
	}
	tests := []struct {
		query string
		want  answer
	}{
		{qs("ID", fmt.Sprint(wide), "Width", "200", "Height", "200"), answer{"image/jpeg", "", 200, 67}},
		{qs("ID", fmt.Sprint(wide), "Width", "300"), answer{"image/jpeg", "", 300, 100}},
		{qs("ID", fmt.Sprint(wide), "Width", "5000"), answer{"image/jpeg", "", 2048, 683}},
		{qs("ID", fmt.Sprint(tall), "Height", "100"), answer{"image/jpeg", "", 50, 100}},
		{qs("ID", fmt.Sprint(small)), answer{"image/jpeg", "", 400, 300}},
		{qs("ID", fmt.Sprint(doc), "Width", "100", "Height", "100"), answer{"image/png", "placeholder", 100, 100}},
	}
	for _, tt := range tests {
		got, _ := get(t, tt.query)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.query, diff)
		}
	}

	var etags []string
	for _, w := range []string{"200", "210"} {
		_, r := get(t, qs("ID", fmt.Sprint(wide), "Width", w))
		etags = append(etags, r.Header.Get("ETag"))
	}
	if etags[0] == "" || etags[0] == etags[1] {
		t.Errorf("ETags of widths 200 and 210: %q", etags)
	}
	u := e.URL + "/v1/resource/preview" + qs("ID", fmt.Sprint(wide), "Width", "210")
	if r := do(t, "GET", u, nil, "If-None-Match", etags[1]); r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Errorf("If-None-Match of its own ETag: %d with %d bytes, want 304", r.Status, len(r.Body))
	}
	if got, _ := get(t, qs("ID", fmt.Sprint(wide), "Width", "210"), "If-None-Match", etags[0]); got.Width != 210 || got.Height != 70 {
		t.Errorf("If-None-Match of width 200's ETag: %dx%d, want the 210x70 preview", got.Width, got.Height)
	}
}

func TestPreviewOrientation(t *testing.T) {
	e := newTestEnv(t)
	shown := imagetest.Quadrants(64, 32)
	data := imagetest.WithAPP1(imagetest.JPEG(t, imagetest.Stored(shown, 6), 95), imagetest.EXIFPayload(imagetest.EXIF{Orientation: 6}))
	id := e.uploadFile(t, "turned.jpg", data)
	m := do(t, "GET", e.URL+"/v1/resource"+qs("id", fmt.Sprint(id)), nil).wantStatus(t, http.StatusOK).object(t)
	if m["Width"] != int64(64) || m["Height"] != int64(32) {
		t.Errorf("recorded size %vx%v, want 64x32 as displayed", m["Width"], m["Height"])
	}
	img := previewImage(t, do(t, "GET", e.URL+"/v1/resource/preview"+qs("ID", fmt.Sprint(id), "Width", "32"), nil).wantStatus(t, http.StatusOK))
	if img.Bounds().Size() != image.Pt(32, 16) {
		t.Fatalf("size %v, want 32x16", img.Bounds().Size())
	}
	if c := color.RGBAModel.Convert(img.At(28, 3)).(color.RGBA); c.G < 150 || c.R > 100 {
		t.Errorf("top right is %v, want the green quadrant", c)
	}
}

func TestPreviewPlaceholders(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name, reason string
		data         []byte
	}{
		{"notes.txt", "not-an-image", []byte("some plain text\n")},
		{"paper.pdf", "not-an-image", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n")},
		{"broken.jpg", "undecodable", imagetest.JPEG(t, imagetest.Photo(64, 64, 2), 80)[:200]},
		{"bomb.png", "too-many-pixels", imagetest.PNGHeader(50000, 50000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := e.uploadFile(t, tt.name, tt.data)
			start := time.Now()
			r := do(t, "GET", e.URL+"/v1/resource/preview"+qs("ID", fmt.Sprint(id), "Width", "120", "Height", "90"), nil).wantStatus(t, http.StatusOK)
			if r.Header.Get("X-Stockroom-Preview") != "placeholder" || r.Header.Get("X-Stockroom-Preview-Reason") != tt.reason {
				t.Errorf("headers %q %q, want placeholder %s", r.Header.Get("X-Stockroom-Preview"), r.Header.Get("X-Stockroom-Preview-Reason"), tt.reason)
			}
			if img := previewImage(t, r); img.Bounds().Size() != image.Pt(90, 90) { // the box's smaller side
				t.Errorf("placeholder size %v, want 90x90", img.Bounds().Size())
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	// The bomb's header size is recorded, and rotating it is refused
	// without decoding.
	id := e.uploadFile(t, "bomb2.png", append(imagetest.PNGHeader(40000, 40000), 0))
	do(t, "POST", e.URL+"/v1/resources/rotate", map[string]any{"ID": id, "Degrees": 90}).wantError(t, http.StatusUnsupportedMediaType, "pixels")
}

func TestPreviewsSharedAndOnce(t *testing.T) {
	e := newTestEnv(t, func(c *envConfig) { c.opts.AllowDuplicates = true })
	data := imagetest.JPEG(t, imagetest.Photo(300, 200, 3), 85)
	a := e.uploadFile(t, "a.jpg", data)
	b := e.uploadFile(t, "b.jpg", data)
	before := e.Lib.Previews.Renders()
	var wg sync.WaitGroup
	etags := make([]string, 6)
	for i := range 6 {
		id := []int64{a, b}[i%2]
		wg.Go(func() {
			r := do(t, "GET", e.URL+"/v1/resource/preview"+qs("ID", fmt.Sprint(id), "Width", "100"), nil)
			etags[i] = r.Header.Get("ETag")
		})
	}
	wg.Wait()
	if n := e.Lib.Previews.Renders() - before; n != 1 {
		t.Errorf("%d renders for six requests of the same content, want 1", n)
	}
	for _, tag := range etags {
		if tag != etags[0] || tag == "" {
			t.Errorf("ETags %q", etags)
			break
		}
	}
}

// TestPreviewRevalidation: a client that holds the picture of a preview is
// answered 304 from its ETag alone, in any form of If-None-Match, before
// the preview is rendered or read; a tag it does not hold gets the preview.
func TestPreviewRevalidation(t *testing.T) {
	e := newTestEnv(t)
	data := imagetest.JPEG(t, imagetest.Photo(300, 200, 5), 85)
	id := e.uploadFile(t, "r.jpg", data)
	h := blobstore.Hash(sha256.Sum256(data))
	box, err := preview.NewBox(100, 0)
	if err != nil {
		t.Fatal(err)
	}
	etag := preview.ETag(h, box)
	u := e.URL + "/v1/resource/preview" + qs("ID", fmt.Sprint(id), "Width", "100")
	renders, hits := e.Lib.Previews.Renders(), e.Lib.Previews.CacheHits()
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		r := do(t, "GET", u, nil, "If-None-Match", inm)
		if r.Status != http.StatusNotModified || len(r.Body) != 0 || r.Header.Get("ETag") != etag || r.Header.Get("Cache-Control") != "public, max-age=86400" {
			t.Errorf("If-None-Match %s: %d with %d bytes, ETag %q, Cache-Control %q", inm, r.Status, len(r.Body), r.Header.Get("ETag"), r.Header.Get("Cache-Control"))
		}
	}
	if e.Lib.Previews.Renders() != renders || e.Lib.Previews.CacheHits() != hits {
		t.Errorf("revalidations rendered %d and read %d previews", e.Lib.Previews.Renders()-renders, e.Lib.Previews.CacheHits()-hits)
	}
	// The tag the previous version gave this request (its box rounded up
	// to 128) names another picture.
	r := do(t, "GET", u, nil, "If-None-Match", `"`+h.String()+`-preview-v1-128x2048"`).wantStatus(t, http.StatusOK)
	if r.Header.Get("ETag") != etag || e.Lib.Previews.Renders() != renders+1 {
		t.Errorf("another tag: ETag %q (want %q), %d renders", r.Header.Get("ETag"), etag, e.Lib.Previews.Renders()-renders)
	}
	do(t, "GET", e.URL+"/v1/resource/preview"+qs("ID", "999"), nil, "If-None-Match", "*").wantError(t, http.StatusNotFound, "999")
}

func TestRotateEndpoint(t *testing.T) {
	e := newTestEnv(t)
	for _, ct := range imagetest.Formats {
		t.Run(ct, func(t *testing.T) {
			id := e.uploadFile(t, "q"+ct[6:], imagetest.Encode(t, imagetest.Quadrants(40, 20), ct))
			m := do(t, "POST", e.URL+"/v1/resources/rotate", map[string]any{"ID": id, "Degrees": 270}).wantStatus(t, http.StatusOK).object(t)
			if m["Width"] != int64(20) || m["Height"] != int64(40) || m["ContentType"] != ct {
				t.Errorf("after rotating: %v %vx%v", m["ContentType"], m["Width"], m["Height"])
			}
			vs := do(t, "GET", e.URL+"/v1/resource/versions"+qs("resourceId", fmt.Sprint(id)), nil).wantStatus(t, http.StatusOK).array(t)
			if len(vs) != 2 {
				t.Errorf("%d versions, want 2", len(vs))
			}
		})
	}
	id := e.uploadFile(t, "x.png", imagetest.Encode(t, imagetest.Quadrants(8, 8), "image/png"))
	before := e.state(t)
	do(t, "POST", e.URL+"/v1/resources/rotate", map[string]any{"ID": id, "Degrees": 45}).wantError(t, http.StatusBadRequest, "Degrees")
	do(t, "POST", e.URL+"/v1/resources/rotate", map[string]any{"ID": id}).wantError(t, http.StatusBadRequest, "Degrees")
	do(t, "POST", e.URL+"/v1/resources/rotate", map[string]any{"ID": 999, "Degrees": 90}).wantError(t, http.StatusNotFound, "999")
	e.wantUnchanged(t, before)
	text := e.uploadFile(t, "t.txt", []byte("words\n"))
	do(t, "POST", e.URL+"/v1/resources/rotate", map[string]any{"ID": text, "Degrees": 90}).wantError(t, http.StatusUnsupportedMediaType, "text/plain")
	// Form and query parameters work too.
	do(t, "POST", e.URL+"/v1/resources/rotate"+qs("ID", fmt.Sprint(id), "Degrees", "180"), nil).wantStatus(t, http.StatusOK)
}

func TestDimensionEndpoints(t *testing.T) {
	e := newTestEnv(t)
	id := e.uploadFile(t, "p.png", imagetest.Encode(t, imagetest.Quadrants(30, 20), "image/png"))
	m := do(t, "POST", e.URL+"/v1/resources/setDimensions", map[string]any{"ID": id, "Width": 300, "Height": 200}).wantStatus(t, http.StatusOK).object(t)
	if m["Width"] != int64(300) || m["Height"] != int64(200) {
		t.Errorf("after setDimensions: %vx%v", m["Width"], m["Height"])
	}
	do(t, "POST", e.URL+"/v1/resources/setDimensions", map[string]any{"ID": id, "Width": 0, "Height": 5}).wantError(t, http.StatusBadRequest, "positive")
	do(t, "POST", e.URL+"/v1/resources/setDimensions", map[string]any{"ID": id, "Width": 5}).wantError(t, http.StatusBadRequest, "Height")
	do(t, "POST", e.URL+"/v1/resources/setDimensions", map[string]any{"ID": 999, "Width": 5, "Height": 5}).wantError(t, http.StatusNotFound, "999")

	text := e.uploadFile(t, "t.txt", []byte("words\n"))
	r := do(t, "POST", e.URL+"/v1/resource/recalculateDimensions", map[string]any{"ID": []int64{id, text}}).wantStatus(t, http.StatusOK).object(t)
	if r["ok"] != true {
		t.Errorf("answer %v", r)
	}
	m = do(t, "GET", e.URL+"/v1/resource"+qs("id", fmt.Sprint(id)), nil).wantStatus(t, http.StatusOK).object(t)
	if m["Width"] != int64(30) || m["Height"] != int64(20) {
		t.Errorf("after recalculateDimensions: %vx%v, want 30x20", m["Width"], m["Height"])
	}
	do(t, "POST", e.URL+"/v1/resource/recalculateDimensions", map[string]any{"ID": []int64{id, 999}}).wantError(t, http.StatusNotFound, "999")
	do(t, "POST", e.URL+"/v1/resource/recalculateDimensions", map[string]any{}).wantError(t, http.StatusBadRequest, "ID")
	// A single ID in a form.
	do(t, "POST", e.URL+"/v1/resource/recalculateDimensions"+qs("ID", fmt.Sprint(id)), nil).wantStatus(t, http.StatusOK)
}

func TestSimilarEndpoint(t *testing.T) {
	e := newTestEnv(t)
	photo := imagetest.Photo(320, 240, 4)
	orig := e.uploadFile(t, "orig.jpg", imagetest.JPEG(t, photo, 92))
	copyID := e.uploadFile(t, "copy.jpg", imagetest.JPEG(t, photo, 55))
	other := e.uploadFile(t, "other.jpg", imagetest.JPEG(t, imagetest.Photo(320, 240, 9), 92))
	if err := e.Lib.Media.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	list := do(t, "GET", e.URL+"/v1/resource/similar"+qs("id", fmt.Sprint(orig)), nil).wantStatus(t, http.StatusOK).array(t)
	if len(list) != 1 {
		t.Fatalf("similar to the original: %d resources, want 1", len(list))
	}
	first := list[0].(map[string]any)
	if first["ID"] != copyID || first["Distance"].(int64) > 10 || first["Name"] != "copy.jpg" {
		t.Errorf("similar: %v", first)
	}
	if l := do(t, "GET", e.URL+"/v1/resource/similar"+qs("id", fmt.Sprint(other)), nil).wantStatus(t, http.StatusOK).array(t); len(l) != 0 {
		t.Errorf("similar to an unrelated picture: %v", l)
	}
	do(t, "GET", e.URL+"/v1/resource/similar"+qs("id", "999"), nil).wantError(t, http.StatusNotFound, "999")
}
