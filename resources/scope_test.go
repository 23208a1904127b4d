package resources_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/resources"
)

func TestOutsideGroup(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	group := func(name string, parent *int64) int64 {
		t.Helper()
		g, err := s.SaveGroup(ctx, resources.GroupInput{Name: ptr(name), OwnerID: parent})
		if err != nil {
			t.Fatal(err)
		}
		return g.ID
	}
	// root ─ a ─ a1 ─ a11     other ─ o1
	//      └ b
	root := group("root", nil)
	a := group("a", &root)
	a1 := group("a1", &a)
	a11 := group("a11", &a1)
	b := group("b", &root)
	other := group("other", nil)
	o1 := group("o1", &other)
	n := 0
	res := func(owner *int64) int64 {
		t.Helper()
		n++
		r, err := s.Create(ctx, strings.NewReader(strings.Repeat("x", n)), resources.CreateInput{Name: "r", OwnerID: owner})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	rRoot, rA11, rO1, rNone := res(&root), res(&a11), res(&o1), res(nil)
	note := func(owner *int64) int64 {
		t.Helper()
		n, err := s.SaveNote(ctx, resources.NoteInput{Name: ptr("n"), OwnerID: owner})
		if err != nil {
			t.Fatal(err)
		}
		return n.ID
	}
	nB, nOther, nNone := note(&b), note(&other), note(nil)

	for _, tt := range []struct {
		name string
		root int64
		e    resources.Entity
		ids  []int64
		want []int64
	}{
		{"groups under root", root, resources.EntityGroup, []int64{root, a, a1, a11, b, other, o1}, []int64{other, o1}},
		{"groups under a1", a1, resources.EntityGroup, []int64{root, a, a1, a11, b}, []int64{root, a, b}},
		{"a leaf holds only itself", a11, resources.EntityGroup, []int64{a1, a11}, []int64{a1}},
		{"resources under root", root, resources.EntityResource, []int64{rRoot, rA11, rO1, rNone}, []int64{rO1, rNone}},
		{"resources under a", a, resources.EntityResource, []int64{rRoot, rA11}, []int64{rRoot}},
		{"resources under other", other, resources.EntityResource, []int64{rRoot, rO1}, []int64{rRoot}},
		{"notes under root", root, resources.EntityNote, []int64{nB, nOther, nNone}, []int64{nOther, nNone}},
		{"unknown IDs are left to the write", root, resources.EntityResource, []int64{rA11, 999999}, []int64{}},
		{"no IDs", root, resources.EntityResource, nil, []int64{}},
		{"an unknown root holds nothing", 999999, resources.EntityGroup, []int64{root, a}, []int64{root, a}},
	} {
		got, err := s.OutsideGroup(ctx, tt.root, tt.e, tt.ids)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: outside (-want +got):\n%s", tt.name, diff)
		}
	}

	// Moving a group moves what it holds, in and out of scope.
	if _, err := s.SaveGroup(ctx, resources.GroupInput{ID: a1, OwnerID: &other}); err != nil {
		t.Fatal(err)
	}
	got, err := s.OutsideGroup(ctx, root, resources.EntityResource, []int64{rRoot, rA11})
	if err != nil || !cmp.Equal(got, []int64{rA11}) {
		t.Errorf("after moving a1 under other: outside root = %v, %v; want [%d]", got, err, rA11)
	}

	// A cycle cannot be made, so the walk down always ends.
	if _, err := s.SaveGroup(ctx, resources.GroupInput{ID: other, OwnerID: &a11}); err == nil {
		t.Fatal("SaveGroup made a cycle: other under its own descendant a11")
	}

	// Only resources, groups and notes belong to groups.
	if _, err := s.OutsideGroup(ctx, root, resources.EntityTag, []int64{1}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("tags: err %v, want kind Invalid", err)
	} else if !strings.Contains(err.Error(), "belongs to no group") {
		t.Errorf("tags: err %q does not say why", err)
	}
}
