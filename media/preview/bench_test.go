package preview_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/image/draw"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/cputime"
	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/preview"
)

// benchFile returns the path of a w×h baseline JPEG (quality 90, 4:2:0) of
// a textured picture, made once and kept in $STOCKROOM_BENCH_DIR (default:
// the system's temporary folder) so that other tools (vipsthumbnail) can
// read the same file.
func benchFile(b *testing.B, w, h int) string {
	b.Helper()
	dir := os.Getenv("STOCKROOM_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("stockroom-bench-%dx%d.jpg", w, h))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	data := imagetest.JPEG(b, imagetest.Textured(w, h, 1), 90)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// fileOpener serves one file from disk as any hash.
type fileOpener struct{ path string }

func (o fileOpener) Open(context.Context, blobstore.Hash) (blobstore.File, error) {
	return os.Open(o.path)
}

// BenchmarkPreview renders previews of 12 MP and 24 MP JPEGs read from disk
// (no cache), as GET /v1/resource/preview does on a miss. Compare with
// vipsthumbnail on the same files (see compare_vips.sh).
func BenchmarkPreview(b *testing.B) {
	sizes := []struct {
		name string
		w, h int
	}{{"12MP", 4000, 3000}, {"24MP", 6000, 4000}}
	for _, sz := range sizes {
		path := benchFile(b, sz.w, sz.h)
		for _, box := range []int{256, 1024} {
			b.Run(fmt.Sprintf("%s/%d", sz.name, box), func(b *testing.B) {
				s := &preview.Service{Blobs: fileOpener{path}}
				var size int
				cpu := startCPU()
				for i := 0; b.Loop(); i++ {
					// A new hash each time: nothing is shared between runs.
					h := blobstore.Hash(sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)}))
					p, err := s.Get(context.Background(), h, "image/jpeg", preview.Box{Width: box, Height: box})
					if err != nil || p.Placeholder {
						b.Fatalf("%v %+v", err, p.Reason)
					}
					size = len(p.Data)
				}
				cpu.report(b)
				b.ReportMetric(float64(size), "bytes")
			})
		}
	}
	// The naive way, for reference: image/jpeg decodes every pixel, then
	// the same two-stage resize.
	path := benchFile(b, 4000, 3000)
	b.Run("12MP/256/image-jpeg-full-decode", func(b *testing.B) {
		cpu := startCPU()
		for b.Loop() {
			data, _ := os.ReadFile(path)
			img, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			mid := image.NewRGBA(image.Rect(0, 0, 512, 384))
			draw.ApproxBiLinear.Scale(mid, mid.Rect, img, img.Bounds(), draw.Src, nil)
			dst := image.NewRGBA(image.Rect(0, 0, 256, 192))
			draw.CatmullRom.Scale(dst, dst.Rect, mid, mid.Rect, draw.Src, nil)
			var out bytes.Buffer
			jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85})
		}
		cpu.report(b)
	})
}

// cpuClock measures the CPU time of the process, which on a busy machine
// says more than the wall-clock time per operation.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock { return cpuClock{cputime.Process()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(cputime.Process()-c.start)/float64(b.N)/1e6, "cpu-ms/op")
}
