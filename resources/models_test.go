package resources_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stockroomhq/stockroom/resources"
)

// TestHashJSONAndStorage: the typed hash of a resource and of its versions
// is the lowercase hex string in JSON, as it was when the fields were
// strings, and the same TEXT in the database.
func TestHashJSONAndStorage(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	data := []byte("hash me")
	want := sha256Hex(data)
	r := mustCreate(t, s, data, resources.CreateInput{})

	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"Hash":"`+want+`"`) {
		t.Errorf("resource JSON has no \"Hash\":%q: %s", want, b)
	}
	var back resources.Resource
	if err := json.Unmarshal(b, &back); err != nil || back.Hash != r.Hash {
		t.Errorf("resource JSON round trip: %s, %v; want %s", back.Hash, err, r.Hash)
	}

	var v resources.Version
	if err := s.DB().NewSelect().Model(&v).Where("resource_id = ?", r.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	b, err = json.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"hash":"`+want+`"`) {
		t.Errorf("version JSON has no \"hash\":%q: %s", want, b)
	}

	var stored []string
	if err := s.DB().NewRaw(`SELECT hash FROM resources WHERE id = ? UNION ALL SELECT hash FROM resource_versions WHERE resource_id = ?`, r.ID, r.ID).Scan(ctx, &stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || stored[0] != want || stored[1] != want {
		t.Errorf("stored hashes %q, want %q twice", stored, want)
	}
}
