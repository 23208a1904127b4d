package sqlitedb

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/uptrace/bun/driver/sqliteshim"
)

// Each connection keeps the statements it prepared for queries that come
// with arguments, by text, and runs them again instead of parsing and
// planning the text anew: SQLite's statement preparation was a fifth of
// the CPU of the everyday requests. A query without arguments is kept
// from its second run on: bun formats its arguments into the text, so
// that most such texts never repeat and would only crowd the cache, but
// some do on every request (the BEGIN and ROLLBACK of a list's read
// transaction, the BEGIN IMMEDIATE and COMMIT of a write, the savepoints
// of grouped writes, the count of a list without filters). The cache is
// per connection, because a prepared statement belongs to one;
// database/sql uses a connection from one goroutine at a time, so it
// needs a lock only against a Close of rows from another goroutine.

// maxConnStmts bounds the statements one connection keeps; the queries
// with arguments are mostly a few fixed texts.
const maxConnStmts = 128

// maxSeenOnce bounds the texts without arguments a connection remembers
// having run once; it forgets them all when full. Longer texts than
// maxRecurringText (bun's bulk inserts, with their rows written in) are
// not remembered: the texts that recur are short.
const (
	maxSeenOnce      = 256
	maxRecurringText = 2 << 10
)

// prepared counts the statements this process's connections have
// prepared: see Prepared.
var prepared atomic.Int64

// Prepared returns how many statements the connections of this package
// have prepared (parsed and planned) for the queries and execs run on
// them since the process started. Tests read it to hold a hot path to
// statements that are prepared once per connection.
func Prepared() int64 { return prepared.Load() }

// connector opens connections of the SQLite driver with a statement
// cache.
type connector struct {
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) {
	conn, err := sqliteshim.Driver().Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: conn, stmts: map[string]*cachedStmt{}}, nil
}

func (c connector) Driver() driver.Driver { return sqliteshim.Driver() }

type cachedStmt struct {
	stmt driver.Stmt
	busy bool // its rows are open
}

// cachingConn is a driver connection with a statement cache. The
// driver's connection implements every optional interface used below.
type cachingConn struct {
	driver.Conn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
	// seenOnce holds texts without arguments run once and not kept.
	seenOnce map[string]struct{}
}

var errNotSupported = errors.New("sqlitedb: the driver's connection lacks an interface")

// acquire returns a statement of query that no open rows use, and the
// function that gives it back.
func (c *cachingConn) acquire(ctx context.Context, query string) (driver.Stmt, func(), error) {
	c.mu.Lock()
	cs := c.stmts[query]
	if cs != nil && !cs.busy {
		cs.busy = true
		c.mu.Unlock()
		return cs.stmt, func() { c.mu.Lock(); cs.busy = false; c.mu.Unlock() }, nil
	}
	cache := cs == nil
	if cache && len(c.stmts) >= maxConnStmts {
		// Full: make room by dropping one that is not in use; the
		// texts that recur are soon prepared again.
		for q, old := range c.stmts {
			if !old.busy {
				old.stmt.Close()
				delete(c.stmts, q)
				break
			}
		}
		cache = len(c.stmts) < maxConnStmts
	}
	c.mu.Unlock()
	pc, ok := c.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, nil, errNotSupported
	}
	prepared.Add(1)
	st, err := pc.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if !cache {
		// Busy, or the cache is full: a statement for this once.
		return st, func() { st.Close() }, nil
	}
	cs = &cachedStmt{stmt: st, busy: true}
	c.mu.Lock()
	c.stmts[query] = cs
	c.mu.Unlock()
	return st, func() { c.mu.Lock(); cs.busy = false; c.mu.Unlock() }, nil
}

// recurs reports whether query, which has no arguments, ran on c before
// (or is kept): the first run of a text is remembered and not kept. A
// text with a ; may hold several statements, which the driver runs only
// unprepared.
func (c *cachingConn) recurs(query string) bool {
	if len(query) > maxRecurringText || strings.Contains(query, ";") {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.stmts[query]; ok {
		return true
	}
	if _, ok := c.seenOnce[query]; ok {
		delete(c.seenOnce, query)
		return true
	}
	if c.seenOnce == nil || len(c.seenOnce) >= maxSeenOnce {
		c.seenOnce = make(map[string]struct{})
	}
	c.seenOnce[query] = struct{}{}
	return false
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 && !c.recurs(query) {
		prepared.Add(1)
		return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	st, release, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		release()
		return nil, err
	}
	return &releasingRows{Rows: rows, release: release}, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 && !c.recurs(query) {
		prepared.Add(1)
		return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	st, release, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	defer release()
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) Close() error {
	c.mu.Lock()
	for q, cs := range c.stmts {
		cs.stmt.Close()
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	prepared.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error {
	return c.Conn.(driver.Pinger).Ping(ctx)
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *cachingConn) IsValid() bool {
	return c.Conn.(driver.Validator).IsValid()
}

// releasingRows gives its statement back when closed, and passes the
// column types through.
type releasingRows struct {
	driver.Rows
	once    sync.Once
	release func()
}

func (r *releasingRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.release)
	return err
}

func (r *releasingRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *releasingRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *releasingRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
