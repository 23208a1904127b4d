package preview

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
)

// DefaultCacheSize is the size cap of the cached previews when
// Service.CacheSize is 0: 1 GiB.
const DefaultCacheSize = 1 << 30

// DerivedWalker is an optional capability of a DerivedStore: it lists the
// derived files, so that the cache can count the previews stored before it
// started.
type DerivedWalker interface {
	WalkDerived(ctx context.Context, fn func(h blobstore.Hash, name string, size int64, modTime time.Time) error) error
}

// cacheIndex keeps the size of the cached previews per blob, in least
// recently used order, and tells which blobs to drop past the cap. It
// evicts whole blobs (RemoveDerived is the one removal a DerivedStore has):
// the previews of an image are used together.
type cacheIndex struct {
	mu     sync.Mutex
	max    int64
	total  int64
	order  *list.List // of *cachedBlob, most recently used first
	byHash map[blobstore.Hash]*list.Element
}

type cachedBlob struct {
	h     blobstore.Hash
	files map[string]int64
}

func newCacheIndex(max int64) *cacheIndex {
	return &cacheIndex{max: max, order: list.New(), byHash: make(map[blobstore.Hash]*list.Element)}
}

// used marks a cached preview of h as just used, recording its size when
// it is new to the index (stored by an earlier run).
func (c *cacheIndex) used(h blobstore.Hash, name string, size int64) []blobstore.Hash {
	return c.put(h, name, size, false)
}

// put records a preview of h, and returns the blobs whose previews must go
// to bring the total under the cap: the least recently used first, and h
// last, when its previews alone are over the cap (a client may ask for any
// box, so one image can have many).
func (c *cacheIndex) put(h blobstore.Hash, name string, size int64, replace bool) []blobstore.Hash {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byHash[h]
	if !ok {
		e = c.order.PushFront(&cachedBlob{h: h, files: map[string]int64{}})
		c.byHash[h] = e
	} else {
		c.order.MoveToFront(e)
	}
	b := e.Value.(*cachedBlob)
	if old, ok := b.files[name]; !ok || replace {
		c.total += size - old
		b.files[name] = size
	}
	var evict []blobstore.Hash
	for c.total > c.max && c.order.Len() > 0 {
		last := c.order.Back()
		lb := last.Value.(*cachedBlob)
		for _, n := range lb.files {
			c.total -= n
		}
		c.order.Remove(last)
		delete(c.byHash, lb.h)
		evict = append(evict, lb.h)
	}
	return evict
}

// drop forgets the previews of h (removed with its blob).
func (c *cacheIndex) drop(h blobstore.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byHash[h]; ok {
		for _, n := range e.Value.(*cachedBlob).files {
			c.total -= n
		}
		c.order.Remove(e)
		delete(c.byHash, h)
	}
}

// size is the total the index counts.
func (c *cacheIndex) size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}
