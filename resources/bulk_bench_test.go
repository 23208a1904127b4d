package resources_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/resources"
)

// The bulk benchmarks run on SQLite and blobs on disk in b.TempDir() (the
// in-memory afero filesystem removes a file in time proportional to the
// number of files, which would swamp the measure). They report the SQL
// statements of the measured call as stmts/op (BEGIN and COMMIT included,
// and the blob reference checks after the commit), and the part of its time
// spent removing blob files as blobrm-ms/op.
//
// Run them with: go test -run x -bench . -benchtime 3x ./resources/

const benchResources = 10_000

// timedBlobs is a blob store that adds up the time spent removing blobs.
type timedBlobs struct {
	blobstore.Store
	removing atomic.Int64 // nanoseconds
}

func (t *timedBlobs) Remove(ctx context.Context, h blobstore.Hash) error {
	start := time.Now()
	err := t.Store.Remove(ctx, h)
	t.removing.Add(int64(time.Since(start)))
	return err
}

// bench is a store for benchmarks, with its statements and its blob removal
// time counted.
type bench struct {
	s     *resources.Store
	count *statementCounter
	blobs *timedBlobs
}

func newBench(b *testing.B) *bench {
	b.Helper()
	blobs := &timedBlobs{Store: aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), b.TempDir()))}
	s, _ := newTestStore(b, func(c *resources.Config) { c.Blobs = blobs })
	return &bench{s: s, count: countStatements(s), blobs: blobs}
}

// measure runs op b.N times, each after an untimed setup, and reports the
// statements op ran and the time it spent removing blob files, per call.
func (be *bench) measure(b *testing.B, setup func(i int), op func() error) {
	b.Helper()
	var stmts, removing int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		setup(i)
		start, rmStart := be.count.n.Load(), be.blobs.removing.Load()
		b.StartTimer()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		stmts += be.count.n.Load() - start
		removing += be.blobs.removing.Load() - rmStart
	}
	b.ReportMetric(float64(stmts)/float64(b.N), "stmts/op")
	b.ReportMetric(float64(removing)/1e6/float64(b.N), "blobrm-ms/op")
}

// BenchmarkAddTags adds 3 new tags to 10,000 resources.
func BenchmarkAddTags(b *testing.B) {
	ctx := context.Background()
	be := newBench(b)
	ids := insertResources(b, be.s, benchResources, "r")
	var tags []int64
	be.measure(b, func(i int) {
		tags = newTags(b, be.s, fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i), fmt.Sprintf("c%d", i))
	}, func() error {
		return be.s.AddTags(ctx, ids, tags)
	})
}

// BenchmarkDeleteMany deletes 10,000 resources, each with its own blob, its
// version 1 and 3 tags.
func BenchmarkDeleteMany(b *testing.B) {
	ctx := context.Background()
	be := newBench(b)
	tags := newTags(b, be.s, "a", "b", "c")
	var ids []int64
	be.measure(b, func(i int) {
		ids = insertResources(b, be.s, benchResources, fmt.Sprintf("run %d", i))
		if err := be.s.AddTags(ctx, ids, tags); err != nil {
			b.Fatal(err)
		}
	}, func() error {
		return be.s.DeleteMany(ctx, ids)
	})
}

// BenchmarkMerge merges 100 losers, each with 10 versions (appended with
// AppendVersion) and 2 tags, into a winner with 10 versions.
func BenchmarkMerge(b *testing.B) {
	const losers, versions = 100, 10
	ctx := context.Background()
	be := newBench(b)
	tags := newTags(b, be.s, "a", "b", "c")
	var ids []int64
	be.measure(b, func(i int) {
		label := fmt.Sprintf("run %d", i)
		ids = insertResources(b, be.s, losers+1, label)
		for j, id := range ids {
			for v := 2; v <= versions; v++ {
				appendVersion(b, be.s, id, fmt.Appendf(nil, "%s resource %d version %d", label, j, v), "")
			}
			if err := be.s.AddTags(ctx, []int64{id}, tags[j%2:j%2+2]); err != nil {
				b.Fatal(err)
			}
		}
	}, func() error {
		return be.s.Merge(ctx, ids[0], ids[1:])
	})
	if n := countRows(b, be.s, "resource_versions", "resource_id = ?", ids[0]); n != (losers+1)*versions {
		b.Fatalf("the winner has %d versions, want %d", n, (losers+1)*versions)
	}
}
