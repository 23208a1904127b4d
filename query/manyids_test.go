package query_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// TestManyIDs lists with thousands of IDs in each list filter: the SQL
// stays bounded (SQLite refuses expression trees deeper than 1,000 and
// compounds of more than 500 selects), and the answers are right.
func TestManyIDs(t *testing.T) {
	e := newEnv(t)
	var tags, groups, notes []int64
	for i := range 12 {
		tags = append(tags, e.tag(t, fmt.Sprintf("t%d", i)))
		groups = append(groups, e.group(t, fmt.Sprintf("g%d", i)))
		notes = append(notes, e.note(t, fmt.Sprintf("n%d", i)))
	}
	// The owner group of all is also related to it: it counts once.
	all := e.create(t, text("all", 10), resources.CreateInput{Name: "all", Tags: tags, Groups: groups, OwnerID: &groups[11], Notes: notes}, day("2024-01-01"))
	some := e.create(t, text("some", 10), resources.CreateInput{Name: "some", Tags: tags[:11], Groups: groups[:11], Notes: notes[:11]}, day("2024-01-02"))
	owned := e.create(t, text("owned", 10), resources.CreateInput{Name: "owned", Groups: groups[:10], OwnerID: &groups[10]}, day("2024-01-03"))

	// padded adds n IDs that exist nowhere (all conditions must hold,
	// so only lists of existing IDs can match).
	padded := func(ids []int64, n int) []int64 {
		out := append([]int64{}, ids...)
		for i := range n {
			out = append(out, int64(1_000_000+i))
		}
		return out
	}
	ids := func(p query.Page) []int64 {
		out := []int64{}
		for _, r := range p.Resources {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    query.Filter
		want []int64
	}{
		{"tags", query.Filter{Tags: tags}, []int64{all.ID}},
		{"eleven tags", query.Filter{Tags: tags[:11]}, []int64{some.ID, all.ID}},
		{"groups", query.Filter{Groups: groups}, []int64{all.ID}},
		{"eleven groups", query.Filter{Groups: groups[:11]}, []int64{owned.ID, some.ID, all.ID}},
		{"eleven groups sorted", query.Filter{Groups: groups[:11], SortBy: []string{"name"}}, []int64{all.ID, owned.ID, some.ID}},
		{"notes", query.Filter{Notes: notes}, []int64{all.ID}},
		{"eleven notes", query.Filter{Notes: notes[:11]}, []int64{some.ID, all.ID}},
		{"many tags", query.Filter{Tags: padded(tags, 2000)}, []int64{}},
		{"many groups", query.Filter{Groups: padded(groups, 2000)}, []int64{}},
		{"many notes", query.Filter{Notes: padded(notes, 2000)}, []int64{}},
		{"many of each", query.Filter{Tags: padded(tags, 3000), Groups: padded(groups, 3000), Notes: padded(notes, 3000)}, []int64{}},
		{"many IDs", query.Filter{IDs: padded([]int64{all.ID, some.ID}, 10000)}, []int64{some.ID, all.ID}},
		{"many tags sorted", query.Filter{Tags: padded(tags, 2000), SortBy: []string{"name"}}, []int64{}},
		{"many IDs with tags sorted", query.Filter{IDs: padded([]int64{all.ID, some.ID}, 10000), Tags: tags[:11], SortBy: []string{"name"}}, []int64{all.ID, some.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := e.q.List(e.ctx, tc.f)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if diff := cmp.Diff(tc.want, ids(p)); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
		})
	}
}
