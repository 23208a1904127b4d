package versions_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
)

// TestHistoryProperties runs random sequences of uploads, restores,
// deletions and cleanups (and some resource deletions and creations) on a
// few resources whose files share content, and checks after every step
// that the library matches a simple model of the histories and keeps its
// invariants:
//
//   - every resource has exactly one current version, one of its own;
//   - the resource's file fields equal those of its current version;
//   - every blob a row refers to is stored, and no other blob remains.
func TestHistoryProperties(t *testing.T) {
	steps := 200
	if testing.Short() {
		steps = 50
	}
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			runHistory(t, seed, steps)
		})
	}
}

// modelVersion is what the model knows of a version.
type modelVersion struct {
	ID      int64
	Number  int
	Hash    string
	Created time.Time
}

type historyModel map[int64][]modelVersion // by resource, oldest first

// current is the newest version: every append makes its version current
// and the current one is never deleted.
func (m historyModel) current(rid int64) modelVersion { vs := m[rid]; return vs[len(vs)-1] }

func runHistory(t *testing.T, seed uint64, steps int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	e := newEnv(t)
	clock := time.Now().UTC().Truncate(time.Microsecond)
	e.V.Now = func() time.Time { return clock }

	pool := [][]byte{
		pngBytes(t, 4, 3, 1), pngBytes(t, 7, 2, 2), pngBytes(t, 3, 9, 3),
		[]byte("plain one"), []byte("plain two"), []byte("plain three"),
	}
	hashOf := func(i int) string { return sha256Hex(pool[i]) }
	model := historyModel{}
	// stamp sets the creation time of a new version to the virtual clock,
	// so that the model knows every version's age exactly.
	stamp := func(rid int64, v *resources.Version) {
		e.setCreatedAt(t, v.ID, clock)
		model[rid] = append(model[rid], modelVersion{v.ID, v.VersionNumber, v.Hash.String(), clock})
	}
	create := func() {
		i := rng.IntN(len(pool))
		r := e.create(t, pool[i], resources.CreateInput{})
		v, err := e.V.Get(ctx, *r.CurrentVersionID)
		if err != nil {
			t.Fatal(err)
		}
		stamp(r.ID, v)
	}
	for range 3 {
		create()
	}
	pickResource := func() int64 {
		ids := make([]int64, 0, len(model))
		for id := range model {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids[rng.IntN(len(ids))]
	}
	// pickVersion mostly picks a version of rid, sometimes one of another
	// resource (when there is one).
	pickVersion := func(rid int64) (modelVersion, bool) {
		if rng.IntN(8) == 0 {
			for other, vs := range model {
				if other != rid {
					return vs[rng.IntN(len(vs))], false
				}
			}
		}
		vs := model[rid]
		return vs[rng.IntN(len(vs))], true
	}

	done := map[string]int{} // steps run, by their first word
	defer func() { t.Logf("steps: %v; distinct blobs referenced at the end: %d", done, len(e.referenced(t))) }()
	for step := range steps {
		clock = clock.Add(time.Duration(rng.IntN(36)) * time.Hour)
		rid := pickResource()
		var desc string
		switch op := rng.IntN(20); {
		case op < 6: // upload
			i := rng.IntN(len(pool))
			desc = fmt.Sprintf("upload content %d to %d", i, rid)
			v, err := e.V.Upload(ctx, rid, bytes.NewReader(pool[i]), "")
			if err != nil {
				t.Fatalf("seed %d step %d: %s: %v", seed, step, desc, err)
			}
			if v.Hash.String() != hashOf(i) {
				t.Fatalf("seed %d step %d: %s: hash %s", seed, step, desc, v.Hash)
			}
			stamp(rid, v)
		case op < 10: // restore
			old, own := pickVersion(rid)
			desc = fmt.Sprintf("restore version %d (own %v) of %d", old.ID, own, rid)
			v, err := e.V.Restore(ctx, rid, old.ID, "")
			if !own {
				if !errors.Is(err, resources.ErrInvalid) {
					t.Fatalf("seed %d step %d: %s: err %v, want invalid", seed, step, desc, err)
				}
				break
			}
			if err != nil {
				t.Fatalf("seed %d step %d: %s: %v", seed, step, desc, err)
			}
			if v.Hash.String() != old.Hash || v.Comment != fmt.Sprintf("Restored from version %d", old.Number) {
				t.Fatalf("seed %d step %d: %s: got hash %s comment %q", seed, step, desc, v.Hash.String()[:8], v.Comment)
			}
			stamp(rid, v)
		case op < 14: // delete
			old, own := pickVersion(rid)
			desc = fmt.Sprintf("delete version %d (own %v) of %d", old.ID, own, rid)
			err := e.V.Delete(ctx, rid, old.ID)
			switch {
			case !own:
				if !errors.Is(err, resources.ErrInvalid) {
					t.Fatalf("seed %d step %d: %s: err %v, want invalid", seed, step, desc, err)
				}
			case old.ID == model.current(rid).ID:
				if !errors.Is(err, resources.ErrConflict) {
					t.Fatalf("seed %d step %d: %s: err %v, want conflict", seed, step, desc, err)
				}
			case err != nil:
				t.Fatalf("seed %d step %d: %s: %v", seed, step, desc, err)
			default:
				model[rid] = slices.DeleteFunc(model[rid], func(v modelVersion) bool { return v.ID == old.ID })
			}
		case op < 18: // cleanup of one resource or of all
			opts := versions.CleanupOptions{KeepLast: rng.IntN(4), OlderThanDays: rng.IntN(4), DryRun: rng.IntN(4) == 0}
			all := op == 17
			desc = fmt.Sprintf("cleanup %+v of %d (all %v)", opts, rid, all)
			scope := []int64{rid}
			if all {
				scope = nil
				for id := range model {
					scope = append(scope, id)
				}
			}
			want := model.cleanup(scope, opts, clock)
			var got map[int64][]int64
			var err error
			if all {
				var res *versions.BulkCleanupResult
				res, err = e.V.CleanupAll(ctx, versions.BulkCleanupOptions{CleanupOptions: opts})
				if err == nil {
					got = res.DeletedByResource
				}
			} else {
				var res *versions.CleanupResult
				res, err = e.V.Cleanup(ctx, rid, opts)
				if err == nil {
					got = map[int64][]int64{}
					if res.Count > 0 {
						got[rid] = res.DeletedVersionIDs
					}
				}
			}
			if opts.KeepLast == 0 && opts.OlderThanDays == 0 {
				if !errors.Is(err, resources.ErrInvalid) {
					t.Fatalf("seed %d step %d: %s: err %v, want invalid", seed, step, desc, err)
				}
				break
			}
			if err != nil {
				t.Fatalf("seed %d step %d: %s: %v", seed, step, desc, err)
			}
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Fatalf("seed %d step %d: %s: deleted (-model +got):\n%s", seed, step, desc, diff)
			}
			if !opts.DryRun {
				for r, ids := range want {
					model[r] = slices.DeleteFunc(model[r], func(v modelVersion) bool { return slices.Contains(ids, v.ID) })
				}
			}
		case op < 19: // delete the resource
			if len(model) == 1 {
				continue
			}
			desc = fmt.Sprintf("delete resource %d", rid)
			if err := e.Store.Delete(ctx, rid); err != nil {
				t.Fatalf("seed %d step %d: %s: %v", seed, step, desc, err)
			}
			delete(model, rid)
		default:
			desc = "create a resource"
			create()
		}
		done[strings.Fields(desc)[0]]++
		checkHistory(t, e, model, fmt.Sprintf("seed %d step %d (%s)", seed, step, desc))
		if t.Failed() {
			return
		}
	}
}

// cleanup is the model of a cleanup: in every resource of scope, the
// versions other than the current one that are beyond the keepLast newest
// (the current counting) and created before now minus olderThanDays.
func (m historyModel) cleanup(scope []int64, opts versions.CleanupOptions, now time.Time) map[int64][]int64 {
	out := map[int64][]int64{}
	cutoff := now.Add(-time.Duration(opts.OlderThanDays) * 24 * time.Hour)
	for _, rid := range scope {
		vs := slices.Clone(m[rid])
		slices.SortFunc(vs, func(a, b modelVersion) int { return cmp.Compare(b.Number, a.Number) })
		var ids []int64
		for rank, v := range vs { // the current version is the newest: rank 0
			if rank == 0 {
				continue
			}
			if opts.KeepLast > 0 && rank < opts.KeepLast {
				continue
			}
			if opts.OlderThanDays > 0 && !v.Created.Before(cutoff) {
				continue
			}
			ids = append(ids, v.ID)
		}
		if len(ids) > 0 {
			slices.Sort(ids)
			out[rid] = ids
		}
	}
	return out
}

// checkHistory compares the library with the model and checks the
// invariants, reading the rows directly.
func checkHistory(tb testing.TB, e *env, model historyModel, where string) {
	tb.Helper()
	ctx := context.Background()
	var rows []resources.Resource
	if err := e.Store.DB().NewSelect().Model(&rows).Order("r.id").Scan(ctx); err != nil {
		tb.Fatal(err)
	}
	if len(rows) != len(model) {
		tb.Fatalf("%s: %d resources, model has %d", where, len(rows), len(model))
	}
	for _, r := range rows {
		var vs []resources.Version
		if err := e.Store.DB().NewSelect().Model(&vs).Where("v.resource_id = ?", r.ID).Order("v.version_number").Scan(ctx); err != nil {
			tb.Fatal(err)
		}
		got := make([]modelVersion, len(vs))
		for i, v := range vs {
			got[i] = modelVersion{v.ID, v.VersionNumber, v.Hash.String(), v.CreatedAt.UTC()}
		}
		if diff := gocmp.Diff(model[r.ID], got); diff != "" {
			tb.Fatalf("%s: versions of resource %d (-model +got):\n%s", where, r.ID, diff)
		}
	}
	checkInvariants(tb, e, where)
}

// checkInvariants checks, reading the rows directly, that every resource
// has exactly one current version, one of its own, that its file fields are
// that version's, and that the stored blobs are exactly the referenced ones.
func checkInvariants(tb testing.TB, e *env, where string) {
	tb.Helper()
	ctx := context.Background()
	var rows []resources.Resource
	if err := e.Store.DB().NewSelect().Model(&rows).Order("r.id").Scan(ctx); err != nil {
		tb.Fatal(err)
	}
	for _, r := range rows {
		var current []resources.Version
		err := e.Store.DB().NewSelect().Model(&current).
			Where("v.resource_id = ?", r.ID).Where("v.id = ?", r.CurrentVersionID).Scan(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		if len(current) != 1 {
			tb.Fatalf("%s: resource %d has %d current versions among its own (current_version_id %v)", where, r.ID, len(current), r.CurrentVersionID)
		}
		wantResourceFollows(tb, &r, &current[0])
	}
	e.wantBlobsReferenced(tb)
	if tb.Failed() {
		tb.Fatalf("%s: invariants broken", where)
	}
}
