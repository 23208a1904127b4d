package resources

import (
	"context"
	"sync"
)

// renderedCap bounds the resources renderedCache keeps: some 1 KB of
// JSON each, a few MB in all, and more than the pages a library's
// everyday reads go through between two writes.
const renderedCap = 8192

// renderedCache keeps the JSON of resources as read in one state of the
// database, named by a stamp (Config.Stamp). Entries of any other state
// are never used: a write anywhere, to the resource, its links or an
// entity it shows, changes the stamp, so nothing here needs to know what
// a write touched. A read of another state replaces the whole cache.
type renderedCache struct {
	mu    sync.Mutex
	stamp string
	json  map[int64][]byte
}

// get returns the JSON of the resources ids kept for stamp, nil where
// there is none, or nil when there is none at all.
func (c *renderedCache) get(stamp string, ids []int64) [][]byte {
	if stamp == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stamp != stamp {
		return nil
	}
	var out [][]byte
	for i, id := range ids {
		if b := c.json[id]; b != nil {
			if out == nil {
				out = make([][]byte, len(ids))
			}
			out[i] = b
		}
	}
	return out
}

// put keeps the JSON of resources read in the state stamp.
func (c *renderedCache) put(stamp string, byID map[int64][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stamp != stamp || c.json == nil || len(c.json)+len(byID) > renderedCap {
		c.stamp, c.json = stamp, make(map[int64][]byte, len(byID))
	}
	for id, b := range byID {
		c.json[id] = b
	}
}

// Stamp is Config.Stamp's: the state of the database that a read
// transaction begun now would see, false when it is not known (or the
// Store has no Config.Stamp).
func (s *Store) Stamp() (string, bool) {
	if s.stamp == nil {
		return "", false
	}
	return s.stamp()
}

// ReadManyJSON returns the JSON array of the resources ids, in their
// order, as ReadMany and then AppendJSON of their normalized values would
// give it, reading them through in (a connection in a read transaction)
// as ReadMany does. stamp names the state that transaction reads ("" when
// not known; see Config.Stamp, and query's beginStamped): the JSON
// of resources read in the same state is reused, and what is read here
// kept. ok is false when AppendJSON cannot write one of them; the caller
// then encodes ReadMany's resources itself.
func (s *Store) ReadManyJSON(ctx context.Context, in Querier, ids []int64, stamp string) (_ []byte, ok bool, err error) {
	kept := s.rendered.get(stamp, ids)
	var missing []int64
	for i, id := range ids {
		if kept == nil || kept[i] == nil {
			missing = append(missing, id)
		}
	}
	var parts map[int64][]byte
	var out []byte
	if len(missing) > 0 {
		rs, err := s.ReadMany(ctx, in, missing)
		if err != nil {
			return nil, false, err
		}
		// Written one after another, as the answer when nothing was
		// kept; the parts kept are slices of it, never written again.
		out = make([]byte, 1, 1024*len(ids)+2)
		out[0] = '['
		if stamp != "" { // else nothing is kept, or was
			parts = make(map[int64][]byte, len(rs))
		}
		for i, r := range rs {
			if i > 0 {
				out = append(out, ',')
			}
			start := len(out)
			r.Normalize()
			if out, ok = r.AppendJSON(out); !ok {
				return nil, false, nil
			}
			if parts != nil {
				parts[r.ID] = out[start:len(out):len(out)]
			}
		}
		if parts != nil {
			s.rendered.put(stamp, parts)
		}
		if kept == nil {
			return append(out, ']'), true, nil
		}
	}
	// Some were kept: the answer in the order of ids.
	out = make([]byte, 1, 1024*len(ids)+2)
	out[0] = '['
	written := make(map[int64]bool, len(ids))
	for i, id := range ids {
		b := kept[i]
		if b == nil {
			b = parts[id]
		}
		// As ReadMany, leave out what is not in the library, and write
		// an ID given twice once.
		if b == nil || written[id] {
			continue
		}
		if len(written) > 0 {
			out = append(out, ',')
		}
		out = append(out, b...)
		written[id] = true
	}
	return append(out, ']'), true, nil
}
