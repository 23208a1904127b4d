package query_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

func TestParseMetaQuery(t *testing.T) {
	cases := []struct {
		in   string
		want query.MetaCondition
	}{
		{"a:b", query.MetaCondition{Key: "a", Op: query.OpLI, Value: "b"}},
		{"a:5", query.MetaCondition{Key: "a", Op: query.OpLI, Value: "5"}},
		{"a:true", query.MetaCondition{Key: "a", Op: query.OpLI, Value: "true"}},
		{"a:", query.MetaCondition{Key: "a", Op: query.OpLI, Value: ""}},
		{" a : b ", query.MetaCondition{Key: "a", Op: query.OpLI, Value: "b"}},
		{`a:" b "`, query.MetaCondition{Key: "a", Op: query.OpLI, Value: " b "}},
		{"a:12:30", query.MetaCondition{Key: "a", Op: query.OpLI, Value: "12:30"}},
		{"url:https://x.test/a", query.MetaCondition{Key: "url", Op: query.OpLI, Value: "https://x.test/a"}},
		{"a::b", query.MetaCondition{Key: "a", Op: query.OpLI, Value: ":b"}},
		{"a:LI:50%", query.MetaCondition{Key: "a", Op: query.OpLI, Value: "50%"}},
		{"a:li:x", query.MetaCondition{Key: "a", Op: query.OpLI, Value: "x"}},
		{"a:NL:'x'", query.MetaCondition{Key: "a", Op: query.OpNL, Value: "x"}},
		{"a:LI:null", query.MetaCondition{Key: "a", Op: query.OpLI, Value: "null"}},
		{"a:EQ:x:y", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: "x:y"}},
		{"a:EQ:", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: ""}},
		{"a:EQ:null", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: nil}},
		{"a:Eq:Null", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: nil}},
		{"a:NE:null", query.MetaCondition{Key: "a", Op: query.OpNE, Value: nil}},
		{"a:EQ:true", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: true}},
		{"a:EQ:FALSE", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: false}},
		{`a:EQ:"true"`, query.MetaCondition{Key: "a", Op: query.OpEQ, Value: "true"}},
		{"a:EQ:'null'", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: "null"}},
		{"a:EQ:42", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: int64(42)}},
		{"a:EQ:-42", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: int64(-42)}},
		{"a:EQ:+7", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: int64(7)}},
		{"a:EQ:007", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: int64(7)}},
		{`a:EQ:"007"`, query.MetaCondition{Key: "a", Op: query.OpEQ, Value: "007"}},
		{"a:GT:1.5", query.MetaCondition{Key: "a", Op: query.OpGT, Value: 1.5}},
		{"a:GE:.5", query.MetaCondition{Key: "a", Op: query.OpGE, Value: 0.5}},
		{"a:LT:5.", query.MetaCondition{Key: "a", Op: query.OpLT, Value: 5.0}},
		{"a:LE:1e3", query.MetaCondition{Key: "a", Op: query.OpLE, Value: 1000.0}},
		{"a:EQ:99999999999999999999", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: 1e20}},
		{"a:EQ:Inf", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: "Inf"}},
		{"a:EQ:NaN", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: "NaN"}},
		{"a:EQ:0x10", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: "0x10"}},
		{"a:EQ:1_000", query.MetaCondition{Key: "a", Op: query.OpEQ, Value: "1_000"}},
		{"a:GT:abc", query.MetaCondition{Key: "a", Op: query.OpGT, Value: "abc"}},
		{`a:EQ:"a"b"`, query.MetaCondition{Key: "a", Op: query.OpEQ, Value: `a"b`}},
		{`a:EQ:'it''s'`, query.MetaCondition{Key: "a", Op: query.OpEQ, Value: `it''s`}},
		{`a:EQ:it's`, query.MetaCondition{Key: "a", Op: query.OpEQ, Value: `it's`}},
		{`a:EQ:""`, query.MetaCondition{Key: "a", Op: query.OpEQ, Value: ""}},
		{"camera.model:EQ:X100", query.MetaCondition{Key: "camera.model", Op: query.OpEQ, Value: "X100"}},
		{"A-b_9.c-D:ne:1", query.MetaCondition{Key: "A-b_9.c-D", Op: query.OpNE, Value: int64(1)}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := query.ParseMetaQuery(tc.in)
			if err != nil {
				t.Fatalf("ParseMetaQuery(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseMetaQuery(%q) (-want +got):\n%s", tc.in, diff)
			}
			again, err := query.ParseMetaQuery(got.String())
			if err != nil {
				t.Fatalf("ParseMetaQuery(%q) (String of %q): %v", got.String(), tc.in, err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip through %q (-first +second):\n%s", got.String(), diff)
			}
		})
	}
}

func TestParseMetaQueryErrors(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"", `MetaQuery "": want "key:value" or "key:OP:value"`},
		{"rating", `want "key:value"`},
		{":x", "empty key"},
		{"a:XX:1", `MetaQuery "a:XX:1": unknown operator "XX"`},
		{"a:ab:cd", `unknown operator "ab"`},
		{"a:eq2:1", ""}, // not operator-shaped: a substring; checked below
		{"a b:1", `key "a b"`},
		{"a.:1", "empty name"},
		{".a:1", "empty name"},
		{"a..b:1", "empty name"},
		{"a/b:1", "names may hold only"},
		{"ä:1", "names may hold only"},
		{"a$:1", "names may hold only"},
		{`a":1`, "names may hold only"},
		{strings.Repeat("a", 257) + ":1", "key longer than 256 bytes"},
		{"a:" + strings.Repeat("x", 5000), "longer than 4096 bytes"},
		{"a:x\x00", "NUL"},
		{"a:\xff", "UTF-8"},
		{"a:GT:true", "operator GT needs a number or a string, not true"},
		{"a:ge:null", "operator GE needs a number or a string, not null"},
		{"a:LT:False", "not false"},
		{`a:EQ:"x`, "unterminated quote"},
		{`a:EQ:"`, "unterminated quote"},
		{`a:LI:'x"`, "unterminated quote"},
		{"a:EQ:1e999", "number 1e999 is out of range"},
		{"a:EQ:-1e400", "out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			_, err := query.ParseMetaQuery(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ParseMetaQuery(%q): %v, want no error", tc.in, err)
				}
				return
			}
			if !errors.Is(err, resources.ErrInvalid) {
				t.Fatalf("ParseMetaQuery(%q): err = %v, want resources.ErrInvalid", tc.in, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseMetaQuery(%q): err = %q, want it to contain %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestParseSortBy(t *testing.T) {
	cases := []struct {
		in   string
		want query.SortTerm
	}{
		{"id", query.SortTerm{Column: "id"}},
		{"name asc", query.SortTerm{Column: "name"}},
		{"  NAME   DESC ", query.SortTerm{Column: "name", Desc: true}},
		{"Created_At Desc", query.SortTerm{Column: "created_at", Desc: true}},
		{"updated_at", query.SortTerm{Column: "updated_at"}},
		{"file_size desc", query.SortTerm{Column: "file_size", Desc: true}},
		{"width", query.SortTerm{Column: "width"}},
		{"height", query.SortTerm{Column: "height"}},
		{"content_type", query.SortTerm{Column: "content_type"}},
		{"original_name", query.SortTerm{Column: "original_name"}},
		{"meta->>'rating'", query.SortTerm{MetaKey: "rating"}},
		{"META->>'Rating' DESC", query.SortTerm{MetaKey: "Rating", Desc: true}},
		{"meta->>'camera.model'", query.SortTerm{MetaKey: "camera.model"}},
		{"meta.camera.model desc", query.SortTerm{MetaKey: "camera.model", Desc: true}},
		{"Meta.a-b_c", query.SortTerm{MetaKey: "a-b_c"}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := query.ParseSortBy(tc.in)
			if err != nil {
				t.Fatalf("ParseSortBy(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseSortBy(%q) (-want +got):\n%s", tc.in, diff)
			}
			again, err := query.ParseSortBy(got.String())
			if err != nil || again != got {
				t.Errorf("round trip through %q: %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}

func TestParseSortByErrors(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"", `SortBy "": want "column" or "column asc|desc"`},
		{"   ", "want"},
		{"name asc desc", "want"},
		{"name up", `direction "up" must be asc or desc`},
		{"owner_id", `unknown column "owner_id"`},
		{"r.name", "unknown column"},
		{"name;drop", "unknown column"},
		{"name;drop table resources", "want"},
		{"meta", "unknown column"},
		{"meta->'a'", "unknown column"},
		{`meta->>"a"`, "unknown column"},
		{"meta->>'a", "want meta->>'key'"},
		{"meta->>'", "want meta->>'key'"},
		{"meta->>''", "empty key"},
		{"meta.", "empty key"},
		{"meta.a..b", "empty name"},
		{"meta->>'a b'", "direction"}, // two fields: the second is no direction
		{"meta->>'a'b'", "names may hold only"},
		{"meta.a'", "names may hold only"},
		{"meta." + strings.Repeat("a", 300), "key longer"},
		{"name\x00", "NUL"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			_, err := query.ParseSortBy(tc.in)
			if !errors.Is(err, resources.ErrInvalid) {
				t.Fatalf("ParseSortBy(%q): err = %v, want resources.ErrInvalid", tc.in, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseSortBy(%q): err = %q, want it to contain %q", tc.in, err, tc.want)
			}
		})
	}
}
