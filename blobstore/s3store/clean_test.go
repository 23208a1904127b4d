package s3store_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/stockroomhq/stockroom/blobstore/s3store"
)

func TestCleanTemp(t *testing.T) {
	s, cfg := newStore(t, nil)
	old := time.Now().Add(-2 * time.Hour)
	for _, name := range []string{"stockroom-s3-old", "stockroom-s3-new", "not-ours"} {
		p := filepath.Join(cfg.TempDir, name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != "stockroom-s3-new" {
			os.Chtimes(p, old, old)
		}
	}
	c, err := sharedGateway(t).Client()
	if err != nil {
		t.Fatal(err)
	}
	core := minio.Core{Client: c}
	key := cfg.Prefix + "ab/cd/abcd"
	if _, err := core.NewMultipartUpload(t.Context(), testBucket, key, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	uploads := func() []string {
		var keys []string
		for up := range c.ListIncompleteUploads(t.Context(), testBucket, cfg.Prefix, true) {
			if up.Err != nil {
				t.Fatal(up.Err)
			}
			keys = append(keys, up.Key)
		}
		return keys
	}

	if err := s.CleanTemp(t.Context(), time.Hour); err != nil {
		t.Fatalf("CleanTemp: %v", err)
	}
	var left []string
	entries, _ := os.ReadDir(cfg.TempDir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"not-ours", "stockroom-s3-new"}; !slices.Equal(left, want) {
		t.Errorf("TempDir after CleanTemp(1h) = %v, want %v", left, want)
	}
	if got := uploads(); !slices.Equal(got, []string{key}) {
		t.Errorf("incomplete uploads after CleanTemp(1h) = %v, want the new one kept", got)
	}

	if err := s.CleanTemp(t.Context(), -time.Minute); err != nil {
		t.Fatalf("CleanTemp: %v", err)
	}
	if got := uploads(); len(got) != 0 {
		t.Errorf("incomplete uploads after CleanTemp(-1m) = %v, want none", got)
	}
}

// TestCleanTempSparesRunningPuts runs CleanTemp, with every upload counted
// as old, while a multipart Put is between its parts: the Put must still
// complete.
func TestCleanTempSparesRunningPuts(t *testing.T) {
	var s *s3store.Store
	var cleanErr error
	cleaned := false
	s, cfg := newStore(t, func(c *s3store.Config) {
		c.MaxSinglePut, c.PartSize = 1<<20, 5<<20
		c.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPut && r.URL.Query().Get("partNumber") == "2" && !cleaned {
				cleaned = true
				cleanErr = s.CleanTemp(context.Background(), -time.Minute)
			}
			return http.DefaultTransport.RoundTrip(r)
		})
	})
	res, err := s.Put(t.Context(), newPatternReader(3, 12<<20))
	if !cleaned || cleanErr != nil {
		t.Fatalf("CleanTemp during the Put: ran %v, %v", cleaned, cleanErr)
	}
	if err != nil || !res.Created {
		t.Fatalf("Put while CleanTemp ran = %+v, %v", res, err)
	}
	checkNoTemp(t, cfg.TempDir)
}
