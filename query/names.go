package query

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/stockroomhq/stockroom/internal/procs"
)

// names keeps the name of every resource of a small library in memory, in
// the default order, for the Name searches of lists in that order:
// scanning a few thousand short names in Go costs less than asking the
// trigram index for candidates and checking each one's row, which was
// half the CPU of such a list. A copy is used only by a list whose read
// transaction sees the version it was built at (nameVersion, which
// changes with every change of a name, a creation time or the set of
// resources), so a list reads its snapshot through the copy exactly as
// through the index. A list that finds the copy out of date searches as
// before. The second to find it out of date at the same version has a new
// copy built in the background: names that change between every two
// searches would make every copy useless. At most one build runs at a
// time, and builds take at most a fifth of the time.
type names struct {
	cur      atomic.Pointer[nameCopy]
	building atomic.Bool
	// stale is the version of the names that the last list to find the
	// copy out of date saw; nil: none yet.
	stale atomic.Pointer[nameVersion]
	// notBefore is the UnixNano before which no build starts.
	notBefore atomic.Int64
	// scans counts the lists the copy served (tests read it).
	scans atomic.Int64
	wg    sync.WaitGroup // the build in progress, if any
}

// nameCopy is the library's names at one version of the names.
type nameCopy struct {
	version nameVersion
	// usable is false when some row would not compare in Go as in SQL
	// (a name or creation time that is not valid text): lists then
	// search through the index until the version changes.
	usable bool
	// entries are in the default order, ascending.
	entries []nameEntry
}

// nameVersion is resource_name_version's version with the highest ID of
// a resource (0 for none): uploads raise the second, every other change of
// the names the first (internal/schema/sqlite/names.go).
type nameVersion struct{ changes, top int64 }

// readNameVersion is the statement of a nameVersion.
const readNameVersion = "SELECT version, coalesce((SELECT max(id) FROM resources), 0) FROM resource_name_version"

type nameEntry struct {
	id     int64
	folded string // the name, its ASCII letters in lower case (asciiLower)
}

// nameBuildShare bounds the time spent building copies: after a build of
// d, the next may start d*nameBuildShare later.
const nameBuildShare = 4

// nameScan returns the page of p and the number of its matches from the
// copy of the library's names, when p is a Name search alone in the
// default order on a small SQLite library and the copy is that of the
// transaction of q; ok is false otherwise, and p is searched as before.
func (q *Query) nameScan(ctx context.Context, p *plan) (page []int64, total int, ok bool, err error) {
	if q.names == nil || q.generic || len(p.conds) != 1 || len(p.created) != 0 || !p.def.ok {
		return nil, 0, false, nil
	}
	c := p.conds[0]
	if c.textCol != "r.name" || !textComparable(c.text) {
		return nil, 0, false, nil
	}
	small, err := q.smallLibrary(ctx)
	if err != nil {
		return nil, 0, false, err
	}
	if !small {
		q.names.cur.Store(nil) // the library grew out of it
		return nil, 0, false, nil
	}
	var version nameVersion
	if err := q.scanRow(ctx, readNameVersion, nil, &version.changes, &version.top); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, 0, false, nil
		}
		return nil, 0, false, err
	}
	cp := q.names.cur.Load()
	if cp == nil || cp.version != version {
		if last := q.names.stale.Swap(&version); last != nil && *last == version {
			q.buildNames()
		}
		return nil, 0, false, nil
	}
	if !cp.usable {
		return nil, 0, false, nil
	}
	page, total = cp.search(asciiLower(c.text), p)
	q.names.scans.Add(1)
	return page, total, true, nil
}

// search returns the IDs of the page of p among the entries whose name
// holds term (folded), with the next match if any, and the number of
// matches.
func (cp *nameCopy) search(term string, p *plan) (page []int64, total int) {
	want := p.offset + int64(p.perPage) + 1
	take := func(e *nameEntry) {
		if !strings.Contains(e.folded, term) {
			return
		}
		if int64(total) >= p.offset && int64(total) < want {
			page = append(page, e.id)
		}
		total++
	}
	if p.def.desc {
		for i := len(cp.entries) - 1; i >= 0; i-- {
			take(&cp.entries[i])
		}
	} else {
		for i := range cp.entries {
			take(&cp.entries[i])
		}
	}
	return page, total
}

// buildNames starts a build of the copy in the background, unless one
// runs or the last ended too recently.
func (q *Query) buildNames() {
	n := q.names
	if time.Now().UnixNano() < n.notBefore.Load() || !n.building.CompareAndSwap(false, true) {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer n.building.Store(false)
		procs.Begin()
		start := time.Now()
		cp, err := q.readNames(context.Background())
		procs.End()
		n.notBefore.Store(time.Now().Add(time.Since(start) * nameBuildShare).UnixNano())
		if err == nil {
			n.cur.Store(cp)
			n.stale.Store(nil) // a copy dropped later waits for two lists again
		}
	}()
}

// readNames reads the names of the library and their version in one read
// transaction.
func (q *Query) readNames(ctx context.Context) (*nameCopy, error) {
	conn, err := q.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer endRead(ctx, conn)
	inTx := q.inTx(conn)
	cp := &nameCopy{usable: true}
	if err := inTx.scanRow(ctx, readNameVersion, nil, &cp.version.changes, &cp.version.top); err != nil {
		return nil, err
	}
	var e nameEntry
	var name string
	var text bool
	// The copy keeps the order of the list's ORDER BY; a creation time
	// that is not text sorts apart from the others there (sortText).
	err = inTx.scanEach(ctx, "SELECT id, CAST(name AS TEXT), "+
		"typeof(created_at) = 'text' AND typeof(name) = 'text' FROM resources ORDER BY created_at, id", nil,
		func() error {
			if !text || !textComparable(name) {
				cp.usable, cp.entries = false, nil
				return errStopNames
			}
			e.folded = asciiLower(name)
			cp.entries = append(cp.entries, e)
			return nil
		}, &e.id, &name, &text)
	if err != nil && !errors.Is(err, errStopNames) {
		return nil, err
	}
	return cp, nil
}

var errStopNames = errors.New("query: a name the copy cannot hold")

// textComparable reports whether SQLite's LIKE treats s as Go's
// strings.Contains does once both are folded: valid UTF-8 without NUL,
// which ends text for some of SQLite's functions.
func textComparable(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\x00")
}
