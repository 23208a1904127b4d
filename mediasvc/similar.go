package mediasvc

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/internal/placeholders"
	"github.com/stockroomhq/stockroom/internal/procs"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/media/phash"
)

// The status values of image_hashes.
const (
	hashOK     = 0
	hashFlat   = 1
	hashFailed = 2
)

// mediaBatch is how many queued rows one step handles.
const mediaBatch = 64

// hashDecodeSize is the smallest size an image is decoded at for hashing:
// plenty for the 32×32 grid of pHash, and lets a JPEG decode at 1/8.
const hashDecodeSize = 64

// load fills the index from the stored hashes and brings the pairs in line
// with the configured threshold.
func (m *Media) load(ctx context.Context) error {
	const op = "mediasvc.Media.load"
	rows, err := m.store.ReadDB().QueryContext(ctx, `SELECT r.id, h.dhash, h.phash FROM resources r
		JOIN image_hashes h ON h.content_hash = r.hash WHERE h.status = ?`, hashOK)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, d, p int64
		if err := rows.Scan(&id, &d, &p); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		m.index.Add(id, uint64(d), uint64(p))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := m.reconcileThreshold(ctx); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// reconcileThreshold makes the stored pairs match the threshold: a lower
// one drops the pairs now too far apart, a higher one recomputes them.
func (m *Media) reconcileThreshold(ctx context.Context) error {
	var stored string
	err := m.store.DB().NewRaw(`SELECT value FROM media_settings WHERE name = 'similarity_threshold'`).Scan(ctx, &stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	old, convErr := strconv.Atoi(stored)
	if err == nil && convErr == nil && old == m.threshold {
		return nil
	}
	return dbtx.Write(ctx, m.store.DB(), func(ctx context.Context, tx dbtx.Tx) error {
		if err == nil && convErr == nil && old > m.threshold {
			if _, err := tx.NewRaw(`DELETE FROM resource_similar WHERE distance > ?`, m.threshold).Exec(ctx); err != nil {
				return err
			}
		} else {
			if _, err := tx.NewRaw(`DELETE FROM resource_similar`).Exec(ctx); err != nil {
				return err
			}
			// Every filed image against the index: each pair is found
			// from both sides, and inserted once per direction.
			var ids []int64
			m.index.Range(func(id int64, d, p uint64) { ids = append(ids, id) })
			for _, id := range ids {
				d, p, _ := m.index.Get(id)
				var pairs [][3]int64
				m.index.Near(d, m.threshold, p, m.threshold, func(x phash.Match) {
					if x.ID != id {
						pairs = append(pairs, [3]int64{id, x.ID, int64(max(x.Distance, x.Extra))})
					}
				})
				if err := m.insertPairs(ctx, tx, pairs); err != nil {
					return err
				}
			}
		}
		_, err := tx.NewRaw(`INSERT INTO media_settings (name, value) VALUES ('similarity_threshold', ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, strconv.Itoa(m.threshold)).Exec(ctx)
		return err
	})
}

// insertPairs records (resource, other, distance) rows in one direction;
// callers give both.
func (m *Media) insertPairs(ctx context.Context, tx dbtx.Tx, pairs [][3]int64) error {
	for _, p := range pairs {
		if _, err := tx.SQL().ExecContext(ctx, m.sql.insertPair, p[0], p[1], p[2], p[0], p[1]); err != nil {
			return err
		}
	}
	return nil
}

// batchSQL holds the statements the worker runs for every batch, as the
// database's driver binds them (internal/placeholders): run through
// database/sql with bound arguments, they are parsed once per connection,
// where bun's texts, with the values written in, were parsed for every
// batch, a tenth of the worker's CPU per image.
type batchSQL struct {
	queued, insertHash, deleteSimilar, insertPair, deleteQueued string
}

func newBatchSQL(pg bool) batchSQL {
	return batchSQL{
		queued: placeholders.For(pg, `SELECT q.id, q.resource_id, r.id IS NOT NULL,
			coalesce(r.hash, ''), coalesce(r.content_type, ''), h.content_hash IS NOT NULL,
			coalesce(h.dhash, 0), coalesce(h.phash, 0), coalesce(h.status, 0)
		FROM media_queue q
		LEFT JOIN resources r ON r.id = q.resource_id
		LEFT JOIN image_hashes h ON h.content_hash = r.hash
		ORDER BY q.id LIMIT ?`),
		insertHash: placeholders.For(pg, `INSERT INTO image_hashes (content_hash, dhash, phash, status) VALUES (?, ?, ?, ?)
			ON CONFLICT (content_hash) DO NOTHING`),
		deleteSimilar: placeholders.For(pg, `DELETE FROM resource_similar WHERE resource_id = ? OR other_id = ?`),
		insertPair: placeholders.For(pg, `INSERT INTO resource_similar (resource_id, other_id, distance)
			SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM resources WHERE id = ?) AND EXISTS (SELECT 1 FROM resources WHERE id = ?)
			ON CONFLICT (resource_id, other_id) DO UPDATE SET distance = excluded.distance`),
		deleteQueued: placeholders.For(pg, `DELETE FROM media_queue WHERE id <= ?`),
	}
}

// queued is one resource of a batch as the database knows it now.
type queued struct {
	resourceID  int64
	present     bool
	hash        blobstore.Hash
	contentType string
	hashed      bool // image_hashes has a row for hash
	dhash       int64
	phash       int64
	status      int
}

// processBatch handles up to mediaBatch queued rows.
func (m *Media) processBatch(ctx context.Context) (int, error) {
	const op = "mediasvc.Media"
	rows, err := m.store.ReadDB().DB.QueryContext(ctx, m.sql.queued, mediaBatch)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	var (
		maxQueueID int64
		n          int
		items      []*queued
		byID       = map[int64]*queued{}
	)
	for rows.Next() {
		var qid int64
		it := &queued{}
		if err := rows.Scan(&qid, &it.resourceID, &it.present, &it.hash, &it.contentType, &it.hashed, &it.dhash, &it.phash, &it.status); err != nil {
			rows.Close()
			return 0, fmt.Errorf("%s: %w", op, err)
		}
		maxQueueID = max(maxQueueID, qid)
		n++
		if _, seen := byID[it.resourceID]; !seen {
			items = append(items, it)
		}
		byID[it.resourceID] = it
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return 0, nil
	}
	// Work for procs.Govern from here, not the look at an empty queue,
	// which the worker makes every poll.
	procs.Begin()
	defer procs.End()

	type newHash struct {
		hash         blobstore.Hash
		dhash, phash int64
		status       int
	}
	var hashes []newHash
	pairs := map[int64][][3]int64{} // resource → its pairs (both directions)
	computed := map[blobstore.Hash]newHash{}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if !it.present || !imaging.IsRaster(it.contentType) {
			m.index.Remove(it.resourceID)
			pairs[it.resourceID] = nil
			continue
		}
		if !it.hashed {
			h, done := computed[it.hash]
			if !done {
				h = newHash{hash: it.hash}
				h.status, h.dhash, h.phash = m.hashContent(ctx, it.hash, it.contentType)
				if ctx.Err() != nil {
					return 0, ctx.Err()
				}
				computed[it.hash] = h
				hashes = append(hashes, h)
			}
			it.status, it.dhash, it.phash = h.status, h.dhash, h.phash
		}
		if it.status != hashOK {
			m.index.Remove(it.resourceID)
			pairs[it.resourceID] = nil
			continue
		}
		d, p := uint64(it.dhash), uint64(it.phash)
		var ps [][3]int64
		m.index.Near(d, m.threshold, p, m.threshold, func(x phash.Match) {
			if x.ID != it.resourceID {
				dist := int64(max(x.Distance, x.Extra))
				ps = append(ps, [3]int64{it.resourceID, x.ID, dist}, [3]int64{x.ID, it.resourceID, dist})
			}
		})
		m.index.Add(it.resourceID, d, p)
		pairs[it.resourceID] = ps
	}

	err = dbtx.Write(ctx, m.store.DB(), func(ctx context.Context, tx dbtx.Tx) error {
		for _, h := range hashes {
			if _, err := tx.SQL().ExecContext(ctx, m.sql.insertHash, h.hash, h.dhash, h.phash, h.status); err != nil {
				return err
			}
		}
		// All removals first: a pair between two resources of this batch
		// is in the list of the later one only.
		for id := range pairs {
			if _, err := tx.SQL().ExecContext(ctx, m.sql.deleteSimilar, id, id); err != nil {
				return err
			}
		}
		for _, ps := range pairs {
			if err := m.insertPairs(ctx, tx, ps); err != nil {
				return err
			}
		}
		_, err := tx.SQL().ExecContext(ctx, m.sql.deleteQueued, maxQueueID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return n, nil
}

// hashContent decodes stored content small and computes its hashes. Content
// that cannot be hashed (missing, over the pixel limit, undecodable) gets
// hashFailed and is not retried; a flat image gets hashFlat.
func (m *Media) hashContent(ctx context.Context, h blobstore.Hash, contentType string) (status int, dhash, phashv int64) {
	if h.IsZero() {
		return hashFailed, 0, 0
	}
	f, err := m.store.Blobs().Open(ctx, h)
	if err != nil {
		if !errors.Is(err, blobstore.ErrNotFound) {
			m.log.Warn("opening content to hash it", "hash", h, "err", err)
		}
		return hashFailed, 0, 0
	}
	defer f.Close()
	buf := wholePool.Get().(*[]byte)
	defer wholePool.Put(buf)
	src, err := readSmall(f, *buf)
	if err != nil {
		m.log.Warn("reading content to hash it", "hash", h, "err", err)
		return hashFailed, 0, 0
	}
	opts := imaging.Options{MaxPixels: m.maxPixels, MinWidth: hashDecodeSize, MinHeight: hashDecodeSize}
	cost, err := imaging.Cost(src, contentType, opts)
	if err != nil {
		return hashFailed, 0, 0
	}
	release, err := m.budget.Acquire(ctx, cost)
	if err != nil {
		// Over the whole budget, or stopping: not hashed.
		return hashFailed, 0, 0
	}
	defer release()
	d, err := imaging.Decode(src, contentType, opts)
	if err != nil {
		return hashFailed, 0, 0
	}
	hs := phash.Compute(imaging.Orient(d.Image, d.Orientation))
	if hs.Flat {
		return hashFlat, 0, 0
	}
	return hashOK, int64(hs.DHash), int64(hs.PHash)
}

// readWholeSize is the size up to which the worker reads a file whole
// before it looks at it. Sizing an image and decoding it read its start
// again and again, in small reads and seeks: some twenty-five system
// calls on a file of a few KB, more than a tenth of the worker's time per
// upload of one. A larger file is read as before, so that its size costs
// one small read.
const readWholeSize = 256 << 10

var wholePool = sync.Pool{New: func() any { b := make([]byte, readWholeSize); return &b }}

// readSmall returns the content of f from buf when it fits there, or f
// itself, from its start, when it does not. A blob's size is known to its
// File, so asking for it costs no read.
func readSmall(f io.ReadSeeker, buf []byte) (io.ReadSeeker, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if size > int64(len(buf)) {
		return f, nil
	}
	n, err := io.ReadFull(f, buf[:size])
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(buf[:n]), nil
}
