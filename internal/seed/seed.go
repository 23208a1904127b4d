// Package seed fills a Stockroom database with realistic synthetic
// resources, for benchmarks and for trying the server at scale. It writes
// rows straight to the tables (no blobs), in large transactions, after
// migrating the schema, so that everything the schema maintains by triggers
// (search index, meta side tables, counters) is built as for rows written by
// resources.Store.
//
// The data is a deterministic function of Options.Seed and Options.N:
//
//   - names of one to four words, or camera file names ("IMG_4821"), drawn
//     Zipf-skewed from a vocabulary of Vocabulary words (a few hundred real
//     words, then made-up ones whose tail only a handful of resources use);
//   - descriptions (60% of resources) of 4 to 25 such words;
//   - 0 to 8 tags from Tags tags (by default), Zipf-skewed: tag 1 is the
//     most used;
//   - an owner (95%) from Groups groups (by default), Zipf-skewed: group 1
//     owns most;
//     30% have one or two related groups, 5% notes, 40% a resource
//     category, 3% a series;
//   - about 20 content types with realistic shares, and sizes from common
//     camera and screen resolutions for images and videos;
//   - creation times over five years ending at End, in ID order with
//     jitter, except 10% that are backdated anywhere before (imports);
//   - 3 to 6 meta keys out of 30 (strings, numbers, booleans, a nested
//     object, an array);
//   - a random SHA-256 hash, and version 1 as the current version.
package seed

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/stockroomhq/stockroom/media/probe"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/uptrace/bun"
)

// Sizes of the generated library, and defaults of Options.
const (
	// Tags is the number of tags; tag IDs are 1..Tags, most used first.
	Tags = 50_000
	// Groups is the number of groups; group IDs are 1..Groups, the
	// owners of most resources first.
	Groups = 10_000
	// Vocabulary is the number of distinct words in names and
	// descriptions.
	Vocabulary = 20_000
	// Notes, ResourceCategories and Series count the other entities.
	Notes              = 2_000
	ResourceCategories = 8
	Series             = 1_000

	// DefaultBatch is the number of resources written per transaction:
	// large, as every commit writes the pages the batch touched once more
	// (a million took 9 min 51 s in batches of 20,000 with 256 MiB of page
	// cache, 8 min 2 s in batches of 100,000 with 1 GiB, 7 min 18 s with
	// the statements of Run's inserters as well).
	DefaultBatch = 100_000
	// DefaultSeed is the seed used when Options.Seed is zero.
	DefaultSeed = 1

	// Format changes whenever the generated data changes, so that
	// databases cached by benchmarks can be told apart.
	Format = 2
)

// End is the creation time of the newest generated resource; the oldest is
// five years earlier.
var End = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// Span is the range of creation times.
const Span = 5 * 365 * 24 * time.Hour

// Options configure Run.
type Options struct {
	// N is the number of resources to write.
	N int
	// Seed makes the data; zero means DefaultSeed.
	Seed uint64
	// Batch is the number of resources per transaction; zero means
	// DefaultBatch.
	Batch int
	// Tags and Groups are the numbers of tags and groups; zero means the
	// constants of the same names. Tests make smaller libraries with them.
	Tags, Groups int
	// Progress, when set, is called after each committed transaction with
	// the number of resources written so far.
	Progress func(done int)
}

// Stats reports what Run wrote.
type Stats struct {
	Resources, ResourceTags, RelatedGroups, ResourceNotes int
	// Entities is the time spent on tags, groups and the other entities;
	// Resources the time spent on resources and their links.
	EntitiesTime, ResourcesTime time.Duration
}

// Words returns the vocabulary of the data generated with seed (zero means
// DefaultSeed), most frequent word first. Benchmarks use it to pick common
// and rare words.
func Words(seed uint64) []string {
	if seed == 0 {
		seed = DefaultSeed
	}
	return vocabulary(rand.New(rand.NewPCG(seed, 0x5eed)), Vocabulary)
}

// Run migrates db and writes opts.N resources with their entities. The
// database must not hold resources yet. db should be the writer of an
// internal/sqlitedb.DB.
func Run(ctx context.Context, db *bun.DB, opts Options) (Stats, error) {
	const op = "seed.Run"
	if opts.N < 0 {
		return Stats{}, fmt.Errorf("%s: N %d must not be negative", op, opts.N)
	}
	if opts.Seed == 0 {
		opts.Seed = DefaultSeed
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Tags <= 0 {
		opts.Tags = Tags
	}
	if opts.Groups <= 0 {
		opts.Groups = Groups
	}
	if err := resources.Migrate(ctx, db); err != nil {
		return Stats{}, fmt.Errorf("%s: %w", op, err)
	}
	var existing int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM resources LIMIT 1)`).Scan(&existing); err != nil {
		return Stats{}, fmt.Errorf("%s: %w", op, err)
	}
	if existing > 0 {
		return Stats{}, fmt.Errorf("%s: the database already holds resources", op)
	}
	// For the writer connection (the pool has one): a page cache of 1 GiB,
	// as the indexes are written in random order; and no foreign key checks,
	// which the generated rows meet by construction (they cost a tenth of
	// the time). Both are restored before Run returns.
	for _, pragma := range []string{`PRAGMA cache_size = -1048576`, `PRAGMA foreign_keys = OFF`} {
		if _, err := db.ExecContext(ctx, pragma); err != nil {
			return Stats{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	defer db.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	defer db.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`)

	g := newGenerator(opts.Seed, opts.N, opts.Tags, opts.Groups)
	var st Stats
	start := time.Now()
	if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return g.entities(ctx, tx.Tx)
	}); err != nil {
		return st, fmt.Errorf("%s: entities: %w", op, err)
	}
	st.EntitiesTime = time.Since(start)

	start = time.Now()
	for from := 0; from < opts.N; from += opts.Batch {
		to := min(from+opts.Batch, opts.N)
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return g.resources(ctx, tx.Tx, from, to, &st)
		})
		if err != nil {
			return st, fmt.Errorf("%s: resources %d-%d: %w", op, from+1, to, err)
		}
		if opts.Progress != nil {
			opts.Progress(to)
		}
	}
	// Inserts leave the trigram tables to the server's text indexer:
	// index the resources here, in large batches, so that the library is
	// as one in use and its searches read the index.
	for {
		n, err := resources.IndexText(ctx, db, 50_000)
		if err != nil {
			return st, fmt.Errorf("%s: indexing text: %w", op, err)
		}
		if n == 0 {
			break
		}
	}
	st.Resources = opts.N
	st.ResourcesTime = time.Since(start)
	return st, nil
}

// generator holds the random state and the fixed tables of the data.
type generator struct {
	rng          *rand.Rand
	n            int
	tags, groups int
	words        []string

	wordZipf, tagZipf, ownerZipf, relatedZipf, keyZipf *rand.Zipf
	projectZipf, personZipf                            *rand.Zipf
}

func newGenerator(seed uint64, n, tags, groups int) *generator {
	g := &generator{
		rng:    rand.New(rand.NewPCG(seed, 0xda7a)),
		n:      n,
		tags:   tags,
		groups: groups,
		words:  Words(seed),
	}
	g.wordZipf = rand.NewZipf(g.rng, 1.05, 1, Vocabulary-1)
	g.tagZipf = rand.NewZipf(g.rng, 1.1, 1, uint64(tags-1))
	g.ownerZipf = rand.NewZipf(g.rng, 1.1, 1, uint64(groups-1))
	g.relatedZipf = rand.NewZipf(g.rng, 1.2, 4, uint64(groups-1))
	g.keyZipf = rand.NewZipf(g.rng, 1.3, 2, uint64(len(metaKeys)-1))
	g.projectZipf = rand.NewZipf(g.rng, 1.2, 1, 499)
	g.personZipf = rand.NewZipf(g.rng, 1.1, 1, 1999)
	return g
}

func (g *generator) word() string { return g.words[g.wordZipf.Uint64()] }

func (g *generator) phrase(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(g.word())
	}
	return b.String()
}

// timestamp formats t as bun writes times to SQLite, so that generated rows
// compare and sort like rows written by the Store.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.999999-07:00")
}

// inserter writes rows with multi-row INSERT statements of up to perStmt
// rows, as many as SQLite's bound on parameters allows; the full-size
// statement is prepared once per transaction. Rows are
// written as soon as a statement's worth is buffered, unless hold is set:
// then they wait for flush (rows that refer to rows of another inserter
// must not be written before those).
type inserter struct {
	ctx     context.Context
	tx      *sql.Tx
	head    string
	cols    int
	perStmt int
	hold    bool
	full    *sql.Stmt
	args    []any
}

func newInserter(ctx context.Context, tx *sql.Tx, head string, cols int) *inserter {
	return &inserter{ctx: ctx, tx: tx, head: head, cols: cols, perStmt: 30000 / cols}
}

func (in *inserter) statement(rows int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", in.cols), ",") + ")"
	return in.head + " VALUES " + strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

func (in *inserter) add(values ...any) error {
	if len(values) != in.cols {
		return fmt.Errorf("seed: %d values for %d columns", len(values), in.cols)
	}
	in.args = append(in.args, values...)
	if in.hold || len(in.args) < in.cols*in.perStmt {
		return nil
	}
	return in.write(false)
}

// write executes the buffered rows: full statements only, or everything
// when all is set.
func (in *inserter) write(all bool) error {
	full := in.cols * in.perStmt
	done := 0
	for ; len(in.args)-done >= full; done += full {
		if in.full == nil {
			st, err := in.tx.PrepareContext(in.ctx, in.statement(in.perStmt))
			if err != nil {
				return err
			}
			in.full = st
		}
		if _, err := in.full.ExecContext(in.ctx, in.args[done:done+full]...); err != nil {
			return err
		}
	}
	if rest := in.args[done:]; all && len(rest) > 0 {
		if _, err := in.tx.ExecContext(in.ctx, in.statement(len(rest)/in.cols), rest...); err != nil {
			return err
		}
		done = len(in.args)
	}
	in.args = append(in.args[:0], in.args[done:]...)
	return nil
}

// flush writes every buffered row and releases the statement.
func (in *inserter) flush() error {
	err := in.write(true)
	if in.full != nil {
		err = errors.Join(err, in.full.Close())
		in.full = nil
	}
	return err
}

// entities writes tags, groups, categories, notes, resource categories and
// series.
func (g *generator) entities(ctx context.Context, tx *sql.Tx) error {
	ts := timestamp(End.Add(-Span - 24*time.Hour))

	cats := newInserter(ctx, tx, `INSERT INTO categories (id, created_at, updated_at, name, description)`, 5)
	catNames := []string{"Person", "Album", "Project", "Client", "Event"}
	for i, name := range catNames {
		if err := cats.add(i+1, ts, ts, name, ""); err != nil {
			return err
		}
	}
	if err := cats.flush(); err != nil {
		return err
	}

	tags := newInserter(ctx, tx, `INSERT INTO tags (id, created_at, updated_at, name, description, meta)`, 6)
	seen := make(map[string]bool, g.tags)
	for id := 1; id <= g.tags; id++ {
		// The most used tags get the most common words as names.
		name := g.words[(id-1)%Vocabulary]
		if id > Vocabulary || seen[name] {
			name = g.words[g.rng.IntN(Vocabulary)] + "-" + g.words[g.rng.IntN(Vocabulary)]
		}
		for seen[name] {
			name += "-" + strconv.Itoa(g.rng.IntN(100))
		}
		seen[name] = true
		if err := tags.add(id, ts, ts, name, "", "{}"); err != nil {
			return err
		}
	}
	if err := tags.flush(); err != nil {
		return err
	}

	groups := newInserter(ctx, tx, `INSERT INTO "groups" (id, created_at, updated_at, name, description, url, meta, owner_id, category_id)`, 9)
	for id := 1; id <= g.groups; id++ {
		cat := 1 + g.rng.IntN(len(catNames))
		name := strings.ToUpper(g.word()[:1]) + g.word()[1:] + " " + g.word()
		var parent any
		if id > 100 && g.rng.IntN(10) == 0 {
			parent = 1 + g.rng.IntN(id-1)
		}
		if err := groups.add(id, ts, ts, name, "", "", "{}", parent, cat); err != nil {
			return err
		}
	}
	if err := groups.flush(); err != nil {
		return err
	}

	notes := newInserter(ctx, tx, `INSERT INTO notes (id, created_at, updated_at, name, description, meta, owner_id)`, 7)
	for id := 1; id <= Notes; id++ {
		if err := notes.add(id, ts, ts, g.phrase(3), g.phrase(12), "{}", 1+g.ownerZipf.Uint64()); err != nil {
			return err
		}
	}
	if err := notes.flush(); err != nil {
		return err
	}

	rcs := newInserter(ctx, tx, `INSERT INTO resource_categories (id, created_at, updated_at, name, description, meta_schema)`, 6)
	for id, name := range []string{"Photos", "Scans", "Documents", "Footage", "Audio", "Designs", "Press", "Misc"}[:ResourceCategories] {
		if err := rcs.add(id+1, ts, ts, name, "", ""); err != nil {
			return err
		}
	}
	if err := rcs.flush(); err != nil {
		return err
	}

	series := newInserter(ctx, tx, `INSERT INTO series (id, created_at, updated_at, name, slug, meta)`, 6)
	for id := 1; id <= Series; id++ {
		if err := series.add(id, ts, ts, "Series "+strconv.Itoa(id), "series-"+strconv.Itoa(id), "{}"); err != nil {
			return err
		}
	}
	return series.flush()
}

// contentType is one of the generated content types with its share (in
// thousandths) and whether it has pixel dimensions.
type contentType struct {
	mime   string
	share  int
	ext    string
	pixels bool
}

// ContentTypes are the generated content types, most common first.
var ContentTypes = []contentType{
	{"image/jpeg", 420, ".jpg", true},
	{"image/png", 140, ".png", true},
	{"image/heic", 60, ".heic", true},
	{"application/pdf", 60, ".pdf", false},
	{"video/mp4", 50, ".mp4", true},
	{"image/webp", 35, ".webp", true},
	{"image/tiff", 30, ".tif", true},
	{"text/plain; charset=utf-8", 25, ".txt", false},
	{"image/gif", 25, ".gif", true},
	{"application/zip", 20, ".zip", false},
	{"audio/mpeg", 20, ".mp3", false},
	{"video/quicktime", 20, ".mov", true},
	{"image/svg+xml", 15, ".svg", false},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", 15, ".docx", false},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 12, ".xlsx", false},
	{"image/x-canon-cr2", 12, ".cr2", true},
	{"audio/wav", 8, ".wav", false},
	{"application/postscript", 5, ".eps", false},
	{"text/csv", 5, ".csv", false},
	{"application/json", 3, ".json", false},
}

// resolutions are the generated sizes of images and videos.
var resolutions = [][2]int{
	{640, 480}, {800, 600}, {1024, 768}, {1280, 720}, {1920, 1080}, {1080, 1920},
	{2048, 1536}, {2560, 1440}, {3000, 2000}, {3024, 4032}, {4032, 3024},
	{4000, 3000}, {3840, 2160}, {6000, 4000}, {4000, 6000}, {8192, 5464},
}

func (g *generator) contentType() contentType {
	x := g.rng.IntN(1000)
	for _, ct := range ContentTypes {
		if x < ct.share {
			return ct
		}
		x -= ct.share
	}
	return ContentTypes[0]
}

// createdAt is resource i's creation time: in ID order with up to a day of
// jitter, or (one in ten) backdated to any earlier time.
func (g *generator) createdAt(i int) time.Time {
	start := End.Add(-Span)
	base := start.Add(time.Duration((float64(i) + 0.5) / float64(max(g.n, 1)) * float64(Span)))
	if g.rng.IntN(10) == 0 {
		return start.Add(time.Duration(g.rng.Int64N(int64(base.Sub(start)) + 1))).Truncate(time.Microsecond)
	}
	jitter := time.Duration(g.rng.Int64N(int64(24*time.Hour))) - 12*time.Hour
	return base.Add(jitter).Truncate(time.Microsecond)
}

func (g *generator) name(ct contentType) (name, original string) {
	if ct.pixels && g.rng.IntN(5) == 0 {
		prefix := []string{"IMG_", "DSC_", "DSCF", "PXL_", "MVI_"}[g.rng.IntN(5)]
		n := prefix + fmt.Sprintf("%04d", g.rng.IntN(10000))
		return n, n + strings.ToUpper(ct.ext)
	}
	name = g.phrase(1 + g.rng.IntN(4))
	if g.rng.IntN(4) == 0 {
		name += " " + strconv.Itoa(1+g.rng.IntN(200))
	}
	if len(name) > 0 {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	return name, strings.ReplaceAll(strings.ToLower(name), " ", "-") + ct.ext
}

// resources writes resources from..to-1 (0-based) with version 1 and their
// links.
func (g *generator) resources(ctx context.Context, tx *sql.Tx, from, to int, st *Stats) error {
	// OR FAIL: an error ends the batch's transaction anyway, and SQLite
	// then keeps no statement journal of each statement's own rows (a
	// temporary file written page by page).
	res := newInserter(ctx, tx, `INSERT OR FAIL INTO resources (id, created_at, updated_at, name, description,
		original_name, original_location, hash, hash_type, location, meta, width, height, file_size,
		category, content_type, content_category, owner_id, resource_category_id, series_id, current_version_id)`, 21)
	ver := newInserter(ctx, tx, `INSERT OR FAIL INTO resource_versions (id, resource_id, version_number, hash, hash_type,
		file_size, content_type, width, height, location, comment, created_at)`, 12)
	tags := newInserter(ctx, tx, `INSERT OR FAIL INTO resource_tags (resource_id, tag_id)`, 2)
	related := newInserter(ctx, tx, `INSERT OR FAIL INTO groups_related_resources (resource_id, group_id)`, 2)
	notes := newInserter(ctx, tx, `INSERT OR FAIL INTO resource_notes (resource_id, note_id)`, 2)
	for _, in := range []*inserter{ver, tags, related, notes} {
		in.hold = true
	}

	var hash [32]byte
	var meta strings.Builder
	for i := from; i < to; i++ {
		id := i + 1
		ct := g.contentType()
		name, original := g.name(ct)
		var description string
		if g.rng.IntN(10) < 6 {
			description = g.phrase(4 + g.rng.IntN(22))
		}
		location := "/imports/" + strconv.Itoa(2020+g.rng.IntN(6)) + "/" + original
		if g.rng.IntN(5) == 0 {
			location = "https://assets.example.com/" + g.word() + "/" + original
		}
		for j := 0; j < len(hash); j += 8 {
			u := g.rng.Uint64()
			for k := range 8 {
				hash[j+k] = byte(u >> (8 * k))
			}
		}
		h := hex.EncodeToString(hash[:])
		blob := h[0:2] + "/" + h[2:4] + "/" + h
		var w, ht int
		if ct.pixels {
			r := resolutions[g.rng.IntN(len(resolutions))]
			w, ht = r[0], r[1]
		}
		size := int64(math.Exp(10 + g.rng.NormFloat64()*1.5 + 2))
		created := g.createdAt(i)
		updated := created
		if g.rng.IntN(5) == 0 {
			updated = created.Add(time.Duration(g.rng.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Microsecond)
		}
		meta.Reset()
		g.meta(&meta, ct)
		var owner, rc, series any
		if g.rng.IntN(20) != 0 {
			owner = 1 + g.ownerZipf.Uint64()
		}
		if g.rng.IntN(10) < 4 {
			rc = 1 + g.rng.IntN(ResourceCategories)
		}
		if g.rng.IntN(100) < 3 {
			series = 1 + g.rng.IntN(Series)
		}
		cts, uts := timestamp(created), timestamp(updated)
		if err := res.add(id, cts, uts, name, description, original, location, h, resources.HashType, blob,
			meta.String(), w, ht, size, "", ct.mime, probe.Category(ct.mime), owner, rc, series, id); err != nil {
			return err
		}
		if err := ver.add(id, id, 1, h, resources.HashType, size, ct.mime, w, ht, blob, "", cts); err != nil {
			return err
		}

		// 15% untagged, otherwise 1 to 8 distinct tags, fewer more likely.
		nTags := 0
		if g.rng.IntN(100) >= 15 {
			nTags = 1 + int(math.Min(7, math.Floor(g.rng.ExpFloat64()*2.5)))
		}
		var picked [8]uint64
		for k := 0; k < nTags; {
			t := 1 + g.tagZipf.Uint64()
			dup := false
			for _, p := range picked[:k] {
				dup = dup || p == t
			}
			if dup {
				continue
			}
			picked[k] = t
			k++
			if err := tags.add(id, t); err != nil {
				return err
			}
			st.ResourceTags++
		}
		if g.rng.IntN(10) < 3 {
			a := 1 + g.relatedZipf.Uint64()
			if err := related.add(id, a); err != nil {
				return err
			}
			st.RelatedGroups++
			if b := 1 + g.relatedZipf.Uint64(); b != a && g.rng.IntN(2) == 0 {
				if err := related.add(id, b); err != nil {
					return err
				}
				st.RelatedGroups++
			}
		}
		if g.rng.IntN(20) == 0 {
			if err := notes.add(id, 1+g.rng.IntN(Notes)); err != nil {
				return err
			}
			st.ResourceNotes++
		}
	}
	for _, in := range []*inserter{res, ver, tags, related, notes} {
		if err := in.flush(); err != nil {
			return err
		}
	}
	return nil
}
