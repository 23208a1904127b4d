package stockroom

import (
	"context"
	"log/slog"
	"time"

	"github.com/stockroomhq/stockroom/blobstore/aferostore"
)

// textIndexInterval is how often the text indexer looks for resources to
// index. Searches find them meanwhile, each by a check of its own, so a
// longer wait costs searches a little; a shorter one makes smaller
// batches, each a transaction and a new segment of every trigram table.
const textIndexInterval = 250 * time.Millisecond

// startTextIndexer runs Store.IndexText in the background every
// textIndexInterval, until Close, in batches until nothing is left.
func (l *Library) startTextIndexer(logger *slog.Logger) {
	l.goBackground(func(ctx context.Context) {
		t := time.NewTicker(textIndexInterval)
		defer t.Stop()
		for tick(ctx, t) {
			for {
				n, err := l.Store.IndexText(ctx, 0)
				if err != nil && ctx.Err() == nil {
					logger.Warn("indexing the text of new resources", "err", err)
				}
				if err != nil || n == 0 {
					break
				}
			}
		}
	})
}

// shardPause is the pause between two top-level directories of the
// shard directories that startShardMaker makes (256 in all, of 256 shards
// each), so that it takes a few seconds rather than a burst.
const shardPause = 20 * time.Millisecond

// shardsBeforeMaking is the number of shard directories that uploads
// make before startShardMaker makes them all: a library of a thousand
// files or more being filled, for which the 256 MiB that all the
// directories take on ext4 is a fair price for a mkdir and a sync saved
// on most uploads; a smaller one (a trial, a test) keeps its disk.
const shardsBeforeMaking = 1024

// startShardMaker makes the shard directories of the library's own blob
// store in the background (aferostore.Store.MakeShards), once per Open
// and once uploads have made shardsBeforeMaking of them: an upload then
// finds the directory of its blob made.
func (l *Library) startShardMaker(s *aferostore.Store, logger *slog.Logger) {
	l.goBackground(func(ctx context.Context) {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for s.ShardsMade() < shardsBeforeMaking {
			if !tick(ctx, t) {
				return
			}
		}
		if err := s.MakeShards(ctx, shardPause); err != nil && ctx.Err() == nil {
			logger.Warn("making the blob store's shard directories", "err", err)
		}
	})
}

// goBackground runs fn in a goroutine of its own until it returns or
// Close cancels its context; Close waits for it.
func (l *Library) goBackground(fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	l.stops = append(l.stops, func() { cancel(); <-done })
	go func() {
		defer close(done)
		fn(ctx)
	}()
}

// tick waits for t's next tick and reports true, or for the end of ctx
// and reports false.
func tick(ctx context.Context, t *time.Ticker) bool {
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
