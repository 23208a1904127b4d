package resources

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestJSONRows compares jsonRows with encoding/json on the shapes that
// PostgreSQL's json_agg and json_build_array write, and checks that it
// refuses what it does not read.
func TestJSONRows(t *testing.T) {
	for _, in := range []string{
		`[]`,
		`[[]]`,
		`[[1, "a", null]]`,
		"[[1, \"2024-01-02T03:04:05.123456+00:00\", \"\"], \n [-9223372036854775808, \"\\\"q\\\" \\\\ \\n \\t \\u00e9 \\ud83d\\ude00 \\/\", null]]",
		`[[9223372036854775807,"é ✓ <&>","{\"a\":[1,{\"b\":null}]}"]]`,
	} {
		got, err := jsonRows([]byte(in), true, int64(7))
		if err != nil {
			t.Errorf("jsonRows(%q): %v", in, err)
			continue
		}
		d := json.NewDecoder(bytes.NewReader([]byte(in)))
		d.UseNumber()
		var rows [][]any
		if err := d.Decode(&rows); err != nil {
			t.Fatal(err)
		}
		var want [][]any
		for _, row := range rows {
			v := []any{int64(7)}
			for _, x := range row {
				if n, ok := x.(json.Number); ok {
					i, err := n.Int64()
					if err != nil {
						t.Fatal(err)
					}
					x = i
				}
				v = append(v, x)
			}
			want = append(want, v)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("jsonRows(%q) (-encoding/json +got):\n%s", in, diff)
		}
	}
	one, err := jsonRows(`[5, "x"]`, false)
	if diff := cmp.Diff([][]any{{int64(5), "x"}}, one); err != nil || diff != "" {
		t.Errorf("jsonRows of one row: %v (-want +got):\n%s", err, diff)
	}
	for _, in := range []string{``, `[`, `[[1]`, `[[1,]]`, `[[1.5]]`, `[[1e3]]`, `[[true]]`, `[[{"a":1}]]`, `[["a]]`, `[[1]] x`, `[[1] [2]]`, `[[nul]]`} {
		if got, err := jsonRows(in, true); err == nil {
			t.Errorf("jsonRows(%q) = %v, want an error", in, got)
		}
	}
}
