package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"time"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/fetch"
	"github.com/stockroomhq/stockroom/internal/procs"
	"github.com/stockroomhq/stockroom/resources"
)

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) || os.IsNotExist(err) }

// worker runs pending jobs, oldest first, until the Manager closes.
func (m *Manager) worker() {
	defer m.wg.Done()
	for {
		j, ctx := m.next()
		if j == nil {
			select {
			case <-m.ctx.Done():
				return
			case <-m.wake:
				continue
			}
		}
		// Another pending job may be waiting for another worker.
		m.signal()
		// Not ctx: a job cancelled meanwhile still ends through finish.
		if !m.claim(context.WithoutCancel(ctx), j.ID) {
			m.leave(j)
			continue
		}
		m.persist(j)
		procs.Begin()
		resID, err := m.run(ctx, j)
		m.finish(ctx, j, resID, err)
		procs.End()
	}
}

// next claims the oldest pending job.
func (m *Manager) next() (*job, context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx.Err() != nil {
		return nil, nil
	}
	var pick *job
	for _, j := range m.jobs {
		if j.Status == Pending && !j.elsewhere && (pick == nil || j.ID < pick.ID) {
			pick = j
		}
	}
	if pick == nil {
		return nil, nil
	}
	ctx, cancel := context.WithCancelCause(m.ctx)
	pick.cancel = cancel
	pick.done = make(chan struct{})
	pick.Status = Downloading
	pick.Error = ""
	pick.StartedAt = nowPtr()
	pick.setPercent()
	m.emit("updated", pick)
	return pick, ctx
}

// run downloads the job's URL into its partial file, then stores it.
func (m *Manager) run(ctx context.Context, j *job) (int64, error) {
	if err := m.download(ctx, j); err != nil {
		return 0, err
	}
	m.mu.Lock()
	j.Status = Processing
	j.setPercent()
	m.emit("updated", j)
	m.mu.Unlock()
	m.persist(j)
	return m.process(ctx, j)
}

// download brings the partial file to the whole content, resuming with a
// Range request when there is something to resume and a validator to
// check that the content is still the same.
func (m *Manager) download(ctx context.Context, j *job) error {
	name := partName(j.ID)
	if err := m.tmp.MkdirAll("/", 0o755); err != nil {
		return err
	}
	f, err := m.tmp.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	m.mu.Lock()
	offset, validator, total := st.Size(), j.validator, j.TotalSize
	m.mu.Unlock()
	if offset > 0 && validator == "" {
		offset = 0
	}
	if offset > 0 && total >= 0 && offset == total {
		return nil // a previous run received everything
	}
	req := fetch.Request{URL: j.URL, Offset: offset, IfRange: validator}
	resp, err := m.fetcher.Fetch(ctx, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.Offset != offset {
		offset = 0
	}
	if err := f.Truncate(offset); err != nil {
		return err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	m.mu.Lock()
	j.validator = resp.Validator()
	j.TotalSize = resp.Size
	j.Progress = offset
	j.setPercent()
	m.emit("updated", j)
	m.mu.Unlock()
	m.persist(j)

	buf := make([]byte, 128<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				return err
			}
			m.progress(j, int64(n), f)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	m.mu.Lock()
	got, want := j.Progress, j.TotalSize
	if want < 0 {
		j.TotalSize = got
		j.setPercent()
	}
	m.mu.Unlock()
	if want >= 0 && got != want {
		return fmt.Errorf("intake: %w: received %d bytes of %d", fetch.ErrNetwork, got, want)
	}
	return nil
}

// progress records n more bytes, saving and announcing now and then.
func (m *Manager) progress(j *job, n int64, f interface{ Sync() error }) {
	m.mu.Lock()
	j.Progress += n
	j.setPercent()
	now := time.Now()
	if now.Sub(j.lastEvent) >= m.eventEvery {
		m.emit("updated", j)
	}
	save := now.Sub(j.lastSave) >= m.persistEvery
	if save {
		j.lastSave = now
	}
	m.mu.Unlock()
	if save {
		// The bytes on disk first, then the record that counts them.
		_ = f.Sync()
		m.persist(j)
	}
}

// process stores the downloaded file as a resource.
func (m *Manager) process(ctx context.Context, j *job) (int64, error) {
	f, err := m.tmp.Open(partName(j.ID))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	up, err := m.store.Stage(ctx, f)
	if err != nil {
		return 0, err
	}
	defer m.store.Release(context.WithoutCancel(ctx), up)
	name := ""
	if u, err := url.Parse(j.URL); err == nil {
		name = fetch.NameFromURL(u)
	}
	created, err := m.store.CreateFetched(ctx, []*resources.RemoteFile{{Upload: up, URL: j.URL, Name: name}}, j.input)
	if err != nil {
		return 0, err
	}
	return created[0].ID, nil
}

// finish records how a run ended.
func (m *Manager) finish(ctx context.Context, j *job, resID int64, err error) {
	cause := context.Cause(ctx)
	m.mu.Lock()
	close(j.done)
	j.cancel(nil)
	j.cancel, j.done = nil, nil
	keepPartial := false
	switch {
	case err == nil:
		j.Status = Completed
		j.ResourceID = &resID
		j.CompletedAt = nowPtr()
	case errors.Is(cause, errPause):
		j.Status = Paused
		keepPartial = true
	case errors.Is(cause, errCancel):
		j.Status = Cancelled
		j.CompletedAt = nowPtr()
	case m.ctx.Err() != nil:
		// Shutting down: the job resumes on the next Start.
		j.Status = Pending
		keepPartial = true
	default:
		j.Status = Failed
		j.Error = m.message(err)
		j.CompletedAt = nowPtr()
		// A broken connection may resume on Retry.
		keepPartial = errors.Is(err, fetch.ErrNetwork) || errors.Is(err, fetch.ErrTimeout)
	}
	if !keepPartial {
		m.removePartial(j.ID)
	}
	j.setPercent()
	m.emit("updated", j)
	m.mu.Unlock()
	m.persist(j)
	m.unclaim(j.ID)
}

// leave gives up a job that next picked but another server claimed first.
func (m *Manager) leave(j *job) {
	m.mu.Lock()
	defer m.mu.Unlock()
	close(j.done)
	j.cancel(nil)
	j.cancel, j.done = nil, nil
	j.elsewhere = true
}

// message is the error text a job shows: the client message of an error
// with a kind (a fetch failure, a file over the limit, bad input), anything
// else (a disk or database failure) as a generic text, logged in full.
func (m *Manager) message(err error) string {
	switch errs.KindOf(err) {
	case errs.Other, errs.Internal:
		m.log.Error("background download failed", "err", err)
		return "the file could not be stored (internal error)"
	}
	return errs.Message(err)
}
