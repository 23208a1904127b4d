package mediasvc_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stockroomhq/stockroom/internal/dbtest"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/blobstore/aferostore"
	"github.com/stockroomhq/stockroom/resources"
)

// newTestStore returns a Store on a fresh SQLite database in tb.TempDir() and
// an in-memory blob store, and the blob store itself.
func newTestStore(tb testing.TB) (*resources.Store, blobstore.Store) {
	tb.Helper()
	ctx := context.Background()
	db := dbtest.Open(tb)
	if err := resources.Migrate(ctx, db.Writer); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	blobs := aferostore.New(afero.NewMemMapFs())
	s, err := resources.New(resources.Config{DB: db.Writer, ReadDB: db.Reader, Blobs: blobs})
	if err != nil {
		tb.Fatalf("resources.New: %v", err)
	}
	return s, blobs
}

// mustCreate creates a resource from data or fails the test.
func mustCreate(tb testing.TB, s *resources.Store, data []byte, in resources.CreateInput) *resources.Resource {
	tb.Helper()
	r, err := s.Create(context.Background(), bytes.NewReader(data), in)
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return r
}

// countRows counts the rows of table that match where (with args); an
// empty where counts them all.
func countRows(tb testing.TB, s *resources.Store, table, where string, args ...any) int {
	tb.Helper()
	q := s.DB().NewSelect().TableExpr(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(context.Background())
	if err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return int(n)
}

// wantErr checks that err matches target with errors.Is.
func wantErr(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("err = %v, want one matching %v", err, target)
	}
}
