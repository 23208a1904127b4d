// Package mediasvc is the image work built on resources: rotation, and the
// perceptual hashes and similar pairs that a background worker keeps up to
// date in resource_similar (read back with resources.Store.Similar).
package mediasvc

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun/dialect"

	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/media/phash"
	"github.com/stockroomhq/stockroom/resources"
)

// Defaults for Config.
const (
	// DefaultSimilarityThreshold is the largest Hamming distance (of 64
	// bits) at which two images count as similar.
	DefaultSimilarityThreshold = 10
	// MaxSimilarityThreshold bounds the threshold.
	MaxSimilarityThreshold = phash.MaxRadius
	// DefaultPollInterval is how often an idle worker looks for
	// work that another process (or a missed wake-up) queued.
	DefaultPollInterval = time.Second
)

// Config configures Media. The zero value holds the defaults.
type Config struct {
	// MaxPixels bounds the width × height of images that are decoded
	// (rotation, hashing); larger ones are refused before decoding.
	// 0 means imaging.DefaultMaxPixels (100 megapixels).
	MaxPixels int64
	// SimilarityThreshold is the largest distance between the dHashes,
	// and between the pHashes, of two similar images. 0 means
	// DefaultSimilarityThreshold; a negative value means 0 (only
	// perceptually identical images). At most MaxSimilarityThreshold.
	SimilarityThreshold int
	// PollInterval is how often the idle worker checks for queued work;
	// 0 means DefaultPollInterval.
	PollInterval time.Duration
	// Logger receives the worker's warnings; nil means the Store's.
	Logger *slog.Logger
	// Budget is the memory budget of decoded images, shared with
	// previews; nil means one of imaging.DefaultBudget() of its own.
	Budget *imaging.Budget
}

// Media is the image work of a Store: rotating images, and the perceptual
// hashes and similar pairs that a background worker keeps up to date.
//
// Database triggers queue every resource whose content changes, whoever
// changes it; the worker (Start) hashes new images, files them in an
// in-memory index, and records their similar pairs in resource_similar.
// Sync does the same work at once. A Media is safe for concurrent use. Of
// several servers on one PostgreSQL database, one at a time does this work
// (its turn is a lock held while it runs; another takes over when it
// stops or dies), so that the index it keeps is complete and no image is
// hashed twice.
type Media struct {
	store     *resources.Store
	maxPixels int64
	threshold int
	poll      time.Duration
	log       *slog.Logger
	budget    *imaging.Budget

	index *phash.Index
	sql   batchSQL

	// workMu serializes the processing of the queue (worker and Sync)
	// and guards loaded and turn.
	workMu sync.Mutex
	loaded bool
	turn   *dbtx.Turn // this server's turn at the work; nil while not held

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	cpu atomic.Int64 // CPU time of the worker's steps, in nanoseconds
}

// New returns the Media of s. It does no work until Start or Sync.
func New(s *resources.Store, cfg Config) *Media {
	m := &Media{
		store:     s,
		maxPixels: cfg.MaxPixels,
		threshold: cfg.SimilarityThreshold,
		poll:      cfg.PollInterval,
		log:       cfg.Logger,
		budget:    cfg.Budget,
		index:     phash.NewIndex(),
		sql:       newBatchSQL(s.DB().Dialect().Name() == dialect.PG),
		wake:      make(chan struct{}, 1),
	}
	if m.maxPixels <= 0 {
		m.maxPixels = imaging.DefaultMaxPixels
	}
	if m.budget == nil {
		m.budget = imaging.NewBudget(0)
	}
	switch {
	case m.threshold == 0:
		m.threshold = DefaultSimilarityThreshold
	case m.threshold < 0:
		m.threshold = 0
	}
	m.threshold = min(m.threshold, MaxSimilarityThreshold)
	if m.poll <= 0 {
		m.poll = DefaultPollInterval
	}
	if m.log == nil {
		m.log = s.Logger()
	}
	m.log = m.log.With("part", "media")
	return m
}

// Threshold is the similarity threshold in use.
func (m *Media) Threshold() int { return m.threshold }

// Budget is the memory budget of image work in use.
func (m *Media) Budget() *imaging.Budget { return m.budget }

// MaxPixels is the pixel limit in use.
func (m *Media) MaxPixels() int64 { return m.maxPixels }

// Start loads the index and starts the background worker, which runs until
// Close. Starting twice is an error.
func (m *Media) Start(ctx context.Context) error {
	if m.cancel != nil {
		return errors.New("mediasvc.Media.Start: already started")
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.done = make(chan struct{})
	go m.run(ctx)
	return nil
}

// Close stops the worker and waits for it. Work in progress is left queued
// and resumes on the next Start. Close is idempotent.
func (m *Media) Close() error {
	if m.cancel != nil {
		m.cancel()
		<-m.done
	}
	m.workMu.Lock()
	defer m.workMu.Unlock()
	if m.turn != nil {
		m.turn.Release()
		m.turn = nil
	}
	return nil
}

// Wake tells the worker that work was queued, so that it need not wait for
// its next poll.
func (m *Media) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Media) run(ctx context.Context) {
	defer close(m.done)
	backoff := m.poll
	for {
		n, err := m.timedStep(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			m.log.Warn("media worker", "err", err)
			backoff = min(2*backoff, time.Minute)
		case n > 0:
			backoff = m.poll
			continue // more may be queued
		default:
			backoff = m.poll
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-m.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// timedStep runs step on a thread of its own and adds the CPU time that
// thread spent to WorkerCPU.
func (m *Media) timedStep(ctx context.Context) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	n, err := m.step(ctx)
	m.cpu.Add(int64(threadCPU() - t0))
	return n, err
}

// WorkerCPU is the CPU time the background worker has spent on its work
// so far (the time of its own thread: not the garbage collection its
// allocations cause). It is zero where the platform does not tell the CPU
// time of a thread (only Linux does here).
func (m *Media) WorkerCPU() time.Duration { return time.Duration(m.cpu.Load()) }

// Sync processes everything queued now and returns when the queue is
// empty (as far as this process sees) or ctx ends.
func (m *Media) Sync(ctx context.Context) error {
	for {
		n, err := m.step(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// step loads the index if needed, then processes one batch of the queue.
// It reports the number of queue rows handled: none while another server
// has the turn.
func (m *Media) step(ctx context.Context) (int, error) {
	m.workMu.Lock()
	defer m.workMu.Unlock()
	if m.turn != nil && !m.turn.Held(ctx) {
		m.turn.Release()
		m.turn = nil
	}
	if m.turn == nil {
		turn, ok, err := dbtx.TryTurn(ctx, m.store.DB(), dbtx.MediaTurn)
		if err != nil || !ok {
			return 0, err
		}
		// Another server may have filed images since this one last had
		// the turn: start from what the database holds.
		m.turn, m.loaded, m.index = turn, false, phash.NewIndex()
	}
	if !m.loaded {
		if err := m.load(ctx); err != nil {
			return 0, err
		}
		m.loaded = true
	}
	return m.processBatch(ctx)
}
