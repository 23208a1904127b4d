package resources

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUnpackRow reads arrays as json_array writes them, and some it does
// not (escapes of any kind, spaces), against encoding/json, and refuses
// what a row cannot hold.
func TestUnpackRow(t *testing.T) {
	for _, text := range []string{
		`[1,"a",null,-7,"",2.5,1e+300]`,
		`["q\"b\\s\/ \b\f\n\r\t \u0001\u00e9\u2028 \ud83d\ude00 é😀"]`,
		` [ "x" , 9223372036854775807 , null ] `,
		`["lone \ud83d surrogate", "\udc00"]`,
	} {
		var want []any
		if err := json.Unmarshal([]byte(text), &want); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		got := make([]any, len(want))
		if err := unpackRow(text, got); err != nil {
			t.Errorf("unpackRow(%s): %v", text, err)
			continue
		}
		for i, v := range got {
			switch v := v.(type) {
			case int64:
				got[i] = float64(v) // as encoding/json reads numbers
			case string:
				if f, ok := want[i].(float64); ok {
					// Not an integer: its JSON text, for the as* functions.
					var n json.Number = json.Number(v)
					g, err := n.Float64()
					if err != nil || g != f {
						t.Errorf("unpackRow(%s)[%d] = %q, want the text of %v", text, i, v, f)
					}
					got[i] = f
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("unpackRow(%s) (-want +got):\n%s", text, diff)
		}
	}
	for _, text := range []string{``, `[`, `[1`, `[1,]`, `[1 2]`, `[true]`, `["a]`, `["\x"]`, `["\u12"]`, `[1,2,3]`, `{}`,
		`[1,[2,]]`, `[1,[2 3]]`, `[1,[true]]`, `[1,["\x"]]`, `[1,[[[4]]]]`, `[1,[2`, `[1,{"a":1}]`} {
		if err := unpackRow(text, make([]any, 2)); err == nil {
			t.Errorf("unpackRow(%q) into two values succeeded", text)
		}
	}
}

// TestUnpackNested reads a row with arrays nested in it, as packedFull
// writes its relations, and the arrays of entities in them.
func TestUnpackNested(t *testing.T) {
	row := ` [7, [[1,"a\"b"], [2,null]] ,[],null,[3,"c"]]`
	got := make([]any, 5)
	if err := unpackRow(row, got); err != nil {
		t.Fatal(err)
	}
	want := []any{int64(7), packedArray(`[[1,"a\"b"], [2,null]]`), packedArray(`[]`), nil, packedArray(`[3,"c"]`)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("unpackRow (-want +got):\n%s", diff)
	}
	each := func(text string, n int) ([][]any, error) {
		var out [][]any
		v := make([]any, n)
		err := unpackEach(text, v, func() error {
			out = append(out, append([]any(nil), v...))
			return nil
		})
		return out, err
	}
	list, err := each(string(got[1].(packedArray)), 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]any{{int64(1), `a"b`}, {int64(2), nil}}, list); diff != "" {
		t.Errorf("unpackEach (-want +got):\n%s", diff)
	}
	if list, err := each(" [ ] ", 2); err != nil || list != nil {
		t.Errorf("unpackEach of an empty array = %v, %v", list, err)
	}
	for _, text := range []string{``, `[`, `[[1,2]`, `[[1,2],]`, `[[1,2] [3,4]]`, `[[1,2,3]]`, `[[1]]`, `[1,2]`, `[[1,2]x`} {
		if _, err := each(text, 2); err == nil {
			t.Errorf("unpackEach(%q) of pairs succeeded", text)
		}
	}
}

// FuzzUnpackRow checks unpackRow on any text: it never panics, and an
// array of texts, numbers and NULLs that it reads, encoding/json reads as
// the same values.
func FuzzUnpackRow(f *testing.F) {
	for _, seed := range []string{`[1,"a",null]`, `["\u00e9\ud83d\ude00",-7,2.5]`, `[ "x" , 9223372036854775807 ]`, `["\udc00"]`,
		`[1,[[2,"b"],[3,null]],[]]`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for n := 1; n <= 3; n++ {
			got := make([]any, n)
			if unpackRow(text, got) != nil {
				continue
			}
			var want []any
			d := json.NewDecoder(strings.NewReader(text))
			d.UseNumber()
			if err := d.Decode(&want); err != nil {
				t.Fatalf("unpackRow(%q) read what encoding/json refuses: %v", text, err)
			}
			if len(want) != n {
				t.Fatalf("unpackRow(%q) read %d values, encoding/json %d", text, n, len(want))
			}
			for i, v := range got {
				switch v := v.(type) {
				case int64:
					if w, ok := want[i].(json.Number); !ok || w.String() != strconv.FormatInt(v, 10) && w.String() != "-0" {
						t.Fatalf("unpackRow(%q)[%d] = %d, encoding/json %v", text, i, v, want[i])
					}
				case string:
					// A text, or the JSON text of a number that is not an
					// int64.
					if w, ok := want[i].(json.Number); ok && string(w) == v {
						continue
					}
					if w, ok := want[i].(string); !ok || !sameText(w, v) {
						t.Fatalf("unpackRow(%q)[%d] = %q, encoding/json %#v", text, i, v, want[i])
					}
				case nil:
					if want[i] != nil {
						t.Fatalf("unpackRow(%q)[%d] = nil, encoding/json %#v", text, i, want[i])
					}
				case packedArray:
					// Its text, which encoding/json reads as the same
					// array.
					var w []any
					d := json.NewDecoder(strings.NewReader(string(v)))
					d.UseNumber()
					if err := d.Decode(&w); err != nil || !cmp.Equal(w, want[i]) {
						t.Fatalf("unpackRow(%q)[%d] = %s, encoding/json %#v (%v)", text, i, v, want[i], err)
					}
				}
			}
		}
	})
}

// sameText compares texts as encoding/json and unpackRow decode them:
// encoding/json replaces each byte of invalid UTF-8 with U+FFFD.
func sameText(fromJSON, fromUnpack string) bool {
	var b strings.Builder
	for _, r := range fromUnpack { // an invalid byte reads as U+FFFD
		b.WriteRune(r)
	}
	return fromJSON == b.String()
}
