package resources

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/internal/placeholders"
	"github.com/stockroomhq/stockroom/internal/sqltime"
)

// Reading a resource with its relations is the request made most often
// (GET /v1/resource, every upload's answer, every list page). Through
// bun's relations it cost seven statements, each formatted with its
// arguments into new text that the database prepared again, and SQLite's
// text timestamps were parsed by trying layout after layout. The loader
// below reads the same rows with fixed statement texts, prepared once per
// connection, with ? arguments; the resource's own row lists the IDs of
// its tags, groups and notes, so that empty relations cost no statement
// and the entities a page's resources share are read once; and
// timestamps are read by sqltime. In SQLite each resource's values come
// packed in one JSON array (see unpackRow), and one resource alone (Get,
// an upload's answer) comes with its relations nested in that array, so
// that it costs one statement, and one read transaction, instead of two
// (see packedFull); it is then also read from one snapshot.

// loadSQL holds the loader's statements in one dialect.
type loadSQL struct {
	// one and many read resources by one ID and by a list of IDs (the
	// argument of idList), each with the IDs of its tags, groups and
	// notes as text (linkIDs); the others read the entities of a list of
	// IDs. packedMany, in SQLite, reads the values of many as one JSON
	// array per resource, all in one array.
	one, many, packedMany string
	// packedFull, in SQLite, reads one resource by ID as one JSON array:
	// its own values (the first ownValues of one), then its tags, groups
	// and notes as arrays of entities, then its owner, resource category
	// and series as an entity each (or NULL), each entity an array in
	// the layout of its kind's statement below.
	packedFull                              string
	tags, groups, notes, categories, series string
	idList                                  func(ids []int64) any
	pg                                      bool
	// related, on PostgreSQL, reads the entities of the kinds of a mask
	// in one statement (see relatedText).
	related [32]string
}

// timeText is the expression that reads a timestamp column: as text in
// SQLite, so that the driver does not parse it (sqltime does, faster).
func timeText(pg bool, col string) string {
	if pg {
		return col
	}
	return "CAST(" + col + " AS TEXT)"
}

func newLoadSQL(pg bool) *loadSQL {
	ts := func(alias string) string {
		return timeText(pg, alias+".created_at") + ", " + timeText(pg, alias+".updated_at")
	}
	in := func(col string) string { return idsIn(pg, col) }
	// links lists the IDs of col in table linked to the resource, as text
	// separated by commas (NULL for none): a page's resources mostly
	// share a few tags, groups and notes, which are then read once each
	// by ID, where a join read them again for every resource.
	links := func(table, col string) string {
		list := "group_concat(x." + col + ")"
		if pg {
			list = "string_agg(CAST(x." + col + " AS text), ',')"
		}
		sub := "(SELECT " + list + " FROM " + table + " AS x WHERE x.resource_id = r.id)"
		if pg {
			return sub
		}
		// SQLite runs the subquery for each resource, at ~1 µs each
		// even when the table is empty, as groups and notes are in many
		// libraries; the test of the table runs once per statement.
		return "CASE WHEN EXISTS (SELECT 1 FROM " + table + ") THEN " + sub + " END"
	}
	own := "r.id, " + ts("r") + `, r.name, r.description, r.original_name, r.original_location,
		r.hash, r.hash_type, r.location, r.storage_location, r.meta, r.width, r.height, r.file_size,
		r.category, r.content_type, r.content_category, r.created_by, r.updated_by,
		r.owner_id, r.resource_category_id, r.series_id, r.current_version_id`
	values := own + ", " + links("resource_tags", "tag_id") + ", " + links("groups_related_resources", "group_id") + ", " +
		links("resource_notes", "note_id")
	// The values of each kind of entity, in the order of its scan
	// function.
	tagCols := "t.id, " + ts("t") + ", t.name, t.description, t.meta"
	groupCols := "g.id, " + ts("g") + ", g.name, g.description, g.url, g.meta, g.owner_id, g.category_id"
	noteCols := "n.id, " + ts("n") + ", n.name, n.description, n.meta, n.owner_id, " +
		timeText(pg, "n.start_date") + ", " + timeText(pg, "n.end_date") + ", n.note_type_id"
	categoryCols := "rc.id, " + ts("rc") + ", rc.name, rc.description, rc.meta_schema"
	seriesCols := "s.id, " + ts("s") + ", s.name, s.slug, s.meta"
	res := "SELECT " + values + " FROM resources AS r WHERE "
	l := &loadSQL{
		one:        res + "r.id = ?",
		many:       res + in("r.id"),
		tags:       "SELECT " + tagCols + " FROM tags AS t WHERE " + in("t.id"),
		groups:     "SELECT " + groupCols + ` FROM "groups" AS g WHERE ` + in("g.id"),
		notes:      "SELECT " + noteCols + " FROM notes AS n WHERE " + in("n.id"),
		categories: "SELECT " + categoryCols + " FROM resource_categories AS rc WHERE " + in("rc.id"),
		series:     "SELECT " + seriesCols + " FROM series AS s WHERE " + in("s.id"),
		pg:         pg,
	}
	if !pg {
		// A page comes as one text, the array of its resources' arrays:
		// a row each cost the driver more than SQLite's work for it.
		l.packedMany = "SELECT '[' || coalesce(group_concat(json_array(" + values + "), ','), '') || ']' FROM resources AS r WHERE " +
			in("r.id")
		// linked is the array of the entities of a link table, in no
		// order (readFull sorts them: an ORDER BY in the aggregate cost
		// a tenth of the statement).
		linked := func(table, col, entities, alias, cols string) string {
			return "(SELECT json_group_array(json_array(" + cols + ")) FROM " + table + " AS x JOIN " +
				entities + " AS " + alias + " ON " + alias + ".id = x." + col + " WHERE x.resource_id = r.id)"
		}
		// entity is the entity that col of the resource names, or NULL.
		entity := func(col, entities, alias, cols string) string {
			return "(SELECT json_array(" + cols + ") FROM " + entities + " AS " + alias + " WHERE " + alias + ".id = r." + col + ")"
		}
		l.packedFull = "SELECT json_array(" + own + ", " +
			linked("resource_tags", "tag_id", "tags", "t", tagCols) + ", " +
			linked("groups_related_resources", "group_id", `"groups"`, "g", groupCols) + ", " +
			linked("resource_notes", "note_id", "notes", "n", noteCols) + ", " +
			entity("owner_id", `"groups"`, "g", groupCols) + ", " +
			entity("resource_category_id", "resource_categories", "rc", categoryCols) + ", " +
			entity("series_id", "series", "s", seriesCols) +
			") FROM resources AS r WHERE r.id = ?"
	}
	if pg {
		for _, p := range []*string{&l.one, &l.many, &l.tags, &l.groups, &l.notes, &l.categories, &l.series} {
			*p = placeholders.Numbered(*p)
		}
		for mask := range l.related {
			l.related[mask] = relatedText(mask)
		}
	}
	l.idList = func(ids []int64) any { return idList(pg, ids) }
	return l
}

// idsIn is the condition that col is one of the IDs of an idList, the
// statement's one argument: one text whatever the number of IDs.
func idsIn(pg bool, col string) string {
	if pg {
		return col + " = ANY(CAST(? AS bigint[]))"
	}
	return col + " IN (SELECT value FROM json_each(?))"
}

// idList is ids as the argument of idsIn: a PostgreSQL array literal, or
// a JSON array for SQLite.
func idList(pg bool, ids []int64) string {
	open, closing := "[", "]"
	if pg {
		open, closing = "{", "}"
	}
	b := make([]byte, 0, 2+8*len(ids))
	b = append(b, open...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, closing...))
}

// Querier runs statements on a database, connection or transaction
// (*sql.DB, *sql.Conn, *sql.Tx), with bound arguments: SQLite's
// connections keep the statements of texts that recur
// (internal/sqlitedb), and pgx those of PostgreSQL.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// loader reads resources with their relations for a Store.
type loader struct {
	sql *loadSQL
	// writeSQL serves the writes of create.go.
	writeSQL *writeSQL
}

func newLoader(db *bun.DB) *loader {
	pg := isPostgres(db)
	return &loader{sql: newLoadSQL(pg), writeSQL: newWriteSQL(pg)}
}

// sqlRunner is a database, connection or transaction of database/sql
// (*sql.DB, *sql.Conn, *sql.Tx).
type sqlRunner interface {
	Querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// querierFor runs on db through database/sql, without bun's formatting.
func querierFor(db bun.IDB) (sqlRunner, error) {
	switch db := db.(type) {
	case *bun.DB:
		return db.DB, nil
	case bun.Tx:
		return db.Tx, nil
	case dbtx.Tx:
		return db.SQL(), nil
	case bun.Conn:
		return db.Conn, nil
	}
	return nil, fmt.Errorf("resources: cannot read through %T", db)
}

// ReadMany returns the resources ids with their owner, tags, groups,
// notes, resource category and series, as Get does, in the order of ids;
// IDs that do not exist are left out. in, when not nil, is a read
// transaction, or a connection in one, to read in; else ReadDB serves.
func (s *Store) ReadMany(ctx context.Context, in Querier, ids []int64) ([]*Resource, error) {
	if in == nil {
		in = s.rdb.DB
	}
	out, err := s.load.read(ctx, in, ids)
	if err != nil {
		return nil, fmt.Errorf("resources.ReadMany: %w", err)
	}
	return out, nil
}

// The number of values of a resource: its own (the first values of
// every statement of resources), those of loadSQL.one (its own and the
// IDs of its tags, groups and notes) and those of loadSQL.packedFull (its
// own and its six relations).
const (
	ownValues      = 24
	resourceValues = ownValues + 3
	fullValues     = ownValues + 6
)

// read loads the resources ids through q, in the order of ids.
func (l *loader) read(ctx context.Context, q Querier, ids []int64) ([]*Resource, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if l.sql.packedFull != "" && len(ids) == 1 {
		out, err := l.readFull(ctx, q, ids[0])
		if err == nil || ctx.Err() != nil {
			return out, err
		}
		// A value that JSON cannot hold (see below).
		return l.readWith(ctx, q, ids, false)
	}
	if l.sql.packedMany != "" {
		out, err := l.readWith(ctx, q, ids, true)
		if err == nil || ctx.Err() != nil {
			return out, err
		}
		// A value that JSON cannot hold (a BLOB, which raw SQL may have
		// written): the plain statement reads it as before.
	}
	return l.readWith(ctx, q, ids, false)
}

// readWith loads the resources ids through q, in the order of ids, with
// the packed statements or the plain ones.
func (l *loader) readWith(ctx context.Context, q Querier, ids []int64, packed bool) ([]*Resource, error) {
	var rows *sql.Rows
	var err error
	switch {
	case packed:
		rows, err = q.QueryContext(ctx, l.sql.packedMany, l.sql.idList(ids))
	case len(ids) == 1:
		rows, err = q.QueryContext(ctx, l.sql.one, ids[0])
	default:
		rows, err = q.QueryContext(ctx, l.sql.many, l.sql.idList(ids))
	}
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Resource, len(ids))
	// The resources as read, the IDs each links to, and every ID once
	// per kind.
	read := make([]*Resource, 0, len(ids))
	var links []linkedIDs
	var tags, groups, notes, categories, series idSet
	add := func(r *Resource, lists [3]string) error {
		var rl linkedIDs
		var err error
		if rl.tags, err = tags.addList(lists[0]); err != nil {
			return err
		}
		if rl.groups, err = groups.addList(lists[1]); err != nil {
			return err
		}
		if rl.notes, err = notes.addList(lists[2]); err != nil {
			return err
		}
		if rl.tags != nil || rl.groups != nil || rl.notes != nil {
			rl.r = r
			links = append(links, rl)
		}
		if r.OwnerID != nil {
			groups.add(*r.OwnerID)
		}
		if r.ResourceCategoryID != nil {
			categories.add(*r.ResourceCategoryID)
		}
		if r.SeriesID != nil {
			series.add(*r.SeriesID)
		}
		byID[r.ID] = r
		read = append(read, r)
		return nil
	}
	if packed {
		err = scanPackedResources(rows, add)
	} else {
		err = scanAll(rows, resourceValues, func(v []any) error {
			r, err := scanResource(v)
			if err != nil {
				return err
			}
			return add(r, [3]string{asString(v[24]), asString(v[25]), asString(v[26])})
		})
	}
	if err != nil {
		return nil, err
	}
	if len(byID) == 0 {
		return nil, nil
	}
	if err := l.relations(ctx, q, read, links, tags, groups, notes, categories, series); err != nil {
		return nil, err
	}
	out := make([]*Resource, 0, len(byID))
	for _, id := range ids {
		if r := byID[id]; r != nil {
			out = append(out, r)
			delete(byID, id) // an ID given twice is read once
		}
	}
	return out, nil
}

// scanResource reads the first ownValues values of a row of the
// statements of resources.
func scanResource(v []any) (*Resource, error) {
	r := &Resource{
		ID:                 asInt64(v[0]),
		Name:               asString(v[3]),
		Description:        asString(v[4]),
		OriginalName:       asString(v[5]),
		OriginalLocation:   asString(v[6]),
		HashType:           asString(v[8]),
		Location:           asString(v[9]),
		StorageLocation:    asOptString(v[10]),
		Width:              int(asInt64(v[12])),
		Height:             int(asInt64(v[13])),
		FileSize:           asInt64(v[14]),
		Category:           asString(v[15]),
		ContentType:        asString(v[16]),
		ContentCategory:    asString(v[17]),
		CreatedBy:          asString(v[18]),
		UpdatedBy:          asString(v[19]),
		OwnerID:            asOptInt64(v[20]),
		ResourceCategoryID: asOptInt64(v[21]),
		SeriesID:           asOptInt64(v[22]),
		CurrentVersionID:   asOptInt64(v[23]),
	}
	if err := scanTimes(v[1:3], &r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, err
	}
	if err := r.Hash.Scan(v[7]); err != nil {
		return nil, err
	}
	if err := r.Meta.Scan(v[11]); err != nil {
		return nil, err
	}
	return r, nil
}

// readFull loads the resource id through q with packedFull: one
// statement, its relations nested in its row.
func (l *loader) readFull(ctx context.Context, q Querier, id int64) ([]*Resource, error) {
	rows, err := q.QueryContext(ctx, l.sql.packedFull, id)
	if err != nil {
		return nil, err
	}
	var out []*Resource
	// The values of one entity at a time, the most a kind has (a note's).
	vals := make([]any, 10)
	err = scanPacked(rows, fullValues, func(v []any) error {
		r, err := scanResource(v)
		if err != nil {
			return err
		}
		rel := v[ownValues:]
		if r.Tags, err = nestedList(rel[0], vals[:6], scanTag, func(t *Tag) int64 { return t.ID }); err != nil {
			return err
		}
		if r.Groups, err = nestedList(rel[1], vals[:9], scanGroup, func(g *Group) int64 { return g.ID }); err != nil {
			return err
		}
		if r.Notes, err = nestedList(rel[2], vals[:10], scanNote, func(n *Note) int64 { return n.ID }); err != nil {
			return err
		}
		if r.Owner, err = nestedOne(rel[3], vals[:9], scanGroup); err != nil {
			return err
		}
		if r.ResourceCategory, err = nestedOne(rel[4], vals[:6], scanCategory); err != nil {
			return err
		}
		if r.Series, err = nestedOne(rel[5], vals[:6], scanSeries); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// nestedList reads v, an array of entities of len(vals) values each
// (see unpackRow; NULL reads as none), with scan, and sorts them by id.
// vals holds the values of each in turn.
func nestedList[T any](v any, vals []any, scan func(v []any) (*T, error), id func(*T) int64) ([]*T, error) {
	if v == nil || v == packedArray("[]") {
		return nil, nil
	}
	text, ok := v.(packedArray)
	if !ok {
		return nil, errPacked
	}
	var out []*T
	err := unpackEach(string(text), vals, func() error {
		e, err := scan(vals)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *T) int { return cmp.Compare(id(a), id(b)) })
	return out, nil
}

// nestedOne reads v, an entity of len(vals) values (see unpackRow) or
// NULL for none, into vals and then with scan.
func nestedOne[T any](v any, vals []any, scan func(v []any) (*T, error)) (*T, error) {
	if v == nil {
		return nil, nil
	}
	text, ok := v.(packedArray)
	if !ok {
		return nil, errPacked
	}
	if err := unpackRow(string(text), vals); err != nil {
		return nil, err
	}
	return scan(vals)
}

// linkedIDs are the IDs of the tags, groups and notes of a resource r,
// sorted.
type linkedIDs struct {
	r                   *Resource
	tags, groups, notes []int64
}

// idSet collects IDs, each once, in the order first added.
type idSet struct {
	ids  []int64
	seen map[int64]bool
}

func (s *idSet) add(id int64) {
	if s.seen == nil {
		s.seen = map[int64]bool{}
	}
	if !s.seen[id] {
		s.seen[id] = true
		s.ids = append(s.ids, id)
	}
}

// addList adds the IDs of text, a list of IDs separated by commas (or
// "" for none), and returns them sorted.
func (s *idSet) addList(text string) ([]int64, error) {
	if text == "" {
		return nil, nil
	}
	out := make([]int64, 0, strings.Count(text, ",")+1)
	for part := range strings.SplitSeq(text, ",") {
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("resources: reading linked IDs %q: %w", text, err)
		}
		out = append(out, id)
		s.add(id)
	}
	slices.Sort(out)
	return out, nil
}

// relations reads the tags, groups (related or owners), notes, resource
// categories and series that the resources read refer to, each once,
// and sets them on the resources: each resource gets its own copy of a
// tag, group or note, in the order of their IDs.
func (l *loader) relations(ctx context.Context, q Querier, read []*Resource, links []linkedIDs,
	tags, groups, notes, categories, series idSet) error {
	readKinds := l.readRelated
	if l.sql.pg {
		readKinds = l.readRelatedAtOnce
	}
	found, err := readKinds(ctx, q, tags, groups, notes, categories, series)
	if err != nil {
		return err
	}
	// The copies of each kind, counted first, are allocated together.
	var nTags, nGroups, nNotes, nCategories, nSeries int
	for _, rl := range links {
		nTags, nGroups, nNotes = nTags+len(rl.tags), nGroups+len(rl.groups), nNotes+len(rl.notes)
	}
	for _, r := range read {
		nGroups += countSet(r.OwnerID)
		nCategories += countSet(r.ResourceCategoryID)
		nSeries += countSet(r.SeriesID)
	}
	tagCopies, groupCopies, noteCopies := newSlab[Tag](nTags), newSlab[Group](nGroups), newSlab[Note](nNotes)
	categoryCopies, seriesCopies := newSlab[ResourceCategory](nCategories), newSlab[Series](nSeries)
	for _, rl := range links {
		r := rl.r
		r.Tags = tagCopies.list(rl.tags, found.tags)
		r.Groups = groupCopies.list(rl.groups, found.groups)
		r.Notes = noteCopies.list(rl.notes, found.notes)
	}
	for _, r := range read {
		if r.OwnerID != nil {
			r.Owner = groupCopies.one(found.groups[*r.OwnerID])
		}
		if r.ResourceCategoryID != nil {
			r.ResourceCategory = categoryCopies.one(found.categories[*r.ResourceCategoryID])
		}
		if r.SeriesID != nil {
			r.Series = seriesCopies.one(found.series[*r.SeriesID])
		}
	}
	return nil
}

func countSet(id *int64) int {
	if id == nil {
		return 0
	}
	return 1
}

// related holds the entities that a page's resources refer to, by ID.
type related struct {
	tags       map[int64]*Tag
	groups     map[int64]*Group
	notes      map[int64]*Note
	categories map[int64]*ResourceCategory
	series     map[int64]*Series
}

func newRelated(tags, groups, notes, categories, series idSet) related {
	return related{
		tags:       make(map[int64]*Tag, len(tags.ids)),
		groups:     make(map[int64]*Group, len(groups.ids)),
		notes:      make(map[int64]*Note, len(notes.ids)),
		categories: make(map[int64]*ResourceCategory, len(categories.ids)),
		series:     make(map[int64]*Series, len(series.ids)),
	}
}

// readRelated reads the entities of each kind with a statement of its
// own, for the kinds with IDs.
func (l *loader) readRelated(ctx context.Context, q Querier, tags, groups, notes, categories, series idSet) (related, error) {
	found := newRelated(tags, groups, notes, categories, series)
	kinds := []struct {
		text string
		ids  []int64
		n    int
		add  func(v []any) error
	}{
		{l.sql.tags, tags.ids, 6, found.addTag},
		{l.sql.groups, groups.ids, 9, found.addGroup},
		{l.sql.notes, notes.ids, 10, found.addNote},
		{l.sql.categories, categories.ids, 6, found.addCategory},
		{l.sql.series, series.ids, 6, found.addSeries},
	}
	for _, k := range kinds {
		if len(k.ids) == 0 {
			continue
		}
		if err := l.each(ctx, q, k.text, k.ids, k.n, k.add); err != nil {
			return found, err
		}
	}
	return found, nil
}

// The add methods read a row of the loader's statement of their kind,
// with the scan function of the kind.

func (f related) addTag(v []any) error      { return add(f.tags, v, scanTag) }
func (f related) addGroup(v []any) error    { return add(f.groups, v, scanGroup) }
func (f related) addNote(v []any) error     { return add(f.notes, v, scanNote) }
func (f related) addCategory(v []any) error { return add(f.categories, v, scanCategory) }
func (f related) addSeries(v []any) error   { return add(f.series, v, scanSeries) }

// add reads an entity of v with scan into found, by its ID (the first
// value).
func add[T any](found map[int64]*T, v []any, scan func(v []any) (*T, error)) error {
	e, err := scan(v)
	if err != nil {
		return err
	}
	found[asInt64(v[0])] = e
	return nil
}

// The scan functions read the values of an entity, in the order of the
// loader's statement of its kind.

func scanTag(v []any) (*Tag, error) {
	t := &Tag{ID: asInt64(v[0]), Name: asString(v[3]), Description: asString(v[4])}
	if err := t.Meta.Scan(v[5]); err != nil {
		return nil, err
	}
	if err := scanTimes(v[1:3], &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	return t, nil
}

func scanGroup(v []any) (*Group, error) {
	g := &Group{ID: asInt64(v[0]), Name: asString(v[3]), Description: asString(v[4]), URL: asString(v[5]),
		OwnerID: asOptInt64(v[7]), CategoryID: asOptInt64(v[8])}
	if err := scanTimes(v[1:3], &g.CreatedAt, &g.UpdatedAt); err != nil {
		return nil, err
	}
	if err := g.Meta.Scan(v[6]); err != nil {
		return nil, err
	}
	return g, nil
}

func scanNote(v []any) (*Note, error) {
	n := &Note{ID: asInt64(v[0]), Name: asString(v[3]), Description: asString(v[4]),
		OwnerID: asOptInt64(v[6]), NoteTypeID: asOptInt64(v[9])}
	if err := scanTimes(v[1:3], &n.CreatedAt, &n.UpdatedAt); err != nil {
		return nil, err
	}
	if err := n.Meta.Scan(v[5]); err != nil {
		return nil, err
	}
	var err error
	if n.StartDate, err = asOptTime(v[7]); err != nil {
		return nil, err
	}
	if n.EndDate, err = asOptTime(v[8]); err != nil {
		return nil, err
	}
	return n, nil
}

func scanCategory(v []any) (*ResourceCategory, error) {
	c := &ResourceCategory{ID: asInt64(v[0]), Name: asString(v[3]), Description: asString(v[4]), MetaSchema: asString(v[5])}
	if err := scanTimes(v[1:3], &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	return c, nil
}

func scanSeries(v []any) (*Series, error) {
	s := &Series{ID: asInt64(v[0]), Name: asString(v[3]), Slug: asString(v[4])}
	if err := s.Meta.Scan(v[5]); err != nil {
		return nil, err
	}
	if err := scanTimes(v[1:3], &s.CreatedAt, &s.UpdatedAt); err != nil {
		return nil, err
	}
	return s, nil
}

// slab hands out copies of entities: the resources of a page share few
// entities, but each gets its own copy, so that a caller may change one
// without changing another resource's. A page's copies of a kind, and
// the lists of them, are allocated together.
type slab[T any] struct {
	vals  []T
	lists []*T
}

// newSlab returns a slab for n copies.
func newSlab[T any](n int) slab[T] {
	return slab[T]{vals: make([]T, 0, n), lists: make([]*T, 0, n)}
}

// one returns a new copy of *e, or nil for nil.
func (s *slab[T]) one(e *T) *T {
	if e == nil {
		return nil
	}
	// Past the capacity counted, append moves on to another array: the
	// copies handed out stay where they are.
	s.vals = append(s.vals, *e)
	return &s.vals[len(s.vals)-1]
}

// list returns a list of a copy of found[id] for each of ids that was
// found, or nil for none.
func (s *slab[T]) list(ids []int64, found map[int64]*T) []*T {
	start := len(s.lists)
	for _, id := range ids {
		if e := found[id]; e != nil {
			s.lists = append(s.lists, s.one(e))
		}
	}
	if len(s.lists) == start {
		return nil
	}
	// The capacity ends with the list, so that an append to it cannot
	// write over the next resource's.
	return s.lists[start:len(s.lists):len(s.lists)]
}

// each runs text on ids (a list of IDs as its one argument) through q
// and calls fn with the n values of each row.
func (l *loader) each(ctx context.Context, q Querier, text string, ids []int64, n int, fn func(v []any) error) error {
	rows, err := q.QueryContext(ctx, text, l.sql.idList(ids))
	if err != nil {
		return err
	}
	return scanAll(rows, n, fn)
}

// scanAll calls fn with the n values of each row, then closes rows.
// Values are scanned into any, which database/sql fills without
// conversion, and converted by the as* functions below.
func scanAll(rows *sql.Rows, n int, fn func(v []any) error) error {
	defer rows.Close()
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanPacked is scanAll for rows of one column, a JSON array of n values
// (json_array of SQL values: texts, numbers and NULLs), which it unpacks.
func scanPacked(rows *sql.Rows, n int, fn func(v []any) error) error {
	vals := make([]any, n)
	return eachText(rows, func(packed string) error {
		if err := unpackRow(packed, vals); err != nil {
			return err
		}
		return fn(vals)
	})
}

// eachText calls fn with the value of each row of rows, which have one
// column, as text, and closes rows.
func eachText(rows *sql.Rows, fn func(string) error) error {
	defer rows.Close()
	var packed any
	for rows.Next() {
		if err := rows.Scan(&packed); err != nil {
			return err
		}
		if err := fn(asString(packed)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Reading a row's values one by one through database/sql and the SQLite
// driver costs some 150 ns each (three calls into SQLite per value, each
// taking the connection's mutex, and a new string): more than SQLite's
// own work for a resource's 27 values. One JSON array per row, which
// SQLite writes in one buffer, costs a third of that, and its texts are
// mostly taken from it without copying.

// errPacked reports a packed row that unpackRow cannot read.
var errPacked = errors.New("resources: malformed packed row")

// jsonNumber reports whether s is a number as JSON writes it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// packedArray is an array nested in a packed row: the text of its JSON,
// which unpackRow has checked, to be read with unpackRow or unpackEach.
type packedArray string

// maxPackedDepth bounds the nesting of arrays in a packed row:
// packedFull's rows hold lists (depth 1) of entities (depth 2).
const maxPackedDepth = 2

// unpackRow reads text, the JSON array that json_array writes of SQL
// values, into dst, which must have one element per value: a text as a
// string, an integer as an int64, NULL as nil, another number (a REAL)
// as the text of its JSON, which the as* functions read as they would a
// string, and a nested array (json_array's of a JSON value) as a
// packedArray. Anything else is an error.
func unpackRow(text string, dst []any) error {
	_, err := unpackAt(text, 0, dst, 0)
	return err
}

// unpackEach reads text, a JSON array of arrays of len(dst) values each,
// as unpackRow would, into dst one after the other, and calls fn after
// each.
func unpackEach(text string, dst []any, fn func() error) error {
	return eachPacked(text, func(i int) (int, error) {
		next, err := unpackAt(text, i, dst, 1)
		if err != nil {
			return 0, err
		}
		return next, fn()
	})
}

// eachPacked calls read with the index of each element of text, a JSON
// array; read returns the index past the element.
func eachPacked(text string, read func(i int) (int, error)) error {
	i := skipSpace(text, 0)
	if i == len(text) || text[i] != '[' {
		return errPacked
	}
	i = skipSpace(text, i+1)
	if i < len(text) && text[i] == ']' {
		return nil
	}
	for {
		var err error
		if i, err = read(i); err != nil {
			return err
		}
		i = skipSpace(text, i)
		switch {
		case i == len(text):
			return errPacked
		case text[i] == ']':
			return nil
		case text[i] != ',':
			return errPacked
		}
		i++
	}
}

func skipSpace(text string, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++
	}
	return i
}

// unpackAt reads the array of len(dst) values at text[i:] (after spaces)
// into dst, as unpackRow does, and returns the index past it. depth is
// the number of arrays around it.
func unpackAt(text string, i int, dst []any, depth int) (int, error) {
	var p packedReader
	p.begin(text, i, depth)
	for k := range dst {
		dst[k] = boxed(p.next())
	}
	return p.end()
}

// The kinds of value of a packed row.
const (
	packedNull   = iota
	packedText   // read as the string's value
	packedNumber // read as the number's JSON text
	packedNested // read as the array's JSON text
)

// boxed returns the value of kind and text as unpackRow gives it.
func boxed(kind int, text string) any {
	switch kind {
	case packedText:
		return text
	case packedNumber:
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n
		}
		return text
	case packedNested:
		return packedArray(text)
	}
	return nil
}

// readValue reads the value at text[i] (no space before it), as
// unpackRow does, and returns its kind, its text (see the kinds) and the
// index past it.
func readValue(text string, i int, depth int) (kind int, value string, next int, err error) {
	if i == len(text) {
		return 0, "", 0, errPacked
	}
	switch c := text[i]; {
	case c == '"':
		s, j, err := jsonString(text, i)
		return packedText, s, j, err
	case c == '-' || c >= '0' && c <= '9':
		j, err := numberEnd(text, i)
		if err != nil {
			return 0, "", 0, err
		}
		return packedNumber, text[i:j], j, nil
	case c == '[':
		j, err := skipArray(text, i, depth+1)
		if err != nil {
			return 0, "", 0, err
		}
		return packedNested, text[i:j], j, nil
	}
	j, err := skipValue(text, i, depth) // null, or an error
	return packedNull, "", j, err
}

// skipValue checks the value at text[i] (no space before it), as
// readValue would read it, and returns the index past it.
func skipValue(text string, i int, depth int) (int, error) {
	if i == len(text) {
		return 0, errPacked
	}
	switch c := text[i]; {
	case c == '"':
		_, j, err := jsonString(text, i)
		return j, err
	case c == 'n':
		if !strings.HasPrefix(text[i:], "null") {
			return 0, errPacked
		}
		return i + 4, nil
	case c == '-' || c >= '0' && c <= '9':
		return numberEnd(text, i)
	case c == '[':
		return skipArray(text, i, depth+1)
	}
	return 0, errPacked
}

// numberEnd returns the index past the JSON number at text[i].
func numberEnd(text string, i int) (int, error) {
	j := i + 1
	for j < len(text) && strings.IndexByte("0123456789.eE+-", text[j]) >= 0 {
		j++
	}
	if !jsonNumber(text[i:j]) {
		return 0, errPacked
	}
	return j, nil
}

// skipArray checks the array at text[i] (a '['), of values that
// readValue reads, and returns the index past it. depth counts it
// with the arrays around it.
func skipArray(text string, i int, depth int) (int, error) {
	if depth > maxPackedDepth {
		return 0, errPacked
	}
	i = skipSpace(text, i+1)
	if i < len(text) && text[i] == ']' {
		return i + 1, nil
	}
	for {
		next, err := skipValue(text, i, depth)
		if err != nil {
			return 0, err
		}
		i = skipSpace(text, next)
		switch {
		case i == len(text):
			return 0, errPacked
		case text[i] == ']':
			return i + 1, nil
		case text[i] != ',':
			return 0, errPacked
		}
		i = skipSpace(text, i+1)
	}
}

// jsonString reads the JSON string that starts at text[i] (a quote) and
// returns its value and the index past it. Without escapes the value is
// a part of text.
func jsonString(text string, i int) (string, int, error) {
	start := i + 1
	j := start
	for j < len(text) && text[j] != '"' && text[j] != '\\' && text[j] >= 0x20 {
		j++
	}
	if j == len(text) || text[j] < 0x20 { // JSON escapes control characters
		return "", 0, errPacked
	}
	if text[j] == '"' {
		return text[start:j], j + 1, nil
	}
	// The value is no longer than its escaped text: one allocation.
	end := j
	for end < len(text) && text[end] != '"' {
		if text[end] == '\\' {
			end++
		}
		end++
	}
	var b strings.Builder
	b.Grow(min(end, len(text)) - start)
	b.WriteString(text[start:j])
	for j < len(text) {
		c := text[j]
		switch {
		case c == '"':
			return b.String(), j + 1, nil
		case c < 0x20:
			return "", 0, errPacked
		case c != '\\':
			b.WriteByte(c)
			j++
			continue
		}
		if j+1 == len(text) {
			return "", 0, errPacked
		}
		e := text[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(text, j)
			if !ok {
				return "", 0, errPacked
			}
			j += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if j+6 <= len(text) && text[j] == '\\' && text[j+1] == 'u' {
					r2, ok = hex4(text, j+2)
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					r, j = d, j+6
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
		default:
			return "", 0, errPacked
		}
	}
	return "", 0, errPacked
}

// hex4 reads the four hexadecimal digits at text[i:].
func hex4(text string, i int) (rune, bool) {
	if i+4 > len(text) {
		return 0, false
	}
	n, err := strconv.ParseUint(text[i:i+4], 16, 16)
	return rune(n), err == nil
}

func asInt64(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case bool:
		if v {
			return 1
		}
	case []byte:
		n, _ := strconv.ParseInt(string(v), 10, 64)
		return n
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

func asOptInt64(v any) *int64 {
	if v == nil {
		return nil
	}
	n := asInt64(v)
	return &n
}

func asBool(v any) bool {
	if b, ok := v.(bool); ok {
		return b
	}
	return asInt64(v) != 0
}

func asString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func asOptString(v any) *string {
	if v == nil {
		return nil
	}
	s := asString(v)
	return &s
}

var errNullTime = errors.New("resources: NULL timestamp")

func asTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v, nil
	case string:
		return sqltime.Parse(v)
	case []byte:
		return sqltime.Parse(string(v))
	case nil:
		return time.Time{}, errNullTime
	}
	return time.Time{}, fmt.Errorf("resources: cannot read %T as a time", v)
}

func asOptTime(v any) (*time.Time, error) {
	if v == nil {
		return nil, nil
	}
	t, err := asTime(v)
	return &t, err
}

// scanTimes reads the created_at and updated_at values v into the two
// destinations.
func scanTimes(v []any, created, updated *time.Time) error {
	var err error
	if *created, err = asTime(v[0]); err != nil {
		return err
	}
	*updated, err = asTime(v[1])
	return err
}
