// Package migratedb copies a SQLite library's rows into a PostgreSQL
// database (stockroom migrate-db). Blobs are not touched: both databases
// name them by hash, in the same blob store.
package migratedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stockroomhq/stockroom/internal/schema"
	"github.com/stockroomhq/stockroom/internal/schema/postgres"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Tables are the tables copied, parents before children. SQLite's derived
// tables (full-text indexes, resource_meta, resource_tag_order, ...) are
// not copied: PostgreSQL's indexes stand in for them.
var Tables = []string{
	"categories", "groups", "tags", "resource_categories", "series", "note_types", "notes",
	"resources", "resource_versions", "resource_tags", "groups_related_resources", "resource_notes",
	"group_tags", "note_tags", "groups_related_notes",
	"users", "api_tokens", "sessions", "access_keys",
	"download_jobs", "local_files",
	"image_hashes", "resource_similar", "media_queue", "media_settings",
}

// Counts are the rows copied per table.
type Counts map[string]int64

// Copy migrates dst's schema and copies every row of Tables from src (a
// SQLite library) into dst (PostgreSQL), in one transaction: on error dst
// is left as it was. dst must hold no resources yet. Foreign keys and
// triggers are off while rows go in (session_replication_role = replica,
// which needs a superuser or a role granted it), since groups may own
// groups of higher ID; the rows were consistent in src.
func Copy(ctx context.Context, src, dst *bun.DB) (Counts, error) {
	if src.Dialect().Name() != dialect.SQLite || dst.Dialect().Name() != dialect.PG {
		return nil, errors.New("migratedb: copies from SQLite to PostgreSQL only")
	}
	if err := schema.Migrate(ctx, dst, nil); err != nil {
		return nil, fmt.Errorf("migratedb: schema: %w", err)
	}
	var n int
	if err := dst.NewRaw(`SELECT count(*) FROM resources`).Scan(ctx, &n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, fmt.Errorf("migratedb: the PostgreSQL database already holds %d resources; copy into an empty one", n)
	}
	counts := Counts{}
	conn, err := dst.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return nil, fmt.Errorf("migratedb: turning off foreign keys for the copy: %w", err)
	}
	for _, table := range Tables {
		n, err := copyTable(ctx, src, tx, table)
		if err != nil {
			return nil, fmt.Errorf("migratedb: %s: %w", table, err)
		}
		counts[table] = n
	}
	// What triggers keep was not kept while they were off.
	if _, err := tx.ExecContext(ctx, postgres.Rebuild); err != nil {
		return nil, fmt.Errorf("migratedb: rebuilding derived tables: %w", err)
	}
	// Identity columns go on after the highest copied ID.
	rows, err := tx.QueryContext(ctx, `SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'`)
	if err != nil {
		return nil, err
	}
	var ident []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		ident = append(ident, t)
	}
	rows.Close()
	for _, t := range ident {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), coalesce((SELECT max(id) FROM %[1]s), 0) + 1, false)`, quote(t))
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("migratedb: %s identity: %w", t, err)
		}
	}
	return counts, tx.Commit()
}

func quote(t string) string { return `"` + t + `"` }

// copyTable copies the columns that both databases have, converting
// SQLite's integers to booleans and its timestamp text to times where
// PostgreSQL's column wants them.
func copyTable(ctx context.Context, src *bun.DB, tx *sql.Tx, table string) (int64, error) {
	types := map[string]string{}
	trows, err := tx.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return 0, err
	}
	for trows.Next() {
		var c, t string
		if err := trows.Scan(&c, &t); err != nil {
			trows.Close()
			return 0, err
		}
		types[c] = t
	}
	trows.Close()
	rows, err := src.QueryContext(ctx, `SELECT * FROM `+quote(table))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	var keep []int
	var names, marks []string
	for i, c := range cols {
		if _, ok := types[c]; ok {
			keep = append(keep, i)
			names = append(names, quote(c))
			marks = append(marks, fmt.Sprintf("$%d", len(marks)+1))
		}
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+quote(table)+` (`+strings.Join(names, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	var n int64
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		args := make([]any, 0, len(keep))
		for _, i := range keep {
			v, err := convert(vals[i], types[cols[i]])
			if err != nil {
				return n, fmt.Errorf("row %d, %s: %w", n+1, cols[i], err)
			}
			args = append(args, v)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		n++
	}
	return n, rows.Err()
}

// sqliteTimes are the layouts of timestamps in SQLite libraries.
var sqliteTimes = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

func convert(v any, pgType string) (any, error) {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch {
	case v == nil:
		return nil, nil
	case pgType == "boolean":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case bool:
			return x, nil
		case string:
			return x == "1" || strings.EqualFold(x, "true"), nil
		}
	case strings.HasPrefix(pgType, "timestamp"):
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			for _, l := range sqliteTimes {
				if t, err := time.Parse(l, x); err == nil {
					return t, nil
				}
			}
			return nil, fmt.Errorf("timestamp %q", x)
		}
	}
	return v, nil
}
