package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/stockroomhq/stockroom/internal/netbudget"
)

// Defaults of the client budgets of Config.
const (
	// DefaultMinTransferRate is the slowest a request body may arrive
	// and a download be read, in bytes per second.
	DefaultMinTransferRate = 4 << 10
	// DefaultTransferGrace is the time a transfer gets on top of what the
	// rate allows, and the longest it may stall.
	DefaultTransferGrace = 30 * time.Second
	// DefaultMaxConcurrentUploads bounds the uploads and synchronous
	// remote fetches running at once.
	DefaultMaxConcurrentUploads = 32
	// uploadRetryAfter is the Retry-After, in seconds, of a refused upload.
	uploadRetryAfter = 5
)

// budgets are the client budgets of an api.
type budgets struct {
	rate    netbudget.Rate
	uploads chan struct{} // nil: no cap
}

func newBudgets(cfg Config) budgets {
	b := budgets{rate: netbudget.Rate{BytesPerSecond: cfg.MinTransferRate, Grace: cfg.TransferGrace}}
	if b.rate.BytesPerSecond == 0 {
		b.rate.BytesPerSecond = DefaultMinTransferRate
	}
	if b.rate.Grace <= 0 {
		b.rate.Grace = DefaultTransferGrace
	}
	n := cfg.MaxConcurrentUploads
	if n == 0 {
		n = DefaultMaxConcurrentUploads
	}
	if n > 0 {
		b.uploads = make(chan struct{}, n)
	}
	return b
}

// admitUpload takes a place among the concurrent uploads, or answers 503
// with Retry-After, before reading the body, and closes the connection.
func (a *api) admitUpload(w http.ResponseWriter) (release func(), ok bool) {
	if a.budget.uploads == nil {
		return func() {}, true
	}
	select {
	case a.budget.uploads <- struct{}{}:
		return func() { <-a.budget.uploads }, true
	default:
		w.Header().Set("Retry-After", strconv.Itoa(uploadRetryAfter))
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusServiceUnavailable, "too many uploads at once: try again shortly")
		return nil, false
	}
}
