package stockroom

import (
	"context"
	"log/slog"
	"time"
)

// textIndexInterval is how often the text indexer looks for resources to
// index. Searches find them meanwhile, each by a check of its own, so a
// longer wait costs searches a little; a shorter one makes smaller
// batches, each a transaction and a new segment of every trigram table.
const textIndexInterval = 250 * time.Millisecond

// startTextIndexer runs Store.IndexText in the background every
// textIndexInterval, until Close, in batches until nothing is left.
func (l *Library) startTextIndexer(logger *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	l.stopIndex = func() { cancel(); <-done }
	go func() {
		defer close(done)
		t := time.NewTicker(textIndexInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
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
	}()
}
