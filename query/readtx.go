package query

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/internal/dbtx"
)

// begin starts the read transaction of a list: beginRead on a connection
// of the read pool, which endRead ends with ROLLBACK. A database/sql Tx
// would watch its context with a goroutine, and its every statement with
// another, even when the context cannot be cancelled: on a small library
// their starts, and the threads they woke, were about a tenth of a list's
// CPU (4 goroutines in the default list).
func (q *Query) begin(ctx context.Context) (bun.Conn, error) {
	conn, err := q.store.ReadDB().Conn(ctx)
	if err != nil {
		return bun.Conn{}, err
	}
	if _, err := conn.Conn.ExecContext(ctx, q.sql.beginRead()); err != nil {
		// ctx may have cut the BEGIN short after it began, as
		// dbtx.Write's: the connection must not stay inside it.
		endRead(ctx, conn)
		return bun.Conn{}, err
	}
	return conn, nil
}

// inTx returns a copy of q that reads through conn, the connection of a
// read transaction begin started.
func (q *Query) inTx(conn bun.Conn) *Query {
	in := *q
	in.db = conn
	if !q.generic {
		in.tx = conn.Conn
	}
	return &in
}

// endRead ends the read transaction that begin started on conn and
// returns conn to the pool.
func endRead(ctx context.Context, conn bun.Conn) {
	dbtx.Rollback(ctx, conn.Conn)
	conn.Close()
}

// beginStamped is begin, and with stamped the stamp of the state the
// transaction reads (resources.Store.Stamp), "" when not known: its first
// statement, which takes the snapshot, runs here between two looks at the
// database's state, and only when both agree is the state known. Only
// SQLite's stores have stamps.
func (q *Query) beginStamped(ctx context.Context, stamped bool) (bun.Conn, string, error) {
	before, ok := "", false
	if stamped {
		before, ok = q.store.Stamp()
	}
	conn, err := q.begin(ctx)
	if err != nil || !ok {
		return conn, "", err
	}
	var v int
	if err := conn.Conn.QueryRowContext(ctx, "PRAGMA schema_version").Scan(&v); err != nil {
		endRead(ctx, conn)
		return bun.Conn{}, "", err
	}
	if after, ok := q.store.Stamp(); !ok || after != before {
		return conn, "", nil
	}
	return conn, before, nil
}
