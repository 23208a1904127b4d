package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInputLimits sends every kind of bad text, length, ID list and
// number through the real handlers: each is a 400 naming the field, and
// nothing changes.
func TestInputLimits(t *testing.T) {
	e := newTestEnv(t)
	res := e.uploadOK(t, filePart("resource", "a.png", pngBytes(t, 4, 4, 1)), fieldPart("Name", "a"))
	tag := e.createID(t, "/v1/tag", map[string]any{"Name": "t"})
	group := e.createID(t, "/v1/group", map[string]any{"Name": "g"})
	id, tagID, groupID := strconv.FormatInt(res, 10), strconv.FormatInt(tag, 10), strconv.FormatInt(group, 10)

	// snapshot is everything a refused request must leave as it was.
	snapshot := func() []string {
		out := []string{fmt.Sprint(e.state(t))}
		for _, u := range []string{"/v1/resource?id=" + id, "/v1/tag?id=" + tagID, "/v1/group?id=" + groupID, "/v1/seriesList", "/v1/resource/versions?resourceId=" + id} {
			out = append(out, string(do(t, "GET", e.URL+u, nil).wantStatus(t, http.StatusOK).Body))
		}
		return out
	}
	long := func(n int) string { return strings.Repeat("é", n) } // 2 bytes each: bounds count characters
	idList := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = strconv.Itoa(i + 1)
		}
		return strings.Join(s, ",")
	}
	uploadBody, uploadType := multipartBody(t, fieldPart("Name", "x\x00y"), filePart("resource", "b.png", pngBytes(t, 4, 4, 2)))

	for _, tc := range []struct {
		name, method, path string
		body               any
		header             []string
		field              string // named in the error
	}{
		{"NUL in tag name", "POST", "/v1/tag", map[string]any{"Name": "a\x00b"}, nil, "Name"},
		{"NUL in tag name form", "POST", "/v1/tag", url.Values{"Name": {"a\x00b"}}, nil, "Name"},
		{"NUL in tag name query", "POST", "/v1/tag?Name=a%00b", nil, nil, "Name"},
		{"invalid UTF-8 in a form", "POST", "/v1/resource/edit", url.Values{"id": {id}, "Name": {"a\xffb"}}, nil, "Name"},
		{"invalid UTF-8 in JSON", "POST", "/v1/resource/edit", "{\"id\":" + id + ",\"Description\":\"a\xffb\"}", []string{"Content-Type", "application/json"}, "Description"},
		{"NUL in description", "POST", "/v1/resource/editDescription?id=" + id, map[string]any{"Description": "a\x00"}, nil, "Description"},
		{"NUL in a slug", "POST", "/v1/series", map[string]any{"Name": "s", "Slug": "a\x00"}, nil, "Slug"},
		{"NUL in a comment", "POST", "/v1/resource/version/restore", map[string]any{"resourceId": res, "versionId": 1, "comment": "\x00"}, nil, "comment"},
		{"NUL in a URL", "POST", "/v1/resource/remote", map[string]any{"URL": "http://example.com/\x00"}, nil, "URL"},
		{"NUL in Meta", "POST", "/v1/resource/edit", map[string]any{"id": res, "Meta": map[string]any{"k": "\x00"}}, nil, "Meta"},
		{"NUL in a Meta key", "POST", "/v1/group", map[string]any{"ID": group, "Meta": `{"a\u0000": 1}`}, nil, "Meta"},
		{"NUL in an upload field", "POST", "/v1/resource", uploadBody, []string{"Content-Type", uploadType}, "Name"},
		{"NUL in a file name", "POST", "/v1/resource", "--b\r\nContent-Disposition: form-data; name=\"resource\"; filename*=UTF-8''a%00b.png\r\n\r\nfile\r\n--b--\r\n",
			[]string{"Content-Type", "multipart/form-data; boundary=b"}, "resource"},
		{"NUL in a list filter", "GET", "/v1/resources?Name=a%00", nil, nil, "Name"},
		{"NUL in a MetaQuery", "GET", "/v1/resources?MetaQuery=a%3A%00", nil, nil, "MetaQuery"},
		{"long name", "POST", "/v1/tag", map[string]any{"ID": tag, "Name": long(1001)}, nil, "Name"},
		{"long description", "POST", "/v1/resource/edit", map[string]any{"id": res, "Description": long(100_001)}, nil, "Description"},
		{"long name edit", "POST", "/v1/resource/editName?id=" + id, map[string]any{"value": long(1001)}, nil, "Name"},
		{"long URL", "POST", "/v1/resource/remote", map[string]any{"URL": "http://example.com/" + long(8200)}, nil, "URL"},
		{"long resource filter", "GET", "/v1/resources" + qs("Name", long(60_000)), nil, nil, "Name"},
		{"long entity filter", "GET", "/v1/tags" + qs("Name", long(60_000)), nil, nil, "Name"},
		{"long entity description filter", "GET", "/v1/groups" + qs("Description", long(1001)), nil, nil, "Description"},
		{"long hash filter", "GET", "/v1/resources" + qs("Hash", long(1001)), nil, nil, "Hash"},
		{"huge width", "POST", "/v1/resources/setDimensions", map[string]any{"id": res, "Width": int64(9223372036854775807), "Height": 1}, nil, "Width"},
		{"negative height", "POST", "/v1/resources/setDimensions", map[string]any{"id": res, "Width": 1, "Height": -1}, nil, "Height"},
		{"huge width on edit", "POST", "/v1/resource/edit", map[string]any{"id": res, "Width": 1_000_001}, nil, "Width"},
		{"huge width filter", "GET", "/v1/resources?MinWidth=99999999999", nil, nil, "MinWidth"},
		{"negative ID in a list", "POST", "/v1/resources/addTags", map[string]any{"ID": []int64{res, -1}, "EditedId": []int64{tag}}, nil, "ID"},
		{"too many IDs", "POST", "/v1/resources/addTags", url.Values{"ID": {id}, "EditedId": {idList(10_001)}}, nil, "EditedId"},
		{"too many tag filters", "GET", "/v1/resources?Tags=" + idList(10_001), nil, nil, "Tags"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot()
			r := do(t, tc.method, e.URL+tc.path, tc.body, tc.header...)
			r.wantError(t, http.StatusBadRequest, tc.field)
			if diff := cmp.Diff(before, snapshot()); diff != "" {
				t.Errorf("changed by a refused request (-before +after):\n%s", diff)
			}
		})
	}

	// The bounds themselves are allowed, and long ID lists are answered.
	for _, tc := range []struct {
		name, method, path string
		body               any
	}{
		{"name at the bound", "POST", "/v1/tag", map[string]any{"ID": tag, "Name": long(1000)}},
		{"description at the bound", "POST", "/v1/resource/edit", map[string]any{"id": res, "Description": long(100_000)}},
		{"filter at the bound", "GET", "/v1/tags" + qs("Name", long(1000)), nil},
		{"600 tags", "GET", "/v1/resources?Tags=" + idList(600), nil},
		{"1000 groups", "GET", "/v1/resources?Groups=" + idList(1000), nil},
		{"10000 notes", "GET", "/v1/resources?Notes=" + idList(10_000), nil},
		{"10000 IDs", "GET", "/v1/resources?Ids=" + idList(10_000), nil},
		{"largest width", "POST", "/v1/resources/setDimensions", map[string]any{"id": res, "Width": 1_000_000, "Height": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			do(t, tc.method, e.URL+tc.path, tc.body).wantStatus(t, http.StatusOK)
		})
	}
}
