package sqlitedb

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/uptrace/bun"
)

// How often the checkpointer looks at the WAL index: at once after a
// change, backing off to the slowest while nothing commits, so that an
// idle server wakes four times a second for it.
const (
	walPollFastest = 10 * time.Millisecond
	walPollSlowest = 250 * time.Millisecond
)

// restartFactor: once the WAL holds this many times CheckpointFrames, the
// writer finishes a checkpoint itself. The writer restarts the WAL from
// its beginning only when, as a transaction begins, every frame has been
// copied; under steady writes a checkpoint on another connection rarely
// ends at such a moment, and the WAL would grow as long as they last. The
// writer's own pass copies only what committed since the last one.
const restartFactor = 4

// backgroundCheckpoints reports whether the checkpointer, not the writer,
// checkpoints a database opened with o (see Options.CheckpointFrames).
func backgroundCheckpoints(o Options) bool {
	return !o.Memory && !o.SyncFull && o.CheckpointInterval > 0 && o.CheckpointFrames > 0
}

// checkpointLoop checkpoints until ctx ends: on the writer every interval
// when the writer also checkpoints as it commits, otherwise as watchWAL
// decides.
func (db *DB) checkpointLoop(ctx context.Context) {
	defer close(db.checkpointerDone)
	next := db.opts.CheckpointInterval
	watch := walWatch{last: time.Now(), wait: walPollFastest}
	if db.checkpointer != nil {
		next = watch.wait
	}
	timer := time.NewTimer(next)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if db.checkpointer == nil {
			db.passive(ctx, db.Writer)
		} else {
			next = db.watchWAL(ctx, &watch)
		}
		timer.Reset(next)
	}
}

// walWatch is what the checkpointer keeps between looks at the WAL index.
type walWatch struct {
	last time.Time     // of the last checkpoint
	seen uint32        // the WAL's frames at the last look
	wait time.Duration // until the next look
}

// watchWAL looks at the WAL index once: it checkpoints on the
// checkpointer's connection when the WAL has grown by CheckpointFrames,
// or has anything left after an interval, has the WAL's dirty pages
// written (walWriteback), and returns when to look again.
func (db *DB) watchWAL(ctx context.Context, w *walWatch) time.Duration {
	frames := uint32(db.opts.CheckpointFrames)
	total, copied, err := db.wal.frames()
	if err != nil {
		db.logger.Warn("wal index unreadable", "err", err)
	}
	if pending := total - copied; err != nil || pending >= frames || pending > 0 && time.Since(w.last) >= db.opts.CheckpointInterval {
		w.last = time.Now()
		if st, ok := db.passive(ctx, db.checkpointer); ok && st.logFrames >= restartFactor*int(frames) {
			db.passive(ctx, db.Writer)
		}
	}
	// At every look, not only after a commit: a page that was being
	// written when a commit changed it again is left out of a start
	// made meanwhile, and would wait for the kernel's own flush.
	db.writeback.start()
	if total != w.seen {
		w.wait = walPollFastest
	} else {
		w.wait = min(2*w.wait, walPollSlowest)
	}
	w.seen = total
	return w.wait
}

// passive runs a passive checkpoint on conn and logs its failure.
func (db *DB) passive(ctx context.Context, conn *bun.DB) (checkpointStats, bool) {
	st, err := db.checkpoint(ctx, conn, "PASSIVE")
	if err != nil && ctx.Err() == nil {
		db.logger.Warn("wal checkpoint failed", "mode", "PASSIVE", "err", err)
	}
	return st, err == nil
}

// checkpointStats is what PRAGMA wal_checkpoint reports.
type checkpointStats struct {
	busy         bool
	logFrames    int // frames in the WAL
	checkpointed int // of them, copied into the database
}

// checkpoint runs PRAGMA wal_checkpoint(mode) on conn and logs what it did.
// A checkpoint that could not finish because of readers is logged at Warn
// for TRUNCATE and Debug for PASSIVE (which never waits for them).
func (db *DB) checkpoint(ctx context.Context, conn *bun.DB, mode string) (checkpointStats, error) {
	var busy int
	var st checkpointStats
	err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &st.logFrames, &st.checkpointed)
	if err != nil {
		return st, fmt.Errorf("wal_checkpoint(%s): %w", mode, err)
	}
	st.busy = busy != 0
	level := slog.LevelDebug
	if st.busy && mode != "PASSIVE" {
		level = slog.LevelWarn
	}
	db.logger.Log(ctx, level, "wal checkpoint", "mode", mode, "busy", st.busy,
		"log_frames", st.logFrames, "checkpointed_frames", st.checkpointed)
	return st, nil
}

// walIndex reads the header of a database's WAL index (its -shm file):
// how many frames the WAL holds and how many of them a checkpoint has
// copied into the database. The layout is SQLite's documented file
// format (https://sqlite.org/walformat.html): a 48-byte header, a copy of
// it, then the checkpoint information, in the machine's byte order.
type walIndex struct {
	f *os.File
}

const (
	walIndexVersion   = 3007000 // iVersion, the header's first field
	walIndexMaxFrame  = 16      // offset of mxFrame
	walIndexBackfill  = 96      // offset of nBackfill
	walIndexReadBytes = walIndexBackfill + 4
)

// openWALIndex opens the WAL index of the database at path, which an open
// connection has created.
func openWALIndex(path string) (*walIndex, error) {
	f, err := os.Open(path + "-shm")
	if err != nil {
		return nil, fmt.Errorf("wal index: %w", err)
	}
	w := &walIndex{f: f}
	if _, _, err := w.frames(); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// frames reads the WAL's frame count and how many of them are copied. It
// takes no lock: a value torn by a concurrent commit only moves a
// checkpoint a little earlier or later.
func (w *walIndex) frames() (total, copied uint32, err error) {
	var b [walIndexReadBytes]byte
	if _, err := w.f.ReadAt(b[:], 0); err != nil {
		return 0, 0, fmt.Errorf("wal index: %w", err)
	}
	order := binary.NativeEndian
	if v := order.Uint32(b[0:]); v != walIndexVersion {
		return 0, 0, fmt.Errorf("wal index: version %d, want %d", v, walIndexVersion)
	}
	total, copied = order.Uint32(b[walIndexMaxFrame:]), order.Uint32(b[walIndexBackfill:])
	return total, min(copied, total), nil
}

func (w *walIndex) Close() error { return w.f.Close() }

// walIndexHeader is the size of each of the WAL index header's two
// copies; walIndexSalts is the offset of the WAL's salts in it.
const (
	walIndexHeader = 48
	walIndexSalts  = 32
)

// Stamp returns the state a read transaction that began now would see,
// whoever committed last (this process or another), and false when it
// cannot tell: an in-memory database, or a WAL index mid-write. It reads
// the WAL index's header, which SQLite rewrites as each commit becomes
// visible: the WAL's salts, new at each restart of the WAL, and the last
// committed frame, which only grows in between (a checkpoint changes
// nothing visible). The header's change counter is not used: a recovery
// of the index starts it again.
//
// Two reads with the same stamp see the same data. A read holds the state
// of its snapshot when it takes a stamp before its transaction's first
// statement and the same stamp after it.
func (db *DB) Stamp() (string, bool) {
	if db.wal == nil {
		return "", false
	}
	var b [2 * walIndexHeader]byte
	if _, err := db.wal.f.ReadAt(b[:], 0); err != nil {
		return "", false
	}
	// SQLite writes the second copy, then the first: copies that differ
	// were read mid-write.
	first, second := b[:walIndexHeader], b[walIndexHeader:]
	if string(first) != string(second) || binary.NativeEndian.Uint32(first) != walIndexVersion || first[12] == 0 {
		return "", false
	}
	return string(first[walIndexMaxFrame:walIndexMaxFrame+4]) + string(first[walIndexSalts:walIndexSalts+8]), true
}
