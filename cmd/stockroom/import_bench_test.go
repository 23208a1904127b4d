//go:build !windows

package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkImport runs the real binary, `stockroom import -workers 2`, on a
// folder of generated JPEG-like files, and the floor that any import must
// pay, `sha256sum` of every file then `cp -r` of the folder, on the same
// folder. It reports files/s and MB/s of both, the import's share of the
// floor's throughput, and the import's peak resident memory.
//
// The folder holds STOCKROOM_IMPORT_BENCH_FILES files (default 2000) of
// about STOCKROOM_IMPORT_BENCH_MB megabytes (default 3): 6 GB by default, so
// run it alone:
//
//	go test ./cmd/stockroom -run '^$' -bench BenchmarkImport -benchtime 1x
func BenchmarkImport(b *testing.B) {
	if testing.Short() {
		b.Skip("writes gigabytes; not in -short mode")
	}
	for _, tool := range []string{"sha256sum", "cp", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s not found", tool)
		}
	}
	files := envInt(b, "STOCKROOM_IMPORT_BENCH_FILES", 2000)
	sizeMB := envInt(b, "STOCKROOM_IMPORT_BENCH_MB", 3)
	work := b.TempDir()
	bin := filepath.Join(work, "stockroom")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	src := filepath.Join(work, "photos")
	paths, total := makeJPEGs(b, src, files, sizeMB<<20)
	mb := float64(total) / 1e6
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// The floor: hash every file, copy the folder.
		start := time.Now()
		sum := exec.Command("sha256sum", paths...)
		sum.Stdout = nil
		if err := sum.Run(); err != nil {
			b.Fatalf("sha256sum: %v", err)
		}
		hashTime := time.Since(start)
		dst := filepath.Join(work, fmt.Sprintf("copy-%d", i))
		if out, err := exec.Command("cp", "-r", src, dst).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v\n%s", err, out)
		}
		floor := time.Since(start)
		os.RemoveAll(dst)

		data := filepath.Join(work, fmt.Sprintf("data-%d", i))
		var out bytes.Buffer
		cmd := exec.Command(bin, "import", "-workers", "2", "-data-dir", data, src)
		cmd.Stdout, cmd.Stderr = &out, &out
		start = time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("stockroom import: %v\n%s", err, out.String())
		}
		took := time.Since(start)
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
		os.RemoveAll(data)

		b.ReportMetric(float64(files)/took.Seconds(), "files/s")
		b.ReportMetric(mb/took.Seconds(), "MB/s")
		b.ReportMetric(float64(files)/floor.Seconds(), "floor-files/s")
		b.ReportMetric(mb/floor.Seconds(), "floor-MB/s")
		b.ReportMetric(100*floor.Seconds()/took.Seconds(), "%-of-floor")
		b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
		b.Logf("%d files, %.0f MB: import %v (%.1f files/s, %.1f MB/s, peak RSS %.1f MiB); sha256sum %v + cp %v = %v (%.1f files/s, %.1f MB/s); import at %.0f%% of the floor\n%s",
			files, mb, took.Round(time.Millisecond), float64(files)/took.Seconds(), mb/took.Seconds(), float64(rss)/1024,
			hashTime.Round(time.Millisecond), (floor - hashTime).Round(time.Millisecond), floor.Round(time.Millisecond),
			float64(files)/floor.Seconds(), mb/floor.Seconds(), 100*floor.Seconds()/took.Seconds(), lastLine(out.Bytes()))
	}
}

func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// makeJPEGs writes n files of about size bytes that start like a JPEG (SOI,
// a JFIF APP0 segment, a comment) and go on with random bytes, in folders
// of 100.
func makeJPEGs(tb testing.TB, dir string, n, size int) (paths []string, total int64) {
	tb.Helper()
	buf := make([]byte, size)
	for i := range n {
		rng := rand.New(rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), byte(i >> 16), 42}))
		for j := 0; j+8 <= len(buf); j += 8 {
			binary.LittleEndian.PutUint64(buf[j:], rng.Uint64())
		}
		header := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x48, 0x00, 0x48, 0x00, 0x00}
		copy(buf, header)
		// Vary the size a little, as photos do.
		body := buf[:size-int(rng.Uint32N(uint32(size/10)))]
		copy(body[len(body)-2:], []byte{0xFF, 0xD9})
		p := filepath.Join(dir, fmt.Sprintf("roll-%02d", i/100), fmt.Sprintf("IMG_%05d.jpg", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
		total += int64(len(body))
	}
	return paths, total
}

func lastLine(b []byte) string {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return string(b[i+1:])
	}
	return string(b)
}
