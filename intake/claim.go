package intake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Claims let several servers share one PostgreSQL database's jobs. A
// worker runs a job only after claiming its row (claimed_by, lease_until);
// the server renews the leases of the jobs it runs every leaseEvery, and a
// job whose lease has run out (its server died) is claimed by the next
// server that looks. On SQLite one server owns the database file, so
// claims are not kept.
const (
	leaseFor   = 30 * time.Second
	leaseEvery = 5 * time.Second
)

// claims is the Manager's part in the shared queue.
type claims struct {
	on    bool   // the database is shared (PostgreSQL)
	owner string // this server's name in claimed_by
}

func newClaims(db bun.IDB) claims {
	b := make([]byte, 8)
	rand.Read(b)
	return claims{on: db.Dialect().Name() == dialect.PG, owner: hex.EncodeToString(b)}
}

// claim takes the job's row for this server, unless another server holds
// a live lease on it.
func (m *Manager) claim(ctx context.Context, id int64) bool {
	if !m.claims.on {
		return true
	}
	res, err := m.db.NewRaw(`UPDATE download_jobs SET claimed_by = ?, lease_until = now() + ? * interval '1 millisecond'
		WHERE id = ? AND (claimed_by = '' OR claimed_by = ? OR lease_until IS NULL OR lease_until < now())`,
		m.claims.owner, leaseFor.Milliseconds(), id, m.claims.owner).Exec(ctx)
	if err != nil {
		m.log.Warn("claiming a job", "id", id, "err", err)
		return false
	}
	n, _ := res.RowsAffected()
	return n == 1
}

// unclaim gives the job's row up once its run has ended.
func (m *Manager) unclaim(id int64) {
	if !m.claims.on {
		return
	}
	if _, err := m.db.NewRaw(`UPDATE download_jobs SET claimed_by = '', lease_until = NULL WHERE id = ? AND claimed_by = ?`,
		id, m.claims.owner).Exec(context.Background()); err != nil {
		m.log.Warn("releasing a job", "id", id, "err", err)
	}
}

// leaser renews this server's leases and picks up what other servers
// queued or left behind: new rows, and jobs whose lease ran out.
func (m *Manager) leaser() {
	defer m.wg.Done()
	t := time.NewTicker(leaseEvery)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
		ctx := m.ctx
		if _, err := m.db.NewRaw(`UPDATE download_jobs SET lease_until = now() + ? * interval '1 millisecond' WHERE claimed_by = ?`,
			leaseFor.Milliseconds(), m.claims.owner).Exec(ctx); err != nil {
			m.log.Warn("renewing job leases", "err", err)
		}
		m.adopt(ctx)
		m.follow(ctx)
	}
}

// follow brings this server's copies of the jobs other servers run up to
// date (status, progress, result), so that its lists and events show
// them finishing.
func (m *Manager) follow(ctx context.Context) {
	m.mu.Lock()
	var ids []int64
	for id, j := range m.jobs {
		if j.elsewhere {
			ids = append(ids, id)
		}
	}
	m.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	var rows []row
	if err := m.db.NewSelect().Model(&rows).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		m.log.Warn("following shared jobs", "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rows {
		j, ok := m.jobs[r.ID]
		if !ok || !j.elsewhere {
			continue
		}
		j.Status, j.Progress, j.TotalSize, j.Error = Status(r.Status), r.Progress, r.TotalSize, r.Error
		j.StartedAt, j.CompletedAt = r.StartedAt, r.CompletedAt
		if r.ResourceID.Valid {
			id := r.ResourceID.Int64
			j.ResourceID = &id
		}
		if j.Status.Terminal() || j.Status == Paused {
			j.elsewhere = false
		}
		j.setPercent()
		m.emit("updated", j)
	}
}

// adopt loads the jobs of the shared queue this server may run: rows it
// has not seen, and unfinished rows no live lease holds.
func (m *Manager) adopt(ctx context.Context) {
	var rows []row
	err := m.db.NewSelect().Model(&rows).
		Where("status IN (?)", bun.In([]string{string(Pending), string(Downloading), string(Processing)})).
		Where("claimed_by = '' OR lease_until IS NULL OR lease_until < now()").
		Order("id").Scan(ctx)
	if err != nil {
		m.log.Warn("loading shared jobs", "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	added := false
	for _, r := range rows {
		if j, ok := m.jobs[r.ID]; ok {
			if j.elsewhere {
				j.elsewhere = false
				j.Status, j.Progress = Pending, r.Progress
				added = true
			}
			continue
		}
		in, err := decodeParams(r.Params)
		if err != nil {
			continue
		}
		j := &job{Job: Job{ID: r.ID, URL: r.URL, Status: Pending, Progress: r.Progress, TotalSize: r.TotalSize,
			CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, Source: r.Source}, input: in, validator: r.Validator}
		j.setPercent()
		m.jobs[j.ID] = j
		m.emit("added", j)
		added = true
	}
	if added {
		m.signal()
	}
}
