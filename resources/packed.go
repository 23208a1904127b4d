package resources

import (
	"database/sql"
	"strconv"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/internal/sqltime"
)

// unpackRow puts each value of a packed row in an any, which costs an
// allocation for most texts and numbers: for a page of resources that
// was most of its allocations. A page's resources are therefore read
// value by value, by packedReader, straight into their fields
// (readResource); the entities, a few per page, still go through
// unpackRow.

// packedReader reads the values of a packed row (an array, as unpackRow
// reads it) one at a time. The first error stops it; end reports it.
type packedReader struct {
	text  string
	i     int // past the last value read
	n     int // values read
	depth int
	err   error
}

// begin starts p on the array at text[i:] (after spaces), depth arrays
// deep.
func (p *packedReader) begin(text string, i, depth int) {
	*p = packedReader{text: text, depth: depth}
	i = skipSpace(text, i)
	if i == len(text) || text[i] != '[' {
		p.err = errPacked
		return
	}
	p.i = i + 1
}

// next reads the next value: its kind and text, as readValue reads them.
func (p *packedReader) next() (kind int, text string) {
	if p.err != nil {
		return packedNull, ""
	}
	i := skipSpace(p.text, p.i)
	if p.n > 0 {
		if i == len(p.text) || p.text[i] != ',' {
			p.err = errPacked
			return packedNull, ""
		}
		i = skipSpace(p.text, i+1)
	}
	kind, text, next, err := readValue(p.text, i, p.depth)
	if err != nil {
		p.err = err
		return packedNull, ""
	}
	p.i, p.n = next, p.n+1
	return kind, text
}

// end checks that the array ends after the values read, and returns the
// index past it, or the first error.
func (p *packedReader) end() (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	i := skipSpace(p.text, p.i)
	if i == len(p.text) || p.text[i] != ']' {
		return 0, errPacked
	}
	return i + 1, nil
}

func (p *packedReader) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// The methods below read the next value as the as* functions and the
// Scan methods read what unpackRow gives: the kind that a column holds
// directly, anything else through them.

func (p *packedReader) int64() int64 {
	kind, text := p.next()
	if kind == packedNumber {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n
		}
	}
	return asInt64(boxed(kind, text))
}

func (p *packedReader) optInt64() *int64 {
	kind, text := p.next()
	if kind == packedNumber {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return &n
		}
	}
	return asOptInt64(boxed(kind, text))
}

func (p *packedReader) string() string {
	kind, text := p.next()
	if kind == packedText || kind == packedNull {
		return text
	}
	return asString(boxed(kind, text))
}

func (p *packedReader) optString() *string {
	kind, text := p.next()
	if kind == packedText {
		return &text
	}
	return asOptString(boxed(kind, text))
}

func (p *packedReader) time() time.Time {
	kind, text := p.next()
	var t time.Time
	var err error
	if kind == packedText {
		t, err = sqltime.Parse(text)
	} else {
		t, err = asTime(boxed(kind, text))
	}
	p.fail(err)
	return t
}

func (p *packedReader) hash() blobstore.Hash {
	var h blobstore.Hash
	p.fail(h.Scan(boxed(p.next())))
	return h
}

func (p *packedReader) meta() Meta {
	var m Meta
	p.fail(m.Scan(boxed(p.next())))
	return m
}

// readResource reads a resource, the resourceValues values of a row of
// loadSQL.many, from p, as scanResource reads the first ownValues, and
// returns it with the last three: the IDs of its tags, groups and notes.
func readResource(p *packedReader) (*Resource, [3]string) {
	// The fields in the order of the values: a composite literal's calls
	// run in the order written.
	r := &Resource{
		ID:                 p.int64(),
		CreatedAt:          p.time(),
		UpdatedAt:          p.time(),
		Name:               p.string(),
		Description:        p.string(),
		OriginalName:       p.string(),
		OriginalLocation:   p.string(),
		Hash:               p.hash(),
		HashType:           p.string(),
		Location:           p.string(),
		StorageLocation:    p.optString(),
		Meta:               p.meta(),
		Width:              int(p.int64()),
		Height:             int(p.int64()),
		FileSize:           p.int64(),
		Category:           p.string(),
		ContentType:        p.string(),
		ContentCategory:    p.string(),
		CreatedBy:          p.string(),
		UpdatedBy:          p.string(),
		OwnerID:            p.optInt64(),
		ResourceCategoryID: p.optInt64(),
		SeriesID:           p.optInt64(),
		CurrentVersionID:   p.optInt64(),
	}
	return r, [3]string{p.string(), p.string(), p.string()}
}

// scanPackedResources is scanPackedAll for packedMany's rows, read with
// readResource.
func scanPackedResources(rows *sql.Rows, fn func(r *Resource, links [3]string) error) error {
	return eachText(rows, func(text string) error {
		return eachPacked(text, func(i int) (int, error) {
			var p packedReader
			p.begin(text, i, 1)
			r, links := readResource(&p)
			next, err := p.end()
			if err != nil {
				return 0, err
			}
			return next, fn(r, links)
		})
	})
}
