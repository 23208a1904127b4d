package versions_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stockroomhq/stockroom/resources"
	"github.com/stockroomhq/stockroom/versions"
)

func TestCompare(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	small, big := pngBytes(t, 4, 3, 1), pngBytes(t, 40, 30, 2)
	r := e.create(t, small, resources.CreateInput{Name: "picture"})
	v1, err := e.V.Get(ctx, *r.CurrentVersionID)
	if err != nil {
		t.Fatal(err)
	}
	v2 := e.upload(t, r.ID, big, "bigger")
	v3 := e.upload(t, r.ID, []byte("plain text now"), "")
	v4, err := e.V.Restore(ctx, r.ID, v1.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	approx := cmpopts.EquateApproxTime(0)

	tests := []struct {
		name   string
		a, b   *resources.Version
		sameT  bool
		sameH  bool
		dimsDf bool
	}{
		{"bigger image", v1, v2, true, false, true},
		{"image to text", v2, v3, false, false, true},
		{"restored copy", v1, v4, true, true, false},
		{"itself", v2, v2, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.V.Compare(ctx, r.ID, tt.a.ID, tt.b.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := &versions.Comparison{
				Version1:       tt.a,
				Version2:       tt.b,
				SizeDelta:      tt.b.FileSize - tt.a.FileSize,
				SameHash:       tt.sameH,
				SameType:       tt.sameT,
				DimensionsDiff: tt.dimsDf,
			}
			if diff := cmp.Diff(want, got, approx); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	other := e.create(t, big, resources.CreateInput{Name: "other"})
	_, err = e.V.Compare(ctx, r.ID, v1.ID, *other.CurrentVersionID)
	wantErr(t, err, resources.ErrInvalid)
	_, err = e.V.Compare(ctx, r.ID, *other.CurrentVersionID, v1.ID)
	wantErr(t, err, resources.ErrInvalid)
	_, err = e.V.Compare(ctx, r.ID, v1.ID, 999)
	wantNotFound(t, err, "version", 999)
	_, err = e.V.Compare(ctx, 999, v1.ID, v2.ID)
	wantNotFound(t, err, "resource", 999)
}

func TestCompareAcross(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.create(t, pngBytes(t, 4, 3, 1), resources.CreateInput{Name: "first"})
	a2 := e.upload(t, a.ID, pngBytes(t, 5, 3, 1), "")
	b := e.create(t, pngBytes(t, 4, 3, 9), resources.CreateInput{Name: "second"})
	av1, _ := e.V.Get(ctx, *a.CurrentVersionID)
	bv1, _ := e.V.Get(ctx, *b.CurrentVersionID)

	got, err := e.V.CompareAcross(ctx, versions.VersionRef{ResourceID: a.ID, Number: 1}, versions.VersionRef{ResourceID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := &versions.CrossComparison{
		Comparison: versions.Comparison{
			Version1:      av1,
			Version2:      bv1,
			SizeDelta:     bv1.FileSize - av1.FileSize,
			SameType:      true,
			CrossResource: true,
		},
		Resource1: versions.ResourceSummary{ID: a.ID, Name: "first", CurrentVersionID: &a2.ID, VersionNumbers: []int{2, 1}},
		Resource2: versions.ResourceSummary{ID: b.ID, Name: "second", CurrentVersionID: b.CurrentVersionID, VersionNumbers: []int{1}},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Number 0 is the current version; the same resource twice is not a
	// cross-resource comparison.
	same, err := e.V.CompareAcross(ctx, versions.VersionRef{ResourceID: a.ID, Number: 1}, versions.VersionRef{ResourceID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if same.CrossResource || same.Version2.ID != a2.ID || !same.DimensionsDiff {
		t.Errorf("same resource: cross %v, version2 %d (want %d), dimensionsDiff %v", same.CrossResource, same.Version2.ID, a2.ID, same.DimensionsDiff)
	}

	_, err = e.V.CompareAcross(ctx, versions.VersionRef{ResourceID: a.ID, Number: 7}, versions.VersionRef{ResourceID: b.ID})
	wantErr(t, err, resources.ErrNotFound)
	_, err = e.V.CompareAcross(ctx, versions.VersionRef{ResourceID: a.ID}, versions.VersionRef{ResourceID: 999})
	wantNotFound(t, err, "resource", 999)
	_, err = e.V.CompareAcross(ctx, versions.VersionRef{ResourceID: a.ID, Number: -1}, versions.VersionRef{ResourceID: b.ID})
	wantErr(t, err, resources.ErrInvalid)
}
