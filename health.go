package stockroom

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
)

// Ready reports whether the library can serve: the database answers (its
// schema was migrated by Open) and the blob store takes a write. Each call
// stores and removes a small blob of random bytes.
func (l *Library) Ready(ctx context.Context) error {
	var one int
	if err := l.Store.DB().NewRaw("SELECT 1").Scan(ctx, &one); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if err := l.Store.ReadDB().NewRaw("SELECT 1").Scan(ctx, &one); err != nil {
		return fmt.Errorf("database (reads): %w", err)
	}
	res, err := l.Blobs.Put(ctx, io.LimitReader(rand.Reader, 32))
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	if err := l.Blobs.Remove(ctx, res.Hash); err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	return nil
}

// BlobStats counts the blobs of the blob store and their bytes, with a
// walk: for metrics, call it now and then, not per scrape.
func (l *Library) BlobStats(ctx context.Context) (count, bytes int64, err error) {
	err = l.Blobs.Walk(ctx, func(in blobstore.Info) error {
		count++
		bytes += in.Size
		return nil
	})
	return count, bytes, err
}

// WatchBlobStats calls report with BlobStats at once and then every
// interval until ctx ends.
func (l *Library) WatchBlobStats(ctx context.Context, interval time.Duration, report func(count, bytes int64)) {
	for {
		if n, b, err := l.BlobStats(ctx); err == nil {
			report(n, b)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
