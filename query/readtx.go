package query

import (
	"context"
	"database/sql/driver"

	"github.com/uptrace/bun"
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
		conn.Close()
		return bun.Conn{}, err
	}
	return conn, nil
}

// endRead ends the read transaction that begin started on conn and
// returns conn to the pool.
func endRead(ctx context.Context, conn bun.Conn) {
	// Back in the pool inside its transaction, a connection would read
	// an old snapshot for ever after: one that cannot end it is
	// discarded.
	if _, err := conn.Conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
		conn.Conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	conn.Close()
}
