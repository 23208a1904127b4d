package query

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/resources"
)

// readTx is the read transaction of a list.
type readTx struct {
	db  bun.Conn          // the connection it runs on, for bun's statements
	raw resources.Querier // the same, for statements with bound arguments
	end func()            // ends the transaction and releases the connection
}

// begin starts the read transaction of a list: a connection of the pool
// on which it runs beginRead, and ROLLBACK at the end. A database/sql Tx
// would watch its context with a goroutine, and its every statement with
// another, even when the context cannot be cancelled: on a small library
// their starts, and the threads they woke, were about a tenth of a list's
// CPU (4 goroutines in the default list).
func (q *Query) begin(ctx context.Context) (readTx, error) {
	db, ok := q.db.(*bun.DB)
	if !ok {
		return readTx{}, fmt.Errorf("cannot begin a read transaction on %T", q.db)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return readTx{}, err
	}
	if _, err := conn.Conn.ExecContext(ctx, q.sql.beginRead()); err != nil {
		conn.Close()
		return readTx{}, err
	}
	end := func() {
		// Back in the pool inside its transaction, a connection would
		// read an old snapshot for ever after: one that cannot end it
		// is discarded.
		if _, err := conn.Conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
			conn.Conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}
	return readTx{db: conn, raw: conn.Conn, end: end}, nil
}
