package resources

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// Encoding a page of resources with encoding/json, by reflection, was a
// sixth of a list's CPU. AppendJSON writes the same bytes by hand for the
// resources that answers carry; whatever it does not write exactly as
// encoding/json would (relations nested deeper than a list loads, odd
// times), it declines, and the caller encodes with encoding/json.

// AppendJSON appends the JSON of rs (an array) to b as encoding/json
// would, HTML escaping included. ok is false when it cannot; b is then to
// be discarded.
func AppendJSON(b []byte, rs []*Resource) (_ []byte, ok bool) {
	if rs == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = r.AppendJSON(b); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// AppendJSON appends the JSON of r to b as encoding/json would; ok is
// false when it cannot.
func (r *Resource) AppendJSON(b []byte) (_ []byte, ok bool) {
	if r == nil {
		return append(b, "null"...), true
	}
	j := jsonWriter{b: b, ok: true}
	j = j.head(r.ID, r.CreatedAt, r.UpdatedAt, r.Name)
	j = j.str(`,"Description":`, r.Description)
	j = j.str(`,"OriginalName":`, r.OriginalName)
	j = j.str(`,"OriginalLocation":`, r.OriginalLocation)
	// Hexadecimal needs no escapes.
	j.b = append(j.b, `,"Hash":"`...)
	j.b = hex.AppendEncode(j.b, r.Hash[:])
	j.b = append(j.b, '"')
	j = j.str(`,"HashType":`, r.HashType)
	j = j.str(`,"Location":`, r.Location)
	j.b = append(j.b, `,"StorageLocation":`...)
	if r.StorageLocation == nil {
		j.b = append(j.b, "null"...)
	} else {
		j = j.str("", *r.StorageLocation)
	}
	j = j.meta(`,"Meta":`, r.Meta)
	j.b = append(j.b, `,"Width":`...)
	j = j.int(int64(r.Width))
	j.b = append(j.b, `,"Height":`...)
	j = j.int(int64(r.Height))
	j.b = append(j.b, `,"FileSize":`...)
	j = j.int(r.FileSize)
	j = j.str(`,"Category":`, r.Category)
	j = j.str(`,"ContentType":`, r.ContentType)
	j = j.str(`,"ContentCategory":`, r.ContentCategory)
	j = j.str(`,"CreatedBy":`, r.CreatedBy)
	j = j.str(`,"UpdatedBy":`, r.UpdatedBy)
	j = j.optInt(`,"OwnerId":`, r.OwnerID)
	j.b = append(j.b, `,"Owner":`...)
	j = j.group(r.Owner)
	j = j.optInt(`,"ResourceCategoryId":`, r.ResourceCategoryID)
	j.b = append(j.b, `,"ResourceCategory":`...)
	if c := r.ResourceCategory; c == nil {
		j.b = append(j.b, "null"...)
	} else {
		j = j.head(c.ID, c.CreatedAt, c.UpdatedAt, c.Name)
		j = j.str(`,"Description":`, c.Description)
		j = j.str(`,"MetaSchema":`, c.MetaSchema)
		j.b = append(j.b, '}')
	}
	j = j.optInt(`,"SeriesId":`, r.SeriesID)
	j.b = append(j.b, `,"Series":`...)
	if s := r.Series; s == nil {
		j.b = append(j.b, "null"...)
	} else {
		if len(s.Resources) > 0 {
			return b, false
		}
		j = j.head(s.ID, s.CreatedAt, s.UpdatedAt, s.Name)
		j = j.str(`,"Slug":`, s.Slug)
		j = j.meta(`,"Meta":`, s.Meta)
		j.b = append(j.b, '}')
	}
	j = j.optInt(`,"currentVersionId":`, r.CurrentVersionID)
	j.b = append(j.b, `,"Tags":`...)
	if r.Tags == nil {
		j.b = append(j.b, "null"...)
	} else {
		j.b = append(j.b, '[')
		for i, t := range r.Tags {
			if i > 0 {
				j.b = append(j.b, ',')
			}
			j = j.tag(t)
		}
		j.b = append(j.b, ']')
	}
	j.b = append(j.b, `,"Groups":`...)
	if r.Groups == nil {
		j.b = append(j.b, "null"...)
	} else {
		j.b = append(j.b, '[')
		for i, g := range r.Groups {
			if i > 0 {
				j.b = append(j.b, ',')
			}
			j = j.group(g)
		}
		j.b = append(j.b, ']')
	}
	j.b = append(j.b, `,"Notes":`...)
	if r.Notes == nil {
		j.b = append(j.b, "null"...)
	} else {
		j.b = append(j.b, '[')
		for i, n := range r.Notes {
			if i > 0 {
				j.b = append(j.b, ',')
			}
			j = j.note(n)
		}
		j.b = append(j.b, ']')
	}
	j.b = append(j.b, '}')
	return j.b, j.ok
}

// jsonWriter appends JSON; ok turns false at the first value it cannot
// write as encoding/json would. Its methods take and return it by value:
// through a pointer, each append stored a pointer in memory, at the cost
// of a write barrier whenever the GC was marking.
type jsonWriter struct {
	b  []byte
	ok bool
}

// head opens an entity's object with the fields every entity starts
// with: ID, CreatedAt, UpdatedAt and Name.
func (j jsonWriter) head(id int64, created, updated time.Time, name string) jsonWriter {
	j.b = append(j.b, `{"ID":`...)
	j = j.int(id)
	j = j.time(`,"CreatedAt":`, created)
	j = j.time(`,"UpdatedAt":`, updated)
	return j.str(`,"Name":`, name)
}

func (j jsonWriter) int(n int64) jsonWriter {
	j.b = strconv.AppendInt(j.b, n, 10)
	return j
}

func (j jsonWriter) optInt(key string, p *int64) jsonWriter {
	j.b = append(j.b, key...)
	if p == nil {
		j.b = append(j.b, "null"...)
		return j
	}
	return j.int(*p)
}

// str appends key and the string s, escaped as encoding/json escapes it.
func (j jsonWriter) str(key, s string) jsonWriter {
	j.b = append(j.b, key...)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			// Not plain ASCII: encoding/json's own escaping.
			q, err := json.Marshal(s)
			if err != nil {
				j.ok = false
				return j
			}
			j.b = append(j.b, q...)
			return j
		}
	}
	j.b = append(j.b, '"')
	j.b = append(j.b, s...)
	j.b = append(j.b, '"')
	return j
}

// time appends key and t as time.Time.MarshalJSON does.
func (j jsonWriter) time(key string, t time.Time) jsonWriter {
	j.b = append(j.b, key...)
	if y := t.Year(); y < 0 || y > 9999 {
		j.ok = false
		return j
	}
	j.b = append(j.b, '"')
	j.b = t.AppendFormat(j.b, time.RFC3339Nano)
	j.b = append(j.b, '"')
	return j
}

func (j jsonWriter) optTime(key string, t *time.Time) jsonWriter {
	if t == nil {
		j.b = append(j.b, key...)
		j.b = append(j.b, "null"...)
		return j
	}
	return j.time(key, *t)
}

// meta appends key and m as encoding/json writes a Marshaler's output:
// compacted, with <, > and & escaped. Stored meta is compact already;
// anything with bytes those steps could change goes through
// encoding/json.
func (j jsonWriter) meta(key string, m Meta) jsonWriter {
	j.b = append(j.b, key...)
	if len(m) == 0 {
		j.b = append(j.b, "{}"...)
		return j
	}
	for _, c := range m {
		switch c {
		case ' ', '\t', '\n', '\r', '<', '>', '&', 0xe2: // 0xe2 starts U+2028 and U+2029
			q, err := json.Marshal(m)
			if err != nil {
				j.ok = false
				return j
			}
			j.b = append(j.b, q...)
			return j
		}
	}
	if !json.Valid(m) {
		j.ok = false
		return j
	}
	j.b = append(j.b, m...)
	return j
}

func (j jsonWriter) tag(t *Tag) jsonWriter {
	if t == nil {
		j.b = append(j.b, "null"...)
		return j
	}
	j = j.head(t.ID, t.CreatedAt, t.UpdatedAt, t.Name)
	j = j.str(`,"Description":`, t.Description)
	j = j.meta(`,"Meta":`, t.Meta)
	j.b = append(j.b, '}')
	return j
}

// group writes a group as a resource's relations load it: without its
// own Owner, Category and Tags (omitted when empty; else declined).
func (j jsonWriter) group(g *Group) jsonWriter {
	if g == nil {
		j.b = append(j.b, "null"...)
		return j
	}
	if g.Owner != nil || g.Category != nil || len(g.Tags) > 0 {
		j.ok = false
		return j
	}
	j = j.head(g.ID, g.CreatedAt, g.UpdatedAt, g.Name)
	j = j.str(`,"Description":`, g.Description)
	j = j.str(`,"URL":`, g.URL)
	j = j.meta(`,"Meta":`, g.Meta)
	j = j.optInt(`,"OwnerId":`, g.OwnerID)
	j = j.optInt(`,"CategoryId":`, g.CategoryID)
	j.b = append(j.b, '}')
	return j
}

func (j jsonWriter) note(n *Note) jsonWriter {
	if n == nil {
		j.b = append(j.b, "null"...)
		return j
	}
	if n.Owner != nil || len(n.Tags) > 0 || len(n.Groups) > 0 || len(n.Resources) > 0 {
		j.ok = false
		return j
	}
	j = j.head(n.ID, n.CreatedAt, n.UpdatedAt, n.Name)
	j = j.str(`,"Description":`, n.Description)
	j = j.meta(`,"Meta":`, n.Meta)
	j = j.optInt(`,"OwnerId":`, n.OwnerID)
	j = j.optTime(`,"StartDate":`, n.StartDate)
	j = j.optTime(`,"EndDate":`, n.EndDate)
	j = j.optInt(`,"NoteTypeId":`, n.NoteTypeID)
	j.b = append(j.b, '}')
	return j
}
