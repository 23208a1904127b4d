package jpegscale

import (
	"bytes"
	"image/jpeg"
	"os"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/cputime"
	"github.com/stockroomhq/stockroom/internal/imagetest"
)

// benchJPEG is a JPEG to benchmark on: $STOCKROOM_BENCH_JPEG, or a
// generated 12 MP picture.
func benchJPEG(b *testing.B) []byte {
	b.Helper()
	if p := os.Getenv("STOCKROOM_BENCH_JPEG"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	return imagetest.JPEG(b, imagetest.Photo(4000, 3000, 1), 90)
}

func BenchmarkDecode(b *testing.B) {
	data := benchJPEG(b)
	b.Run("image/jpeg", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		cpu := startCPU()
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	})
	for _, s := range []int{2, 4, 8} {
		b.Run("scale1/"+string(rune('0'+s)), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			cpu := startCPU()
			for b.Loop() {
				if _, err := Decode(data, Options{Scale: s}); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// cpuClock measures the CPU time of the process, which on a busy machine
// says more than the wall-clock time per operation.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock { return cpuClock{cputime.Process()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(cputime.Process()-c.start)/float64(b.N)/1e6, "cpu-ms/op")
}
