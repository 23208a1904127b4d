package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
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
			c0 := cpuTime()
			n := 0
			for b.Loop() {
				w := httptest.NewRecorder()
				e.handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, w.Code, w.Body)
				}
				n++
			}
			b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(n), "cpu-µs/op")
		})
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
