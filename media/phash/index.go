package phash

import (
	"math/bits"
	"sync"
)

// MaxRadius is the largest distance Index.Near accepts.
const MaxRadius = 32

// Index finds near neighbours among 64-bit hashes by multi-index hashing:
// each hash is filed under its four 16-bit chunks. Two hashes within
// distance d differ in at most d/4 bits (rounded down) in at least one
// chunk (pigeonhole), so looking up every chunk value within that many bits
// of the query's, in each of the four tables, finds every neighbour — about
// 4·(1+16+120) = 548 bucket reads for d = 10 — and compares only the
// hashes found there.
//
// Each entry carries a second hash (Extra) that Near can also bound, for a
// pair of hashes of one image (dHash filed, pHash checked). An Index is
// safe for concurrent use.
type Index struct {
	mu      sync.RWMutex
	entries []entry
	free    []int32
	byID    map[int64]int32
	tables  [4][1 << 16][]int32
	// used has a bit for each bucket of tables that is not empty. Near
	// tests hundreds of buckets per chunk, in 1.5 MB of slice headers
	// each, mostly empty in a library of thousands: the 8 KB of bits stay
	// in the cache, and an empty bucket costs no miss.
	used [4][1 << 16 / 64]uint64
}

type entry struct {
	id    int64
	key   uint64
	extra uint64
	live  bool
}

// NewIndex returns an empty Index.
func NewIndex() *Index {
	return &Index{byID: make(map[int64]int32)}
}

// Len reports the number of entries.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

func chunk(h uint64, i int) uint16 { return uint16(h >> (16 * uint(i))) }

// Add files key (and extra) under id, replacing any entry of id.
func (x *Index) Add(id int64, key, extra uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.remove(id)
	var slot int32
	if n := len(x.free); n > 0 {
		slot = x.free[n-1]
		x.free = x.free[:n-1]
	} else {
		slot = int32(len(x.entries))
		x.entries = append(x.entries, entry{})
	}
	x.entries[slot] = entry{id: id, key: key, extra: extra, live: true}
	x.byID[id] = slot
	for i := range 4 {
		c := chunk(key, i)
		x.tables[i][c] = append(x.tables[i][c], slot)
		x.used[i][c/64] |= 1 << (c % 64)
	}
}

// Remove drops the entry of id. Removing an absent id does nothing.
func (x *Index) Remove(id int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.remove(id)
}

func (x *Index) remove(id int64) {
	slot, ok := x.byID[id]
	if !ok {
		return
	}
	key := x.entries[slot].key
	for i := range 4 {
		c := chunk(key, i)
		b := x.tables[i][c]
		for j, s := range b {
			if s == slot {
				b[j] = b[len(b)-1]
				b = b[:len(b)-1]
				break
			}
		}
		if len(b) == 0 {
			b = nil
			x.used[i][c/64] &^= 1 << (c % 64)
		}
		x.tables[i][c] = b
	}
	x.entries[slot] = entry{}
	x.free = append(x.free, slot)
	delete(x.byID, id)
}

// Get returns the hashes filed under id.
func (x *Index) Get(id int64) (key, extra uint64, ok bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	slot, ok := x.byID[id]
	if !ok {
		return 0, 0, false
	}
	e := x.entries[slot]
	return e.key, e.extra, true
}

// Match is a neighbour found by Near.
type Match struct {
	ID       int64
	Distance int // between the keys
	Extra    int // between the extras
}

// Near calls fn for every entry whose key is within radius of key and whose
// extra is within extraRadius of extra (a negative extraRadius does not
// check extras), each entry once, in no particular order. radius is capped
// at MaxRadius. fn must not use the Index.
func (x *Index) Near(key uint64, radius int, extra uint64, extraRadius int, fn func(Match)) {
	if radius < 0 {
		return
	}
	radius = min(radius, MaxRadius)
	r := radius / 4
	masks := flipMasks(r)
	x.mu.RLock()
	defer x.mu.RUnlock()
	for i := range 4 {
		q := chunk(key, i)
		for _, m := range masks {
			b := q ^ m
			if x.used[i][b/64]&(1<<(b%64)) == 0 {
				continue
			}
			for _, slot := range x.tables[i][b] {
				e := &x.entries[slot]
				// Report each entry from the first chunk that finds it.
				first := true
				for j := 0; j < i; j++ {
					if bits.OnesCount16(chunk(e.key, j)^chunk(key, j)) <= r {
						first = false
						break
					}
				}
				if !first {
					continue
				}
				d := bits.OnesCount64(e.key ^ key)
				if d > radius {
					continue
				}
				de := bits.OnesCount64(e.extra ^ extra)
				if extraRadius >= 0 && de > extraRadius {
					continue
				}
				fn(Match{ID: e.id, Distance: d, Extra: de})
			}
		}
	}
}

var (
	masksMu sync.Mutex
	masks   = map[int][]uint16{}
)

// flipMasks returns every 16-bit value with at most r bits set.
func flipMasks(r int) []uint16 {
	masksMu.Lock()
	defer masksMu.Unlock()
	if m, ok := masks[r]; ok {
		return m
	}
	var m []uint16
	for v := range 1 << 16 {
		if bits.OnesCount16(uint16(v)) <= r {
			m = append(m, uint16(v))
		}
	}
	masks[r] = m
	return m
}

// Range calls fn for every entry, in no particular order. fn must not use
// the Index.
func (x *Index) Range(fn func(id int64, key, extra uint64)) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for id, slot := range x.byID {
		e := x.entries[slot]
		fn(id, e.key, e.extra)
	}
}
