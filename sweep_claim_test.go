package stockroom_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/internal/dbtest"
)

// TestSweepClaimedByOneServer: two libraries on one PostgreSQL database
// take turns to sweep; while one sweeps the other is refused, and gets the
// turn once it is released.
func TestSweepClaimedByOneServer(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.DSN(t)
	open := func(name string) *stockroom.Library {
		lib, err := stockroom.Open(ctx, stockroom.Options{
			DataDir: filepath.Join(t.TempDir(), name), PostgresDSN: dsn,
			DisableJobs: true, DisableMediaWorker: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { lib.Close() })
		return lib
	}
	a, b := open("a"), open("b")
	releaseA, ok, err := a.ClaimSweep(ctx)
	if err != nil || !ok {
		t.Fatalf("first claim: ok %v, err %v", ok, err)
	}
	if _, ok, err := b.ClaimSweep(ctx); err != nil || ok {
		t.Fatalf("second server claimed a held sweep: ok %v, err %v", ok, err)
	}
	releaseA()
	releaseB, ok, err := b.ClaimSweep(ctx)
	if err != nil || !ok {
		t.Fatalf("claim after release: ok %v, err %v", ok, err)
	}
	releaseB()
}

// TestSweepClaimOnSQLite: a SQLite library owns its database and always
// has the turn.
func TestSweepClaimOnSQLite(t *testing.T) {
	ctx := context.Background()
	lib, err := stockroom.Open(ctx, stockroom.Options{DataDir: t.TempDir(), DisableJobs: true, DisableMediaWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	for range 2 {
		release, ok, err := lib.ClaimSweep(ctx)
		if err != nil || !ok {
			t.Fatalf("claim: ok %v, err %v", ok, err)
		}
		release()
	}
}
