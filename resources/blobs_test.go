package resources_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/resources"
)

func TestOpenBlob(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t)
	data := pngBytes(t, 5, 5, 5)
	r := mustCreate(t, s, data, resources.CreateInput{})

	for _, hex := range []string{r.Hash.String(), strings.ToUpper(r.Hash.String())} {
		t.Run(hex[:8], func(t *testing.T) {
			f, info, err := s.OpenBlob(ctx, hex)
			if err != nil {
				t.Fatalf("OpenBlob: %v", err)
			}
			defer f.Close()
			got, err := io.ReadAll(f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("content differs: %d bytes, want %d", len(got), len(data))
			}
			want := resources.BlobInfo{Hash: r.Hash, Size: int64(len(data)), ContentType: "image/png", ModTime: r.CreatedAt}
			if diff := cmp.Diff(want, info, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
				t.Errorf("BlobInfo (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("unreferenced", func(t *testing.T) {
		res, err := bs.Put(ctx, strings.NewReader("garbage nobody refers to"))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.OpenBlob(ctx, res.Hash.String())
		wantErr(t, err, resources.ErrNotFound)
	})
	t.Run("unknown", func(t *testing.T) {
		_, _, err := s.OpenBlob(ctx, sha256Hex([]byte("never stored")))
		wantErr(t, err, resources.ErrNotFound)
	})
	t.Run("row without its blob", func(t *testing.T) {
		h := r.Hash
		other := mustCreate(t, s, []byte("other"), resources.CreateInput{})
		if err := bs.Remove(ctx, other.Hash); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.OpenBlob(ctx, other.Hash.String())
		wantErr(t, err, resources.ErrNotFound)
		if _, err := bs.Stat(ctx, h); err != nil {
			t.Fatal(err)
		}
	})
	for _, bad := range []string{"", "xyz", r.Hash.String()[:63], r.Hash.String() + "0", strings.Repeat("g", 64), "../" + r.Hash.String()[3:]} {
		t.Run("malformed "+bad, func(t *testing.T) {
			_, _, err := s.OpenBlob(ctx, bad)
			wantErr(t, err, resources.ErrInvalid)
		})
	}
	t.Run("after delete", func(t *testing.T) {
		if err := s.Delete(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.OpenBlob(ctx, r.Hash.String())
		wantErr(t, err, resources.ErrNotFound)
	})
}

// sizedBlobs is a blob store whose files know their length, as an object
// store's do, and which counts the Stats asked of it.
type sizedBlobs struct {
	blobstore.Store
	stats atomic.Int64
}

type sizedFile struct {
	blobstore.File
	size int64
}

func (f sizedFile) Size() int64 { return f.size }

func (b *sizedBlobs) Open(ctx context.Context, h blobstore.Hash) (blobstore.File, error) {
	f, err := b.Store.Open(ctx, h)
	if err != nil {
		return nil, err
	}
	st, err := b.Store.Stat(ctx, h)
	if err != nil {
		f.Close()
		return nil, err
	}
	return sizedFile{f, st.Size}, nil
}

func (b *sizedBlobs) Stat(ctx context.Context, h blobstore.Hash) (blobstore.Info, error) {
	b.stats.Add(1)
	return b.Store.Stat(ctx, h)
}

// TestOpenBlobSizedFile checks that OpenBlob takes the length of a file
// that knows it from the file, without asking the store again: on object
// storage each question is a request.
func TestOpenBlobSizedFile(t *testing.T) {
	ctx := context.Background()
	blobs := &sizedBlobs{}
	s, _ := newTestStore(t, func(c *resources.Config) {
		blobs.Store = c.Blobs
		c.Blobs = blobs
	})
	data := []byte("content that knows its length")
	r := mustCreate(t, s, data, resources.CreateInput{})
	before := blobs.stats.Load()
	f, info, err := s.OpenContent(ctx, r.Hash)
	if err != nil {
		t.Fatalf("OpenContent: %v", err)
	}
	defer f.Close()
	if info.Size != int64(len(data)) {
		t.Errorf("BlobInfo.Size = %d, want %d", info.Size, len(data))
	}
	if n := blobs.stats.Load() - before; n != 0 {
		t.Errorf("OpenContent asked the store for %d Stats, want none", n)
	}
}
