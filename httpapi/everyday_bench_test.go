package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/httpapi"
	"github.com/stockroomhq/stockroom/internal/cputime"
	"github.com/stockroomhq/stockroom/internal/imagetest"
)

// BenchmarkEverydayRequests serves the reads of cmd/stockroom's load
// benchmark in process, without the network, on a library of 2,000
// resources: what the handler, its middleware and the JSON cost beside
// the library calls (query.BenchmarkEveryday).
func BenchmarkEverydayRequests(b *testing.B) {
	e := newTestEnv(b)
	var ids []int64
	for i := range 2000 {
		name := fmt.Sprintf("photo %d", i)
		if i%10 == 0 {
			name += " harbour"
		}
		ids = append(ids, e.uploadOK(b, filePart("resource", fmt.Sprintf("p%d.txt", i), fmt.Appendf(nil, "content %d", i)), fieldPart("Name", name)))
	}
	for _, path := range []string{
		fmt.Sprintf("/v1/resource?id=%d", ids[len(ids)/2]),
		"/v1/resources",
		"/v1/resources?Name=harbour",
	} {
		b.Run(path, func(b *testing.B) {
			// A server's requests have a context that is cancelled when
			// the client goes away; httptest's has none.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req := httptest.NewRequest("GET", path, nil).WithContext(ctx)
			c0, g0 := cputime.Process(), goroutinesCreated()
			n := 0
			for b.Loop() {
				w := httptest.NewRecorder()
				e.handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, w.Code, w.Body)
				}
				n++
			}
			b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/float64(n), "cpu-µs/op")
			// Each goroutine started costs its start and, with a P idle,
			// the wake-up of a thread: the watchers of cancellable
			// contexts in database/sql and the SQLite driver were one
			// per statement.
			b.ReportMetric(float64(goroutinesCreated()-g0)/float64(n), "goroutines/op")
		})
	}
}

// goroutinesCreated is the number of goroutines the process has started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkUpload serves the load benchmark's upload (one 4–8 KB JPEG,
// POST /v1/resource, blobs on disk) in process, one client or four:
// what an upload costs the handler, the library, SQLite and the
// filesystem, without the network. cpu-µs/op is the process's CPU per
// upload less that of the media worker, which bg-µs/op reports. Each
// upload is another picture (the same one would make every upload
// similar to every other, which the media worker pays for). The blob
// store's shard directories are made first, as in a library in use (the
// server makes them in the background once uploads begin): the
// benchmark measures uploads, not that one-time work.
func BenchmarkUpload(b *testing.B) {
	for _, clients := range []int{1, 4} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			e := newTestEnv(b, withDiskBlobs())
			if as, ok := e.Lib.Blobs.(*aferostore.Store); ok {
				if err := as.MakeShards(context.Background(), 0); err != nil {
					b.Fatal(err)
				}
			}
			type upload struct {
				body []byte
				ct   string
			}
			const warm = 20
			uploads := make([]upload, warm+b.N)
			for i := range uploads {
				var buf bytes.Buffer
				if err := jpeg.Encode(&buf, imagetest.Photo(200, 150, uint64(1_000_000+i)), &jpeg.Options{Quality: 90}); err != nil {
					b.Fatal(err)
				}
				uploads[i].body, uploads[i].ct = multipartBody(b, fieldPart("Name", fmt.Sprintf("upload %d", i)), filePart("resource", "u.jpg", buf.Bytes()))
			}
			// A server's requests have a context that is cancelled when
			// the client goes away; httptest's has none.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			serve := func(i int) {
				r := httptest.NewRequestWithContext(ctx, "POST", "/v1/resource", bytes.NewReader(uploads[i].body))
				r.Header.Set("Content-Type", uploads[i].ct)
				w := httptest.NewRecorder()
				e.handler.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("upload: %d %s", w.Code, w.Body)
				}
			}
			for i := range warm { // warm the pools and caches
				serve(b.N + i)
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			c0, bg0, g0 := cputime.Process(), e.Lib.Media.WorkerCPU(), goroutinesCreated()
			b.ResetTimer()
			for range clients {
				wg.Go(func() {
					for i := int(next.Add(1)) - 1; i < b.N; i = int(next.Add(1)) - 1 {
						serve(i)
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			bg := e.Lib.Media.WorkerCPU() - bg0
			b.ReportMetric(float64((cputime.Process()-c0-bg).Microseconds())/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64(bg.Microseconds())/float64(b.N), "bg-µs/op")
			// The media worker's included.
			b.ReportMetric(float64(goroutinesCreated()-g0-uint64(clients))/float64(b.N), "goroutines/op")
		})
	}
}

// BenchmarkGetResourceLogged is a single-resource GET through the whole
// middleware as the server runs it: metrics on and a request line to an
// access log at Info, which BenchmarkEverydayRequests leaves out.
func BenchmarkGetResourceLogged(b *testing.B) {
	e := newTestEnv(b, func(c *envConfig) {
		c.cfg.Metrics = httpapi.NewMetrics()
		c.cfg.AccessLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	id := e.uploadOK(b, filePart("resource", "a.txt", []byte("a")), fieldPart("Name", "photo"))
	// /healthz is the middleware alone.
	for name, path := range map[string]string{"resource": fmt.Sprintf("/v1/resource?id=%d", id), "healthz": "/healthz"} {
		b.Run(name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			serveLoop(b, e.handler, httptest.NewRequest("GET", path, nil).WithContext(ctx))
		})
	}
}
