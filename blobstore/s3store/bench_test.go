package s3store_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
)

// benchStores are the stores the benchmarks compare: S3 on the local
// versitygw (whose posix backend writes to the same disk) and the data
// folder.
var benchStores = []struct {
	name string
	new  func(b *testing.B) blobstore.Store
}{
	{"s3", func(b *testing.B) blobstore.Store { s, _ := newStore(b, nil); return s }},
	{"afero-OsFs", func(b *testing.B) blobstore.Store {
		return aferostore.New(afero.NewBasePathFs(afero.NewOsFs(), b.TempDir()))
	}},
}

// BenchmarkPut stores new content of each size; run it with -benchmem to
// see that allocations do not grow with the size.
//
//	go test -run '^$' -bench . -benchtime 3x -benchmem ./blobstore/s3store/
func BenchmarkPut(b *testing.B) {
	for _, st := range benchStores {
		for _, size := range []int64{8 << 20, 64 << 20} {
			b.Run(fmt.Sprintf("%s/%dMiB", st.name, size>>20), func(b *testing.B) {
				s := st.new(b)
				b.SetBytes(size)
				b.ReportAllocs()
				seed := uint64(0)
				for b.Loop() {
					seed++
					res, err := s.Put(context.Background(), newPatternReader(seed, size))
					if err != nil || !res.Created {
						b.Fatalf("Put = %+v, %v", res, err)
					}
				}
			})
		}
	}
}

// BenchmarkOpenRead reads a stored blob of 64 MiB from start to end.
func BenchmarkOpenRead(b *testing.B) {
	const size = 64 << 20
	for _, st := range benchStores {
		b.Run(fmt.Sprintf("%s/%dMiB", st.name, size>>20), func(b *testing.B) {
			s := st.new(b)
			res, err := s.Put(context.Background(), newPatternReader(1, size))
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 256<<10)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				f, err := s.Open(context.Background(), res.Hash)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf)
				f.Close()
				if err != nil || n != size {
					b.Fatalf("read %d bytes, %v", n, err)
				}
			}
		})
	}
}
