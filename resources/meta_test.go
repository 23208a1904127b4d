package resources_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/resources"
)

func TestParseMeta(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: `{"a": 1, "b": {"c": [1, 2]}}`, want: `{"a":1,"b":{"c":[1,2]}}`},
		{in: ` {} `, want: `{}`},
		{in: ``, want: `{}`},
		{in: "  \n", want: `{}`},
		{in: `{"unicode":"é"}`, want: `{"unicode":"é"}`},
		{in: `[1,2]`, wantErr: true},
		{in: `[]`, wantErr: true},
		{in: `42`, wantErr: true},
		{in: `"text"`, wantErr: true},
		{in: `true`, wantErr: true},
		{in: `null`, wantErr: true},
		{in: `{`, wantErr: true},
		{in: `{"a":}`, wantErr: true},
		{in: `{} {}`, wantErr: true},
		{in: `{"a":1} x`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := resources.ParseMeta([]byte(tt.in))
			if tt.wantErr {
				wantErr(t, err, resources.ErrInvalid)
				return
			}
			if err != nil {
				t.Fatalf("ParseMeta: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetaJSON(t *testing.T) {
	var zero resources.Meta
	b, err := json.Marshal(zero)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{}` {
		t.Errorf("Marshal(zero Meta) = %s, want {}", b)
	}
	b, err = json.Marshal(struct{ Meta resources.Meta }{resources.Meta(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"Meta":{"a":1}}` {
		t.Errorf("Marshal = %s", b)
	}

	tests := []struct {
		name    string
		in      string
		want    string // the Meta after decoding; the field starts as {"old":1}
		wantErr bool
	}{
		{name: "object", in: `{"Meta": {"a": 1}}`, want: `{"a":1}`},
		{name: "string holding an object", in: `{"Meta": "{\"a\": 1}"}`, want: `{"a":1}`},
		{name: "empty string", in: `{"Meta": ""}`, want: `{}`},
		{name: "null keeps the value", in: `{"Meta": null}`, want: `{"old":1}`},
		{name: "absent keeps the value", in: `{}`, want: `{"old":1}`},
		{name: "array", in: `{"Meta": [1]}`, wantErr: true},
		{name: "number", in: `{"Meta": 3}`, wantErr: true},
		{name: "string holding an array", in: `{"Meta": "[1]"}`, wantErr: true},
		{name: "string holding junk", in: `{"Meta": "{oops"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := struct{ Meta resources.Meta }{Meta: resources.Meta(`{"old":1}`)}
			err := json.Unmarshal([]byte(tt.in), &v)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Unmarshal succeeded with %s, want an error", v.Meta)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(v.Meta)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetaValueScan(t *testing.T) {
	var zero resources.Meta
	v, err := zero.Value()
	if err != nil || v != "{}" {
		t.Errorf("zero Value() = %v, %v; want {}", v, err)
	}
	for _, src := range []any{`{"a":1}`, []byte(`{"a":1}`)} {
		var m resources.Meta
		if err := m.Scan(src); err != nil {
			t.Fatal(err)
		}
		if string(m) != `{"a":1}` {
			t.Errorf("Scan(%T) = %s", src, m)
		}
	}
	var m resources.Meta
	if err := m.Scan(nil); err != nil {
		t.Errorf("Scan(nil): %v", err)
	}
	if err := m.Scan(42); err == nil {
		t.Error("Scan(42) succeeded, want an error")
	}
	// Scan must copy a []byte: drivers reuse their buffers.
	buf := []byte(`{"a":1}`)
	if err := m.Scan(buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, `{"b":2}`)
	if string(m) != `{"a":1}` {
		t.Errorf("Scan kept the driver's buffer: %s", m)
	}
}
