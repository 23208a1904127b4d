package preview

import (
	"container/list"
	"sync"

	"github.com/stockroomhq/stockroom/blobstore"
)

// DefaultMemorySize is the cap of the previews kept in memory when
// Service.MemorySize is 0: 32 MiB, some two thousand 256-pixel thumbnails.
const DefaultMemorySize = 32 << 20

// memCache keeps the stored form of recently served previews in memory, in
// front of the derived area. A grid of thumbnails is asked for again and
// again, and reading one back costs a file open on disk and two requests
// (HEAD and GET) on an object store, against a map lookup here. A preview is
// a function of its content hash and name alone, so an entry never goes
// stale: it only stops being used.
type memCache struct {
	mu    sync.Mutex
	max   int64
	total int64
	order *list.List // of *memEntry, most recently used first
	byKey map[memKey]*list.Element
}

type memKey struct {
	h    blobstore.Hash
	name string
}

type memEntry struct {
	key  memKey
	data []byte
}

func newMemCache(max int64) *memCache {
	return &memCache{max: max, order: list.New(), byKey: make(map[memKey]*list.Element)}
}

// get returns the stored form of a preview, or nil. The slice is the
// cache's own: callers must not modify it.
func (c *memCache) get(k memKey) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[k]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*memEntry).data
}

// put keeps data, which the caller no longer modifies, and drops the least
// recently used entries past the cap. A preview larger than an eighth of
// the cap is not kept, so that one large box does not empty the cache.
func (c *memCache) put(k memKey, data []byte) {
	size := int64(len(data))
	if size > c.max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[k]; ok {
		c.total -= int64(len(e.Value.(*memEntry).data))
		e.Value.(*memEntry).data = data
		c.order.MoveToFront(e)
	} else {
		c.byKey[k] = c.order.PushFront(&memEntry{key: k, data: data})
	}
	c.total += size
	for c.total > c.max {
		last := c.order.Back()
		le := last.Value.(*memEntry)
		c.total -= int64(len(le.data))
		c.order.Remove(last)
		delete(c.byKey, le.key)
	}
}

// size is the bytes the cache holds.
func (c *memCache) size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}
