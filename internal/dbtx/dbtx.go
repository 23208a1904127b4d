// Package dbtx runs the library's write transactions so that they behave
// alike on every database.
//
// Stockroom's writers read and then write on what they read (a duplicate
// hash before a create, the newest version number before the next, the
// versions a cleanup deletes), written for SQLite, whose write
// transactions run one at a time (they begin IMMEDIATE). PostgreSQL runs
// them side by side under READ COMMITTED, which would let two of them
// pass the same check; so there every write transaction first takes one
// transaction-scoped advisory lock, shared by all servers on the database
// (and schema).
// Writes are then serialised as on SQLite, and each one's reads, taken
// after the lock, see every write committed before it. Reads do not wait.
//
// A write transaction is BEGIN and COMMIT on a connection of the pool,
// not a database/sql Tx: a Tx watches its context with a goroutine of its
// own, and every query in it with another, even when the caller's
// context cannot be cancelled; their starts, and the threads they woke,
// were a measurable part of a small upload.
package dbtx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// writeLock is the advisory lock key of write transactions ("StkW"),
// paired like the turns' keys with a hash of the schema in use.
const writeLock int32 = 0x53746b57

// Tx is a write transaction: bun's query builders, which write their
// arguments into the text, and SQL, the connection itself, for fixed texts
// with bound arguments (each connection keeps their prepared statements).
// It is only valid inside the function it is given to.
type Tx struct {
	bun.Conn
}

// SQL is the transaction's connection, whose statements bind their
// arguments.
func (tx Tx) SQL() *sql.Conn { return tx.Conn.Conn }

// Write runs fn in a write transaction of db: committed when fn returns
// nil, rolled back when it fails or panics.
func Write(ctx context.Context, db *bun.DB, fn func(ctx context.Context, tx Tx) error) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	pg := db.Dialect().Name() == dialect.PG
	begin := "BEGIN IMMEDIATE"
	if pg {
		begin = "BEGIN"
	}
	if _, err := conn.Conn.ExecContext(ctx, begin); err != nil {
		// A BEGIN that ctx cut short may have begun all the same (the
		// driver can report the cancellation after the statement ran).
		Rollback(ctx, conn.Conn)
		conn.Close()
		return err
	}
	committed := false
	defer func() {
		if !committed {
			Rollback(ctx, conn.Conn)
		}
		conn.Close()
	}()
	if pg {
		if _, err := conn.Conn.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, writeLock); err != nil {
			return err
		}
	}
	if err := fn(ctx, Tx{Conn: conn}); err != nil {
		return err
	}
	if _, err := conn.Conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	committed = true
	return nil
}

// Rollback ends the transaction on conn, if there is one, whatever ctx
// has become. A connection that cannot end it is discarded when it is
// closed, rather than given back to the pool inside a transaction, where
// it would fail every later BEGIN, hold a write lock or an old snapshot
// for ever after, and keep checkpoints from ending. One without a
// transaction (its BEGIN never ran, or SQLite ended it when ctx
// interrupted a statement) is kept, with its cache and statements.
func Rollback(ctx context.Context, conn *sql.Conn) {
	_, err := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	if err != nil && !strings.Contains(err.Error(), "no transaction is active") {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}
