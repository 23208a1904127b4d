package resources_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/resources"
)

// The bulk benchmarks run on SQLite and blobs on disk in b.TempDir() (the
// in-memory afero filesystem removes a file in time proportional to the
// number of files, which would swamp the measure), and report the SQL statements of the measured call (BEGIN and COMMIT
// included, blob reference checks after the commit too) as stmts/op.
// Run them with: go test -run x -bench . -benchtime 3x ./resources/

const benchResources = 10_000

// diskBlobs keeps the test store's blobs on disk under dir.
func diskBlobs(dir string) storeOption {
	return func(c *resources.Config) {
		c.Blobs = aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), dir))
	}
}

// measure runs op b.N times, each after an untimed setup, and reports the
// statements op ran per call.
func measure(b *testing.B, count *statementCounter, setup func(i int), op func() error) {
	b.Helper()
	var stmts int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		setup(i)
		start := count.n.Load()
		b.StartTimer()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		stmts += count.n.Load() - start
	}
	b.ReportMetric(float64(stmts)/float64(b.N), "stmts/op")
}

// BenchmarkAddTags adds 3 new tags to 10,000 resources.
func BenchmarkAddTags(b *testing.B) {
	ctx := context.Background()
	s, _ := newTestStore(b, diskBlobs(b.TempDir()))
	count := countStatements(s)
	ids := insertResources(b, s, benchResources, "r")
	var tags []int64
	measure(b, count, func(i int) {
		tags = newTags(b, s, fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i), fmt.Sprintf("c%d", i))
	}, func() error {
		return s.AddTags(ctx, ids, tags)
	})
}

// BenchmarkDeleteMany deletes 10,000 resources, each with its own blob, its
// version 1 and 3 tags.
func BenchmarkDeleteMany(b *testing.B) {
	ctx := context.Background()
	s, _ := newTestStore(b, diskBlobs(b.TempDir()))
	count := countStatements(s)
	tags := newTags(b, s, "a", "b", "c")
	var ids []int64
	measure(b, count, func(i int) {
		ids = insertResources(b, s, benchResources, fmt.Sprintf("run %d", i))
		if err := s.AddTags(ctx, ids, tags); err != nil {
			b.Fatal(err)
		}
	}, func() error {
		return s.DeleteMany(ctx, ids)
	})
}

// BenchmarkMerge merges 100 losers, each with 10 versions (appended with
// AppendVersion) and 2 tags, into a winner with 10 versions.
func BenchmarkMerge(b *testing.B) {
	const losers, versions = 100, 10
	ctx := context.Background()
	s, _ := newTestStore(b, diskBlobs(b.TempDir()))
	count := countStatements(s)
	tags := newTags(b, s, "a", "b", "c")
	var ids []int64
	measure(b, count, func(i int) {
		label := fmt.Sprintf("run %d", i)
		ids = insertResources(b, s, losers+1, label)
		for j, id := range ids {
			for v := 2; v <= versions; v++ {
				appendVersion(b, s, id, fmt.Appendf(nil, "%s resource %d version %d", label, j, v), "")
			}
			if err := s.AddTags(ctx, []int64{id}, tags[j%2:j%2+2]); err != nil {
				b.Fatal(err)
			}
		}
	}, func() error {
		return s.Merge(ctx, ids[0], ids[1:])
	})
	if n := countRows(b, s, "resource_versions", "resource_id = ?", ids[0]); n != (losers+1)*versions {
		b.Fatalf("the winner has %d versions, want %d", n, (losers+1)*versions)
	}
}
