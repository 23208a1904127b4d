package resources_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/internal/cputime"
	"github.com/stockroomhq/stockroom/resources"
)

// taggedLibrary fills s with the load benchmark's library: 2,000
// resources, each with a tag of three, and about one in seven with a
// fourth as well. It returns their IDs, oldest first.
func taggedLibrary(b *testing.B, s *resources.Store) []int64 {
	ctx := context.Background()
	ids := insertResources(b, s, 2000, "photo")
	tags := newTags(b, s, "common", "a", "b", "c")
	byTag := make([][]int64, len(tags))
	for i, id := range ids {
		if i%20 < 3 {
			byTag[0] = append(byTag[0], id)
		}
		byTag[1+i%3] = append(byTag[1+i%3], id)
	}
	for i, rs := range byTag {
		if err := s.AddTags(ctx, rs, tags[i:i+1]); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// BenchmarkGet reads one resource of a library of 2,000 with its tags, as
// cmd/stockroom's load benchmark does through GET /v1/resource: every
// resource has a tag of three, and about one in seven a fourth as well.
//
//	go test -run x -bench Get -benchmem ./resources/
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	s, _ := newTestStore(b)
	ids := taggedLibrary(b, s)
	i := 0
	for b.Loop() {
		r, err := s.Get(ctx, ids[i%len(ids)])
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Tags) == 0 {
			b.Fatalf("resource %d has no tags", r.ID)
		}
		i++
	}
}

// BenchmarkReadMany reads a list page, the 50 newest resources of a
// library of 2,000, with their relations, and with "+json" also writes
// its answer as the API does (AppendJSON): the work of every list after
// its query has found the page's IDs. In "tags" every resource has one or
// two of four tags, as in cmd/stockroom's load benchmark; in "all" most
// also have groups, notes, an owner, a resource category and a series.
//
//	go test -run x -bench ReadMany -benchmem ./resources/
func BenchmarkReadMany(b *testing.B) {
	for _, lib := range []string{"tags", "all"} {
		ctx := context.Background()
		s, _ := newTestStore(b)
		ids := taggedLibrary(b, s)
		if lib == "all" {
			linkAll(b, s, ids)
		}
		page := ids[len(ids)-50:]
		for _, withJSON := range []bool{false, true} {
			name := lib
			if withJSON {
				name += "+json"
			}
			b.Run(name, func(b *testing.B) {
				var buf []byte
				c0 := cputime.Process()
				for b.Loop() {
					rs, err := s.ReadMany(ctx, nil, page)
					if err != nil {
						b.Fatal(err)
					}
					if len(rs) != len(page) || len(rs[0].Tags) == 0 {
						b.Fatalf("read %d resources, the first with %d tags", len(rs), len(rs[0].Tags))
					}
					if withJSON {
						var ok bool
						if buf, ok = resources.AppendJSON(buf[:0], rs); !ok {
							b.Fatal("AppendJSON declined")
						}
					}
				}
				b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/float64(b.N), "cpu-µs/op")
			})
		}
	}
}

// linkAll gives most of ids groups, notes, an owner, a resource category
// and a series, from a few of each, as a library in use has them.
func linkAll(tb testing.TB, s *resources.Store, ids []int64) {
	tb.Helper()
	ctx := context.Background()
	var groups, notes, cats, series []int64
	for i := range 8 {
		g, err := s.SaveGroup(ctx, resources.GroupInput{Name: ptr(fmt.Sprintf("group %d", i)), Description: ptr("people & places"),
			Meta: resources.Meta(`{"k":"v"}`)})
		if err != nil {
			tb.Fatal(err)
		}
		groups = append(groups, g.ID)
		n, err := s.SaveNote(ctx, resources.NoteInput{Name: ptr(fmt.Sprintf("note %d", i)), Description: ptr("a longer text about it")})
		if err != nil {
			tb.Fatal(err)
		}
		notes = append(notes, n.ID)
	}
	for i := range 3 {
		c, err := s.SaveResourceCategory(ctx, resources.ResourceCategoryInput{Name: ptr(fmt.Sprintf("category %d", i))})
		if err != nil {
			tb.Fatal(err)
		}
		cats = append(cats, c.ID)
		sr, err := s.SaveSeries(ctx, resources.SeriesInput{Name: ptr(fmt.Sprintf("series %d", i))})
		if err != nil {
			tb.Fatal(err)
		}
		series = append(series, sr.ID)
	}
	err := s.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for i, id := range ids {
			if i%4 == 3 {
				continue
			}
			for _, q := range []struct {
				text string
				args []any
			}{
				{"INSERT INTO groups_related_resources (resource_id, group_id) VALUES (?, ?)", []any{id, groups[i%len(groups)]}},
				{"INSERT INTO resource_notes (resource_id, note_id) VALUES (?, ?), (?, ?)", []any{id, notes[i%len(notes)], id, notes[(i+1)%len(notes)]}},
				{"UPDATE resources SET owner_id = ?, resource_category_id = ?, series_id = ? WHERE id = ?",
					[]any{groups[(i+3)%len(groups)], cats[i%len(cats)], series[i%len(series)], id}},
			} {
				if _, err := tx.ExecContext(ctx, q.text, q.args...); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}
