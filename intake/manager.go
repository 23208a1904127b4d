package intake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/afero"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/fetch"
	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/uptrace/bun"
)

// Config is what a Manager needs. Store is required.
type Config struct {
	// Store creates the resources; its writer database holds the jobs.
	Store *resources.Store
	// Fetcher downloads; nil means a Fetcher with its defaults.
	Fetcher *fetch.Fetcher
	// TempFs holds the partial downloads, one file per job. To resume
	// after a restart it must persist (a folder of the data directory);
	// nil means memory, so downloads start over after a restart.
	TempFs afero.Fs
	// Concurrency is how many jobs download at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// QueueCap bounds the unfinished jobs (pending, running, paused);
	// 0 means DefaultQueueCap.
	QueueCap int
	// Retention is how long finished jobs stay; 0 means DefaultRetention.
	Retention time.Duration
	// Logger receives failures that are not the job's (database errors);
	// nil means slog.Default().
	Logger *slog.Logger
}

// Manager queues and runs the jobs. Create it with New, then Start it; Close
// it before closing the database. It is safe for concurrent use.
type Manager struct {
	store       *resources.Store
	db          *bun.DB
	fetcher     *fetch.Fetcher
	tmp         afero.Fs
	concurrency int
	queueCap    int
	retention   time.Duration
	log         *slog.Logger

	// Intervals of progress writes and events; tests shorten them.
	persistEvery time.Duration
	eventEvery   time.Duration
	sweepEvery   time.Duration

	mu      sync.Mutex
	jobs    map[int64]*job
	subs    map[chan Event]struct{}
	running bool
	ctx     context.Context
	stop    context.CancelFunc
	wake    chan struct{}
	wg      sync.WaitGroup
	claims  claims
}

// job is the Manager's record of one job; its fields are guarded by
// Manager.mu except persistMu.
type job struct {
	Job
	input     resources.RemoteInput
	validator string

	cancel    context.CancelCauseFunc // set while a worker runs it
	done      chan struct{}           // closed when that worker is done
	lastEvent time.Time
	lastSave  time.Time

	persistMu sync.Mutex // serialises this job's database writes

	// elsewhere: another server holds the job's claim (see claim.go);
	// this one leaves it alone until the claim runs out.
	elsewhere bool
}

// The causes a running job is stopped for.
var (
	errPause  = errors.New("paused")
	errCancel = errors.New("cancelled")
)

// row is a job as stored.
type row struct {
	bun.BaseModel `bun:"table:download_jobs"`

	ID          int64         `bun:"id,pk,autoincrement"`
	URL         string        `bun:"url,notnull"`
	Status      string        `bun:"status,notnull"`
	Progress    int64         `bun:"progress,notnull"`
	TotalSize   int64         `bun:"total_size,notnull"`
	Error       string        `bun:"error,notnull"`
	ResourceID  sql.NullInt64 `bun:"resource_id"`
	Source      string        `bun:"source,notnull"`
	Params      string        `bun:"params,notnull"`
	Validator   string        `bun:"validator,notnull"`
	CreatedAt   time.Time     `bun:"created_at,notnull"`
	StartedAt   *time.Time    `bun:"started_at"`
	CompletedAt *time.Time    `bun:"completed_at"`
}

// New returns a Manager over cfg. It does nothing until Start.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("intake.New: Store is required")
	}
	m := &Manager{
		store:        cfg.Store,
		db:           cfg.Store.DB(),
		fetcher:      cfg.Fetcher,
		tmp:          cfg.TempFs,
		concurrency:  cfg.Concurrency,
		queueCap:     cfg.QueueCap,
		retention:    cfg.Retention,
		log:          cfg.Logger,
		persistEvery: time.Second,
		eventEvery:   250 * time.Millisecond,
		jobs:         map[int64]*job{},
		subs:         map[chan Event]struct{}{},
		wake:         make(chan struct{}, 1),
	}
	if m.fetcher == nil {
		m.fetcher = &fetch.Fetcher{}
	}
	if m.tmp == nil {
		m.tmp = afero.NewMemMapFs()
	}
	if m.concurrency <= 0 {
		m.concurrency = DefaultConcurrency
	}
	if m.queueCap <= 0 {
		m.queueCap = DefaultQueueCap
	}
	if m.retention <= 0 {
		m.retention = DefaultRetention
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.log = m.log.With("component", "jobs")
	m.sweepEvery = min(m.retention/4, time.Minute)
	m.claims = newClaims(m.db)
	return m, nil
}

// Start loads the stored jobs, puts the ones a previous run left running
// back in the queue, and starts the workers.
func (m *Manager) Start(ctx context.Context) error {
	const op = "intake.Start"
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		return nil
	}
	var rows []row
	if err := m.db.NewSelect().Model(&rows).Order("id").Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, err)
	}
	reset := m.db.NewUpdate().Table("download_jobs").Set("status = ?", string(Pending)).
		Where("status IN (?)", bun.In([]string{string(Downloading), string(Processing)}))
	held := map[int64]bool{}
	if m.claims.on {
		// Jobs that another live server runs stay its own.
		reset.Where("claimed_by = '' OR lease_until IS NULL OR lease_until < now()")
		var ids []int64
		if err := m.db.NewRaw(`SELECT id FROM download_jobs WHERE claimed_by <> '' AND lease_until >= now()`).Scan(ctx, &ids); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s: %w", op, err)
		}
		for _, id := range ids {
			held[id] = true
		}
	}
	if _, err := reset.Exec(ctx); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, r := range rows {
		in, err := decodeParams(r.Params)
		if err != nil {
			m.log.Warn("skipping a stored job", "id", r.ID, "err", err)
			continue
		}
		j := &job{Job: Job{
			ID: r.ID, URL: r.URL, Status: Status(r.Status), Progress: r.Progress, TotalSize: r.TotalSize,
			Error: r.Error, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, CompletedAt: r.CompletedAt, Source: r.Source,
		}, input: in, validator: r.Validator}
		if r.ResourceID.Valid {
			id := r.ResourceID.Int64
			j.ResourceID = &id
		}
		if (j.Status == Downloading || j.Status == Processing) && !held[j.ID] {
			j.Status = Pending
		}
		j.elsewhere = held[j.ID] && !j.Status.Terminal()
		j.setPercent()
		m.jobs[j.ID] = j
	}
	m.ctx, m.stop = context.WithCancel(context.Background())
	m.running = true
	for range m.concurrency {
		m.wg.Add(1)
		go m.worker()
	}
	m.wg.Add(1)
	go m.sweeper()
	if m.claims.on {
		m.wg.Add(1)
		go m.leaser()
	}
	m.signal()
	return nil
}

// Close stops the workers and waits for them. Downloads in progress stop
// where they are and resume on the next Start. Close is idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	if !m.running {
		m.mu.Unlock()
		return nil
	}
	m.running = false
	m.stop()
	for ch := range m.subs {
		delete(m.subs, ch)
		close(ch)
	}
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// signal wakes a waiting worker.
func (m *Manager) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Submit queues one job per URL with the fields of in, after checking them
// as a synchronous remote upload would. All are queued or none.
func (m *Manager) Submit(ctx context.Context, urls []string, in resources.RemoteInput, source string) ([]Job, error) {
	const op = "intake.Submit"
	if err := CheckRemote(ctx, m.store, urls, in); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if source == "" {
		source = DefaultSource
	}
	p, err := encodeParams(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.running {
		return nil, fmt.Errorf("%s: %w", op, ErrClosed)
	}
	if m.unfinished()+len(urls) > m.queueCap {
		return nil, fmt.Errorf("%s: %w", op, ErrQueueFull)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	rows := make([]*row, len(urls))
	err = dbtx.Write(ctx, m.db, func(ctx context.Context, tx dbtx.Tx) error {
		for i, u := range urls {
			r := &row{URL: u, Status: string(Pending), TotalSize: -1, Source: source, Params: p, CreatedAt: now}
			if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
				return err
			}
			rows[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out := make([]Job, len(rows))
	for i, r := range rows {
		j := &job{Job: Job{ID: r.ID, URL: r.URL, Status: Pending, TotalSize: -1, CreatedAt: now, Source: source}, input: in}
		j.setPercent()
		m.jobs[j.ID] = j
		out[i] = j.Job
		m.emit("added", j)
	}
	m.signal()
	return out, nil
}

// unfinished counts the jobs that take a place in the queue.
func (m *Manager) unfinished() int {
	n := 0
	for _, j := range m.jobs {
		if !j.Status.Terminal() {
			n++
		}
	}
	return n
}

func notFound(id int64) error {
	return &resources.NotFoundError{Entity: "job", ID: id}
}

func conflictf(format string, args ...any) error {
	return errs.Errorf("", errs.Conflict, "%s", fmt.Sprintf(format, args...))
}

// Get returns one job.
func (m *Manager) Get(id int64) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return Job{}, fmt.Errorf("intake.Get: %w", notFound(id))
	}
	return j.Job, nil
}

// List returns every job, oldest first.
func (m *Manager) List() []Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.listLocked()
}

func (m *Manager) listLocked() []Job {
	out := make([]Job, 0, len(m.jobs))
	for _, j := range m.jobs {
		out = append(out, j.Job)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// Subscribe returns the jobs as they are and a channel of the changes that
// follow. The channel is closed when cancel is called, when the Manager
// closes, or when the subscriber falls too far behind (it should then
// subscribe again).
func (m *Manager) Subscribe() (jobs []Job, events <-chan Event, cancel func()) {
	ch := make(chan Event, 256)
	m.mu.Lock()
	defer m.mu.Unlock()
	jobs = m.listLocked()
	if !m.running {
		close(ch)
		return jobs, ch, func() {}
	}
	m.subs[ch] = struct{}{}
	return jobs, ch, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if _, ok := m.subs[ch]; ok {
			delete(m.subs, ch)
			close(ch)
		}
	}
}

// emit sends an event to every subscriber; m.mu is held.
func (m *Manager) emit(typ string, j *job) {
	ev := Event{Type: typ, Job: j.Job}
	j.lastEvent = time.Now()
	for ch := range m.subs {
		select {
		case ch <- ev:
		default:
			delete(m.subs, ch)
			close(ch)
		}
	}
}

// Cancel stops a job that has not finished; its partial download is
// removed. A finished job cannot be cancelled (ErrConflict).
func (m *Manager) Cancel(ctx context.Context, id int64) (Job, error) {
	return m.stopJob(ctx, "intake.Cancel", id, errCancel)
}

// Pause stops a pending or downloading job, keeping what it has received
// so far; Resume queues it again.
func (m *Manager) Pause(ctx context.Context, id int64) (Job, error) {
	return m.stopJob(ctx, "intake.Pause", id, errPause)
}

func (m *Manager) stopJob(ctx context.Context, op string, id int64, cause error) (Job, error) {
	m.mu.Lock()
	j, ok := m.jobs[id]
	if !ok {
		m.mu.Unlock()
		return Job{}, fmt.Errorf("%s: %w", op, notFound(id))
	}
	switch {
	case j.Status.Terminal():
		st := j.Status
		m.mu.Unlock()
		return Job{}, fmt.Errorf("%s: %w", op, conflictf("job %d has already %s", id, finishedVerb(st)))
	case cause == errPause && j.Status == Paused:
		snap := j.Job
		m.mu.Unlock()
		return snap, nil
	case cause == errPause && j.Status == Processing:
		m.mu.Unlock()
		return Job{}, fmt.Errorf("%s: %w", op, conflictf("job %d is being stored and can no longer be paused", id))
	}
	if j.cancel == nil {
		// Pending or paused: no worker has it.
		if cause == errCancel {
			j.Status = Cancelled
			j.CompletedAt = nowPtr()
			m.removePartial(id)
		} else {
			j.Status = Paused
		}
		j.setPercent()
		m.emit("updated", j)
		snap := j.Job
		m.mu.Unlock()
		m.persist(j)
		return snap, nil
	}
	j.cancel(cause)
	done := j.done
	m.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return Job{}, fmt.Errorf("%s: %w", op, ctx.Err())
	}
	m.mu.Lock()
	snap := j.Job
	m.mu.Unlock()
	if cause == errCancel && snap.Status == Completed {
		return Job{}, fmt.Errorf("%s: %w", op, conflictf("job %d completed before it could be cancelled", id))
	}
	return snap, nil
}

func finishedVerb(s Status) string {
	switch s {
	case Completed:
		return "completed"
	case Failed:
		return "failed"
	default:
		return "been cancelled"
	}
}

// Resume queues a paused job again.
func (m *Manager) Resume(ctx context.Context, id int64) (Job, error) {
	return m.requeue("intake.Resume", id, func(s Status) bool { return s == Paused || s == Pending }, "is not paused", false)
}

// Retry queues a failed or cancelled job again, as a fresh start: its
// progress, size, times and error are cleared, as the reference application
// does. A download that failed part-way still resumes where it stopped when
// the origin allows: the partial file and the validator stay, and the
// worker reports the resumed offset as progress once the origin answers.
func (m *Manager) Retry(ctx context.Context, id int64) (Job, error) {
	return m.requeue("intake.Retry", id, func(s Status) bool { return s == Failed || s == Cancelled }, "has not failed or been cancelled", true)
}

func (m *Manager) requeue(op string, id int64, ok func(Status) bool, why string, fresh bool) (Job, error) {
	m.mu.Lock()
	j, found := m.jobs[id]
	if !found {
		m.mu.Unlock()
		return Job{}, fmt.Errorf("%s: %w", op, notFound(id))
	}
	if !ok(j.Status) {
		st := j.Status
		m.mu.Unlock()
		return Job{}, fmt.Errorf("%s: %w", op, conflictf("job %d %s (it is %s)", id, why, st))
	}
	if j.Status.Terminal() && m.unfinished()+1 > m.queueCap {
		m.mu.Unlock()
		return Job{}, fmt.Errorf("%s: %w", op, ErrQueueFull)
	}
	if j.Status != Pending {
		j.Status = Pending
		j.Error = ""
		j.CompletedAt = nil
		j.ResourceID = nil
		if fresh {
			// Only the reported state: the partial file and j.validator
			// stay for a Range request, and without a known size the
			// worker asks the origin rather than trusting the file's
			// length (a 416 answer makes it start over).
			j.Progress = 0
			j.TotalSize = -1
			j.StartedAt = nil
		}
		j.setPercent()
		m.emit("updated", j)
	}
	snap := j.Job
	m.mu.Unlock()
	m.persist(j)
	m.signal()
	return snap, nil
}

// persist writes the job's state.
func (m *Manager) persist(j *job) {
	j.persistMu.Lock()
	defer j.persistMu.Unlock()
	m.mu.Lock()
	r := &row{
		ID: j.ID, URL: j.URL, Status: string(j.Status), Progress: j.Progress, TotalSize: j.TotalSize,
		Error: j.Error, Source: j.Source, Validator: j.validator, CreatedAt: j.CreatedAt,
		StartedAt: j.StartedAt, CompletedAt: j.CompletedAt,
	}
	if j.ResourceID != nil {
		r.ResourceID = sql.NullInt64{Int64: *j.ResourceID, Valid: true}
	}
	j.lastSave = time.Now()
	m.mu.Unlock()
	_, err := m.db.NewUpdate().Model(r).
		Column("status", "progress", "total_size", "error", "resource_id", "validator", "started_at", "completed_at").
		WherePK().Exec(context.Background())
	if err != nil {
		m.log.Warn("saving a job", "id", j.ID, "err", err)
	}
}

func nowPtr() *time.Time {
	t := time.Now().UTC().Truncate(time.Microsecond)
	return &t
}

func partName(id int64) string { return "job-" + strconv.FormatInt(id, 10) + ".part" }

func (m *Manager) removePartial(id int64) {
	if err := m.tmp.Remove(partName(id)); err != nil && !errors.Is(err, afero.ErrFileNotFound) && !isNotExist(err) {
		m.log.Warn("removing a partial download", "id", id, "err", err)
	}
}

// sweeper removes finished jobs older than the retention.
func (m *Manager) sweeper() {
	defer m.wg.Done()
	t := time.NewTicker(m.sweepEvery)
	defer t.Stop()
	for {
		m.sweep()
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *Manager) sweep() {
	cutoff := time.Now().Add(-m.retention)
	m.mu.Lock()
	var gone []int64
	for id, j := range m.jobs {
		if j.Status.Terminal() && j.CompletedAt != nil && j.CompletedAt.Before(cutoff) {
			gone = append(gone, id)
			delete(m.jobs, id)
			m.removePartial(id)
			m.emit("removed", j)
		}
	}
	m.mu.Unlock()
	if len(gone) == 0 {
		return
	}
	if _, err := m.db.NewDelete().Table("download_jobs").Where("id IN (?)", bun.In(gone)).Exec(context.Background()); err != nil {
		m.log.Warn("removing old jobs", "err", err)
	}
}
