package resources

import (
	"context"
	"time"

	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/stockroomhq/stockroom/internal/placeholders"
)

// The statements of a new resource, which every upload runs, are fixed
// texts with bound ? arguments, so that the writer's connection keeps
// them prepared (internal/sqlitedb): bun formatted the values into the
// text, so SQLite compiled each INSERT again, with every trigger of the
// search tables that it fires.

// writeSQL holds the upload's statements in one dialect.
type writeSQL struct {
	duplicate, insertResource, insertVersion, setCurrent string
	referenced                                           string
	// returning: the INSERTs return the new row's ID (PostgreSQL);
	// otherwise the driver reports it (SQLite's last_insert_rowid).
	returning bool
}

func newWriteSQL(pg bool) *writeSQL {
	w := &writeSQL{
		duplicate: "SELECT id FROM resources WHERE hash = ? ORDER BY id LIMIT 1",
		insertResource: `INSERT INTO resources (created_at, updated_at, name, description, original_name,
			original_location, hash, hash_type, location, storage_location, meta, width, height, file_size,
			category, content_type, content_category, created_by, updated_by, owner_id, resource_category_id,
			series_id, current_version_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		insertVersion: `INSERT INTO resource_versions (resource_id, version_number, hash, hash_type, file_size,
			content_type, width, height, location, comment, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		setCurrent: "UPDATE resources SET current_version_id = ? WHERE id = ?",
		referenced: "SELECT EXISTS (SELECT 1 FROM resources WHERE hash = ?) OR EXISTS (SELECT 1 FROM resource_versions WHERE hash = ?)",
	}
	if pg {
		w.insertResource += " RETURNING id"
		w.insertVersion += " RETURNING id"
		w.returning = true
		for _, p := range []*string{&w.duplicate, &w.insertResource, &w.insertVersion, &w.setCurrent, &w.referenced} {
			*p = placeholders.Numbered(*p)
		}
	}
	return w
}

// timeArg is t as bun writes it: text in SQLite, so that the stored
// value and its order are those of every other row; a time for
// PostgreSQL's timestamptz.
func (l *loader) timeArg(t time.Time) any {
	if l.sql.pg {
		return t
	}
	return t.UTC().Format("2006-01-02 15:04:05.999999-07:00")
}

func (l *loader) insertResource(ctx context.Context, tx dbtx.Tx, r *Resource) (err error) {
	r.ID, err = l.insert(ctx, tx, l.writeSQL.insertResource,
		l.timeArg(r.CreatedAt), l.timeArg(r.UpdatedAt), r.Name, r.Description, r.OriginalName,
		r.OriginalLocation, r.Hash, r.HashType, r.Location, r.StorageLocation, r.Meta, r.Width, r.Height, r.FileSize,
		r.Category, r.ContentType, r.ContentCategory, r.CreatedBy, r.UpdatedBy, r.OwnerID, r.ResourceCategoryID,
		r.SeriesID, r.CurrentVersionID)
	return err
}

func (l *loader) insertVersion(ctx context.Context, tx dbtx.Tx, v *Version) (err error) {
	v.ID, err = l.insert(ctx, tx, l.writeSQL.insertVersion,
		v.ResourceID, v.VersionNumber, v.Hash, v.HashType, v.FileSize, v.ContentType, v.Width, v.Height,
		v.Location, v.Comment, l.timeArg(v.CreatedAt))
	return err
}

// insert runs text, an INSERT of one row, and returns the row's ID. On
// SQLite it is an Exec whose ID the driver reports, not a query: a query
// has rows, which database/sql watches with a goroutine of their own when
// the context can be cancelled (a new version is written under its
// request's), and whose reading costs more than the one ID.
func (l *loader) insert(ctx context.Context, tx dbtx.Tx, text string, args ...any) (int64, error) {
	if l.writeSQL.returning {
		var id int64
		err := tx.SQL().QueryRowContext(ctx, text, args...).Scan(&id)
		return id, err
	}
	res, err := tx.SQL().ExecContext(ctx, text, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}
