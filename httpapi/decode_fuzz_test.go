package httpapi

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stockroomhq/stockroom/httpapi/internal/params"
)

// FuzzDecode runs the whole request decoder (query, JSON, form and
// multipart bodies, then every reader the handlers use) over arbitrary
// requests: it never panics, every error is a *params.Error, and whatever
// it accepts is within the bounds of limits.go. The seed corpus in
// testdata/fuzz/FuzzDecode holds the hostile inputs of issue 14 (NUL,
// invalid UTF-8, long filters, long ID lists, huge dimensions).
func FuzzDecode(f *testing.F) {
	f.Add("application/json", "id=1", []byte(`{"Name": "a\u0000b", "Tags": [1, 2]}`))
	f.Add("application/x-www-form-urlencoded", "", []byte("Name=%FF&Width=9223372036854775807"))
	f.Add("", "Name="+strings.Repeat("x", 1001), []byte(nil))
	f.Add("multipart/form-data; boundary=b", "", []byte("--b\r\nContent-Disposition: form-data; name=\"Description\"\r\n\r\nd\x00\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, contentType, query string, body []byte) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.URL.RawQuery = query
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		a := &api{maxBody: 1 << 16}
		d, err := a.decode(r)
		if err != nil {
			wantParamsError(t, err)
			return
		}
		got := []any{d.createInput(), d.listOptions(), d.optStr("Name"), d.optStr("Description", "value"),
			d.str("comment"), d.str("Slug"), d.strs("URL"), d.optDim("Width"), d.optDim("Height"),
			d.filter("Name"), d.filter("Hash"), d.strs("MetaQuery"), d.ids("Tags"), d.ids("Groups")}
		if d.err != nil {
			wantParamsError(t, d.err)
			return
		}
		for _, v := range got {
			checkBounds(t, "", reflect.ValueOf(v))
		}
	})
}

func wantParamsError(t *testing.T, err error) {
	t.Helper()
	if _, ok := errors.AsType[*params.Error](err); !ok {
		t.Fatalf("error %T %v, want *params.Error", err, err)
	}
}

// checkBounds checks every string, ID list and dimension in v.
func checkBounds(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			checkBounds(t, name, v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			checkBounds(t, v.Type().Field(i).Name, v.Field(i))
		}
	case reflect.String:
		s := v.String()
		limit := textLimit(name)
		if name == "" {
			limit = maxLongText
		}
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 || utf8.RuneCountInString(s) > limit {
			t.Fatalf("%s: accepted %q", name, s)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // Meta: the getter checked it
			if bytes.Contains(v.Bytes(), []byte(`\u0000`)) && !bytes.Contains(v.Bytes(), []byte(`\\`)) {
				t.Fatalf("%s: accepted %s", name, v.Bytes())
			}
			return
		}
		if v.Len() > params.MaxValues {
			t.Fatalf("%s: %d values", name, v.Len())
		}
		for i := range v.Len() {
			checkBounds(t, name, v.Index(i))
		}
	case reflect.Int64:
		if v.Int() <= 0 && strings.HasSuffix(name, "s") { // ID lists
			t.Fatalf("%s: accepted ID %d", name, v.Int())
		}
	case reflect.Int:
		if (name == "Width" || name == "Height") && (v.Int() < 0 || v.Int() > maxDimension) {
			t.Fatalf("%s: accepted %d", name, v.Int())
		}
	}
}
