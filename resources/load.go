package resources

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/stockroomhq/stockroom/internal/sqltime"
)

// Reading a resource with its relations is the request made most often
// (GET /v1/resource, every upload's answer, every list page). Through
// bun's relations it cost seven statements, each formatted with its
// arguments into new text that the database prepared again, and SQLite's
// text timestamps were parsed by trying layout after layout. The loader
// below reads the same rows with fixed statement texts, prepared once per
// connection, with ? arguments; the resource's own row says which of its
// many-to-many relations are not empty, so that empty ones cost nothing;
// and timestamps are read by sqltime. On PostgreSQL, where each statement
// is a round trip to the server (a tenth of a millisecond, several on a
// busy machine), the resources' rows carry their relations as JSON
// instead, so that a page is read in one statement.

// The relations of a resource, in the order of loadSQL.relations.
const (
	partTags = iota
	partGroups
	partNotes
	partOwner
	partCategory
	partSeries
	partCount
)

// loadSQL holds the loader's statements in one dialect.
type loadSQL struct {
	// one and many read resources by one ID and by a list of IDs (the
	// argument of idList); relations read the relations of a list, by
	// part (on SQLite; PostgreSQL's one and many read them too, see
	// pgRelations).
	one, many string
	relations [partCount]string
	idList    func(ids []int64) any
	pg        bool
}

// resourceColumns is the number of columns of loadSQL.one and many before
// the relations: the resource's own, then (SQLite) whether it has tags,
// groups and notes, or (PostgreSQL) its relations as JSON.
const resourceColumns = 24

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
	in := func(col string) string {
		if pg {
			return col + " = ANY(CAST(? AS bigint[]))"
		}
		return col + " IN (SELECT value FROM json_each(?))"
	}
	res := "SELECT r.id, " + ts("r") + `, r.name, r.description, r.original_name, r.original_location,
		r.hash, r.hash_type, r.location, r.storage_location, r.meta, r.width, r.height, r.file_size,
		r.category, r.content_type, r.content_category, r.created_by, r.updated_by,
		r.owner_id, r.resource_category_id, r.series_id, r.current_version_id, `
	if pg {
		res += strings.Join(pgRelations[:], ", ")
	} else {
		res += `EXISTS (SELECT 1 FROM resource_tags AS x WHERE x.resource_id = r.id),
		EXISTS (SELECT 1 FROM groups_related_resources AS x WHERE x.resource_id = r.id),
		EXISTS (SELECT 1 FROM resource_notes AS x WHERE x.resource_id = r.id)`
	}
	res += " FROM resources AS r WHERE "
	group := "g.id, " + ts("g") + ", g.name, g.description, g.url, g.meta, g.owner_id, g.category_id"
	l := &loadSQL{
		one:  res + "r.id = ?",
		many: res + in("r.id"),
		relations: [partCount]string{
			partTags: "SELECT j.resource_id, t.id, " + ts("t") + ", t.name, t.description, t.meta" +
				" FROM resource_tags AS j JOIN tags AS t ON t.id = j.tag_id WHERE " + in("j.resource_id") + " ORDER BY t.id",
			partGroups: "SELECT j.resource_id, " + group +
				` FROM groups_related_resources AS j JOIN "groups" AS g ON g.id = j.group_id WHERE ` + in("j.resource_id") + " ORDER BY g.id",
			partNotes: "SELECT j.resource_id, n.id, " + ts("n") + ", n.name, n.description, n.meta, n.owner_id, " +
				timeText(pg, "n.start_date") + ", " + timeText(pg, "n.end_date") + ", n.note_type_id" +
				" FROM resource_notes AS j JOIN notes AS n ON n.id = j.note_id WHERE " + in("j.resource_id") + " ORDER BY n.id",
			partOwner:    "SELECT " + group + ` FROM "groups" AS g WHERE ` + in("g.id"),
			partCategory: "SELECT rc.id, " + ts("rc") + ", rc.name, rc.description, rc.meta_schema FROM resource_categories AS rc WHERE " + in("rc.id"),
			partSeries:   "SELECT s.id, " + ts("s") + ", s.name, s.slug, s.meta FROM series AS s WHERE " + in("s.id"),
		},
		pg: pg,
	}
	open, closing := "[", "]"
	if pg {
		open, closing = "{", "}"
		for _, p := range []*string{&l.one, &l.many} {
			*p = numberPlaceholders(*p)
		}
	}
	l.idList = func(ids []int64) any {
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
	return l
}

// pgRelations are the relations of resources AS r on PostgreSQL, by part,
// each as one JSON value: an array of the rows of a relation (NULL when
// empty), or the row of a reference (NULL when none), each row an array of
// the columns that the part's statement on SQLite returns after the
// resource's ID, in that order. Times are JSON text, which sqltime reads.
var pgRelations = [partCount]string{
	partTags: `(SELECT json_agg(json_build_array(t.id, t.created_at, t.updated_at, t.name, t.description, t.meta) ORDER BY t.id)
		FROM resource_tags AS j JOIN tags AS t ON t.id = j.tag_id WHERE j.resource_id = r.id)`,
	partGroups: `(SELECT json_agg(json_build_array(` + pgGroup + `) ORDER BY g.id)
		FROM groups_related_resources AS j JOIN "groups" AS g ON g.id = j.group_id WHERE j.resource_id = r.id)`,
	partNotes: `(SELECT json_agg(json_build_array(n.id, n.created_at, n.updated_at, n.name, n.description, n.meta, n.owner_id,
		n.start_date, n.end_date, n.note_type_id) ORDER BY n.id)
		FROM resource_notes AS j JOIN notes AS n ON n.id = j.note_id WHERE j.resource_id = r.id)`,
	partOwner: `(SELECT json_build_array(` + pgGroup + `) FROM "groups" AS g WHERE g.id = r.owner_id)`,
	partCategory: `(SELECT json_build_array(rc.id, rc.created_at, rc.updated_at, rc.name, rc.description, rc.meta_schema)
		FROM resource_categories AS rc WHERE rc.id = r.resource_category_id)`,
	partSeries: `(SELECT json_build_array(s.id, s.created_at, s.updated_at, s.name, s.slug, s.meta)
		FROM series AS s WHERE s.id = r.series_id)`,
}

const pgGroup = "g.id, g.created_at, g.updated_at, g.name, g.description, g.url, g.meta, g.owner_id, g.category_id"

// numberPlaceholders turns the ? of text (which has no ? in literals) into
// PostgreSQL's $1, $2...
func numberPlaceholders(text string) string {
	var b strings.Builder
	n := 0
	for _, c := range text {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// querier runs the loader's statements on a database, connection or
// transaction, with bound arguments: SQLite's connections keep the
// statements of texts that recur (internal/sqlitedb), and pgx those of
// PostgreSQL.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// loader reads resources with their relations for a Store.
type loader struct {
	sql *loadSQL
	// writeSQL serves the writes of create.go.
	writeSQL *writeSQL
}

func newLoader(db *bun.DB) *loader {
	pg := db.Dialect().Name() == dialect.PG
	return &loader{sql: newLoadSQL(pg), writeSQL: newWriteSQL(pg)}
}

// querierFor runs on db through database/sql, without bun's formatting.
func querierFor(db bun.IDB) (querier, error) {
	switch db := db.(type) {
	case *bun.DB:
		return db.DB, nil
	case bun.Tx:
		return db.Tx, nil
	case bun.Conn:
		return db.Conn, nil
	}
	return nil, fmt.Errorf("resources: cannot read through %T", db)
}

// ReadMany returns the resources ids with their owner, tags, groups,
// notes, resource category and series, as Get does, in the order of ids;
// IDs that do not exist are left out. tx, when not nil, is a read
// transaction to read in; else ReadDB serves.
func (s *Store) ReadMany(ctx context.Context, tx *sql.Tx, ids []int64) ([]*Resource, error) {
	var q querier = s.rdb.DB
	if tx != nil {
		q = tx
	}
	out, err := s.load.read(ctx, q, ids)
	if err != nil {
		return nil, fmt.Errorf("resources.ReadMany: %w", err)
	}
	return out, nil
}

// read loads the resources ids through q, in the order of ids.
func (l *loader) read(ctx context.Context, q querier, ids []int64) ([]*Resource, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows *sql.Rows
	var err error
	if len(ids) == 1 {
		rows, err = q.QueryContext(ctx, l.sql.one, ids[0])
	} else {
		rows, err = q.QueryContext(ctx, l.sql.many, l.sql.idList(ids))
	}
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Resource, len(ids))
	var withTags, withGroups, withNotes, owners, categories, series []int64
	// On PostgreSQL, the rows of each relation part, as each's statement
	// on SQLite returns them.
	var parts [partCount][][]any
	columns := resourceColumns + 3
	if l.sql.pg {
		columns = resourceColumns + partCount
	}
	err = scanAll(rows, columns, func(v []any) error {
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
			return err
		}
		if err := r.Hash.Scan(v[7]); err != nil {
			return err
		}
		if err := r.Meta.Scan(v[11]); err != nil {
			return err
		}
		if r.OwnerID != nil {
			owners = append(owners, *r.OwnerID)
		}
		if r.ResourceCategoryID != nil {
			categories = append(categories, *r.ResourceCategoryID)
		}
		if r.SeriesID != nil {
			series = append(series, *r.SeriesID)
		}
		byID[r.ID] = r
		if !l.sql.pg {
			if asBool(v[24]) {
				withTags = append(withTags, r.ID)
			}
			if asBool(v[25]) {
				withGroups = append(withGroups, r.ID)
			}
			if asBool(v[26]) {
				withNotes = append(withNotes, r.ID)
			}
			return nil
		}
		// Tags, groups and notes are lists, their rows led by the
		// resource's ID; the others are one row.
		lists := [...]*[]int64{partTags: &withTags, partGroups: &withGroups, partNotes: &withNotes}
		for part := range partCount {
			src := v[resourceColumns+part]
			if src == nil {
				continue
			}
			var prefix []any
			if part < len(lists) {
				*lists[part] = append(*lists[part], r.ID)
				prefix = []any{r.ID}
			}
			found, err := jsonRows(src, part < len(lists), prefix...)
			if err != nil {
				return err
			}
			parts[part] = append(parts[part], found...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(byID) == 0 {
		return nil, nil
	}
	rowsOf := func(part int, ids []int64, n int, fn func(v []any) error) error {
		return l.each(ctx, q, l.sql.relations[part], ids, n, fn)
	}
	if l.sql.pg {
		rowsOf = func(part int, _ []int64, n int, fn func(v []any) error) error {
			for _, v := range parts[part] {
				if len(v) != n {
					return fmt.Errorf("resources: %d values in a row of relation %d, want %d", len(v), part, n)
				}
				if err := fn(v); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := relations(rowsOf, byID, withTags, withGroups, withNotes); err != nil {
		return nil, err
	}
	if err := references(rowsOf, byID, owners, categories, series); err != nil {
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

// rowSource calls fn with the n values of each row of relation part (one
// of the part constants) of the resources or references ids.
type rowSource func(part int, ids []int64, n int, fn func(v []any) error) error

// relations loads the tags, groups and notes of the resources that have
// any.
func relations(rowsOf rowSource, byID map[int64]*Resource, withTags, withGroups, withNotes []int64) error {
	if len(withTags) > 0 {
		err := rowsOf(partTags, withTags, 7, func(v []any) error {
			t := &Tag{ID: asInt64(v[1]), Name: asString(v[4]), Description: asString(v[5])}
			if err := scanTimes(v[2:4], &t.CreatedAt, &t.UpdatedAt); err != nil {
				return err
			}
			if err := t.Meta.Scan(v[6]); err != nil {
				return err
			}
			r := byID[asInt64(v[0])]
			r.Tags = append(r.Tags, t)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(withGroups) > 0 {
		err := rowsOf(partGroups, withGroups, 10, func(v []any) error {
			g, err := scanGroup(v[1:])
			if err != nil {
				return err
			}
			r := byID[asInt64(v[0])]
			r.Groups = append(r.Groups, g)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(withNotes) > 0 {
		err := rowsOf(partNotes, withNotes, 11, func(v []any) error {
			n := &Note{ID: asInt64(v[1]), Name: asString(v[4]), Description: asString(v[5]),
				OwnerID: asOptInt64(v[7]), NoteTypeID: asOptInt64(v[10])}
			if err := scanTimes(v[2:4], &n.CreatedAt, &n.UpdatedAt); err != nil {
				return err
			}
			if err := n.Meta.Scan(v[6]); err != nil {
				return err
			}
			var err error
			if n.StartDate, err = asOptTime(v[8]); err != nil {
				return err
			}
			if n.EndDate, err = asOptTime(v[9]); err != nil {
				return err
			}
			r := byID[asInt64(v[0])]
			r.Notes = append(r.Notes, n)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// references loads the owners, resource categories and series that the
// resources refer to.
func references(rowsOf rowSource, byID map[int64]*Resource, owners, categories, series []int64) error {
	if len(owners) > 0 {
		found := map[int64]*Group{}
		err := rowsOf(partOwner, owners, 9, func(v []any) error {
			g, err := scanGroup(v)
			found[g.ID] = g
			return err
		})
		if err != nil {
			return err
		}
		for _, r := range byID {
			if r.OwnerID != nil {
				r.Owner = found[*r.OwnerID]
			}
		}
	}
	if len(categories) > 0 {
		found := map[int64]*ResourceCategory{}
		err := rowsOf(partCategory, categories, 6, func(v []any) error {
			c := &ResourceCategory{ID: asInt64(v[0]), Name: asString(v[3]), Description: asString(v[4]), MetaSchema: asString(v[5])}
			found[c.ID] = c
			return scanTimes(v[1:3], &c.CreatedAt, &c.UpdatedAt)
		})
		if err != nil {
			return err
		}
		for _, r := range byID {
			if r.ResourceCategoryID != nil {
				r.ResourceCategory = found[*r.ResourceCategoryID]
			}
		}
	}
	if len(series) > 0 {
		found := map[int64]*Series{}
		err := rowsOf(partSeries, series, 6, func(v []any) error {
			s := &Series{ID: asInt64(v[0]), Name: asString(v[3]), Slug: asString(v[4])}
			found[s.ID] = s
			if err := s.Meta.Scan(v[5]); err != nil {
				return err
			}
			return scanTimes(v[1:3], &s.CreatedAt, &s.UpdatedAt)
		})
		if err != nil {
			return err
		}
		for _, r := range byID {
			if r.SeriesID != nil {
				r.Series = found[*r.SeriesID]
			}
		}
	}
	return nil
}

// jsonRows reads a relation of pgRelations: a JSON array of rows (many)
// or a single row, each an array of integers, strings and nulls, into the
// values that scanAll gives for the same columns read as columns (int64,
// string or nil), each row after the values of prefix. It reads only
// that shape, by hand: encoding/json, through reflection, cost a third
// of the CPU time of reading a page.
func jsonRows(src any, many bool, prefix ...any) ([][]any, error) {
	var r jsonReader
	switch v := src.(type) {
	case []byte:
		r.b = v
	case string:
		r.b = []byte(v)
	default:
		return nil, fmt.Errorf("resources: cannot read %T as JSON", src)
	}
	var rows [][]any
	if !many {
		row, err := r.row(prefix)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	} else if !r.next('[') {
		return nil, r.fail()
	} else if !r.next(']') {
		for {
			row, err := r.row(prefix)
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
			if r.next(',') {
				continue
			}
			if r.next(']') {
				break
			}
			return nil, r.fail()
		}
	}
	if r.space(); r.i != len(r.b) {
		return nil, r.fail()
	}
	return rows, nil
}

// jsonReader reads the JSON of jsonRows from b, at i.
type jsonReader struct {
	b []byte
	i int
}

func (r *jsonReader) fail() error {
	return fmt.Errorf("resources: reading relations: unexpected JSON at offset %d of %q", r.i, r.b)
}

func (r *jsonReader) space() {
	for r.i < len(r.b) && (r.b[r.i] == ' ' || r.b[r.i] == '\n' || r.b[r.i] == '\t' || r.b[r.i] == '\r') {
		r.i++
	}
}

// next skips c, after any space, and reports whether it was there.
func (r *jsonReader) next(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// row reads an array of scalars, after the values of prefix.
func (r *jsonReader) row(prefix []any) ([]any, error) {
	if !r.next('[') {
		return nil, r.fail()
	}
	v := append(make([]any, 0, len(prefix)+10), prefix...)
	if r.next(']') {
		return v, nil
	}
	for {
		x, err := r.scalar()
		if err != nil {
			return nil, err
		}
		v = append(v, x)
		if r.next(',') {
			continue
		}
		if r.next(']') {
			return v, nil
		}
		return nil, r.fail()
	}
}

// scalar reads null, a string or an integer.
func (r *jsonReader) scalar() (any, error) {
	r.space()
	if r.i == len(r.b) {
		return nil, r.fail()
	}
	start := r.i
	switch c := r.b[r.i]; {
	case c == 'n' && bytes.HasPrefix(r.b[r.i:], []byte("null")):
		r.i += 4
		return nil, nil
	case c == '"':
		escaped := false
		for r.i++; r.i < len(r.b) && r.b[r.i] != '"'; r.i++ {
			if r.b[r.i] == '\\' {
				escaped = true
				r.i++
			}
		}
		if r.i >= len(r.b) {
			return nil, r.fail()
		}
		r.i++
		if !escaped {
			return string(r.b[start+1 : r.i-1]), nil
		}
		var s string
		if err := json.Unmarshal(r.b[start:r.i], &s); err != nil {
			return nil, fmt.Errorf("resources: reading relations: %w", err)
		}
		return s, nil
	case c == '-' || '0' <= c && c <= '9':
		for r.i++; r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9'; r.i++ {
		}
		n, err := strconv.ParseInt(string(r.b[start:r.i]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("resources: reading relations: %w", err)
		}
		return n, nil
	}
	return nil, r.fail()
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

// each runs text on ids (a list of IDs as its one argument) through q
// and calls fn with the n values of each row.
func (l *loader) each(ctx context.Context, q querier, text string, ids []int64, n int, fn func(v []any) error) error {
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
