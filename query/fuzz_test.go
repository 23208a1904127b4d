package query

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stockroomhq/stockroom/resources"
)

// FuzzParseMetaQuery checks that ParseMetaQuery never panics, that every
// error wraps resources.ErrInvalid, that a parsed condition reads back from
// its String, and that its SQL has exactly one argument per placeholder and
// none of the value in its text.
func FuzzParseMetaQuery(f *testing.F) {
	for _, s := range []string{
		"a:b", "a:EQ:1", "a.b.c:ne:null", "a:GT:1.5e3", `a:LI:"x y"`, "a:XX:1",
		"a:EQ:'007'", "a:LT:true", ":", "", "a:EQ:\"", "a-b_c:NL:%_",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseMetaQuery(s)
		if err != nil {
			if !errors.Is(err, resources.ErrInvalid) {
				t.Fatalf("ParseMetaQuery(%q): error %v does not wrap resources.ErrInvalid", s, err)
			}
			return
		}
		again, err := ParseMetaQuery(c.String())
		if err != nil {
			t.Fatalf("ParseMetaQuery(%q) = %+v; its String %q does not parse: %v", s, c, c.String(), err)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("ParseMetaQuery(%q) = %#v; through String %q: %#v", s, c, c.String(), again)
		}
		frag := sqliteDialect{}.metaCondition("r.meta", c)
		if n := strings.Count(frag.sql, "?"); n != len(frag.args) {
			t.Fatalf("ParseMetaQuery(%q): SQL %q has %d placeholders for %d arguments", s, frag.sql, n, len(frag.args))
		}
		// The SQL text depends only on the operator and the type of the
		// value: the same condition on another key and value of the same
		// type has the same text.
		other := MetaCondition{Key: "k", Op: c.Op, Value: sameType(c.Value)}
		if o := (sqliteDialect{}).metaCondition("r.meta", other); o.sql != frag.sql {
			t.Fatalf("ParseMetaQuery(%q): SQL %q differs from %q for %+v", s, frag.sql, o.sql, other)
		}
	})
}

// sameType returns a fixed value of v's type.
func sameType(v any) any {
	switch v.(type) {
	case bool:
		return v // true and false have different SQL; both are constants
	case int64:
		return int64(1)
	case float64:
		return 1.5
	case string:
		return "s"
	}
	return nil
}

// FuzzParseSortBy checks that ParseSortBy never panics, that every error
// wraps resources.ErrInvalid, and that a parsed term reads back from its
// String.
func FuzzParseSortBy(f *testing.F) {
	for _, s := range []string{
		"id", "name desc", "CREATED_AT ASC", "meta->>'a'", "meta.a.b desc", "meta->>'a",
		`meta->>"a"`, "owner_id", "", "name sideways", "meta.", "meta->>''",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		term, err := ParseSortBy(s)
		if err != nil {
			if !errors.Is(err, resources.ErrInvalid) {
				t.Fatalf("ParseSortBy(%q): error %v does not wrap resources.ErrInvalid", s, err)
			}
			return
		}
		if (term.Column == "") == (term.MetaKey == "") {
			t.Fatalf("ParseSortBy(%q) = %+v: want exactly one of Column and MetaKey", s, term)
		}
		if term.Column != "" && sortColumns[term.Column] == "" {
			t.Fatalf("ParseSortBy(%q) = %+v: unknown column", s, term)
		}
		again, err := ParseSortBy(term.String())
		if err != nil || again != term {
			t.Fatalf("ParseSortBy(%q) = %+v; through String %q: %+v, %v", s, term, term.String(), again, err)
		}
	})
}
