//go:build !windows

package main

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/s3test"
)

// BenchmarkServerTransfer uploads and downloads 64 MiB files through the
// real binary over loopback, with the files in the data folder and in a
// bucket of versitygw (whose posix backend writes to the same disk), and
// reports upload and download MB/s and the server's peak resident memory
// (VmHWM), which must not grow with the file size
// (STOCKROOM_TRANSFER_BENCH_MIB, default 64). The gateway runs on the same
// two cores, and a PUT can only start once the upload is received and
// hashed (the hash is its key), so its work adds to every upload's time:
// "s3" is versitygw as installed, computing an MD5 of every object for
// its ETag; "s3-checksum-etag" derives the ETag from the CRC32C the store
// sends (s3test.ChecksumETags), as a service on its own machines would
// cost the server nothing for either. Both serve the download from the
// server's local copy of what it stored (-s3-cache-size); "s3-nocache"
// keeps none, so its downloads come from the gateway.
//
//	go test ./cmd/stockroom -run '^$' -bench BenchmarkServerTransfer -benchtime 4x
func BenchmarkServerTransfer(b *testing.B) {
	size := int64(64 << 20)
	if v := os.Getenv("STOCKROOM_TRANSFER_BENCH_MIB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			b.Fatalf("STOCKROOM_TRANSFER_BENCH_MIB=%q: want a number of MiB", v)
		}
		size = n << 20
	}
	gatewayFlags := map[string][]string{"s3": nil, "s3-checksum-etag": {s3test.ChecksumETags}, "s3-nocache": nil}
	for _, store := range []string{"folder", "s3", "s3-checksum-etag", "s3-nocache"} {
		b.Run(store, func(b *testing.B) {
			dataDir := filepath.Join(b.TempDir(), "data")
			args := []string{"-bind-address", "127.0.0.1:0", "-data-dir", dataDir, "-log-format", "json"}
			var env []string
			var g *s3test.Gateway
			if flags, ok := gatewayFlags[store]; ok {
				g = s3test.New(b, flags...)
				args = append(args, "-blob-store", g.URL())
				env = g.Env()
			}
			if store == "s3-nocache" {
				args = append(args, "-s3-cache-size", "0")
			}
			p := startServer(b, b.TempDir(), env, args...)
			client := &http.Client{Timeout: 5 * time.Minute}
			var up, down time.Duration
			seed := uint64(time.Now().UnixNano())
			serverCPU, gatewayCPU := cpuTime(b, p.cmd.Process.Pid), time.Duration(0)
			if g != nil {
				gatewayCPU = cpuTime(b, g.Pid())
			}
			b.SetBytes(size)
			for b.Loop() {
				seed++
				start := time.Now()
				id := benchUpload(b, client, p, seed, size)
				up += time.Since(start)
				start = time.Now()
				resp, err := client.Get(p.url("/v1/resource/view?id=%d", id))
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				down += time.Since(start)
				if err != nil || resp.StatusCode != http.StatusOK || n != size {
					b.Fatalf("download: status %d, %d bytes, %v", resp.StatusCode, n, err)
				}
			}
			mb := float64(size) * float64(b.N) / 1e6
			b.ReportMetric(mb/up.Seconds(), "upload-MB/s")
			b.ReportMetric(mb/down.Seconds(), "download-MB/s")
			b.ReportMetric(float64(peakRSS(b, p.cmd.Process.Pid))/(1<<20), "server-peak-RSS-MiB")
			// CPU per round trip: on a loaded machine the throughput follows
			// the work done, the server's and the S3 service's.
			b.ReportMetric((cpuTime(b, p.cmd.Process.Pid)-serverCPU).Seconds()/float64(b.N), "server-CPU-s/op")
			if g != nil {
				b.ReportMetric((cpuTime(b, g.Pid())-gatewayCPU).Seconds()/float64(b.N), "s3-CPU-s/op")
				b.ReportMetric(serverMetrics(b, p.base)["stockroom_blob_cache_hits_total"]/float64(b.N), "cache-hits/op")
			}
		})
	}
}

// benchBlock is the incompressible MiB the uploads repeat.
var benchBlock = func() []byte {
	b := make([]byte, 1<<20)
	rand.Read(b)
	return b
}()

// benchUpload streams size bytes (seed, then benchBlock repeated) as a
// multipart upload and returns the new resource's ID.
func benchUpload(b *testing.B, client *http.Client, p *proc, seed uint64, size int64) int64 {
	b.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		w, err := mw.CreateFormFile("resource", fmt.Sprintf("bench-%d.bin", seed))
		if err == nil {
			err = binary.Write(w, binary.BigEndian, seed) // new content each time
		}
		for left := size - 8; err == nil && left > 0; left -= int64(len(benchBlock)) {
			_, err = w.Write(benchBlock[:min(left, int64(len(benchBlock)))])
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", p.url("/v1/resource"), pr)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var res resourceJSON
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("upload: status %d: %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &res); err != nil || res.FileSize != size {
		b.Fatalf("upload: %v, size %d, want %d", err, res.FileSize, size)
	}
	return res.ID
}

// peakRSS reads the peak resident memory of process pid, in bytes.
func peakRSS(tb testing.TB, pid int) int64 {
	tb.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb << 10
		}
	}
	tb.Fatal("no VmHWM")
	return 0
}
