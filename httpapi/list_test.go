package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestListResources(t *testing.T) {
	e := newTestEnv(t)
	var uploaded []int64
	for i := range 3 {
		uploaded = append(uploaded, e.uploadOK(t,
			filePart("resource", fmt.Sprintf("file%d.txt", i), []byte(fmt.Sprintf("list content %d\n", i))),
			fieldPart("Meta", fmt.Sprintf(`{"index": %d, "k%d": true}`, i, i)),
		))
	}
	img := e.uploadOK(t, filePart("resource", "pic.png", pngBytes(t, 20, 10, 1)))
	all := append(append([]int64{}, uploaded...), img)

	tests := []struct {
		name, query string
		want        []int64
		total       string
		page, per   string
	}{
		{"all, newest first", "", []int64{all[3], all[2], all[1], all[0]}, "4", "1", "50"},
		{"sorted by id", qs("SortBy", "id asc"), all, "4", "1", "50"},
		{"page 2 of 3", qs("SortBy", "id", "MaxResults", "3", "page", "2"), all[3:], "4", "2", "3"},
		{"lower-case keys", qs("sortby", "ID DESC", "maxresults", "2"), []int64{all[3], all[2]}, "4", "1", "2"},
		{"by name", qs("Name", "FILE1"), []int64{all[1]}, "1", "1", "50"},
		{"by content type", qs("ContentType", "image/png"), []int64{img}, "1", "1", "50"},
		{"by ids", qs("Ids", itoa(all[0]), "Ids", itoa(all[2]), "SortBy", "id"), []int64{all[0], all[2]}, "2", "1", "50"},
		{"by width", qs("MinWidth", "11"), []int64{img}, "1", "1", "50"},
		{"by meta", qs("MetaQuery", "index:EQ:1"), []int64{all[1]}, "1", "1", "50"},
		{"past the end", qs("page", "9"), []int64{}, "4", "9", "50"},
		{"MaxResults capped", qs("MaxResults", "5000", "SortBy", "id"), all, "4", "1", "1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "GET", e.URL+"/v1/resources"+tt.query, nil).wantStatus(t, http.StatusOK)
			if diff := cmp.Diff(tt.want, ids(t, r.array(t))); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
			gotHeaders := []string{r.Header.Get("X-Total-Count"), r.Header.Get("X-Page"), r.Header.Get("X-Per-Page")}
			if diff := cmp.Diff([]string{tt.total, tt.page, tt.per}, gotHeaders); diff != "" {
				t.Errorf("X-Total-Count, X-Page, X-Per-Page (-want +got):\n%s", diff)
			}
		})
	}
	for _, query := range []string{
		qs("SortBy", "nosuchcolumn"),
		qs("SortBy", "name; DROP TABLE resources"),
		qs("SortBy", "id sideways"),
		qs("MetaQuery", "index:XX:1"),
		qs("page", "x"),
		qs("Tags", "a"),
		qs("CreatedBefore", "yesterday"),
	} {
		t.Run("bad "+query, func(t *testing.T) {
			do(t, "GET", e.URL+"/v1/resources"+query, nil).wantError(t, http.StatusBadRequest)
		})
	}
	t.Run("listed resource", func(t *testing.T) {
		list := do(t, "GET", e.URL+"/v1/resources"+qs("Ids", itoa(img)), nil).wantStatus(t, http.StatusOK).array(t)
		one := e.getResource(t, img)
		if diff := cmp.Diff(dropVolatile(t, one), dropVolatile(t, list[0])); diff != "" {
			t.Errorf("list item differs from GET /v1/resource (-get +list):\n%s", diff)
		}
	})
	t.Run("meta keys", func(t *testing.T) {
		got := do(t, "GET", e.URL+"/v1/resources/meta/keys", nil).wantStatus(t, http.StatusOK).json(t)
		want := []any{"index", "k0", "k1", "k2"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("meta keys (-want +got):\n%s", diff)
		}
	})
}

func TestListResourcesEmpty(t *testing.T) {
	e := newTestEnv(t)
	r := do(t, "GET", e.URL+"/v1/resources", nil).wantStatus(t, http.StatusOK)
	if string(r.Body) != "[]\n" {
		t.Errorf("body %q, want []", r.Body)
	}
	if r.Header.Get("X-Total-Count") != "0" {
		t.Errorf("X-Total-Count %q", r.Header.Get("X-Total-Count"))
	}
	r = do(t, "GET", e.URL+"/v1/resources/meta/keys", nil).wantStatus(t, http.StatusOK)
	if string(r.Body) != "[]\n" {
		t.Errorf("meta keys %q, want []", r.Body)
	}
}

// TestListCreatedBoundsInclusive: CreatedAfter and CreatedBefore both
// include the time given, as the reference's SQL (>=, <=) does, so a
// resource's own CreatedAt finds it from either side; a tag list likewise.
func TestListCreatedBoundsInclusive(t *testing.T) {
	e := newTestEnv(t)
	id := e.uploadOK(t, filePart("resource", "a.txt", []byte("a\n")))
	created := e.getResource(t, id)["CreatedAt"].(string)
	at, err := time.Parse(time.RFC3339Nano, created)
	if err != nil {
		t.Fatal(err)
	}
	earlier := at.Add(-time.Microsecond).Format(time.RFC3339Nano)
	for _, tc := range []struct {
		key, value string
		want       []int64
	}{
		{"CreatedBefore", created, []int64{id}},
		{"CreatedAfter", created, []int64{id}},
		{"CreatedBefore", earlier, []int64{}},
	} {
		got := ids(t, do(t, "GET", e.URL+"/v1/resources"+qs(tc.key, tc.value), nil).wantStatus(t, http.StatusOK).array(t))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s=%s (created %s) (-want +got):\n%s", tc.key, tc.value, created, diff)
		}
	}
	tag := e.create(t, "/v1/tag", map[string]any{"Name": "bound"})
	if got := do(t, "GET", e.URL+"/v1/tags"+qs("CreatedBefore", tag["CreatedAt"].(string)), nil).wantStatus(t, http.StatusOK).array(t); len(got) != 1 {
		t.Errorf("tags created before their own CreatedAt %v: %v", tag["CreatedAt"], got)
	}
}

// TestListNewerFilters: the filters of newer versions of the reference that
// this server applies (Untagged, ContentTypes, UpdatedAfter/Before, both
// bounds inclusive), and the ones it does not, refused rather than ignored.
func TestListNewerFilters(t *testing.T) {
	e := newTestEnv(t)
	tag := e.createID(t, "/v1/tag", map[string]any{"Name": "t"})
	tagged := e.uploadOK(t, filePart("resource", "a.txt", []byte("a\n")), fieldPart("Tags", itoa(tag)))
	png := e.uploadOK(t, filePart("resource", "b.png", pngBytes(t, 2, 2, 1)))
	updated := e.getResource(t, png)["UpdatedAt"].(string)
	list := func(kv ...string) []int64 {
		t.Helper()
		return ids(t, do(t, "GET", e.URL+"/v1/resources"+qs(kv...), nil).wantStatus(t, http.StatusOK).array(t))
	}
	for _, tc := range []struct {
		query []string
		want  []int64
	}{
		{[]string{"Untagged", "true"}, []int64{png}},
		{[]string{"untagged", "false"}, []int64{png, tagged}},
		{[]string{"ContentTypes", "IMAGE/PNG"}, []int64{png}},
		{[]string{"ContentTypes", "image/png", "ContentTypes", "text/plain"}, []int64{png, tagged}},
		{[]string{"UpdatedAfter", updated}, []int64{png}},
		{[]string{"UpdatedBefore", updated}, []int64{png, tagged}},
		{[]string{"UpdatedAfter", "2100-01-01"}, []int64{}},
		{[]string{"IncludeSubgroups", "true"}, []int64{png, tagged}}, // no OwnerId: nothing to widen
	} {
		if diff := cmp.Diff(tc.want, list(tc.query...)); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.query, diff)
		}
	}
	for _, q := range [][]string{{"OwnerId", "1", "IncludeSubgroups", "true"}, {"ShowDhashZero", "true"}, {"MRQL", "name = 'x'"}, {"UpdatedBefore", "yesterday"}} {
		do(t, "GET", e.URL+"/v1/resources"+qs(q...), nil).wantError(t, http.StatusBadRequest, q[len(q)-2])
	}
}
