package s3store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// CleanTemp removes what uploads interrupted by a crash left behind, if it
// is older than olderThan: staged files in TempDir and incomplete
// multipart uploads under the prefix (which the service keeps, and bills,
// until they are aborted; a lifecycle rule that aborts incomplete uploads
// after a day does the same on the service's side). The files and uploads
// of this Store's running Puts are never touched; choose olderThan longer
// than the slowest upload when other processes share TempDir or the
// prefix.
func (s *Store) CleanTemp(ctx context.Context, olderThan time.Duration) error {
	const op = "s3store.CleanTemp"
	cutoff := time.Now().Add(-olderThan)
	entries, err := os.ReadDir(s.tempDir)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	prefix := strings.TrimSuffix(tempPattern, "*")
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		name := filepath.Join(s.tempDir, e.Name())
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) || s.busy(name) {
			continue
		}
		if fi, err := e.Info(); err != nil || !fi.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for up := range s.client.ListIncompleteUploads(lctx, s.bucket, s.prefix, true) {
		if up.Err != nil {
			return s.fail(ctx, op, s.prefix, up.Err)
		}
		if !up.Initiated.Before(cutoff) || s.busy(up.UploadID) {
			continue
		}
		err := s.core.AbortMultipartUpload(ctx, s.bucket, up.Key, up.UploadID)
		if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" { // gone meanwhile: fine
			return s.fail(ctx, op, up.Key, err)
		}
	}
	return nil
}

// track records (add) or forgets a temporary file or multipart upload ID
// of a running Put, so CleanTemp leaves it alone.
func (s *Store) track(name string, add bool) {
	s.inflightMu.Lock()
	defer s.inflightMu.Unlock()
	if add {
		if s.inflight == nil {
			s.inflight = make(map[string]struct{})
		}
		s.inflight[name] = struct{}{}
	} else {
		delete(s.inflight, name)
	}
}

func (s *Store) busy(name string) bool {
	s.inflightMu.Lock()
	defer s.inflightMu.Unlock()
	_, ok := s.inflight[name]
	return ok
}
