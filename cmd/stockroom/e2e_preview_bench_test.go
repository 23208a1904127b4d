//go:build !windows

package main

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/imagetest"
	"github.com/stockroomhq/stockroom/internal/s3test"
)

// BenchmarkServerPreview is a grid of thumbnails, as the web UI and most
// clients show a library: the real binary serves the 256-pixel previews of
// 48 photos, already rendered, one request after another, with the files in
// the data folder and in a bucket of versitygw. "get" is a first look from
// a browser with an empty cache; "revalidate" is the same browser after the
// previews' max-age, sending If-None-Match. It reports the latency and the
// server's CPU per preview.
//
//	go test ./cmd/stockroom -run '^$' -bench BenchmarkServerPreview
func BenchmarkServerPreview(b *testing.B) {
	const photos = 48
	for _, store := range []string{"folder", "s3"} {
		b.Run(store, func(b *testing.B) {
			args := []string{"-bind-address", "127.0.0.1:0", "-data-dir", filepath.Join(b.TempDir(), "data"), "-log-format", "json"}
			var env []string
			if store == "s3" {
				g := s3test.New(b)
				args = append(args, "-blob-store", g.URL())
				env = g.Env()
			}
			p := startServer(b, b.TempDir(), env, args...)
			ids := make([]int64, photos)
			for i := range ids {
				photo := imagetest.JPEG(b, imagetest.Photo(800, 600, uint64(i)), 85)
				ids[i] = upload(b, p, fmt.Sprintf("photo-%d.jpg", i), photo, nil).ID
			}
			etags := make([]string, photos)
			for i, id := range ids { // render them all
				resp, _ := fetch(b, p.url("/v1/resource/preview?id=%d&Width=256&Height=256", id))
				if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Stockroom-Preview") != "" {
					b.Fatalf("preview %d: %d %q", id, resp.StatusCode, resp.Header.Get("X-Stockroom-Preview-Reason"))
				}
				etags[i] = resp.Header.Get("ETag")
			}
			client := &http.Client{Timeout: time.Minute}
			for _, mode := range []string{"get", "revalidate"} {
				b.Run(mode, func(b *testing.B) {
					want := http.StatusOK
					if mode == "revalidate" {
						want = http.StatusNotModified
					}
					cpu0, i := cpuTime(b, p.cmd.Process.Pid), 0
					for b.Loop() {
						req, err := http.NewRequest("GET", p.url("/v1/resource/preview?id=%d&Width=256&Height=256", ids[i%photos]), nil)
						if err != nil {
							b.Fatal(err)
						}
						if mode == "revalidate" {
							req.Header.Set("If-None-Match", etags[i%photos])
						}
						resp, err := client.Do(req)
						if err != nil {
							b.Fatal(err)
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != want {
							b.Fatalf("preview: status %d, want %d", resp.StatusCode, want)
						}
						i++
					}
					b.ReportMetric(float64((cpuTime(b, p.cmd.Process.Pid)-cpu0).Microseconds())/float64(b.N), "server-CPU-µs/op")
				})
			}
		})
	}
}
