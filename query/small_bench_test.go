package query_test

import (
	"context"
	"testing"

	"github.com/stockroomhq/stockroom/internal/cputime"
	"github.com/stockroomhq/stockroom/internal/seed"
	"github.com/stockroomhq/stockroom/query"
)

// BenchmarkSmallLibrary measures everyday lists on a library of 2,000
// resources, with the planner and on the generic path.
func BenchmarkSmallLibrary(b *testing.B) {
	q := benchDB(b, 2000)
	words := seed.Words(seed.DefaultSeed)
	filters := map[string]query.Filter{
		"NoFilter": {},
		"Name":     {Name: commonTerms(words, 3, 4)[0]},
		"Tag":      {Tags: []int64{3}},
	}
	ctx := context.Background()
	for _, mode := range []string{"planner", "generic"} {
		qq := q
		if mode == "generic" {
			qq = benchDB(b, 2000)
			query.Generic(qq)
		}
		for name, f := range filters {
			b.Run(mode+"/"+name, func(b *testing.B) {
				c0 := cputime.Process()
				n := 0
				for b.Loop() {
					if _, err := qq.List(ctx, f); err != nil {
						b.Fatal(err)
					}
					n++
				}
				// Wall time means little on a shared machine; the process's
				// CPU time does.
				b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/float64(n), "cpu-µs/op")
			})
		}
	}
}
