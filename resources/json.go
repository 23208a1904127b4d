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
	j.b = append(j.b, `{"ID":`...)
	j.int(r.ID)
	j.time(`,"CreatedAt":`, r.CreatedAt)
	j.time(`,"UpdatedAt":`, r.UpdatedAt)
	j.str(`,"Name":`, r.Name)
	j.str(`,"Description":`, r.Description)
	j.str(`,"OriginalName":`, r.OriginalName)
	j.str(`,"OriginalLocation":`, r.OriginalLocation)
	// Hexadecimal needs no escapes.
	j.b = append(j.b, `,"Hash":"`...)
	j.b = hex.AppendEncode(j.b, r.Hash[:])
	j.b = append(j.b, '"')
	j.str(`,"HashType":`, r.HashType)
	j.str(`,"Location":`, r.Location)
	j.b = append(j.b, `,"StorageLocation":`...)
	if r.StorageLocation == nil {
		j.b = append(j.b, "null"...)
	} else {
		j.str("", *r.StorageLocation)
	}
	j.meta(`,"Meta":`, r.Meta)
	j.b = append(j.b, `,"Width":`...)
	j.int(int64(r.Width))
	j.b = append(j.b, `,"Height":`...)
	j.int(int64(r.Height))
	j.b = append(j.b, `,"FileSize":`...)
	j.int(r.FileSize)
	j.str(`,"Category":`, r.Category)
	j.str(`,"ContentType":`, r.ContentType)
	j.str(`,"ContentCategory":`, r.ContentCategory)
	j.str(`,"CreatedBy":`, r.CreatedBy)
	j.str(`,"UpdatedBy":`, r.UpdatedBy)
	j.optInt(`,"OwnerId":`, r.OwnerID)
	j.b = append(j.b, `,"Owner":`...)
	j.group(r.Owner)
	j.optInt(`,"ResourceCategoryId":`, r.ResourceCategoryID)
	j.b = append(j.b, `,"ResourceCategory":`...)
	if c := r.ResourceCategory; c == nil {
		j.b = append(j.b, "null"...)
	} else {
		j.b = append(j.b, `{"ID":`...)
		j.int(c.ID)
		j.time(`,"CreatedAt":`, c.CreatedAt)
		j.time(`,"UpdatedAt":`, c.UpdatedAt)
		j.str(`,"Name":`, c.Name)
		j.str(`,"Description":`, c.Description)
		j.str(`,"MetaSchema":`, c.MetaSchema)
		j.b = append(j.b, '}')
	}
	j.optInt(`,"SeriesId":`, r.SeriesID)
	j.b = append(j.b, `,"Series":`...)
	if s := r.Series; s == nil {
		j.b = append(j.b, "null"...)
	} else {
		if len(s.Resources) > 0 {
			return b, false
		}
		j.b = append(j.b, `{"ID":`...)
		j.int(s.ID)
		j.time(`,"CreatedAt":`, s.CreatedAt)
		j.time(`,"UpdatedAt":`, s.UpdatedAt)
		j.str(`,"Name":`, s.Name)
		j.str(`,"Slug":`, s.Slug)
		j.meta(`,"Meta":`, s.Meta)
		j.b = append(j.b, '}')
	}
	j.optInt(`,"currentVersionId":`, r.CurrentVersionID)
	j.b = append(j.b, `,"Tags":`...)
	if r.Tags == nil {
		j.b = append(j.b, "null"...)
	} else {
		j.b = append(j.b, '[')
		for i, t := range r.Tags {
			if i > 0 {
				j.b = append(j.b, ',')
			}
			j.tag(t)
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
			j.group(g)
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
			j.note(n)
		}
		j.b = append(j.b, ']')
	}
	j.b = append(j.b, '}')
	return j.b, j.ok
}

// jsonWriter appends JSON; ok turns false at the first value it cannot
// write as encoding/json would.
type jsonWriter struct {
	b  []byte
	ok bool
}

func (j *jsonWriter) int(n int64) { j.b = strconv.AppendInt(j.b, n, 10) }

func (j *jsonWriter) optInt(key string, p *int64) {
	j.b = append(j.b, key...)
	if p == nil {
		j.b = append(j.b, "null"...)
		return
	}
	j.int(*p)
}

// str appends key and the string s, escaped as encoding/json escapes it.
func (j *jsonWriter) str(key, s string) {
	j.b = append(j.b, key...)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			// Not plain ASCII: encoding/json's own escaping.
			q, err := json.Marshal(s)
			if err != nil {
				j.ok = false
				return
			}
			j.b = append(j.b, q...)
			return
		}
	}
	j.b = append(j.b, '"')
	j.b = append(j.b, s...)
	j.b = append(j.b, '"')
}

// time appends key and t as time.Time.MarshalJSON does.
func (j *jsonWriter) time(key string, t time.Time) {
	j.b = append(j.b, key...)
	if y := t.Year(); y < 0 || y > 9999 {
		j.ok = false
		return
	}
	j.b = append(j.b, '"')
	j.b = t.AppendFormat(j.b, time.RFC3339Nano)
	j.b = append(j.b, '"')
}

func (j *jsonWriter) optTime(key string, t *time.Time) {
	if t == nil {
		j.b = append(j.b, key...)
		j.b = append(j.b, "null"...)
		return
	}
	j.time(key, *t)
}

// meta appends key and m as encoding/json writes a Marshaler's output:
// compacted, with <, > and & escaped. Stored meta is compact already;
// anything with bytes those steps could change goes through
// encoding/json.
func (j *jsonWriter) meta(key string, m Meta) {
	j.b = append(j.b, key...)
	if len(m) == 0 {
		j.b = append(j.b, "{}"...)
		return
	}
	for _, c := range m {
		switch c {
		case ' ', '\t', '\n', '\r', '<', '>', '&', 0xe2: // 0xe2 starts U+2028 and U+2029
			q, err := json.Marshal(m)
			if err != nil {
				j.ok = false
				return
			}
			j.b = append(j.b, q...)
			return
		}
	}
	if !json.Valid(m) {
		j.ok = false
		return
	}
	j.b = append(j.b, m...)
}

func (j *jsonWriter) tag(t *Tag) {
	if t == nil {
		j.b = append(j.b, "null"...)
		return
	}
	j.b = append(j.b, `{"ID":`...)
	j.int(t.ID)
	j.time(`,"CreatedAt":`, t.CreatedAt)
	j.time(`,"UpdatedAt":`, t.UpdatedAt)
	j.str(`,"Name":`, t.Name)
	j.str(`,"Description":`, t.Description)
	j.meta(`,"Meta":`, t.Meta)
	j.b = append(j.b, '}')
}

// group writes a group as a resource's relations load it: without its
// own Owner, Category and Tags (omitted when empty; else declined).
func (j *jsonWriter) group(g *Group) {
	if g == nil {
		j.b = append(j.b, "null"...)
		return
	}
	if g.Owner != nil || g.Category != nil || len(g.Tags) > 0 {
		j.ok = false
		return
	}
	j.b = append(j.b, `{"ID":`...)
	j.int(g.ID)
	j.time(`,"CreatedAt":`, g.CreatedAt)
	j.time(`,"UpdatedAt":`, g.UpdatedAt)
	j.str(`,"Name":`, g.Name)
	j.str(`,"Description":`, g.Description)
	j.str(`,"URL":`, g.URL)
	j.meta(`,"Meta":`, g.Meta)
	j.optInt(`,"OwnerId":`, g.OwnerID)
	j.optInt(`,"CategoryId":`, g.CategoryID)
	j.b = append(j.b, '}')
}

func (j *jsonWriter) note(n *Note) {
	if n == nil {
		j.b = append(j.b, "null"...)
		return
	}
	if n.Owner != nil || len(n.Tags) > 0 || len(n.Groups) > 0 || len(n.Resources) > 0 {
		j.ok = false
		return
	}
	j.b = append(j.b, `{"ID":`...)
	j.int(n.ID)
	j.time(`,"CreatedAt":`, n.CreatedAt)
	j.time(`,"UpdatedAt":`, n.UpdatedAt)
	j.str(`,"Name":`, n.Name)
	j.str(`,"Description":`, n.Description)
	j.meta(`,"Meta":`, n.Meta)
	j.optInt(`,"OwnerId":`, n.OwnerID)
	j.optTime(`,"StartDate":`, n.StartDate)
	j.optTime(`,"EndDate":`, n.EndDate)
	j.optInt(`,"NoteTypeId":`, n.NoteTypeID)
	j.b = append(j.b, '}')
}
