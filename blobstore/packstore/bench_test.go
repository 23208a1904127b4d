package packstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/packstore"
)

// stores are the two ways of a data folder with small blobs: the pack in
// front of the files, and the files alone.
var stores = []struct {
	name string
	open func(b *testing.B) blobstore.Store
}{
	{"pack", func(b *testing.B) blobstore.Store { s, _, _ := newStore(b, packstore.Options{}); return s }},
	{"files", func(b *testing.B) blobstore.Store { s, _ := newFiles(b); return s }},
}

// BenchmarkPutSmall puts distinct 6 KB blobs, durably, from 1 and 4
// goroutines: the wait of a small upload for the disk.
func BenchmarkPutSmall(b *testing.B) {
	for _, st := range stores {
		for _, par := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/c%d", st.name, par), func(b *testing.B) {
				s := st.open(b)
				var seq atomic.Uint64
				b.SetParallelism(par) // times GOMAXPROCS goroutines; what counts is 1 against more
				if par == 1 {
					for b.Loop() {
						mustPutSeq(b, s, seq.Add(1))
					}
					return
				}
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						mustPutSeq(b, s, seq.Add(1))
					}
				})
			})
		}
	}
}

// BenchmarkRemove removes small blobs one at a time, as gc does.
func BenchmarkRemove(b *testing.B) {
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			hashes := make([]blobstore.Hash, b.N)
			for i := range hashes {
				hashes[i] = mustPutSeq(b, s, uint64(i))
			}
			b.ResetTimer()
			for i := range b.N {
				if err := s.Remove(context.Background(), hashes[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func mustPutSeq(b *testing.B, s blobstore.Store, n uint64) blobstore.Hash {
	content := bytes.Repeat([]byte("small blob content "), 6<<10/19)
	binary.LittleEndian.PutUint64(content, n)
	res, err := s.Put(context.Background(), bytes.NewReader(content))
	if err != nil {
		b.Fatal(err)
	}
	return res.Hash
}
