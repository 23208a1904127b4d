package params

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// result is what a getter returned, in a comparable form.
type result struct {
	V        any
	OK       bool
	Err      string // the error's text, "" for nil
	TooLarge bool
}

// get calls the getter named by name on v with keys.
func get(tb testing.TB, v *Values, name string, keys ...string) result {
	tb.Helper()
	var (
		val any
		ok  bool
		err error
	)
	switch name {
	case "Has":
		return result{OK: v.Has(keys...)}
	case "String":
		val, ok, err = v.String(keys...)
	case "Strings":
		val, ok, err = v.Strings(keys...)
	case "Int64":
		val, ok, err = v.Int64(keys...)
	case "Int64s":
		val, ok, err = v.Int64s(keys...)
	case "Bool":
		val, ok, err = v.Bool(keys...)
	case "Time":
		val, ok, err = v.Time(keys...)
	case "Object":
		var obj []byte
		obj, ok, err = v.Object(keys...)
		val = string(obj)
	default:
		tb.Fatalf("unknown getter %q", name)
	}
	r := result{V: val, OK: ok}
	if err != nil {
		e, isParams := errors.AsType[*Error](err)
		if !isParams {
			tb.Fatalf("%s(%q) error %T %v, want *Error", name, keys, err, err)
		}
		r.Err, r.TooLarge = err.Error(), e.TooLarge
	}
	return r
}

// check is one getter call and its expected result.
type check struct {
	getter string
	keys   []string
	want   result
}

// request describes an HTTP request for newRequest.
type request struct {
	method, target, contentType, body string
}

func newRequest(tb testing.TB, r request) *http.Request {
	tb.Helper()
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(method, r.target, body)
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	return req
}

func mustParse(tb testing.TB, r request) *Values {
	tb.Helper()
	v, err := Parse(newRequest(tb, r), 1<<20)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return v
}

func ok(v any) result { return result{V: v, OK: true} }

// absent results, per getter.
var (
	noString  = result{V: ""}
	noStrings = result{V: []string(nil)}
	noInt     = result{V: int64(0)}
	noInts    = result{V: []int64(nil)}
	noBool    = result{V: false}
	noTime    = result{V: time.Time{}}
	noObject  = result{V: ""}
	present   = result{OK: true}
	missing   = result{}
)

func bad(v any, msg string) result { return result{V: v, Err: msg} }

const (
	jsonCT = "application/json"
	formCT = "application/x-www-form-urlencoded"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		req    request
		checks []check
	}{
		{
			name: "query",
			req:  request{method: "GET", target: "/v1/resource?id=5&Name=a+b&Tags=1&Tags=2"},
			checks: []check{
				{"Int64", []string{"id"}, ok(int64(5))},
				{"String", []string{"name"}, ok("a b")},
				{"Int64s", []string{"tags"}, ok([]int64{1, 2})},
				{"Has", []string{"other"}, missing},
			},
		},
		{
			name: "urlencoded form",
			req:  request{target: "/v1/resource", contentType: formCT, body: "ID=7&Name=%C3%A9t%C3%A9&Tags=3&tags=4"},
			checks: []check{
				{"Int64", []string{"id"}, ok(int64(7))},
				{"String", []string{"Name"}, ok("été")},
				{"Int64s", []string{"Tags"}, ok([]int64{3, 4})},
			},
		},
		{
			name: "form with charset",
			req:  request{target: "/", contentType: "application/x-www-form-urlencoded; charset=UTF-8", body: "a=1"},
			checks: []check{
				{"Int64", []string{"a"}, ok(int64(1))},
			},
		},
		{
			name: "JSON body",
			req:  request{target: "/v1/resource", contentType: jsonCT, body: `{"ID": 9, "Name": "n", "Tags": [1, 2], "Meta": {"a": 1}}`},
			checks: []check{
				{"Int64", []string{"id"}, ok(int64(9))},
				{"String", []string{"name"}, ok("n")},
				{"Int64s", []string{"tags"}, ok([]int64{1, 2})},
				{"Object", []string{"meta"}, ok(`{"a":1}`)},
			},
		},
		{
			name: "JSON suffix type",
			req:  request{target: "/", contentType: "application/merge-patch+json", body: `{"a": "x"}`},
			checks: []check{
				{"String", []string{"a"}, ok("x")},
			},
		},
		{
			name: "JSON without content type",
			req:  request{target: "/", body: "\n {\"Id\": 3}"},
			checks: []check{
				{"Int64", []string{"id"}, ok(int64(3))},
			},
		},
		{
			name: "other body without content type is ignored",
			req:  request{target: "/?id=1", body: "id=2"},
			checks: []check{
				{"Int64", []string{"id"}, ok(int64(1))},
			},
		},
		{
			name: "unknown content type is ignored",
			req:  request{target: "/?id=1", contentType: "text/plain", body: `{"id": 2}`},
			checks: []check{
				{"Int64", []string{"id"}, ok(int64(1))},
			},
		},
		{
			name: "GET JSON body wins over the query",
			req:  request{method: "GET", target: "/?id=1&Name=q", contentType: jsonCT, body: `{"id": 2}`},
			checks: []check{
				{"Int64", []string{"id"}, ok(int64(2))},
				{"String", []string{"name"}, ok("q")},
			},
		},
		{
			name: "GET form body",
			req:  request{method: "GET", target: "/", contentType: formCT, body: `Tags=3&Tags=4`},
			checks: []check{
				{"Int64s", []string{"tags"}, ok([]int64{3, 4})},
			},
		},
		{
			name: "empty JSON body",
			req:  request{target: "/?id=1", contentType: jsonCT, body: " \n"},
			checks: []check{
				{"Int64", []string{"id"}, ok(int64(1))},
			},
		},
		{
			name: "case-insensitive names",
			req:  request{target: "/?RESOURCEID=4&ownerid=6", contentType: jsonCT, body: `{"ResourceCategoryId": 8}`},
			checks: []check{
				{"Int64", []string{"ResourceId"}, ok(int64(4))},
				{"Int64", []string{"OwnerId"}, ok(int64(6))},
				{"Int64", []string{"resourcecategoryID"}, ok(int64(8))},
				{"Has", []string{"ownerID"}, present},
			},
		},
		{
			name: "aliases: the first present wins",
			req:  request{method: "GET", target: "/?resourceId=2&id=1"},
			checks: []check{
				{"Int64", []string{"id", "resourceId"}, ok(int64(1))},
				{"Int64", []string{"resourceId", "id"}, ok(int64(2))},
				{"Int64", []string{"x", "resourceId"}, ok(int64(2))},
				{"Has", []string{"x", "y"}, missing},
				{"Has", []string{"x", "ID"}, present},
			},
		},
		{
			name: "aliases: a blank value gives way to the next alias",
			req:  request{target: "/?resourceId=2", contentType: formCT, body: "id="},
			checks: []check{
				{"Int64", []string{"id", "resourceId"}, ok(int64(2))},
				{"Has", []string{"id"}, present},
				{"String", []string{"id", "resourceId"}, ok("")},
			},
		},
		{
			name: "body overrides query",
			req:  request{target: "/?id=1&Name=q&Tags=1&Tags=2&keep=k", contentType: jsonCT, body: `{"ID": 2, "name": "b", "tags": [3]}`},
			checks: []check{
				{"Int64", []string{"id"}, ok(int64(2))},
				{"String", []string{"name"}, ok("b")},
				{"Int64s", []string{"tags"}, ok([]int64{3})},
				{"String", []string{"keep"}, ok("k")},
			},
		},
		{
			name: "form overrides query, repeated form values accumulate",
			req:  request{target: "/?Tags=1&Tags=2", contentType: formCT, body: "Tags=3&TAGS=4"},
			checks: []check{
				{"Int64s", []string{"tags"}, ok([]int64{3, 4})},
			},
		},
		{
			name: "JSON names differing in case accumulate",
			req:  request{target: "/", contentType: jsonCT, body: `{"Tags": [1, 2], "tags": 3}`},
			checks: []check{
				{"Int64s", []string{"tags"}, ok([]int64{1, 2, 3})},
			},
		},
		{
			name: "JSON null is absent",
			req:  request{target: "/?Name=q", contentType: jsonCT, body: `{"id": null, "Tags": null, "Meta": null, "Name": null}`},
			checks: []check{
				{"Has", []string{"id"}, missing},
				{"Int64", []string{"id"}, noInt},
				{"Int64s", []string{"tags"}, noInts},
				{"Object", []string{"meta"}, noObject},
				{"String", []string{"name"}, ok("q")},
			},
		},
		{
			name: "JSON scalars as strings",
			req:  request{target: "/", contentType: jsonCT, body: `{"n": 1.50, "b": true, "s": "x", "a": [1], "o": {}}`},
			checks: []check{
				{"String", []string{"n"}, ok("1.50")},
				{"String", []string{"b"}, ok("true")},
				{"String", []string{"s"}, ok("x")},
				{"String", []string{"a"}, bad("", "a: expected a string, got an array")},
				{"String", []string{"o"}, bad("", "o: expected a string, got an object")},
			},
		},
		{
			name: "semicolon is not a separator",
			req:  request{target: "/", contentType: formCT, body: `Meta={"a":"x;y"}&b=1;2`},
			checks: []check{
				{"Object", []string{"meta"}, ok(`{"a":"x;y"}`)},
				{"String", []string{"b"}, ok("1;2")},
			},
		},
		{
			name: "key without value",
			req:  request{method: "GET", target: "/?flag&&x=1"},
			checks: []check{
				{"Has", []string{"flag"}, present},
				{"String", []string{"flag"}, ok("")},
				{"Bool", []string{"flag"}, noBool},
			},
		},
		{
			name: "empty JSON array is present and empty",
			req:  request{target: "/?Tags=1", contentType: jsonCT, body: `{"Tags": [], "SortBy": []}`},
			checks: []check{
				{"Has", []string{"tags"}, present},
				{"Int64s", []string{"tags"}, ok([]int64{})},
				{"Strings", []string{"sortby"}, ok([]string{})},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustParse(t, tt.req)
			for _, c := range tt.checks {
				got := get(t, v, c.getter, c.keys...)
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("%s(%q) mismatch (-want +got):\n%s", c.getter, c.keys, diff)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	tests := []struct {
		name     string
		req      request
		maxBody  int64
		want     string // the error's text, or a prefix of it ending in "..."
		tooLarge bool
	}{
		{
			name: "JSON array body",
			req:  request{target: "/", contentType: jsonCT, body: `[1, 2]`},
			want: "request body: JSON body is not an object",
		},
		{
			name: "JSON string body",
			req:  request{target: "/", contentType: jsonCT, body: `"x"`},
			want: "request body: JSON body is not an object",
		},
		{
			name: "JSON null body",
			req:  request{target: "/", contentType: jsonCT, body: `null`},
			want: "request body: JSON body is not an object",
		},
		{
			name: "array body without content type",
			req:  request{target: "/", body: `[{"id": 1}]`},
			want: "request body: JSON body is not an object",
		},
		{
			name: "invalid JSON body of a GET",
			req:  request{method: "GET", target: "/?id=1", contentType: jsonCT, body: `{"id": `},
			want: "request body: invalid JSON: ...",
		},
		{
			name: "invalid JSON",
			req:  request{target: "/", contentType: jsonCT, body: `{"id": }`},
			want: "request body: invalid JSON: ...",
		},
		{
			name: "truncated JSON",
			req:  request{target: "/", contentType: jsonCT, body: `{"id": 1`},
			want: "request body: invalid JSON: unexpected EOF",
		},
		{
			name: "data after the object",
			req:  request{target: "/", contentType: jsonCT, body: `{"id": 1} {"id": 2}`},
			want: "request body: invalid JSON: data after the object",
		},
		{
			name: "JSON at the depth limit is fine",
			req:  request{target: "/", contentType: jsonCT, body: `{"a": ` + deep[1:len(deep)-1] + `}`},
		},
		{
			name: "JSON too deep",
			req:  request{target: "/", contentType: jsonCT, body: `{"a": ` + deep + `}`},
			want: fmt.Sprintf("request body: JSON nested deeper than %d levels", MaxDepth),
		},
		{
			name: "brackets in strings do not count",
			req:  request{target: "/", contentType: jsonCT, body: `{"a": "` + strings.Repeat(`[{\"`, 100) + `"}`},
		},
		{
			name:     "body too large",
			req:      request{target: "/", contentType: jsonCT, body: `{"a": "` + strings.Repeat("x", 100) + `"}`},
			maxBody:  50,
			want:     "request body: larger than 50 bytes",
			tooLarge: true,
		},
		{
			name:    "body exactly at the limit",
			req:     request{target: "/", contentType: jsonCT, body: `{"a": 1}`},
			maxBody: 8,
		},
		{
			name:     "form too large",
			req:      request{target: "/", contentType: formCT, body: "a=" + strings.Repeat("x", 100)},
			maxBody:  50,
			want:     "request body: larger than 50 bytes",
			tooLarge: true,
		},
		{
			name:    "multipart body is not read, whatever its size",
			req:     request{target: "/", contentType: "multipart/form-data; boundary=x", body: strings.Repeat("x", 100)},
			maxBody: 50,
		},
		{
			name:     "too many query values",
			req:      request{method: "GET", target: "/?" + strings.Repeat("a=1&", MaxValues+1)},
			want:     fmt.Sprintf("request: more than %d values", MaxValues),
			tooLarge: true,
		},
		{
			name:     "too many values in query and JSON together",
			req:      request{target: "/?" + strings.Repeat("a=1&", MaxValues-1), contentType: jsonCT, body: `{"b": [1]}`},
			want:     fmt.Sprintf("request: more than %d values", MaxValues),
			tooLarge: true,
		},
		{
			name: "as many values as allowed",
			req:  request{target: "/?" + strings.Repeat("a=1&", MaxValues-2), contentType: jsonCT, body: `{"b": [1]}`},
		},
		{
			name: "bad escape in query",
			req:  request{method: "GET", target: "/?a=%zz"},
			want: `a: query: invalid URL escape "%zz"`,
		},
		{
			name: "bad escape in form",
			req:  request{target: "/", contentType: formCT, body: "%zz=1"},
			want: `request body: invalid URL escape "%zz"`,
		},
		{
			name: "bad content type",
			req:  request{target: "/", contentType: "/;;", body: "{}"},
			want: `request: invalid Content-Type "/;;": ...`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maxBody := tt.maxBody
			if maxBody == 0 {
				maxBody = 1 << 20
			}
			v, err := Parse(newRequest(t, tt.req), maxBody)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.want)
			}
			if v != nil {
				t.Errorf("Parse returned Values with an error")
			}
			e, isParams := errors.AsType[*Error](err)
			if !isParams {
				t.Fatalf("Parse error %T %v, want *Error", err, err)
			}
			if prefix, cut := strings.CutSuffix(tt.want, "..."); cut {
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("Parse error %q, want prefix %q", err, prefix)
				}
			} else if err.Error() != tt.want {
				t.Errorf("Parse error %q, want %q", err, tt.want)
			}
			if e.TooLarge != tt.tooLarge {
				t.Errorf("TooLarge = %v, want %v", e.TooLarge, tt.tooLarge)
			}
		})
	}
}

func TestParseLimitedReaders(t *testing.T) {
	t.Run("unknown content length", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/", io.MultiReader(strings.NewReader(`{"a": "`), strings.NewReader(strings.Repeat("x", 100)+`"}`)))
		r.Header.Set("Content-Type", jsonCT)
		if r.ContentLength != -1 {
			t.Fatalf("ContentLength = %d, want -1", r.ContentLength)
		}
		_, err := Parse(r, 50)
		if e, ok := errors.AsType[*Error](err); !ok || !e.TooLarge {
			t.Errorf("Parse error %v, want TooLarge", err)
		}
	})
	t.Run("MaxBytesReader", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(`{"a": "`+strings.Repeat("x", 100)+`"}`))
		r.Header.Set("Content-Type", jsonCT)
		r.ContentLength = -1
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 20)
		_, err := Parse(r, 1000)
		if e, ok := errors.AsType[*Error](err); !ok || !e.TooLarge || e.Msg != "request body: larger than 20 bytes" {
			t.Errorf("Parse error %v, want TooLarge at 20 bytes", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/", io.MultiReader(strings.NewReader(`{"a"`), errReader{}))
		r.Header.Set("Content-Type", jsonCT)
		_, err := Parse(r, 1000)
		if e, ok := errors.AsType[*Error](err); !ok || e.TooLarge || e.Msg != "request body: connection reset" {
			t.Errorf("Parse error %v, want *Error for the read error", err)
		}
	})
	t.Run("default limit", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(`{"a": 1}`))
		r.Header.Set("Content-Type", jsonCT)
		r.ContentLength = DefaultMaxBody + 1
		_, err := Parse(r, 0)
		if e, ok := errors.AsType[*Error](err); !ok || !e.TooLarge {
			t.Errorf("Parse error %v, want TooLarge", err)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestMultipart(t *testing.T) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, kv := range [][2]string{{"Name", "photo"}, {"tags", "1"}, {"Tags", "2"}, {"Meta", `{"a": 1}`}} {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(fw, "file content")
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}

	r := httptest.NewRequest("POST", "/v1/resource?Name=query&Tags=9&OwnerId=5", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	v, err := Parse(r, 10) // the limit does not apply: the body is not read
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := get(t, v, "String", "name"); !cmp.Equal(got, ok("query")) {
		t.Errorf("before Add: Name = %+v, want the query value", got)
	}

	// The body is untouched: the caller streams it.
	mr, err := r.MultipartReader()
	if err != nil {
		t.Fatal(err)
	}
	var file string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() != "" {
			file = string(b)
			continue
		}
		v.Add(p.FormName(), string(b))
	}
	if file != "file content" {
		t.Errorf("file part = %q", file)
	}
	for _, c := range []check{
		{"String", []string{"name"}, ok("photo")},
		{"Int64s", []string{"tags"}, ok([]int64{1, 2})},
		{"Object", []string{"meta"}, ok(`{"a":1}`)},
		{"Int64", []string{"ownerId"}, ok(int64(5))},
	} {
		if diff := cmp.Diff(c.want, get(t, v, c.getter, c.keys...)); diff != "" {
			t.Errorf("%s(%q) mismatch (-want +got):\n%s", c.getter, c.keys, diff)
		}
	}
}

func TestZeroValues(t *testing.T) {
	var nilValues *Values
	for _, v := range []*Values{new(Values), nilValues, FromQuery(nil)} {
		for _, c := range []check{
			{"Has", []string{"a"}, missing},
			{"Has", nil, missing},
			{"String", []string{"a"}, noString},
			{"Strings", []string{"a"}, noStrings},
			{"Int64", []string{"a"}, noInt},
			{"Int64s", []string{"a"}, noInts},
			{"Bool", []string{"a"}, noBool},
			{"Time", []string{"a"}, noTime},
			{"Object", []string{"a"}, noObject},
		} {
			if diff := cmp.Diff(c.want, get(t, v, c.getter, c.keys...)); diff != "" {
				t.Errorf("%s(%q) mismatch (-want +got):\n%s", c.getter, c.keys, diff)
			}
		}
	}
	var v Values
	v.Add("ID", "1")
	if got := get(t, &v, "Int64", "id"); !cmp.Equal(got, ok(int64(1))) {
		t.Errorf("after Add on the zero value: %+v", got)
	}
}

// source builds Values holding one parameter "x" from a query value or a
// JSON body member.
type source struct {
	query string // the query value, when json is ""
	json  string // the JSON member value
}

func (s source) String() string {
	if s.json != "" {
		return "json " + s.json
	}
	return fmt.Sprintf("query %q", s.query)
}

func (s source) values(tb testing.TB) *Values {
	tb.Helper()
	if s.json != "" {
		return mustParse(tb, request{target: "/", contentType: jsonCT, body: `{"x": ` + s.json + `}`})
	}
	return FromQuery(url.Values{"X": {s.query}})
}

func q(s string) source  { return source{query: s} }
func js(s string) source { return source{json: s} }

func TestGetters(t *testing.T) {
	day := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		getter string
		in     source
		want   result
	}{
		// Int64
		{"Int64", q("42"), ok(int64(42))},
		{"Int64", q(" -7 "), ok(int64(-7))},
		{"Int64", q("+3"), ok(int64(3))},
		{"Int64", q("9223372036854775807"), ok(int64(9223372036854775807))},
		{"Int64", q("-9223372036854775808"), ok(int64(-9223372036854775808))},
		{"Int64", q("9223372036854775808"), bad(int64(0), `x: "9223372036854775808" is out of range`)},
		{"Int64", q("abc"), bad(int64(0), `x: "abc" is not an integer`)},
		{"Int64", q("1.5"), bad(int64(0), `x: "1.5" is not an integer`)},
		{"Int64", q("1e3"), bad(int64(0), `x: "1e3" is not an integer`)},
		{"Int64", q("0x10"), bad(int64(0), `x: "0x10" is not an integer`)},
		{"Int64", q("1_000"), bad(int64(0), `x: "1_000" is not an integer`)},
		{"Int64", q(""), noInt},
		{"Int64", q("  "), noInt},
		{"Int64", js(`42`), ok(int64(42))},
		{"Int64", js(`-0`), ok(int64(0))},
		{"Int64", js(`"42"`), ok(int64(42))},
		{"Int64", js(`""`), noInt},
		{"Int64", js(`1.0`), ok(int64(1))},
		{"Int64", js(`1e3`), ok(int64(1000))},
		{"Int64", js(`1.5E1`), ok(int64(15))},
		{"Int64", js(`100e-2`), ok(int64(1))},
		{"Int64", js(`0e999999999999999999999`), ok(int64(0))},
		{"Int64", js(`-9.223372036854775808e18`), ok(int64(-9223372036854775808))},
		{"Int64", js(`9.223372036854775808e18`), bad(int64(0), `x: 9.223372036854775808e18 is out of range`)},
		{"Int64", js(`1.5`), bad(int64(0), `x: 1.5 is not an integer`)},
		{"Int64", js(`15e-1`), bad(int64(0), `x: 15e-1 is not an integer`)},
		{"Int64", js(`1e-99999999999999999999`), bad(int64(0), `x: 1e-99999999999999999999 is not an integer`)},
		{"Int64", js(`1e99999999999999999999`), bad(int64(0), `x: 1e99999999999999999999 is out of range`)},
		{"Int64", js(`1e20`), bad(int64(0), `x: 1e20 is out of range`)},
		{"Int64", js(`99999999999999999999`), bad(int64(0), `x: 99999999999999999999 is out of range`)},
		{"Int64", js(`true`), bad(int64(0), `x: expected an integer, got true`)},
		{"Int64", js(`[1]`), bad(int64(0), `x: expected an integer, got an array`)},
		{"Int64", js(`{}`), bad(int64(0), `x: expected an integer, got an object`)},

		// Int64s
		{"Int64s", q("1"), ok([]int64{1})},
		{"Int64s", q("1,2, 3"), ok([]int64{1, 2, 3})},
		{"Int64s", q("1,,2,"), ok([]int64{1, 2})},
		{"Int64s", q("3,1,3,1"), ok([]int64{3, 1})},
		{"Int64s", q(""), ok([]int64{})},
		{"Int64s", q("1,x"), bad([]int64(nil), `x: "x" is not an integer`)},
		{"Int64s", q("1.5"), bad([]int64(nil), `x: "1.5" is not an integer`)},
		{"Int64s", js(`[1, 2, 2, 1]`), ok([]int64{1, 2})},
		{"Int64s", js(`[]`), ok([]int64{})},
		{"Int64s", js(`5`), ok([]int64{5})},
		{"Int64s", js(`"5,6"`), ok([]int64{5, 6})},
		{"Int64s", js(`["5", 6, "7,8"]`), ok([]int64{5, 6, 7, 8})},
		{"Int64s", js(`[1e2]`), ok([]int64{100})},
		{"Int64s", js(`[1.5]`), bad([]int64(nil), `x: 1.5 is not an integer`)},
		{"Int64s", js(`[1, null]`), bad([]int64(nil), `x: null in a list`)},
		{"Int64s", js(`[[1]]`), bad([]int64(nil), `x: expected a list of integers, got an array in it`)},
		{"Int64s", js(`[true]`), bad([]int64(nil), `x: expected a list of integers, got true in it`)},
		{"Int64s", js(`{"a": 1}`), bad([]int64(nil), `x: expected a list of integers, got an object in it`)},
		{"Int64s", js(`[99999999999999999999]`), bad([]int64(nil), `x: 99999999999999999999 is out of range`)},

		// String and Strings
		{"String", q(""), ok("")},
		{"String", js(`""`), ok("")},
		{"String", js(`"a\u00e9"`), ok("aé")},
		{"String", js(`12.50`), ok("12.50")},
		{"String", js(`false`), ok("false")},
		{"Strings", q("a"), ok([]string{"a"})},
		{"Strings", q(""), ok([]string{})},
		{"Strings", q("a,b"), ok([]string{"a,b"})},
		{"Strings", js(`"a"`), ok([]string{"a"})},
		{"Strings", js(`["name asc", "", "id"]`), ok([]string{"name asc", "id"})},
		{"Strings", js(`[1, 2.5, true]`), ok([]string{"1", "2.5", "true"})},
		{"Strings", js(`[]`), ok([]string{})},
		{"Strings", js(`[["a"]]`), bad([]string(nil), `x: expected a list of strings, got an array in it`)},
		{"Strings", js(`[null]`), bad([]string(nil), `x: null in a list`)},
		{"Strings", js(`{}`), bad([]string(nil), `x: expected a list of strings, got an object in it`)},

		// Bool
		{"Bool", q("true"), ok(true)},
		{"Bool", q("TRUE"), ok(true)},
		{"Bool", q("1"), ok(true)},
		{"Bool", q("on"), ok(true)},
		{"Bool", q("Yes"), ok(true)},
		{"Bool", q("false"), ok(false)},
		{"Bool", q("0"), ok(false)},
		{"Bool", q("OFF"), ok(false)},
		{"Bool", q(" no "), ok(false)},
		{"Bool", q(""), noBool},
		{"Bool", q("maybe"), bad(false, `x: "maybe" is not a boolean`)},
		{"Bool", q("2"), bad(false, `x: "2" is not a boolean`)},
		{"Bool", js(`true`), ok(true)},
		{"Bool", js(`false`), ok(false)},
		{"Bool", js(`"true"`), ok(true)},
		{"Bool", js(`1`), ok(true)},
		{"Bool", js(`0`), ok(false)},
		{"Bool", js(`2`), bad(false, `x: 2 is not a boolean`)},
		{"Bool", js(`[true]`), bad(false, `x: expected a boolean, got an array`)},

		// Time
		{"Time", q("2024-01-15"), ok(day)},
		{"Time", q("2024-01-15T10:30:00Z"), ok(day.Add(10*time.Hour + 30*time.Minute))},
		{"Time", q("2024-01-15T10:30:00.5+02:00"), ok(day.Add(8*time.Hour + 30*time.Minute + 500*time.Millisecond))},
		{"Time", q("2024-01-15T10:30"), ok(day.Add(10*time.Hour + 30*time.Minute))},
		{"Time", q("2024-01-15T10:30:05"), ok(day.Add(10*time.Hour + 30*time.Minute + 5*time.Second))},
		{"Time", q("2024-01-15T10:30:05.250"), ok(day.Add(10*time.Hour + 30*time.Minute + 5*time.Second + 250*time.Millisecond))},
		{"Time", js(`"2024-01-15"`), ok(day)},
		{"Time", q(""), noTime},
		{"Time", q("15/01/2024"), bad(time.Time{}, `x: "15/01/2024" is not a date (want YYYY-MM-DD or RFC 3339)`)},
		{"Time", q("2024-1-15"), bad(time.Time{}, `x: "2024-1-15" is not a date (want YYYY-MM-DD or RFC 3339)`)},
		{"Time", q("2024-02-30"), bad(time.Time{}, `x: "2024-02-30" is not a date (want YYYY-MM-DD or RFC 3339)`)},
		{"Time", q("yesterday"), bad(time.Time{}, `x: "yesterday" is not a date (want YYYY-MM-DD or RFC 3339)`)},
		{"Time", js(`20240115`), bad(time.Time{}, `x: 20240115 is not a date (want YYYY-MM-DD or RFC 3339)`)},

		// Object
		{"Object", q(`{"a": 1, "b": [true, null]}`), ok(`{"a":1,"b":[true,null]}`)},
		{"Object", q(` {} `), ok(`{}`)},
		{"Object", q(""), noObject},
		{"Object", js(`{"a": {"b": "c"}}`), ok(`{"a":{"b":"c"}}`)},
		{"Object", js(`"{\"a\": 1}"`), ok(`{"a":1}`)},
		{"Object", js(`""`), noObject},
		{"Object", q(`[1]`), bad("", `x: expected a JSON object, got "[1]"`)},
		{"Object", q(`5`), bad("", `x: expected a JSON object, got "5"`)},
		{"Object", q(`"s"`), bad("", `x: expected a JSON object, got "\"s\""`)},
		{"Object", q(`{"a": }`), bad("", `x: invalid JSON: invalid character '}' looking for beginning of value`)},
		{"Object", q(`{"a": 1} x`), bad("", `x: invalid JSON: invalid character 'x' after top-level value`)},
		{"Object", q(`not json`), bad("", `x: invalid JSON: invalid character 'o' in literal null (expecting 'u')`)},
		{"Object", q(`{"a": "` + "\xff" + `"}`), bad("", `x: invalid UTF-8 in JSON object`)},
		{"Object", q(strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)), bad("", fmt.Sprintf("x: JSON nested deeper than %d levels", MaxDepth))},
		{"Object", js(`[1]`), bad("", `x: expected a JSON object, got an array`)},
		{"Object", js(`5`), bad("", `x: expected a JSON object, got 5`)},
		{"Object", js(`true`), bad("", `x: expected a JSON object, got true`)},
		{"Object", js(`"[1]"`), bad("", `x: expected a JSON object, got "[1]"`)},
		{"Object", js(`"{bad"`), bad("", `x: invalid JSON: invalid character 'b' looking for beginning of object key string`)},
	}
	for _, tt := range tests {
		t.Run(tt.getter+" "+tt.in.String(), func(t *testing.T) {
			got := get(t, tt.in.values(t), tt.getter, "x")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorField(t *testing.T) {
	v := FromQuery(url.Values{"resourceId": {"x"}})
	_, _, err := v.Int64("id", "resourceId")
	e, isParams := errors.AsType[*Error](err)
	if !isParams {
		t.Fatalf("error %T %v, want *Error", err, err)
	}
	want := &Error{Field: "id", Msg: `"x" is not an integer`}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got, want := e.Error(), `id: "x" is not an integer`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (&Error{Msg: "request body: bad"}).Error(), "request body: bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLongValuesAreCutInErrors(t *testing.T) {
	long := strings.Repeat("x", 1000)
	v := FromQuery(url.Values{"a": {long}})
	_, _, err := v.Int64("a")
	if err == nil || len(err.Error()) > 100 {
		t.Errorf("error %q, want a short one", err)
	}
}

func TestInt64sLimit(t *testing.T) {
	var b strings.Builder
	for i := range MaxValues + 1 {
		fmt.Fprintf(&b, "%d,", i)
	}
	v := FromQuery(url.Values{"Tags": {b.String()}})
	_, _, err := v.Int64s("tags")
	if e, ok := errors.AsType[*Error](err); !ok || e.TooLarge || e.Field != "tags" {
		t.Errorf("error %v, want an invalid tags (400), not TooLarge", err)
	}
}

func TestFromQueryOrder(t *testing.T) {
	// Names that differ only in case merge in a stable order.
	q := url.Values{"tags": {"2"}, "Tags": {"1"}, "TAGS": {"3"}}
	for range 10 {
		ns, _, err := FromQuery(q).Int64s("tags")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{3, 1, 2}, ns); diff != "" {
			t.Fatalf("mismatch (-want +got):\n%s", diff)
		}
	}
}
