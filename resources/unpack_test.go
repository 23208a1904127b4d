package resources

import (
	"encoding/json"
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
	for _, text := range []string{``, `[`, `[1`, `[1,]`, `[1 2]`, `[true]`, `["a]`, `["\x"]`, `["\u12"]`, `[1,2,3]`, `{}`} {
		if err := unpackRow(text, make([]any, 2)); err == nil {
			t.Errorf("unpackRow(%q) into two values succeeded", text)
		}
	}
}
