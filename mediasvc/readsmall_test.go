package mediasvc

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/media/imaging"
)

// TestReadSmall: content that fits the buffer comes from the buffer,
// whole, and needs the file no more; larger content comes from the file,
// rewound to its start.
func TestReadSmall(t *testing.T) {
	buf := make([]byte, 100)
	for _, size := range []int{0, 1, 99, 100, 101, 5000} {
		content := make([]byte, size)
		rand.Read(content)
		f := bytes.NewReader(content)
		f.Seek(int64(size/2), io.SeekStart) // wherever it stands
		src, err := readSmall(f, buf)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		fromBuffer := size <= len(buf)
		if fromBuffer {
			f.Reset(nil) // the file is done with
		}
		if got := src == io.ReadSeeker(f); got == fromBuffer {
			t.Errorf("size %d: read from the file = %v, want %v", size, got, !fromBuffer)
		}
		// From where it stands, then again from the start, as the
		// image's size and then the image are read.
		for again := range 2 {
			if again == 1 {
				if _, err := src.Seek(0, io.SeekStart); err != nil {
					t.Fatal(err)
				}
			}
			got, err := io.ReadAll(src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(content, got); diff != "" {
				t.Errorf("size %d: content differs (-want +got):\n%s", size, diff)
			}
		}
	}
}

// BenchmarkHashRead measures what readSmall saves the worker on the
// upload of a photo of 5 KB: open the stored file, size the image, decode
// it at hash size; "file" reads the file as it goes, "whole" reads it
// whole first.
//
//	go test ./mediasvc -run '^$' -bench BenchmarkHashRead
func BenchmarkHashRead(b *testing.B) {
	name := filepath.Join(b.TempDir(), "photo")
	if err := os.WriteFile(name, imagetest.JPEG(b, imagetest.Photo(200, 150, 1), 90), 0o600); err != nil {
		b.Fatal(err)
	}
	opts := imaging.Options{MinWidth: hashDecodeSize, MinHeight: hashDecodeSize}
	for _, whole := range []bool{false, true} {
		b.Run(map[bool]string{false: "file", true: "whole"}[whole], func(b *testing.B) {
			buf := make([]byte, readWholeSize)
			for b.Loop() {
				f, err := os.Open(name)
				if err != nil {
					b.Fatal(err)
				}
				src := io.ReadSeeker(f)
				if whole {
					if src, err = readSmall(f, buf); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := imaging.Cost(src, "image/jpeg", opts); err != nil {
					b.Fatal(err)
				}
				if _, err := imaging.Decode(src, "image/jpeg", opts); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}
