package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stockroomhq/stockroom/internal/dbtest"
	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
	"github.com/stockroomhq/stockroom/resources"
)

// TestEverydayRequestsPrepareNothingNew: once warm, the everyday requests
// of the load benchmark (an upload naming a tag, a resource, the default
// list, a Name search, a Tags filter), and the background work uploads
// start, run only statements their connections prepared before. bun
// writes values into its texts, so that a statement built with it is
// parsed and planned on every request: the tag links of an upload, the
// media worker's batch, a list's BEGIN and ROLLBACK were.
func TestEverydayRequestsPrepareNothingNew(t *testing.T) {
	dbtest.SkipOnPostgres(t, "counts the statements SQLite's connections prepare")
	// One connection for everything, so that every statement is prepared
	// on it in the warm rounds: a pool opens another connection when a
	// background read (the text indexer's look) holds one, and each
	// connection prepares its statements once.
	db := dbtest.Open(t)
	e := newTestEnv(t, func(c *envConfig) { c.opts.DB = db.Writer })
	name := "sea"
	tag, err := e.Lib.Store.SaveTag(t.Context(), resources.TagInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	tagID := fmt.Sprint(tag.ID)
	n := 0
	upload := func() int64 {
		n++
		img := imagetest.JPEG(t, imagetest.Photo(64, 48, uint64(n)), 80)
		return e.uploadOK(t, filePart("resource", fmt.Sprintf("p%d.jpg", n), img),
			fieldPart("Name", fmt.Sprint("photo ", n)), fieldPart("Tags", tagID))
	}
	id := upload()
	get := func(path string) {
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
	}
	round := func() {
		for range 3 {
			upload()
		}
		if err := e.Lib.Media.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Lib.Store.IndexText(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{fmt.Sprintf("/v1/resource?id=%d", id), "/v1/resources?MaxResults=2", "/v1/resources?Name=photo", "/v1/resources?Tags=" + tagID} {
			get(path)
		}
	}
	round()
	round()
	before := sqlitedb.Prepared()
	const rounds = 3
	for range rounds {
		round()
	}
	// A few at most: what runs once a second (the size lookup of
	// lists) may come due in these rounds. Each upload prepared 2.
	if got := sqlitedb.Prepared() - before; got >= rounds {
		t.Errorf("%d warm rounds of requests prepared %d statements, want (about) none", rounds, got)
	}
}
