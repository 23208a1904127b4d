package resources_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/resources"
)

// receiving is a blob store that is also a blobstore.Receiver, as the S3
// store is: Receive holds the content in memory and Store puts it. It
// counts Stat and Open, which a Stage through a Receiver does not need.
type receiving struct {
	blobstore.Store
	stats, opens atomic.Int64
	storeErr     error // Store's answer when set
}

// withReceiver makes the test store's blobs a receiving store; give it
// after the options that change the blob store.
func withReceiver(rv **receiving) storeOption {
	return func(c *resources.Config) {
		*rv = &receiving{Store: c.Blobs}
		c.Blobs = *rv
	}
}

func (r *receiving) Stat(ctx context.Context, h blobstore.Hash) (blobstore.Info, error) {
	r.stats.Add(1)
	return r.Store.Stat(ctx, h)
}

func (r *receiving) Open(ctx context.Context, h blobstore.Hash) (blobstore.File, error) {
	r.opens.Add(1)
	return r.Store.Open(ctx, h)
}

func (r *receiving) Receive(ctx context.Context, rd io.Reader) (blobstore.Received, error) {
	data, err := io.ReadAll(rd)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	return &received{r: r, data: data}, nil
}

type received struct {
	r      *receiving
	data   []byte
	res    *blobstore.PutResult
	closed bool
}

func (rc *received) Hash() blobstore.Hash { return sha256.Sum256(rc.data) }
func (rc *received) Size() int64          { return int64(len(rc.data)) }
func (rc *received) NewReader() *io.SectionReader {
	return io.NewSectionReader(bytes.NewReader(rc.data), 0, int64(len(rc.data)))
}
func (rc *received) Close() error { rc.closed = true; return nil }

func (rc *received) Store(ctx context.Context) (blobstore.PutResult, error) {
	switch {
	case rc.res != nil:
		return *rc.res, nil
	case rc.closed:
		return blobstore.PutResult{}, os.ErrClosed
	case rc.r.storeErr != nil:
		return blobstore.PutResult{}, rc.r.storeErr
	}
	res, err := rc.r.Store.Put(ctx, bytes.NewReader(rc.data))
	if err == nil {
		rc.res = &res
	}
	return res, err
}

// TestStageReceiver: through a Receiver, Stage describes the content from
// the local copy, without reading the stored blob back or asking for its
// size; a failed Store leaves no pin and no blob.
func TestStageReceiver(t *testing.T) {
	ctx := context.Background()
	var rv *receiving
	s, bs := newTestStore(t, withReceiver(&rv))
	data := pngBytes(t, 5, 3, 1)
	up, err := s.Stage(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if up.Hash.String() != sha256Hex(data) || up.ContentType != "image/png" || up.Width != 5 || up.Height != 3 || up.Size != int64(len(data)) {
		t.Errorf("upload = %+v, want image/png 5x3 of %d bytes, hash %s", up, len(data), sha256Hex(data))
	}
	if n, m := rv.stats.Load(), rv.opens.Load(); n != 0 || m != 0 {
		t.Errorf("Stage made %d Stat and %d Open calls, want none", n, m)
	}
	if _, err := s.CreateMany(ctx, []resources.NewResource{{Upload: up}}); err != nil {
		t.Fatal(err)
	}
	s.Release(ctx, up)
	if diff := cmp.Diff([]string{sha256Hex(data)}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}

	// The store fails: Stage fails with its error and leaves nothing.
	other := pngBytes(t, 4, 4, 2)
	rv.storeErr = blobstore.ErrUnavailable
	if _, err := s.Create(ctx, bytes.NewReader(other), resources.CreateInput{}); !errors.Is(err, blobstore.ErrUnavailable) {
		t.Fatalf("Create with the store down: %v, want ErrUnavailable", err)
	}
	if n := countRows(t, s, "resources", ""); n != 1 {
		t.Errorf("%d resources after the failed Create, want 1", n)
	}
	// Back up: the content is stored, and removed with its resource, which
	// a pin left by the failure would prevent.
	rv.storeErr = nil
	r := mustCreate(t, s, other, resources.CreateInput{})
	if err := s.Delete(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{sha256Hex(data)}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs after deleting the second resource (-want +got):\n%s", diff)
	}
}
