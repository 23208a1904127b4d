package versions_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
)

// history creates a resource with n versions (1..n, n current) of distinct
// content, version k created ageDays[k-1] days before now when ageDays is
// given, and returns the resource and its version IDs by number (index 0 is
// version 1).
func (e *env) history(tb testing.TB, name string, n int, ageDays ...int) (*resources.Resource, []int64) {
	tb.Helper()
	r := e.create(tb, []byte(name+" v1"), resources.CreateInput{Name: name})
	ids := []int64{*r.CurrentVersionID}
	for k := 2; k <= n; k++ {
		ids = append(ids, e.upload(tb, r.ID, []byte(fmt.Sprintf("%s v%d", name, k)), "").ID)
	}
	for i, days := range ageDays {
		e.setCreatedAt(tb, ids[i], time.Now().Add(-time.Duration(days)*24*time.Hour-time.Minute))
	}
	return r, ids
}

func TestCleanup(t *testing.T) {
	// Versions 1..6, 6 current; ages in days 60, 50, 40, 20, 10, 0.
	ages := []int{60, 50, 40, 20, 10, 0}
	tests := []struct {
		name string
		opts versions.CleanupOptions
		want []int // version numbers deleted
	}{
		{"keepLast 3 counts the current", versions.CleanupOptions{KeepLast: 3}, []int{1, 2, 3}},
		{"keepLast 1 keeps only the current", versions.CleanupOptions{KeepLast: 1}, []int{1, 2, 3, 4, 5}},
		{"keepLast above the count", versions.CleanupOptions{KeepLast: 10}, []int{}},
		{"olderThanDays", versions.CleanupOptions{OlderThanDays: 30}, []int{1, 2, 3}},
		{"olderThanDays never takes the current", versions.CleanupOptions{OlderThanDays: 1}, []int{1, 2, 3, 4, 5}},
		{"both must allow: count stricter", versions.CleanupOptions{KeepLast: 5, OlderThanDays: 30}, []int{1}},
		{"both must allow: age stricter", versions.CleanupOptions{KeepLast: 2, OlderThanDays: 45}, []int{1, 2}},
	}
	for _, tt := range tests {
		for _, dry := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/dryRun=%v", tt.name, dry), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				e := newEnv(t)
				r, ids := e.history(t, "r", 6, ages...)
				bystander, _ := e.history(t, "bystander", 4)
				opts := tt.opts
				opts.DryRun = dry

				got, err := e.V.Cleanup(ctx, r.ID, opts)
				if err != nil {
					t.Fatal(err)
				}
				want := &versions.CleanupResult{DeletedVersionIDs: []int64{}, Count: len(tt.want)}
				for _, n := range tt.want {
					want.DeletedVersionIDs = append(want.DeletedVersionIDs, ids[n-1])
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
				left := []int{6, 5, 4, 3, 2, 1}
				if !dry {
					left = slices.DeleteFunc(left, func(n int) bool { return slices.Contains(tt.want, n) })
				}
				if diff := cmp.Diff(left, numbers(e.list(t, r.ID))); diff != "" {
					t.Errorf("versions left (-want +got):\n%s", diff)
				}
				if n := len(e.list(t, bystander.ID)); n != 4 {
					t.Errorf("another resource lost versions: %d left", n)
				}
				wantResourceFollows(t, e.get(t, r.ID), e.list(t, r.ID)[0])
				e.wantBlobsReferenced(t)
			})
		}
	}
}

func TestCleanupErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r, _ := e.history(t, "r", 3)
	for _, opts := range []versions.CleanupOptions{
		{},
		{DryRun: true},
		{KeepLast: -1},
		{OlderThanDays: -1},
		{KeepLast: 2, OlderThanDays: -5},
		{OlderThanDays: 2_000_000},
	} {
		_, err := e.V.Cleanup(ctx, r.ID, opts)
		wantErr(t, err, resources.ErrInvalid)
		_, err = e.V.CleanupAll(ctx, versions.BulkCleanupOptions{CleanupOptions: opts})
		wantErr(t, err, resources.ErrInvalid)
	}
	_, err := e.V.Cleanup(ctx, 999, versions.CleanupOptions{KeepLast: 1})
	wantNotFound(t, err, "resource", 999)
	_, err = e.V.CleanupAll(ctx, versions.BulkCleanupOptions{CleanupOptions: versions.CleanupOptions{KeepLast: 1}, OwnerID: 999})
	wantNotFound(t, err, "group", 999)
	_, err = e.V.CleanupAll(ctx, versions.BulkCleanupOptions{CleanupOptions: versions.CleanupOptions{KeepLast: 1}, OwnerID: -3})
	wantErr(t, err, resources.ErrInvalid)
	if n := len(e.list(t, r.ID)); n != 3 {
		t.Errorf("failed cleanups deleted versions: %d left", n)
	}
}

func TestCleanupKeepsSharedBlobs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	shared := []byte("used twice")
	r := e.create(t, shared, resources.CreateInput{})
	e.upload(t, r.ID, []byte("second"), "")
	other := e.create(t, []byte("other"), resources.CreateInput{})
	e.upload(t, other.ID, shared, "")
	e.upload(t, other.ID, []byte("other newest"), "")

	res, err := e.V.Cleanup(ctx, r.ID, versions.CleanupOptions{KeepLast: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count != 1 {
		t.Fatalf("deleted %d, want 1", res.Count)
	}
	if !slices.Contains(e.blobs(t), sha256Hex(shared)) {
		t.Error("cleanup removed a blob another resource's version uses")
	}
	e.wantBlobsReferenced(t)
}

func TestCleanupAll(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	owner, err := e.Store.SaveGroup(ctx, resources.GroupInput{Name: ptr("owner")})
	if err != nil {
		t.Fatal(err)
	}
	a, aIDs := e.history(t, "a", 4)
	b, bIDs := e.history(t, "b", 3)
	single, _ := e.history(t, "single", 1)
	if _, err := e.Store.Edit(ctx, resources.EditInput{ID: b.ID, OwnerID: &owner.ID}); err != nil {
		t.Fatal(err)
	}

	got, err := e.V.CleanupAll(ctx, versions.BulkCleanupOptions{
		CleanupOptions: versions.CleanupOptions{KeepLast: 2, DryRun: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &versions.BulkCleanupResult{
		DeletedByResource: map[int64][]int64{a.ID: {aIDs[0], aIDs[1]}, b.ID: {bIDs[0]}},
		TotalDeleted:      3,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}

	got, err = e.V.CleanupAll(ctx, versions.BulkCleanupOptions{
		CleanupOptions: versions.CleanupOptions{KeepLast: 1},
		OwnerID:        owner.ID,
	})
	if err != nil {
		t.Fatal(err)
	}
	want = &versions.BulkCleanupResult{DeletedByResource: map[int64][]int64{b.ID: {bIDs[0], bIDs[1]}}, TotalDeleted: 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("owner's cleanup (-want +got):\n%s", diff)
	}
	if n := len(e.list(t, a.ID)); n != 4 {
		t.Errorf("resource of no owner lost versions: %d left", n)
	}

	got, err = e.V.CleanupAll(ctx, versions.BulkCleanupOptions{CleanupOptions: versions.CleanupOptions{KeepLast: 1}})
	if err != nil {
		t.Fatal(err)
	}
	want = &versions.BulkCleanupResult{DeletedByResource: map[int64][]int64{a.ID: aIDs[:3]}, TotalDeleted: 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cleanup of all (-want +got):\n%s", diff)
	}
	for _, id := range []int64{a.ID, b.ID, single.ID} {
		if n := len(e.list(t, id)); n != 1 {
			t.Errorf("resource %d has %d versions, want 1", id, n)
		}
		wantResourceFollows(t, e.get(t, id), e.list(t, id)[0])
	}
	e.wantBlobsReferenced(t)

	got, err = e.V.CleanupAll(ctx, versions.BulkCleanupOptions{CleanupOptions: versions.CleanupOptions{OlderThanDays: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&versions.BulkCleanupResult{DeletedByResource: map[int64][]int64{}}, got); diff != "" {
		t.Errorf("nothing to delete (-want +got):\n%s", diff)
	}
}

func TestCleanupUsesTheClock(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r, ids := e.history(t, "r", 3)
	e.V.Now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
	got, err := e.V.Cleanup(ctx, r.ID, versions.CleanupOptions{OlderThanDays: 7, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids[:2], got.DeletedVersionIDs); diff != "" {
		t.Errorf("versions older than 7 days a week from now (-want +got):\n%s", diff)
	}
}

// TestCleanupQueryCount checks that a cleanup costs a bounded number of
// statements, not one per version: 5,000 old versions, each with its own
// blob, are deleted with a handful.
func TestCleanupQueryCount(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 5,000 versions")
	}
	ctx := context.Background()
	e := newEnv(t)
	const n = 5000
	r := e.create(t, []byte("v1"), resources.CreateInput{})
	// Write the blobs straight into the blob store's filesystem and insert
	// the version rows in bulk, to build the history quickly.
	vs := make([]*resources.Version, 0, n-1)
	for i := 2; i <= n; i++ {
		data := fmt.Appendf(nil, "content of version %d", i)
		h := blobstore.Hash(sha256.Sum256(data))
		if err := afero.WriteFile(e.Fs, h.Path(), data, 0o644); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, &resources.Version{
			ResourceID: r.ID, VersionNumber: i, Hash: h, HashType: resources.HashType,
			FileSize: int64(len(data)), ContentType: "text/plain", Location: h.Path(), CreatedAt: time.Now().UTC(),
		})
	}
	err := e.Store.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for start := 0; start < len(vs); start += 500 {
			chunk := vs[start:min(start+500, len(vs))]
			if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
				return err
			}
		}
		last := vs[len(vs)-1]
		_, err := tx.NewUpdate().Table("resources").Where("id = ?", r.ID).
			Set("current_version_id = ?", last.ID).Set("hash = ?", last.Hash).Set("location = ?", last.Location).
			Set("file_size = ?", last.FileSize).Set("content_type = ?", last.ContentType).Set("width = 0, height = 0").
			Exec(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(e.blobs(t)); got != n {
		t.Fatalf("%d blobs stored, want %d", got, n)
	}

	var dry, res *versions.CleanupResult
	dryQueries := e.countQueries(func() {
		dry, err = e.V.Cleanup(ctx, r.ID, versions.CleanupOptions{KeepLast: 1, DryRun: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	queries := e.countQueries(func() {
		res, err = e.V.Cleanup(ctx, r.ID, versions.CleanupOptions{KeepLast: 1})
	})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if res.Count != n-1 || dry.Count != n-1 {
		t.Fatalf("deleted %d (dry run %d), want %d", res.Count, dry.Count, n-1)
	}
	t.Logf("cleanup of %d versions with distinct blobs: %d statements (dry run %d), %v", res.Count, queries, dryQueries, took)
	// BEGIN, resource check, select, delete, COMMIT, then one reference
	// check per chunk of hashes.
	if queries > 25 || dryQueries > 3 {
		t.Errorf("cleanup used %d statements (dry run %d); it should not grow with the number of versions", queries, dryQueries)
	}
	if got := len(e.blobs(t)); got != 1 {
		t.Errorf("%d blobs left, want 1 (the current version's)", got)
	}
	wantResourceFollows(t, e.get(t, r.ID), e.list(t, r.ID)[0])
	e.wantBlobsReferenced(t)
}
