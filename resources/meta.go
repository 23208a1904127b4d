package resources

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
)

// Meta is a JSON object of free-form metadata. Its zero value is the empty
// object. It is stored as JSON text.
type Meta json.RawMessage

// ParseMeta checks that b is a JSON object and returns it compacted.
func ParseMeta(b []byte) (Meta, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Meta(`{}`), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, invalidf("Meta must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, invalidf("Meta must be a JSON object")
	}
	return Meta(buf.Bytes()), nil
}

// normalizeMeta checks a Meta given by a caller: nil stays nil ("not
// given"); anything else must be a JSON object and is returned compacted
// (empty means {}).
func normalizeMeta(m Meta) (Meta, error) {
	if m == nil {
		return nil, nil
	}
	return ParseMeta(m)
}

// MarshalJSON writes the object, or {} for the zero value.
func (m Meta) MarshalJSON() ([]byte, error) {
	if len(m) == 0 {
		return []byte(`{}`), nil
	}
	return []byte(m), nil
}

// UnmarshalJSON accepts an object, or a string holding one (as the reference
// application's clients send it). A JSON null leaves m unchanged, as the
// encoding/json convention for Unmarshalers asks.
func (m *Meta) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	parsed, err := ParseMeta(b)
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}

// Value stores the object as text.
func (m Meta) Value() (driver.Value, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	return string(m), nil
}

// compactMeta copies b, without the spaces that PostgreSQL's jsonb puts
// in the text it writes (a merged meta); text without spaces, what Store
// writes, is copied as is.
func compactMeta(b []byte) Meta {
	if bytes.ContainsAny(b, " \t\n\r") {
		var buf bytes.Buffer
		if json.Compact(&buf, b) == nil {
			return Meta(buf.Bytes())
		}
	}
	return append(Meta(nil), b...)
}

// Scan reads JSON text.
func (m *Meta) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*m = nil
	case string:
		if !strings.ContainsAny(v, " \t\n\r") {
			*m = Meta(v) // one copy, where compactMeta's argument would be another
			return nil
		}
		*m = compactMeta([]byte(v))
	case []byte:
		*m = compactMeta(v)
	default:
		return fmt.Errorf("resources: cannot scan %T into Meta", src)
	}
	return nil
}
