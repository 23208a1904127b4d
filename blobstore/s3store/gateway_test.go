package s3store_test

import (
	"errors"
	"os"
	"testing"

	"github.com/stockroomhq/stockroom/blobstore/s3store"
	"github.com/stockroomhq/stockroom/internal/s3test"
)

// The tests run against a real S3 server started by internal/s3test:
// versitygw on a temporary folder; without the binary they skip, unless
// STOCKROOM_S3_REQUIRED=1.
const testBucket = s3test.Bucket

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.StopShared()
	os.Exit(code)
}

// sharedGateway returns the gateway most tests use; each test gets its own
// prefix in testBucket.
func sharedGateway(tb testing.TB) *s3test.Gateway { return s3test.Shared(tb) }

// newGateway starts a gateway of its own for one test, for tests that stop
// it.
func newGateway(tb testing.TB) *s3test.Gateway { return s3test.New(tb) }

// newStore returns a new empty store on the shared gateway, with cfg
// changed by edit when not nil.
func newStore(tb testing.TB, edit func(*s3store.Config)) (*s3store.Store, s3store.Config) {
	tb.Helper()
	return sharedGateway(tb).Store(tb, edit)
}

// listKeys returns every key under prefix in testBucket.
func listKeys(tb testing.TB, g *s3test.Gateway, prefix string) []string {
	tb.Helper()
	return g.Keys(tb, prefix)
}

// checkNoTemp fails the test if dir holds any file.
func checkNoTemp(tb testing.TB, dir string) {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		tb.Fatal(err)
	}
	for _, e := range entries {
		tb.Errorf("temporary file left behind: %s", e.Name())
	}
}
