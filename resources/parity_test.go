package resources_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/resources"
)

func metaOf(t *testing.T, m resources.Meta) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(m, &v); err != nil {
		t.Fatalf("meta %s: %v", m, err)
	}
	return v
}

func mustGroup(t *testing.T, s *resources.Store, in resources.GroupInput) *resources.Group {
	t.Helper()
	g, err := s.SaveGroup(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestEditMetaPaths(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	g := mustGroup(t, s, resources.GroupInput{Name: ptr("g"), Meta: resources.Meta(`{"a": {"b": 1}, "s": "text", "big": 12345678901234567890}`)})
	steps := []struct {
		path, value string
		want        map[string]any
	}{
		{"a.c", `true`, map[string]any{"a": map[string]any{"b": 1.0, "c": true}}},
		{"x.y.z", `"deep"`, map[string]any{"x": map[string]any{"y": map[string]any{"z": "deep"}}}},
		{"a", `null`, map[string]any{"a": nil}},
		{"a.again", `[1]`, map[string]any{"a": map[string]any{"again": []any{1.0}}}},
	}
	for _, st := range steps {
		if err := s.EditMeta(ctx, resources.EntityGroup, g.ID, st.path, []byte(st.value)); err != nil {
			t.Fatalf("EditMeta %s = %s: %v", st.path, st.value, err)
		}
		got, err := s.GetGroup(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		m := metaOf(t, got.Meta)
		for k, v := range st.want {
			if !cmp.Equal(v, m[k]) {
				t.Errorf("after %s: meta[%s] = %v, want %v", st.path, k, m[k], v)
			}
		}
		// A number too large for a float64 is kept as written.
		if !strings.Contains(string(got.Meta), "12345678901234567890") {
			t.Errorf("meta %s lost the large number", got.Meta)
		}
	}
	before, _ := s.GetGroup(ctx, g.ID)
	for _, bad := range []struct {
		e           resources.Entity
		path, value string
		kind        error
	}{
		{resources.EntityGroup, "s.inner", `1`, resources.ErrInvalid},
		{resources.EntityGroup, "", `1`, resources.ErrInvalid},
		{resources.EntityGroup, "a.", `1`, resources.ErrInvalid},
		{resources.EntityGroup, "k", `{`, resources.ErrInvalid},
		{resources.EntityTag, "k", `1`, resources.ErrInvalid},
		{resources.EntityGroup, "k", `1`, nil},
	} {
		id := g.ID
		if bad.kind == nil {
			id, bad.kind = 999, resources.ErrNotFound
		}
		if err := s.EditMeta(ctx, bad.e, id, bad.path, []byte(bad.value)); !errors.Is(err, bad.kind) {
			t.Errorf("EditMeta(%s, %d, %q, %q) = %v, want %v", bad.e, id, bad.path, bad.value, err, bad.kind)
		}
	}
	after, _ := s.GetGroup(ctx, g.ID)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("refused edits changed the group (-before +after):\n%s", diff)
	}
}

func TestGroupParentsAndChildren(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	a := mustGroup(t, s, resources.GroupInput{Name: ptr("a")})
	b := mustGroup(t, s, resources.GroupInput{Name: ptr("b"), OwnerID: &a.ID})
	c := mustGroup(t, s, resources.GroupInput{Name: ptr("c"), OwnerID: &b.ID})

	chain, err := s.GroupParents(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, g := range chain {
		got = append(got, g.ID)
	}
	if want := []int64{c.ID, b.ID, a.ID}; !slices.Equal(got, want) {
		t.Errorf("GroupParents = %v, want %v", got, want)
	}
	if _, err := s.GroupParents(ctx, 999); !errors.Is(err, resources.ErrNotFound) {
		t.Errorf("GroupParents(999) = %v", err)
	}
	nodes, err := s.GroupChildren(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []resources.GroupTreeNode{{ID: a.ID, Name: "a", ChildCount: 1}}; !cmp.Equal(want, nodes) {
		t.Errorf("roots = %+v, want %+v", nodes, want)
	}
	nodes, err = s.GroupChildren(ctx, a.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []resources.GroupTreeNode{{ID: b.ID, Name: "b", ChildCount: 1, OwnerID: &a.ID}}; !cmp.Equal(want, nodes) {
		t.Errorf("children of a = %+v, want %+v", nodes, want)
	}
	if _, err := s.GroupChildren(ctx, 999, 0); !errors.Is(err, resources.ErrNotFound) {
		t.Errorf("GroupChildren(999) = %v", err)
	}
	if _, err := s.GroupChildren(ctx, 0, -1); !errors.Is(err, resources.ErrInvalid) {
		t.Errorf("GroupChildren limit -1 = %v", err)
	}
}

func TestBulkEntityAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	tag, err := s.SaveTag(ctx, resources.TagInput{Name: ptr("t")})
	if err != nil {
		t.Fatal(err)
	}
	g1 := mustGroup(t, s, resources.GroupInput{Name: ptr("g1"), Meta: resources.Meta(`{"a": 1}`)})
	g2 := mustGroup(t, s, resources.GroupInput{Name: ptr("g2")})
	snapshot := func() []*resources.Group {
		res, err := s.ListGroups(ctx, resources.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Items
	}
	before := snapshot()
	refused := []struct {
		name string
		call func() error
		kind error
	}{
		{"tags unknown group", func() error { return s.AddEntityTags(ctx, resources.EntityGroup, []int64{g1.ID, 999}, []int64{tag.ID}) }, resources.ErrNotFound},
		{"tags unknown tag", func() error { return s.AddEntityTags(ctx, resources.EntityGroup, []int64{g1.ID}, []int64{998}) }, resources.ErrNotFound},
		{"tags none", func() error { return s.AddEntityTags(ctx, resources.EntityGroup, []int64{g1.ID}, nil) }, resources.ErrInvalid},
		{"groups of groups", func() error { return s.AddEntityGroups(ctx, resources.EntityGroup, []int64{g1.ID}, []int64{g2.ID}) }, resources.ErrInvalid},
		{"meta unknown group", func() error {
			return s.AddEntityMeta(ctx, resources.EntityGroup, []int64{g2.ID, 999}, resources.Meta(`{"b": 2}`))
		}, resources.ErrNotFound},
		{"meta not an object", func() error { return s.AddEntityMeta(ctx, resources.EntityGroup, []int64{g2.ID}, resources.Meta(`[]`)) }, resources.ErrInvalid},
		{"delete unknown", func() error { return s.DeleteEntities(ctx, resources.EntityGroup, []int64{g1.ID, 999}) }, resources.ErrNotFound},
		{"merge unknown loser", func() error { return s.MergeGroups(ctx, g1.ID, []int64{g2.ID, 999}) }, resources.ErrNotFound},
		{"merge into itself", func() error { return s.MergeGroups(ctx, g1.ID, []int64{g1.ID}) }, resources.ErrInvalid},
		{"resources have no bulk here", func() error { return s.DeleteEntities(ctx, resources.EntityResource, []int64{1}) }, resources.ErrInvalid},
	}
	for _, tt := range refused {
		if err := tt.call(); !errors.Is(err, tt.kind) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.kind)
		}
	}
	if diff := cmp.Diff(before, snapshot()); diff != "" {
		t.Errorf("refused calls changed groups (-before +after):\n%s", diff)
	}

	// A merge patch: null removes, objects merge.
	if err := s.AddEntityMeta(ctx, resources.EntityGroup, []int64{g1.ID, g2.ID}, resources.Meta(`{"a": null, "o": {"x": 1}}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEntityMeta(ctx, resources.EntityGroup, []int64{g1.ID}, resources.Meta(`{"o": {"y": 2}}`)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetGroup(ctx, g1.ID)
	if want := map[string]any{"o": map[string]any{"x": 1.0, "y": 2.0}}; !cmp.Equal(want, metaOf(t, got.Meta)) {
		t.Errorf("g1 meta %s", got.Meta)
	}
	keys, err := s.EntityMetaKeys(ctx, resources.EntityGroup)
	if err != nil || !slices.Equal(keys, []string{"o"}) {
		t.Errorf("EntityMetaKeys = %v, %v", keys, err)
	}
}

func TestMergeGroupsKeepsTreeAcyclic(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	top := mustGroup(t, s, resources.GroupInput{Name: ptr("top")})
	loser := mustGroup(t, s, resources.GroupInput{Name: ptr("loser"), OwnerID: &top.ID})
	mid := mustGroup(t, s, resources.GroupInput{Name: ptr("mid"), OwnerID: &loser.ID})
	winner := mustGroup(t, s, resources.GroupInput{Name: ptr("winner"), OwnerID: &mid.ID})
	sibling := mustGroup(t, s, resources.GroupInput{Name: ptr("sibling"), OwnerID: &loser.ID})
	if err := s.MergeGroups(ctx, winner.ID, []int64{loser.ID}); err != nil {
		t.Fatal(err)
	}
	// mid is an ancestor of the winner: it must not become its child.
	owner := func(id int64) *int64 {
		g, err := s.GetGroup(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return g.OwnerID
	}
	if o := owner(mid.ID); o != nil {
		t.Errorf("mid owned by %d, want none", *o)
	}
	if o := owner(sibling.ID); o == nil || *o != winner.ID {
		t.Errorf("sibling owned by %v, want the winner", o)
	}
	if o := owner(winner.ID); o == nil || *o != mid.ID {
		t.Errorf("winner owned by %v, want mid", o)
	}
}
