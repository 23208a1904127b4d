package query_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/cputime"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
)

// BenchmarkEveryday lists a library shaped like the load benchmark's of
// cmd/stockroom (TestLoadBench): 2,000 resources named "photo <i>", one in
// ten also "harbour", a tag on 15% of them, then 3,000 uploads. The
// requests are those of its rows, so that the CPU of their library calls
// can be profiled apart from HTTP, and a Name search after each rename.
// The text of new resources is indexed every 25 of them, as the server's
// background indexer does during the load benchmark's seeding (some 90
// uploads a second, a batch every 250 ms): left filed, every resource
// would be a candidate of the Name search.
func BenchmarkEveryday(b *testing.B) {
	e := newEnv(b)
	tags := []int64{e.tag(b, "t0"), e.tag(b, "t1"), e.tag(b, "t2"), e.tag(b, "t3")}
	for i := 1; i <= 5000; i++ {
		name := fmt.Sprintf("photo %d", i)
		if i > 2000 {
			name = fmt.Sprintf("upload %d", i)
		} else if i%10 == 0 {
			name += " harbour"
		}
		in := resources.CreateInput{Name: name, Tags: []int64{tags[1+i%3]}}
		if i%20 < 3 {
			in.Tags = append(in.Tags, tags[0])
		}
		e.create(b, fmt.Appendf(nil, "content %d", i), in, time.Time{})
		if i%25 == 0 {
			if _, err := e.store.IndexText(e.ctx, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	for name, f := range map[string]query.Filter{
		"NoFilter": {},
		"Name":     {Name: "harbour"},
		"Tags":     {Tags: []int64{tags[0]}},
	} {
		b.Run(name, func(b *testing.B) {
			c0 := cputime.Process()
			n := 0
			for b.Loop() {
				if _, err := e.q.List(e.ctx, f); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/float64(n), "cpu-µs/op")
		})
	}
	// A rename before each Name search: the copy of the names that the
	// search would scan is never current, as while names are edited.
	b.Run("NameAfterRename", func(b *testing.B) {
		c0 := cputime.Process()
		n := 0
		for b.Loop() {
			if err := e.store.EditName(e.ctx, 4999, fmt.Sprintf("upload %d", n)); err != nil {
				b.Fatal(err)
			}
			if _, err := e.q.List(e.ctx, query.Filter{Name: "harbour"}); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/float64(n), "cpu-µs/op")
	})
}
