package httpapi

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/internal/procs"
)

// Metrics are the Prometheus metrics of a server, in a registry of their
// own. Give the same Metrics to Config.Metrics; the server serves them at
// /metrics.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	uploadBytes prometheus.Counter
	blobCount   atomic.Int64
	blobBytes   atomic.Int64
	blobsKnown  atomic.Bool
	observeOnce sync.Once
}

// NewMetrics makes the metrics and registers them with the Go runtime's
// and the process's.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "stockroom_http_requests_total", Help: "HTTP requests by route, method and status code.",
	}, []string{"route", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "stockroom_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	m.uploadBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "stockroom_upload_bytes_total", Help: "Bytes of request bodies received by POST and PUT requests.",
	})
	m.reg.MustRegister(m.requests, m.latency, m.uploadBytes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "stockroom_blobs", Help: "Blobs in the blob store, as last counted (see stockroom_blob_bytes).",
		}, func() float64 { return float64(m.blobCount.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "stockroom_blob_bytes", Help: "Bytes in the blob store, as last counted; counted periodically, not per scrape.",
		}, func() float64 { return float64(m.blobBytes.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "stockroom_procs_narrowed_total", Help: "Times the server went to one CPU while it served one request at a time (-adaptive-procs; go_sched_gomaxprocs_threads is the current setting).",
		}, func() float64 { n, _ := procs.Changes(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "stockroom_procs_widened_total", Help: "Times the server went back to every CPU for more work (-adaptive-procs).",
		}, func() float64 { _, n := procs.Changes(); return float64(n) }),
	)
	return m
}

// Registry is where the metrics are registered; an embedder may add its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SetBlobStats records the count and size of the blob store, which the
// caller computes periodically (a walk per scrape would be too slow).
func (m *Metrics) SetBlobStats(count, bytes int64) {
	m.blobCount.Store(count)
	m.blobBytes.Store(bytes)
	m.blobsKnown.Store(true)
}

// observe registers the gauges read from the api's services, once.
func (m *Metrics) observe(a *api) {
	m.observeOnce.Do(func() {
		if a.jobs != nil {
			jobs := a.jobs
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "stockroom_jobs_queued", Help: "Download jobs waiting or running.",
			}, func() float64 {
				n := 0
				for _, j := range jobs.List() {
					switch j.Status {
					case "pending", "downloading", "processing":
						n++
					}
				}
				return float64(n)
			}))
		}
		if a.previews != nil {
			p := a.previews
			m.reg.MustRegister(
				prometheus.NewCounterFunc(prometheus.CounterOpts{
					Name: "stockroom_preview_cache_hits_total", Help: "Previews served from the cache.",
				}, func() float64 { return float64(p.CacheHits()) }),
				prometheus.NewCounterFunc(prometheus.CounterOpts{
					Name: "stockroom_preview_renders_total", Help: "Previews rendered (cache misses).",
				}, func() float64 { return float64(p.Renders()) }),
				prometheus.NewGaugeFunc(prometheus.GaugeOpts{
					Name: "stockroom_preview_cache_bytes", Help: "Bytes of cached previews counted towards the cache cap.",
				}, func() float64 { return float64(p.CacheBytes()) }),
				prometheus.NewCounterFunc(prometheus.CounterOpts{
					Name: "stockroom_preview_memory_hits_total", Help: "Previews served from memory (part of the cache hits).",
				}, func() float64 { return float64(p.MemoryHits()) }),
				prometheus.NewGaugeFunc(prometheus.GaugeOpts{
					Name: "stockroom_preview_memory_bytes", Help: "Bytes of the previews kept in memory.",
				}, func() float64 { return float64(p.MemoryBytes()) }),
			)
		}
		if c, ok := a.store.Blobs().(blobstore.Cacher); ok {
			m.reg.MustRegister(
				prometheus.NewCounterFunc(prometheus.CounterOpts{
					Name: "stockroom_blob_cache_hits_total", Help: "Files opened from the local copies of an object store's blobs.",
				}, func() float64 { return float64(c.CacheStats().Hits) }),
				prometheus.NewCounterFunc(prometheus.CounterOpts{
					Name: "stockroom_blob_cache_misses_total", Help: "Files opened from the object store, without a local copy.",
				}, func() float64 { return float64(c.CacheStats().Misses) }),
				prometheus.NewCounterFunc(prometheus.CounterOpts{
					Name: "stockroom_blob_cache_fills_total", Help: "Local copies made from the object store after files were read twice without one.",
				}, func() float64 { return float64(c.CacheStats().Fills) }),
				prometheus.NewGaugeFunc(prometheus.GaugeOpts{
					Name: "stockroom_blob_cache_bytes", Help: "Bytes of the local copies of an object store's blobs.",
				}, func() float64 { return float64(c.CacheStats().Bytes) }),
			)
		}
		if a.media != nil {
			media := a.media
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "stockroom_media_worker_cpu_seconds_total",
				Help: "CPU time of the background media worker (perceptual hashes, similar pairs); zero where not measured.",
			}, func() float64 { return media.WorkerCPU().Seconds() }))
		}
		if a.media != nil && a.media.Budget() != nil {
			b := a.media.Budget()
			m.reg.MustRegister(
				prometheus.NewGaugeFunc(prometheus.GaugeOpts{
					Name: "stockroom_image_budget_used_bytes", Help: "Image memory budget taken now.",
				}, func() float64 { return float64(b.InUse()) }),
				prometheus.NewGaugeFunc(prometheus.GaugeOpts{
					Name: "stockroom_image_budget_bytes", Help: "Image memory budget.",
				}, func() float64 { return float64(b.Size()) }),
			)
		}
	})
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	io.ReadCloser
	c prometheus.Counter
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.Add(float64(n))
	return n, err
}

// instrument counts and times every request by its route: a registered
// path, "/files/" for the files, or "other" (unknown paths would make a
// label per probe of a scanner).
func (a *api) instrument(r *router, next http.Handler) http.Handler {
	m := a.metrics
	if m == nil {
		return next
	}
	// Each route's series are looked up once: through the vectors, every
	// request hashed its label values and searched under their lock, twice.
	series := func(route string) *routeSeries { return &routeSeries{m: m, route: route} }
	routes := map[string]*routeSeries{}
	for route := range r.routes {
		routes[route] = series(route)
	}
	files, other := series("/files/"), series("other")
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		rs := routes[req.URL.Path]
		switch {
		case rs != nil:
		case strings.HasPrefix(req.URL.Path, "/files/"):
			rs = files
		default:
			rs = other
		}
		if req.Body != nil && (req.Method == http.MethodPost || req.Method == http.MethodPut) {
			req.Body = countingBody{req.Body, m.uploadBytes}
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			code := sw.status
			if code == 0 {
				code = http.StatusOK
			}
			rs.requests(req.Method, code).Inc()
			rs.observer().Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, req)
	})
}

// routeSeries are the series of one route, each looked up in its vector
// when first needed (a route never requested has none in /metrics): its
// latency, and its request counts by method and status code.
type routeSeries struct {
	m       *Metrics
	route   string
	latency atomic.Pointer[prometheus.Observer]
	mu      sync.RWMutex
	counts  []codeSeries
}

func (rs *routeSeries) observer() prometheus.Observer {
	if o := rs.latency.Load(); o != nil {
		return *o
	}
	o := rs.m.latency.WithLabelValues(rs.route)
	rs.latency.Store(&o)
	return o
}

type codeSeries struct {
	method string
	code   int
	c      prometheus.Counter
}

// maxCodeSeries bounds the counts a route keeps at hand; the methods come
// from clients, and past it the vector serves them.
const maxCodeSeries = 32

// requests returns the counter of method and code.
func (rs *routeSeries) requests(method string, code int) prometheus.Counter {
	rs.mu.RLock()
	for _, s := range rs.counts {
		if s.code == code && s.method == method {
			rs.mu.RUnlock()
			return s.c
		}
	}
	full := len(rs.counts) >= maxCodeSeries
	rs.mu.RUnlock()
	c := rs.m.requests.WithLabelValues(rs.route, method, strconv.Itoa(code))
	if !full {
		rs.mu.Lock()
		if !slices.ContainsFunc(rs.counts, func(s codeSeries) bool { return s.code == code && s.method == method }) {
			rs.counts = append(rs.counts, codeSeries{method: strings.Clone(method), code: code, c: c})
		}
		rs.mu.Unlock()
	}
	return c
}

// routeOps registers the health checks and the metrics. /healthz and
// /readyz need no sign-in (see required); /metrics does when auth is on.
func (a *api) routeOps(r *router) {
	r.handle(http.MethodGet, "/healthz", func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.handle(http.MethodGet, "/readyz", func(w http.ResponseWriter, req *http.Request) {
		if a.ready != nil {
			ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
			defer cancel()
			if err := a.ready(ctx); err != nil {
				a.fail(w, req, &errs.Error{Kind: errs.Unavailable, Msg: "not ready: " + err.Error(), Err: err})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if a.metrics != nil {
		a.metrics.observe(a)
		h := promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{})
		r.handle(http.MethodGet, "/metrics", h.ServeHTTP)
	}
}
