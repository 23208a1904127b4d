package dbtx

import (
	"context"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Keys of the advisory locks of work that one server of a shared
// PostgreSQL database does at a time. Each is paired with a hash of the
// schema in use, so that libraries in different schemas of one database
// (the tests' layout) do not wait for each other.
const (
	SweepTurn int32 = 0x53746b47 // "StkG": the sweeper of unreferenced files
	MediaTurn int32 = 0x53746b4d // "StkM": the media worker (hashes, similar pairs)
)

// Turn is work held by this server until Release.
type Turn struct {
	conn *bun.Conn // nil on SQLite, where one server owns the database
}

// TryTurn takes the turn of key for this server. On SQLite a server owns
// its database and always has it. On PostgreSQL the turn is a session
// advisory lock on a connection of its own, so it ends when the server
// does, however it ends; ok is false while another server holds it.
func TryTurn(ctx context.Context, db *bun.DB, key int32) (t *Turn, ok bool, err error) {
	if db.Dialect().Name() != dialect.PG {
		return &Turn{}, true, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?, hashtext(current_schema()))`, key).Scan(&ok); err != nil || !ok {
		conn.Close()
		return nil, false, err
	}
	return &Turn{conn: &conn}, true, nil
}

// Held reports whether the turn is still this server's: false when its
// connection was lost (and with it the lock).
func (t *Turn) Held(ctx context.Context) bool {
	return t.conn == nil || t.conn.PingContext(ctx) == nil
}

// Release gives the turn up.
func (t *Turn) Release() {
	if t.conn != nil {
		// Close returns the connection to the pool, where its session,
		// and so the lock, would live on: unlock first.
		t.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock_all()`)
		t.conn.Close()
		t.conn = nil
	}
}
