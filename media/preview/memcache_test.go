package preview

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/blobstore"
)

// TestMemCacheLRU: past the cap the least recently used entries go, a get
// counts as a use, a replaced entry is counted once, and an entry larger
// than an eighth of the cap is not kept.
func TestMemCacheLRU(t *testing.T) {
	c := newMemCache(800)
	key := func(i int) memKey { return memKey{blobstore.Hash{byte(i)}, "preview-v2-64x64"} }
	for i := range 8 {
		c.put(key(i), bytes.Repeat([]byte{byte(i)}, 100))
	}
	if c.size() != 800 {
		t.Fatalf("size %d, want 800", c.size())
	}
	c.get(key(0))                                 // 0 is now the most recent
	c.put(key(3), bytes.Repeat([]byte{33}, 100))  // replaced, not added
	c.put(key(8), bytes.Repeat([]byte{8}, 100))   // evicts 1, the least recent
	c.put(key(9), bytes.Repeat([]byte{9}, 101))   // too large: not kept
	c.put(key(10), bytes.Repeat([]byte{10}, 100)) // evicts 2
	var kept []int
	for i := range 11 {
		if c.get(key(i)) != nil {
			kept = append(kept, i)
		}
	}
	if diff := cmp.Diff([]int{0, 3, 4, 5, 6, 7, 8, 10}, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if got := c.get(key(3)); !bytes.Equal(got, bytes.Repeat([]byte{33}, 100)) {
		t.Errorf("replaced entry holds %v", got[:4])
	}
	if c.size() != 800 {
		t.Errorf("size %d, want 800", c.size())
	}
}
