package resources_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stockroomhq/stockroom/resources"
)

// appendVersion stores data and appends it as a new version of resource id.
func appendVersion(tb testing.TB, s *resources.Store, id int64, data []byte, comment string) *resources.Version {
	tb.Helper()
	ctx := context.Background()
	up, err := s.Stage(ctx, bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("Stage: %v", err)
	}
	defer s.Release(ctx, up)
	v, err := s.AppendVersion(ctx, id, up.Content(), comment)
	if err != nil {
		tb.Fatalf("AppendVersion: %v", err)
	}
	return v
}

// versionsOf returns the versions of resource id, oldest first.
func versionsOf(tb testing.TB, s *resources.Store, id int64) []*resources.Version {
	tb.Helper()
	var out []*resources.Version
	if err := s.DB().NewSelect().Model(&out).Where("v.resource_id = ?", id).Order("v.version_number").Scan(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return out
}

func resourceExists(tb testing.TB, s *resources.Store, id int64) bool {
	tb.Helper()
	return countRows(tb, s, "resources", "id = ?", id) == 1
}

func TestMergeRelations(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tags := newTags(t, s, "t1", "t2", "t3", "t4")
	groups := newGroups(t, s, "owner", "g1", "g2", "loser owner", "unrelated")
	notes := make([]int64, 3)
	for i := range notes {
		n, err := s.SaveNote(ctx, resources.NoteInput{Name: ptr("note")})
		if err != nil {
			t.Fatal(err)
		}
		notes[i] = n.ID
	}
	winner := mustCreate(t, s, []byte("winner"), resources.CreateInput{Name: "winner",
		OwnerID: &groups[0], Tags: tags[:1], Groups: groups[1:2], Notes: notes[:1]})
	l1 := mustCreate(t, s, []byte("l1"), resources.CreateInput{Name: "l1",
		OwnerID: &groups[3], Tags: tags[:2], Groups: groups[2:3], Notes: notes[1:2]})
	// l2 is owned by the winner's owner, which therefore does not become a
	// related group as well.
	l2 := mustCreate(t, s, []byte("l2"), resources.CreateInput{Name: "l2",
		OwnerID: &groups[0], Tags: tags[2:3], Notes: notes[1:3]})
	bystander := mustCreate(t, s, []byte("bystander"), resources.CreateInput{Tags: tags[3:], Groups: groups[4:], OwnerID: &groups[3]})
	bystanderBefore := mustGet(t, s, bystander.ID)

	if err := s.Merge(ctx, winner.ID, []int64{l2.ID, l1.ID, l2.ID}); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if diff := cmp.Diff(tags[:3], tagIDsOf(t, s, winner.ID)); diff != "" {
		t.Errorf("winner's tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{groups[1], groups[2], groups[3]}, groupIDsOf(t, s, winner.ID)); diff != "" {
		t.Errorf("winner's groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(notes, noteIDsOf(t, s, winner.ID)); diff != "" {
		t.Errorf("winner's notes (-want +got):\n%s", diff)
	}
	got := mustGet(t, s, winner.ID)
	if got.OwnerID == nil || *got.OwnerID != groups[0] || got.Name != "winner" || got.Hash != winner.Hash {
		t.Errorf("winner's own fields changed: owner %v, name %q, hash %s", got.OwnerID, got.Name, got.Hash)
	}
	for _, l := range []*resources.Resource{l1, l2} {
		if resourceExists(t, s, l.ID) {
			t.Errorf("loser %d still exists", l.ID)
		}
		for _, tbl := range []string{"resource_tags", "groups_related_resources", "resource_notes", "resource_versions"} {
			if n := countRows(t, s, tbl, "resource_id = ?", l.ID); n != 0 {
				t.Errorf("%d rows of %s left for loser %d", n, tbl, l.ID)
			}
		}
	}
	if diff := cmp.Diff(bystanderBefore, mustGet(t, s, bystander.ID)); diff != "" {
		t.Errorf("a resource outside the merge changed (-want +got):\n%s", diff)
	}
	// The entities themselves are untouched.
	for tbl, want := range map[string]int{"tags": 4, `"groups"`: 5, "notes": 3} {
		if n := countRows(t, s, tbl, ""); n != want {
			t.Errorf("%d %s, want %d", n, tbl, want)
		}
	}
}

func TestMergeMeta(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	winner := mustCreate(t, s, []byte("w"), resources.CreateInput{Meta: resources.Meta(
		`{"a":1,"nested":{"x":"w","deep":{"p":1}},"z":null,"arr":[1],"big":12345678901234567890}`)})
	l1 := mustCreate(t, s, []byte("l1"), resources.CreateInput{Meta: resources.Meta(
		`{"a":2,"b":"l1","nested":{"x":"l1","y":"l1","deep":{"p":2,"q":2}},"z":5,"arr":{"not":"merged"},"html":"<b>&</b>"}`)})
	l2 := mustCreate(t, s, []byte("l2"), resources.CreateInput{Meta: resources.Meta(
		`{"b":"l2","c":3.50,"nested":{"y":"l2","w":"l2"},"a":{"obj":true}}`)})
	l3 := mustCreate(t, s, []byte("l3"), resources.CreateInput{})

	// The order given does not matter: losers rank by ID.
	if err := s.Merge(ctx, winner.ID, []int64{l3.ID, l2.ID, l1.ID}); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	want := `{"a":1,"arr":[1],"b":"l1","big":12345678901234567890,"c":3.50,"html":"<b>&</b>",
		"nested":{"deep":{"p":1,"q":2},"w":"l2","x":"w","y":"l1"},"z":null}`
	got := string(mustGet(t, s, winner.ID).Meta)
	if diff := cmp.Diff(compactJSON(t, want), got); diff != "" {
		t.Errorf("merged meta (-want +got):\n%s", diff)
	}

	// Losers that bring nothing leave the winner's meta as it was written.
	w2 := mustCreate(t, s, []byte("w2"), resources.CreateInput{Meta: resources.Meta(`{"z":1,"a":{"b":2}}`)})
	l4 := mustCreate(t, s, []byte("l4"), resources.CreateInput{Meta: resources.Meta(`{"a":{"b":3}}`)})
	if err := s.Merge(ctx, w2.ID, []int64{l4.ID}); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if got := string(mustGet(t, s, w2.ID).Meta); got != `{"z":1,"a":{"b":2}}` {
		t.Errorf("meta = %s, want it unchanged", got)
	}
}

func compactJSON(tb testing.TB, s string) string {
	tb.Helper()
	m, err := resources.ParseMeta([]byte(s))
	if err != nil {
		tb.Fatal(err)
	}
	return string(m)
}

func TestMergeVersions(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t)
	winner := mustCreate(t, s, []byte("w v1"), resources.CreateInput{Name: "winner"})
	appendVersion(t, s, winner.ID, []byte("w v2"), "w second")
	winner = mustGet(t, s, winner.ID)
	l1 := mustCreate(t, s, []byte("l1 v1"), resources.CreateInput{})
	appendVersion(t, s, l1.ID, []byte("l1 v2"), "l1 second")
	appendVersion(t, s, l1.ID, []byte("l1 v3"), "l1 third")
	l2 := mustCreate(t, s, []byte("l2 v1"), resources.CreateInput{})

	var want []*resources.Version
	want = append(want, versionsOf(t, s, winner.ID)...)
	want = append(want, versionsOf(t, s, l1.ID)...)
	want = append(want, versionsOf(t, s, l2.ID)...)
	for i, v := range want {
		v.ResourceID = winner.ID
		v.VersionNumber = i + 1
	}
	blobsBefore := storedBlobs(t, bs)

	if err := s.Merge(ctx, winner.ID, []int64{l2.ID, l1.ID}); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	// Version IDs, content, comments and dates are kept; only the owner
	// and the numbers change.
	if diff := cmp.Diff(want, versionsOf(t, s, winner.ID)); diff != "" {
		t.Errorf("winner's versions (-want +got):\n%s", diff)
	}
	got := mustGet(t, s, winner.ID)
	if diff := cmp.Diff(winner, got, cmpopts.IgnoreFields(resources.Resource{}, "UpdatedAt")); diff != "" {
		t.Errorf("winner changed beyond UpdatedAt (-want +got):\n%s", diff)
	}
	if !got.UpdatedAt.After(winner.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want after %v", got.UpdatedAt, winner.UpdatedAt)
	}
	// Every blob is still referenced by a version.
	if diff := cmp.Diff(blobsBefore, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	// A later version goes after the moved ones, and deleting the winner
	// removes every blob.
	v := appendVersion(t, s, winner.ID, []byte("w v7"), "")
	if v.VersionNumber != 7 {
		t.Errorf("next version number = %d, want 7", v.VersionNumber)
	}
	if err := s.Delete(ctx, winner.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{}, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs after deleting the winner (-want +got):\n%s", diff)
	}
}

// TestMergeSharedBlob merges resources that hold the same content: the one
// blob stays, referenced by the winner and by the version moved to it.
func TestMergeSharedBlob(t *testing.T) {
	ctx := context.Background()
	s, bs := newTestStore(t, allowDuplicates)
	same := []byte("the same bytes")
	winner := mustCreate(t, s, same, resources.CreateInput{Name: "winner"})
	loser := mustCreate(t, s, same, resources.CreateInput{Name: "loser"})
	appendVersion(t, s, loser.ID, []byte("loser's own v2"), "")
	other := mustCreate(t, s, []byte("other"), resources.CreateInput{})
	otherLoser := mustCreate(t, s, []byte("other"), resources.CreateInput{})
	blobsBefore := storedBlobs(t, bs)
	if len(blobsBefore) != 3 {
		t.Fatalf("%d blobs before, want 3", len(blobsBefore))
	}

	if err := s.Merge(ctx, winner.ID, []int64{loser.ID}); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	vs := versionsOf(t, s, winner.ID)
	var hashes []string
	for _, v := range vs {
		hashes = append(hashes, v.Hash.String())
	}
	loserV2 := sha256Hex([]byte("loser's own v2"))
	if diff := cmp.Diff([]string{winner.Hash.String(), winner.Hash.String(), loserV2}, hashes); diff != "" {
		t.Errorf("hashes of the winner's versions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(blobsBefore, storedBlobs(t, bs)); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	// Merging into the other holder of a blob, then deleting it, removes the
	// blob: nothing refers to it any more.
	if err := s.Merge(ctx, other.ID, []int64{otherLoser.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{winner.Hash.String(), loserV2}, storedBlobs(t, bs), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("blobs after deleting the other winner (-want +got):\n%s", diff)
	}
}

// TestMergeManyLosers merges more losers than fit in one chunk.
func TestMergeManyLosers(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	ids := insertResources(t, s, 901, "r")
	winner, losers := ids[900], ids[:900]
	if err := s.Merge(ctx, winner, losers); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	vs := versionsOf(t, s, winner)
	if len(vs) != 901 {
		t.Fatalf("%d versions, want 901", len(vs))
	}
	// Version 1 is the winner's own; then the losers', by ascending ID.
	for i, v := range vs {
		wantHash := sha256Hex([]byte("r 900"))
		if i > 0 {
			wantHash = sha256Hex([]byte("r " + strconv.Itoa(i-1)))
		}
		if v.VersionNumber != i+1 || v.Hash.String() != wantHash {
			t.Fatalf("version %d: number %d, hash %s; want %d, %s", i, v.VersionNumber, v.Hash, i+1, wantHash)
		}
	}
	if n := countRows(t, s, "resources", ""); n != 1 {
		t.Errorf("%d resources left, want 1", n)
	}
	var meta map[string]any
	if err := json.Unmarshal(mustGet(t, s, winner).Meta, &meta); err != nil {
		t.Fatal(err)
	}
	if meta["i"] != float64(900) {
		t.Errorf("meta i = %v, want the winner's 900", meta["i"])
	}
}
