package resources_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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
