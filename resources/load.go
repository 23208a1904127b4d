package resources

import (
	"context"
	"database/sql"
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
// busy machine), one statement reads the resources and every relation,
// as the parts of a UNION ALL (pgLoad).

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
	// part. On PostgreSQL, many reads the relations too (pgLoad), and
	// serves one.
	one, many string
	relations [partCount]string
	idList    func(ids []int64) any
	pg        bool
}

// resourceColumns is the number of the resource's own columns in
// loadSQL.one and many, which then tell (SQLite) whether it has tags,
// groups and notes.
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
		r.owner_id, r.resource_category_id, r.series_id, r.current_version_id,
		EXISTS (SELECT 1 FROM resource_tags AS x WHERE x.resource_id = r.id),
		EXISTS (SELECT 1 FROM groups_related_resources AS x WHERE x.resource_id = r.id),
		EXISTS (SELECT 1 FROM resource_notes AS x WHERE x.resource_id = r.id)
		FROM resources AS r WHERE `
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
		l.one, l.many = "", pgLoad()
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

// pgColumns is the number of columns of pgLoad's rows: the resource's
// own (resourceColumns), the part (0 for the resource), the ID of the
// relation's row and two more times (a note's dates).
const pgColumns = resourceColumns + 4

// pgPart is a part of pgLoad's statement: the relation's rows FROM from,
// each column of the part's statement on SQLite (relations) in a column
// of the resource's row (slot) of its type.
type pgPart struct {
	from string
	cols []pgColumn
}

type pgColumn struct {
	slot int
	expr string
}

// Slots of pgLoad's rows beyond the resource's columns, and those of the
// resource's columns that the relations use.
const (
	slotID, slotCreated, slotUpdated, slotName, slotDescription, slotText, slotMeta = 0, 1, 2, 3, 4, 5, 11
	slotRef1, slotRef2                                                              = 20, 21
	slotPart, slotRowID, slotTime1, slotTime2                                       = resourceColumns, resourceColumns + 1, resourceColumns + 2, resourceColumns + 3
)

// pgParts are the parts of pgLoad. Each relation is read for each
// resource, or each referenced row for its ID, by key (LATERAL, and
// OFFSET 0 so that the planner keeps it so): estimating a relation of a
// few dozen resources, the planner would otherwise hash every row of the
// related table.
var pgParts = func() [partCount]pgPart {
	each := func(from string) string {
		return "r CROSS JOIN LATERAL (SELECT * FROM " + from + " OFFSET 0) AS x"
	}
	distinct := func(col, from string) string {
		return "(SELECT DISTINCT " + col + " AS id FROM r WHERE " + col + " IS NOT NULL) AS ref CROSS JOIN LATERAL (SELECT * FROM " + from + " OFFSET 0) AS x"
	}
	group := func(rid string) []pgColumn {
		var cols []pgColumn
		if rid != "" {
			cols = append(cols, pgColumn{slotID, rid})
		}
		return append(cols, pgColumn{slotRowID, "x.id"}, pgColumn{slotCreated, "x.created_at"}, pgColumn{slotUpdated, "x.updated_at"},
			pgColumn{slotName, "x.name"}, pgColumn{slotDescription, "x.description"}, pgColumn{slotText, "x.url"},
			pgColumn{slotMeta, "x.meta"}, pgColumn{slotRef1, "x.owner_id"}, pgColumn{slotRef2, "x.category_id"})
	}
	return [partCount]pgPart{
		partTags: {each("tags AS t WHERE t.id IN (SELECT j.tag_id FROM resource_tags AS j WHERE j.resource_id = r.id)"), []pgColumn{
			{slotID, "r.id"}, {slotRowID, "x.id"}, {slotCreated, "x.created_at"}, {slotUpdated, "x.updated_at"},
			{slotName, "x.name"}, {slotDescription, "x.description"}, {slotMeta, "x.meta"}}},
		partGroups: {each(`"groups" AS g WHERE g.id IN (SELECT j.group_id FROM groups_related_resources AS j WHERE j.resource_id = r.id)`), group("r.id")},
		partNotes: {each("notes AS n WHERE n.id IN (SELECT j.note_id FROM resource_notes AS j WHERE j.resource_id = r.id)"), []pgColumn{
			{slotID, "r.id"}, {slotRowID, "x.id"}, {slotCreated, "x.created_at"}, {slotUpdated, "x.updated_at"},
			{slotName, "x.name"}, {slotDescription, "x.description"}, {slotMeta, "x.meta"}, {slotRef1, "x.owner_id"},
			{slotTime1, "x.start_date"}, {slotTime2, "x.end_date"}, {slotRef2, "x.note_type_id"}}},
		partOwner: {distinct("owner_id", `"groups" AS g WHERE g.id = ref.id`), group("")},
		partCategory: {distinct("resource_category_id", "resource_categories AS rc WHERE rc.id = ref.id"), []pgColumn{
			{slotRowID, "x.id"}, {slotCreated, "x.created_at"}, {slotUpdated, "x.updated_at"},
			{slotName, "x.name"}, {slotDescription, "x.description"}, {slotText, "x.meta_schema"}}},
		partSeries: {distinct("series_id", "series AS s WHERE s.id = ref.id"), []pgColumn{
			{slotRowID, "x.id"}, {slotCreated, "x.created_at"}, {slotUpdated, "x.updated_at"},
			{slotName, "x.name"}, {slotText, "x.slug"}, {slotMeta, "x.meta"}}},
	}
}()

// pgLoad is PostgreSQL's statement of the resources of a list of IDs ($1)
// with their relations: the resources' rows (part 0), then those of each
// relation (part 1 + partTags...) in the columns of the resources' rows,
// by part and then by the relation's ID.
func pgLoad() string {
	var b strings.Builder
	b.WriteString(`WITH r AS MATERIALIZED (SELECT r.id, r.created_at, r.updated_at, r.name, r.description, r.original_name,
		r.original_location, r.hash, r.hash_type, r.location, r.storage_location, r.meta, r.width, r.height, r.file_size,
		r.category, r.content_type, r.content_category, r.created_by, r.updated_by,
		r.owner_id, r.resource_category_id, r.series_id, r.current_version_id
		FROM resources AS r WHERE r.id = ANY(CAST($1 AS bigint[])))
		SELECT r.*, 0 AS part, CAST(NULL AS BIGINT) AS row_id, CAST(NULL AS TIMESTAMPTZ), CAST(NULL AS TIMESTAMPTZ) FROM r`)
	for part, p := range pgParts {
		exprs := make([]string, pgColumns)
		for i := range exprs {
			exprs[i] = "NULL"
		}
		exprs[slotPart] = strconv.Itoa(1 + part)
		for _, c := range p.cols {
			exprs[c.slot] = c.expr
		}
		b.WriteString(" UNION ALL SELECT " + strings.Join(exprs, ", ") + " FROM " + p.from)
	}
	b.WriteString(" ORDER BY part, row_id")
	return b.String()
}

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
	switch {
	case l.sql.pg:
		rows, err = q.QueryContext(ctx, l.sql.many, l.sql.idList(ids))
	case len(ids) == 1:
		rows, err = q.QueryContext(ctx, l.sql.one, ids[0])
	default:
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
		columns = pgColumns
	}
	err = scanAll(rows, columns, func(v []any) error {
		if l.sql.pg && asInt64(v[slotPart]) > 0 {
			part := int(asInt64(v[slotPart])) - 1
			if part >= partCount {
				return fmt.Errorf("resources: unknown part %d", part)
			}
			row := make([]any, len(pgParts[part].cols))
			for i, c := range pgParts[part].cols {
				row[i] = v[c.slot]
			}
			parts[part] = append(parts[part], row)
			return nil
		}
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
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if l.sql.pg {
		// The relations' rows say which resources have any.
		for part, with := range [...]*[]int64{partTags: &withTags, partGroups: &withGroups, partNotes: &withNotes} {
			for _, row := range parts[part] {
				*with = append(*with, asInt64(row[0]))
			}
		}
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
