package resources_test

import (
	"context"
	"testing"
)

// BenchmarkGet reads one resource of a library of 2,000 with its tags, as
// cmd/stockroom's load benchmark does through GET /v1/resource: every
// resource has a tag of three, and about one in seven a fourth as well.
//
//	go test -run x -bench Get -benchmem ./resources/
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	s, _ := newTestStore(b)
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
