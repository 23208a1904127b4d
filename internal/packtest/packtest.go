// Package packtest reads and changes the pack of small blobs of a folder
// behind its store's back, for tests that damage blobs on purpose (verify,
// repair). The store may have the pack open meanwhile.
package packtest

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/packstore"
)

// open opens the pack of the folder of files dir.
func open(tb testing.TB, dir string) *sql.DB {
	tb.Helper()
	db, err := sql.Open(sqliteshim.ShimName, "file:"+filepath.Join(dir, packstore.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Read returns the content of blob h in the pack of dir, and false when
// the pack does not hold it.
func Read(tb testing.TB, dir string, h blobstore.Hash) ([]byte, bool) {
	tb.Helper()
	var data []byte
	err := open(tb, dir).QueryRow(`SELECT data FROM blob WHERE hash = ?`, h[:]).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false
	}
	if err != nil {
		tb.Fatal(err)
	}
	return data, true
}

// Write replaces the content of blob h in the pack of dir, size and all,
// as a disk that rots or a hand that truncates would.
func Write(tb testing.TB, dir string, h blobstore.Hash, data []byte) {
	tb.Helper()
	res, err := open(tb, dir).Exec(`UPDATE blob SET data = ?, size = ? WHERE hash = ?`, data, len(data), h[:])
	if err != nil {
		tb.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		tb.Fatalf("the pack of %s does not hold %s", dir, h)
	}
}

// Remove deletes blob h from the pack of dir.
func Remove(tb testing.TB, dir string, h blobstore.Hash) {
	tb.Helper()
	if _, err := open(tb, dir).Exec(`DELETE FROM blob WHERE hash = ?`, h[:]); err != nil {
		tb.Fatal(err)
	}
}

// Hashes lists the blobs the pack of dir holds, in ascending order.
func Hashes(tb testing.TB, dir string) []blobstore.Hash {
	tb.Helper()
	rows, err := open(tb, dir).Query(`SELECT hash FROM blob ORDER BY hash`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var hs []blobstore.Hash
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			tb.Fatal(err)
		}
		hs = append(hs, blobstore.Hash(b))
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return hs
}
