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
package dbtx

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// writeLock is the advisory lock key of write transactions ("StkW"),
// paired like the turns' keys with a hash of the schema in use.
const writeLock int32 = 0x53746b57

// Write runs fn in a write transaction of db.
func Write(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.Tx) error) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if tx.Dialect().Name() == dialect.PG {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))`, writeLock); err != nil {
				return err
			}
		}
		return fn(ctx, tx)
	})
}
