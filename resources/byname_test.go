package resources_test

import (
	"context"
	"testing"

	"github.com/stockroomhq/stockroom/resources"
)

func TestByName(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	name := func(v string) *string { return &v }
	tag, err := s.SaveTag(ctx, resources.TagInput{Name: name("Sunset")})
	if err != nil {
		t.Fatal(err)
	}
	g1, err := s.SaveGroup(ctx, resources.GroupInput{Name: name("Team")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveGroup(ctx, resources.GroupInput{Name: name("Team")}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		what string
		f    func(context.Context, string) (int64, error)
		name string
		want int64
	}{
		{"tag", s.TagByName, "Sunset", tag.ID},
		{"tag in another case", s.TagByName, "sunset", 0},
		{"tag substring", s.TagByName, "Sun", 0},
		{"group, the first of two", s.GroupByName, "Team", g1.ID},
		{"no group", s.GroupByName, "Other", 0},
	} {
		got, err := tt.f(ctx, tt.name)
		if err != nil || got != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.what, got, err, tt.want)
		}
	}
}
