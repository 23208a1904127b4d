package params

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseJSON checks that no JSON body makes Parse or a getter panic, and
// that every error they return is an *Error. The seed corpus is in
// testdata/fuzz/FuzzParseJSON.
func FuzzParseJSON(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"ID": 1, "Name": "n", "Tags": [1, "2,3"], "Meta": {"a": [null]}}`,
		`{"Meta": "{\"a\": 1}", "StartDate": "2024-01-15", "flag": "on"}`,
		`{"n": 1e400, "m": -0.0e-5, "s": "\u00e9\ud800"}`,
		`[1]`,
		`{"a": [[[[[[]]]]]]}`,
		`{"a": 1} x`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/?id=1&Tags=2", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		v, err := Parse(r, 1<<16)
		if err != nil {
			if _, ok := errors.AsType[*Error](err); !ok {
				t.Fatalf("Parse error %T %v, want *Error", err, err)
			}
			if v != nil {
				t.Fatal("Parse returned Values with an error")
			}
			return
		}
		if !json.Valid(body) && len(bytes.TrimSpace(body)) > 0 {
			t.Fatalf("Parse accepted invalid JSON %q", body)
		}
		for key := range v.m {
			exercise(t, v, key)
		}
	})
}

// exercise calls every getter for key and checks the results' invariants.
func exercise(t *testing.T, v *Values, key string) {
	t.Helper()
	if !v.Has(key) {
		t.Fatalf("Has(%q) = false for a stored key", key)
	}
	for _, name := range []string{"String", "Strings", "Int64", "Int64s", "Bool", "Time", "Object"} {
		got := get(t, v, name, key, "other") // get fails unless errors are *Error
		if got.Err != "" && got.OK {
			t.Errorf("%s(%q): ok with an error", name, key)
		}
		switch val := got.V.(type) {
		case []int64:
			if got.OK && len(slices.Compact(slices.Sorted(slices.Values(val)))) != len(val) {
				t.Errorf("Int64s(%q) = %v has duplicates", key, val)
			}
		case string:
			if name == "Object" && got.OK && (!json.Valid([]byte(val)) || !strings.HasPrefix(val, "{") || !utf8.ValidString(val)) {
				t.Errorf("Object(%q) = %q, not a JSON object", key, val)
			}
		}
	}
}

// FuzzInt64s checks Int64s on a query value against a plain reference
// implementation, and, when the input is a JSON number, the exact integer
// conversion against math/big. The seed corpus is in
// testdata/fuzz/FuzzInt64s.
func FuzzInt64s(f *testing.F) {
	for _, seed := range []string{"1", "1,2", " 3 , ,3,", "", "x", "-9223372036854775808", "1e3", "1.0", "12.5e-1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok, err := FromQuery(url.Values{"Tags": {s}}).Int64s("tags")
		if !ok && err == nil {
			t.Fatal("a present key is not ok")
		}
		want, wantErr := referenceInt64s(s)
		if wantErr != (err != nil) {
			t.Fatalf("Int64s(%q) error = %v, want error %v", s, err, wantErr)
		}
		if err != nil {
			if _, isParams := errors.AsType[*Error](err); !isParams {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
		} else if !slices.Equal(got, want) {
			t.Fatalf("Int64s(%q) = %v, want %v", s, got, want)
		}

		if !isJSONNumber(s) || len(s) > 1000 {
			return // referenceJSONInt assumes short numbers
		}
		v, err := Parse(httptest.NewRequest("POST", "/", strings.NewReader(`{"tags": [`+s+`]}`)), 1<<16)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		got, _, err = v.Int64s("tags")
		want, wantOK := referenceJSONInt(s)
		switch {
		case !wantOK && err == nil:
			t.Fatalf("JSON %s = %v, want an error", s, got)
		case wantOK && err != nil:
			t.Fatalf("JSON %s: %v, want %v", s, err, want)
		case wantOK && !slices.Equal(got, want):
			t.Fatalf("JSON %s = %v, want %v", s, got, want)
		}
	})
}

// referenceInt64s is the documented behaviour of a text value.
func referenceInt64s(s string) ([]int64, bool) {
	out := []int64{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		n, err := strconv.ParseInt(item, 10, 64)
		if err != nil {
			return nil, true
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, false
}

func isJSONNumber(s string) bool {
	if s == "" || !json.Valid([]byte(s)) {
		return false
	}
	c := s[0]
	return c == '-' || ('0' <= c && c <= '9')
}

// referenceJSONInt converts a JSON number exactly with math/big. It gives
// up on exponents too large for math/big to expand cheaply, treating them
// by their sign as the implementation does.
func referenceJSONInt(s string) ([]int64, bool) {
	num := strings.TrimSpace(s)
	if i := strings.IndexAny(num, "eE"); i >= 0 {
		exp := strings.TrimLeft(num[i+1:], "+-")
		if len(strings.TrimLeft(exp, "0")) > 4 {
			mant := strings.Trim(strings.TrimPrefix(num[:i], "-"), "0.")
			if mant == "" {
				return []int64{0}, true
			}
			return nil, false
		}
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		panic("math/big cannot parse JSON number " + s)
	}
	if !r.IsInt() || !r.Num().IsInt64() {
		return nil, false
	}
	return []int64{r.Num().Int64()}, true
}
