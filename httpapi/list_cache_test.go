package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestListAfterWrites: the list answers what was last written, while the
// JSON of its resources is kept between reads: a tag renamed, a resource
// renamed and a resource deleted through the API show in the next list,
// with its headers and its length.
func TestListAfterWrites(t *testing.T) {
	e := newTestEnv(t)
	tag := e.createID(t, "/v1/tag", map[string]any{"Name": "tag-before"})
	var ids []int64
	for i := range 3 {
		ids = append(ids, e.uploadOK(t, filePart("resource", fmt.Sprintf("f%d.txt", i), fmt.Appendf(nil, "content %d", i)), fieldPart("Name", fmt.Sprintf("name-before-%d", i))))
	}
	do(t, "POST", e.URL+"/v1/resources/addTags", map[string]any{"ID": ids, "EditedId": []int64{tag}}).wantStatus(t, http.StatusOK)
	list := func(want ...string) {
		t.Helper()
		for range 2 { // the second from what the first kept
			r := do(t, "GET", e.URL+"/v1/resources", nil).wantStatus(t, http.StatusOK)
			if n := r.Header.Get("Content-Length"); n != fmt.Sprint(len(r.Body)) {
				t.Errorf("Content-Length %s for %d bytes", n, len(r.Body))
			}
			if !strings.HasSuffix(string(r.Body), "]\n") {
				t.Errorf("list does not end in ]\\n: %q", r.Body[max(0, len(r.Body)-10):])
			}
			for _, w := range want {
				if n := strings.Count(string(r.Body), w); n == 0 {
					t.Errorf("list without %q: %s", w, r.Body)
				}
			}
			for _, gone := range []string{"tag-before", "name-before-1", "name-before-2"} {
				if strings.Contains(strings.Join(want, " "), gone) {
					continue
				}
				if strings.Contains(string(r.Body), gone) {
					t.Errorf("list still shows %q: %s", gone, r.Body)
				}
			}
			if got := len(r.array(t)); got != len(ids) {
				t.Errorf("%d resources listed, want %d", got, len(ids))
			}
		}
	}
	list("tag-before", "name-before-1", "name-before-2")
	do(t, "POST", e.URL+"/v1/tag", map[string]any{"ID": tag, "Name": "tag-after"}).wantStatus(t, http.StatusOK)
	list("tag-after", "name-before-1", "name-before-2")
	do(t, "POST", e.URL+"/v1/resource/editName", map[string]any{"id": ids[1], "name": "name-after-1"}).wantStatus(t, http.StatusOK)
	list("tag-after", "name-after-1", "name-before-2")
	do(t, "POST", e.URL+"/v1/resources/delete", map[string]any{"ID": []int64{ids[2]}}).wantStatus(t, http.StatusOK)
	ids = ids[:2]
	list("tag-after", "name-after-1")
}
