package versions_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/resources"
)

func TestListAndGet(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.create(t, pngBytes(t, 4, 3, 1), resources.CreateInput{Name: "a"})
	v2 := e.upload(t, r.ID, []byte("second"), "two")
	v3 := e.upload(t, r.ID, []byte("third"), "three")

	vs := e.list(t, r.ID)
	if diff := cmp.Diff([]int{3, 2, 1}, numbers(vs)); diff != "" {
		t.Errorf("List numbers (-want +got):\n%s", diff)
	}
	if vs[0].ID != v3.ID || vs[1].ID != v2.ID || vs[2].ID != *r.CurrentVersionID {
		t.Errorf("List IDs %d %d %d, want %d %d %d", vs[0].ID, vs[1].ID, vs[2].ID, v3.ID, v2.ID, *r.CurrentVersionID)
	}
	got, err := e.V.Get(ctx, v2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v2, got, cmpopts.EquateApproxTime(time.Microsecond)); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}

	_, err = e.V.List(ctx, 999)
	wantNotFound(t, err, "resource", 999)
	_, err = e.V.Get(ctx, 999)
	wantNotFound(t, err, "version", 999)
}

func TestUpload(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	v1data := pngBytes(t, 4, 3, 1)
	r := e.create(t, v1data, resources.CreateInput{Name: "photo"})
	v2data := pngBytes(t, 8, 5, 2)

	v2 := e.upload(t, r.ID, v2data, "bigger")
	want := &resources.Version{
		ID:            v2.ID,
		ResourceID:    r.ID,
		VersionNumber: 2,
		Hash:          blobstore.Hash(sha256.Sum256(v2data)),
		HashType:      "SHA256",
		FileSize:      int64(len(v2data)),
		ContentType:   "image/png",
		Width:         8,
		Height:        5,
		Location:      sha256Hex(v2data)[:2] + "/" + sha256Hex(v2data)[2:4] + "/" + sha256Hex(v2data),
		Comment:       "bigger",
	}
	if diff := cmp.Diff(want, v2, cmpopts.IgnoreFields(resources.Version{}, "CreatedAt")); diff != "" {
		t.Errorf("new version (-want +got):\n%s", diff)
	}
	got := e.get(t, r.ID)
	wantResourceFollows(t, got, v2)
	e.wantBlobsReferenced(t)
	if n := len(e.blobs(t)); n != 2 {
		t.Errorf("%d blobs, want 2 (both versions)", n)
	}

	t.Run("same content again", func(t *testing.T) {
		v3 := e.upload(t, r.ID, v2data, "")
		if v3.VersionNumber != 3 || v3.Hash != v2.Hash {
			t.Errorf("version %d hash %s, want 3 sharing %s", v3.VersionNumber, v3.Hash[:8], v2.Hash[:8])
		}
		e.wantBlobsReferenced(t)
	})
	t.Run("unknown resource stores nothing", func(t *testing.T) {
		before := e.blobs(t)
		_, err := e.V.Upload(ctx, 999, bytes.NewReader([]byte("orphan")), "")
		wantNotFound(t, err, "resource", 999)
		if diff := cmp.Diff(before, e.blobs(t)); diff != "" {
			t.Errorf("blobs changed (-before +after):\n%s", diff)
		}
	})
	t.Run("failing reader leaves nothing", func(t *testing.T) {
		before := e.blobs(t)
		vs := len(e.list(t, r.ID))
		_, err := e.V.Upload(ctx, r.ID, io.MultiReader(strings.NewReader("partial"), errReader{}), "")
		if err == nil {
			t.Fatal("Upload of a failing reader succeeded")
		}
		if diff := cmp.Diff(before, e.blobs(t)); diff != "" {
			t.Errorf("blobs changed (-before +after):\n%s", diff)
		}
		if n := len(e.list(t, r.ID)); n != vs {
			t.Errorf("%d versions, want %d", n, vs)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// wantResourceFollows checks that the resource's file fields are those of
// its current version v.
func wantResourceFollows(tb testing.TB, r *resources.Resource, v *resources.Version) {
	tb.Helper()
	type file struct {
		Hash, Location, ContentType string
		Size                        int64
		Width, Height               int
		Current                     int64
	}
	want := file{v.Hash.String(), v.Location, v.ContentType, v.FileSize, v.Width, v.Height, v.ID}
	got := file{r.Hash.String(), r.Location, r.ContentType, r.FileSize, r.Width, r.Height, 0}
	if r.CurrentVersionID != nil {
		got.Current = *r.CurrentVersionID
	}
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Errorf("resource %d does not follow version %d (-want +got):\n%s", r.ID, v.VersionNumber, diff)
	}
}

func TestStageAndAdd(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.create(t, []byte("one"), resources.CreateInput{})

	up, err := e.V.Stage(ctx, r.ID, strings.NewReader("two"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.V.Add(ctx, r.ID, up, "comment known late")
	e.Store.Release(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	if v.Comment != "comment known late" || v.VersionNumber != 2 {
		t.Errorf("version %d %q", v.VersionNumber, v.Comment)
	}
	e.wantBlobsReferenced(t)

	_, err = e.V.Stage(ctx, 999, strings.NewReader("x"))
	wantNotFound(t, err, "resource", 999)
	_, err = e.V.Add(ctx, r.ID, nil, "")
	wantErr(t, err, resources.ErrInvalid)

	// Add failing (the resource went away between Stage and Add) leaves
	// nothing once the upload is released.
	other := e.create(t, []byte("other"), resources.CreateInput{})
	up, err = e.V.Stage(ctx, other.ID, strings.NewReader("never committed"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Delete(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.V.Add(ctx, other.ID, up, "")
	e.Store.Release(ctx, up)
	wantNotFound(t, err, "resource", other.ID)
	e.wantBlobsReferenced(t)
}

func TestRestore(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	d1, d2 := pngBytes(t, 4, 3, 1), pngBytes(t, 6, 2, 2)
	r := e.create(t, d1, resources.CreateInput{})
	v1 := *r.CurrentVersionID
	e.upload(t, r.ID, d2, "")
	blobsBefore := e.blobs(t)

	v3, err := e.V.Restore(ctx, r.ID, v1, "")
	if err != nil {
		t.Fatal(err)
	}
	if v3.VersionNumber != 3 || v3.Comment != "Restored from version 1" || v3.Hash.String() != sha256Hex(d1) || v3.Width != 4 || v3.Height != 3 {
		t.Errorf("restored version %+v", v3)
	}
	wantResourceFollows(t, e.get(t, r.ID), v3)
	if diff := cmp.Diff(blobsBefore, e.blobs(t)); diff != "" {
		t.Errorf("restore changed the blobs (-before +after):\n%s", diff)
	}

	v4, err := e.V.Restore(ctx, r.ID, v3.ID, "  again  ")
	if err != nil {
		t.Fatal(err)
	}
	if v4.VersionNumber != 4 || v4.Comment != "  again  " {
		t.Errorf("restoring the current version: number %d comment %q", v4.VersionNumber, v4.Comment)
	}
	if got := numbers(e.list(t, r.ID)); !slices.Equal(got, []int{4, 3, 2, 1}) {
		t.Errorf("history %v, want [4 3 2 1]: restore never rewrites it", got)
	}

	other := e.create(t, []byte("other"), resources.CreateInput{})
	_, err = e.V.Restore(ctx, r.ID, *other.CurrentVersionID, "")
	wantErr(t, err, resources.ErrInvalid)
	if !strings.Contains(err.Error(), "belongs to resource") {
		t.Errorf("error %q does not say whose version it is", err)
	}
	_, err = e.V.Restore(ctx, r.ID, 999, "")
	wantNotFound(t, err, "version", 999)
	_, err = e.V.Restore(ctx, 999, v1, "")
	wantNotFound(t, err, "resource", 999)
	if got := numbers(e.list(t, r.ID)); len(got) != 4 {
		t.Errorf("failed restores changed the history: %v", got)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	shared := []byte("shared content")
	r := e.create(t, []byte("first"), resources.CreateInput{})
	v1 := *r.CurrentVersionID
	v2 := e.upload(t, r.ID, shared, "")
	v3 := e.upload(t, r.ID, []byte("third"), "")
	// Another resource whose file is the blob of v2.
	other := e.create(t, shared, resources.CreateInput{})

	if err := e.V.Delete(ctx, r.ID, v1); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(e.blobs(t), sha256Hex([]byte("first"))) {
		t.Error("the blob of the deleted version is still stored")
	}
	if err := e.V.Delete(ctx, r.ID, v2.ID); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(e.blobs(t), sha256Hex(shared)) {
		t.Error("deleting v2 removed a blob another resource uses")
	}
	e.wantBlobsReferenced(t)
	if got := numbers(e.list(t, r.ID)); !slices.Equal(got, []int{3}) {
		t.Errorf("versions %v, want [3]", got)
	}

	err := e.V.Delete(ctx, r.ID, v3.ID)
	wantErr(t, err, resources.ErrConflict)
	if !strings.Contains(err.Error(), "only version") {
		t.Errorf("error %q does not say it is the only version", err)
	}
	e.upload(t, r.ID, []byte("fourth"), "")
	err = e.V.Delete(ctx, r.ID, *e.get(t, r.ID).CurrentVersionID)
	wantErr(t, err, resources.ErrConflict)
	if !strings.Contains(err.Error(), "current version") {
		t.Errorf("error %q does not say it is the current version", err)
	}

	err = e.V.Delete(ctx, r.ID, *other.CurrentVersionID)
	wantErr(t, err, resources.ErrInvalid)
	err = e.V.Delete(ctx, r.ID, v1)
	wantNotFound(t, err, "version", v1)
	err = e.V.Delete(ctx, 999, v3.ID)
	wantNotFound(t, err, "resource", 999)
	e.wantBlobsReferenced(t)
}
