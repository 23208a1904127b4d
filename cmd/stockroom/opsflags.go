package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/httpapi"
)

// opsFlags are serve's settings of the sweeper and of durability.
type opsFlags struct {
	gcInterval time.Duration
	gcGrace    time.Duration
	sync       string
	smallBlobs string
}

func (f *opsFlags) register(fs *flag.FlagSet, getenv func(string) string, badEnv map[string]string) {
	fs.DurationVar(&f.gcInterval, "gc-interval", envDuration(getenv, badEnv, "gc-interval", "GC_INTERVAL", 10*time.Minute, true), "how often to remove files no resource uses any more; 0 never (then deletes remove them themselves) (GC_INTERVAL)")
	fs.DurationVar(&f.gcGrace, "gc-grace", envDuration(getenv, badEnv, "gc-grace", "GC_GRACE", stockroom.DefaultGCGrace, true), "the least age of a file the sweeper removes (GC_GRACE)")
	sync := getenv("SYNC")
	if sync == "" {
		sync = "normal"
	}
	fs.StringVar(&f.sync, "sync", sync, "durability: normal survives a crash of the server, full also a power loss, at some cost in write speed (SYNC)")
	small := getenv("SMALL_BLOBS")
	if small == "" {
		small = "pack"
	}
	fs.StringVar(&f.smallBlobs, "small-blobs", small, "where files of up to 64 KiB go: pack (one SQLite file beside the others, faster to make durable) or files (a file each) (SMALL_BLOBS)")
}

func (f *opsFlags) check() error {
	if f.sync != "normal" && f.sync != "full" {
		return &usageError{fmt.Sprintf("-sync %q: want normal or full", f.sync)}
	}
	if f.smallBlobs != "pack" && f.smallBlobs != "files" {
		return &usageError{fmt.Sprintf("-small-blobs %q: want pack or files", f.smallBlobs)}
	}
	if f.gcInterval < 0 || f.gcGrace < 0 {
		return &usageError{"-gc-interval and -gc-grace must not be negative"}
	}
	return nil
}

func (f *opsFlags) apply(opts *stockroom.Options) {
	opts.SweepInterval = f.gcInterval
	opts.SweepGrace = f.gcGrace
	if f.gcGrace == 0 {
		opts.SweepGrace = -1
	}
	opts.SyncFull = f.sync == "full"
	opts.SmallBlobsAsFiles = f.smallBlobs == "files"
}

// serve gives the handler its health check and metrics; the blob store is
// counted for them every few minutes in the background.
func (f *opsFlags) serve(ctx context.Context, hcfg *httpapi.Config, lib *stockroom.Library) {
	m := httpapi.NewMetrics()
	hcfg.Metrics = m
	hcfg.Ready = lib.Ready
	go lib.WatchBlobStats(ctx, 5*time.Minute, m.SetBlobStats)
}
