// Package httpapi serves Stockroom's /v1 JSON API over the library. Each
// handler decodes the request (query, form or JSON, names in any case), calls
// one library method and encodes the answer; there is no SQL, file access or
// business rule here.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/stockroomhq/stockroom/fetch"
	"github.com/stockroomhq/stockroom/intake"
	"github.com/stockroomhq/stockroom/internal/netbudget"
	"github.com/stockroomhq/stockroom/media/preview"
	"github.com/stockroomhq/stockroom/mediasvc"
	"github.com/stockroomhq/stockroom/query"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
)

// Defaults for Config.
const (
	// DefaultMaxUploadSize bounds a multipart upload body.
	DefaultMaxUploadSize = 32 << 30
	// DefaultMaxBodySize bounds every other request body.
	DefaultMaxBodySize = 10 << 20
)

// Config is what the handler serves. Store is required.
type Config struct {
	Store    *resources.Store
	Versions *versions.Versioner
	Query    *query.Query
	// MaxUploadSize bounds a multipart upload body in bytes; 0 means
	// DefaultMaxUploadSize.
	MaxUploadSize int64
	// MaxBodySize bounds other request bodies; 0 means DefaultMaxBodySize.
	MaxBodySize int64
	// Logger receives errors and, unless AccessLogger is set, one line
	// per request; nil means slog.Default().
	Logger *slog.Logger
	// AccessLogger, when set, receives the request lines instead (those
	// of 5xx answers stay with Logger), so that a server can batch them.
	AccessLogger *slog.Logger
	// Fetcher and Jobs serve remote URLs and background downloads
	// (intake.go); nil Fetcher means fetch's defaults, nil Jobs answers
	// 503 to the job endpoints.
	Fetcher *fetch.Fetcher
	Jobs    *intake.Manager
	// Media rotates images and runs similarity (media.go); nil means one
	// with default settings and no background worker.
	Media *mediasvc.Media
	// Previews renders previews (media.go); nil means one over
	// Store.Blobs() with default settings.
	Previews *preview.Service
	// AllowedHosts, TrustedOrigins, Access, Principal, LinkTTL and
	// SecureCookies: who may do what (guard.go, auth.go).
	AccessConfig
	// MinTransferRate (bytes per second) and TransferGrace bound slow
	// clients (budget.go): a body must arrive, and a download be read,
	// within TransferGrace plus its size at MinTransferRate, never
	// stalling longer than TransferGrace. Zero means the defaults;
	// a negative rate, no bound.
	MinTransferRate int64
	TransferGrace   time.Duration
	// MaxConcurrentUploads bounds the uploads and synchronous remote
	// fetches at once; past it they get 503 with Retry-After. 0 means
	// DefaultMaxConcurrentUploads, negative no bound.
	MaxConcurrentUploads int
	// PresignDownloads answers /files/ with a redirect to a presigned URL
	// of the blob store, when the store can make one (object storage), so
	// large files do not pass through the server.
	PresignDownloads bool
	// Metrics, when set, counts requests and is served at /metrics
	// (metrics.go). Ready, when set, answers /readyz: nil error is ready.
	Metrics *Metrics
	Ready   func(context.Context) error
}

type api struct {
	store    *resources.Store
	versions *versions.Versioner
	query    *query.Query
	maxUp    int64
	maxBody  int64
	log      *slog.Logger
	access   *slog.Logger
	fetcher  *fetch.Fetcher
	jobs     *intake.Manager
	media    *mediasvc.Media
	previews *preview.Service
	auth     AccessConfig
	budget   budgets
	presign  bool
	metrics  *Metrics
	ready    func(context.Context) error
}

// NewHandler returns the HTTP handler of the /v1 API and of /files/.
func NewHandler(cfg Config) http.Handler {
	a := &api{
		store:    cfg.Store,
		versions: cfg.Versions,
		query:    cfg.Query,
		maxUp:    cfg.MaxUploadSize,
		maxBody:  cfg.MaxBodySize,
		log:      cfg.Logger,
		access:   cfg.AccessLogger,
		fetcher:  cfg.Fetcher,
		jobs:     cfg.Jobs,
		media:    cfg.Media,
		previews: cfg.Previews,
		auth:     cfg.AccessConfig,
		budget:   newBudgets(cfg),
		presign:  cfg.PresignDownloads,
		metrics:  cfg.Metrics,
		ready:    cfg.Ready,
	}
	if a.maxUp <= 0 {
		a.maxUp = DefaultMaxUploadSize
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodySize
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.access == nil {
		a.access = a.log
	}
	if a.versions == nil {
		a.versions = versions.New(a.store)
	}
	if a.query == nil {
		a.query = query.New(a.store)
	}
	r := newRouter()
	a.routeResources(r)
	a.routeEntities(r)
	a.routeEntitiesMore(r)
	a.routeVersions(r)
	a.routeBulk(r)
	a.routeMedia(r)
	a.routeIntake(r)
	r.mux.HandleFunc("/files/", a.serveFile)
	a.routeAccess(r)
	a.routeOps(r)
	return a.instrument(r, a.logRequests(a.recoverPanics(netbudget.ReadBodies(a.guard(a.authenticate(r)), a.budget.rate))))
}

// paths are the paths, and the subtrees (ending in /), that the API
// answers; see Paths.
var paths = []string{"/v1/", "/files/", "/resource/", "/healthz", "/readyz", "/metrics"}

// Paths returns the paths, and the subtrees (ending in /), that the API
// answers. A server that mounts the API beside other handlers (the web
// UI) routes these to it. Registering a route outside them panics, so
// that a new route cannot be shadowed unnoticed by what is mounted beside.
func Paths() []string { return slices.Clone(paths) }

// mounted tells whether path is among paths or in one of their subtrees.
func mounted(path string) bool {
	return slices.ContainsFunc(paths, func(p string) bool {
		return path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)
	})
}

// router dispatches by path, then by method, so that a known path with the
// wrong method gets a JSON 405 and an unknown path a JSON 404.
type router struct {
	mux    *http.ServeMux
	routes map[string]map[string]http.HandlerFunc
}

func newRouter() *router {
	r := &router{mux: http.NewServeMux(), routes: map[string]map[string]http.HandlerFunc{}}
	r.mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+req.Method+" "+req.URL.Path)
	})
	return r
}

// handle registers h for method on path. GET also answers HEAD.
func (r *router) handle(method, path string, h http.HandlerFunc) {
	if !mounted(path) {
		panic("httpapi: route " + path + " is outside Paths")
	}
	methods, ok := r.routes[path]
	if !ok {
		methods = map[string]http.HandlerFunc{}
		r.routes[path] = methods
		r.mux.HandleFunc(path, func(w http.ResponseWriter, req *http.Request) {
			m := req.Method
			if m == http.MethodHead {
				m = http.MethodGet
			}
			if h, ok := methods[m]; ok {
				h(w, req)
				return
			}
			allowed := make([]string, 0, len(methods)+1)
			for m := range methods {
				allowed = append(allowed, m)
				if m == http.MethodGet {
					allowed = append(allowed, http.MethodHead)
				}
			}
			sort.Strings(allowed)
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, http.StatusMethodNotAllowed, "method "+req.Method+" not allowed on "+path)
		})
	}
	methods[method] = h
}

func (r *router) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.mux.ServeHTTP(w, req) }

// statusWriter remembers the status and size of a response for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (a *api) logRequests(next http.Handler) http.Handler {
	// The records are made here rather than by Logger.LogAttrs, which
	// walks the stack (runtime.Callers) on every request for a source
	// that is always this function: its PC is taken once.
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	pc := pcs[0]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Under instrument, its statusWriter serves both.
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		level, log := slog.LevelInfo, a.access
		if sw.status >= 500 {
			level, log = slog.LevelError, a.log
		}
		ctx := r.Context()
		if !log.Enabled(ctx, level) {
			return
		}
		rec := slog.NewRecord(time.Now(), level, "request", pc)
		rec.AddAttrs(
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr))
		_ = log.Handler().Handle(ctx, rec)
	})
}

func (a *api) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("panic serving request", "path", r.URL.Path, "panic", v)
				writeError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
