package httpapi

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/stockroomhq/stockroom/httpapi/internal/params"
	"github.com/stockroomhq/stockroom/resources"
)

// decoder reads typed parameters and keeps the first error, so a handler
// can read all its fields and check once.
type decoder struct {
	v   *params.Values
	err error
}

// decode reads the parameters of r: its query and its body, whether a JSON
// object, an urlencoded form or a multipart form. It consumes the body, so
// handlers that stream files (upload) read their multipart body themselves.
func (a *api) decode(r *http.Request) (*decoder, error) {
	v, err := params.Parse(r, a.maxBody)
	if err != nil {
		return nil, err
	}
	if err := addMultipartFields(r, v, a.maxBody); err != nil {
		return nil, err
	}
	return &decoder{v: v}, nil
}

// addMultipartFields adds the text fields of a multipart/form-data body to
// v, as HTML forms with enctype="multipart/form-data" send them; params.Parse
// leaves such bodies unread. File parts are read past and ignored. The body
// may be at most maxBody bytes.
func addMultipartFields(r *http.Request, v *params.Values, maxBody int64) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	mt, mtParams, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil
	}
	tooLarge := &params.Error{Msg: "request body: larger than " + strconv.FormatInt(maxBody, 10) + " bytes", TooLarge: true}
	if r.ContentLength > maxBody {
		return tooLarge
	}
	boundary := mtParams["boundary"]
	if boundary == "" {
		return &params.Error{Msg: "malformed multipart body: no boundary in the Content-Type"}
	}
	body := &limitReader{r: r.Body, n: maxBody, err: tooLarge}
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF { // the closing boundary; a body cut short is a wrapped io.EOF
			return nil
		}
		if err == nil {
			var b []byte
			if part.FileName() == "" {
				b, err = io.ReadAll(part)
			} else {
				_, err = io.Copy(io.Discard, part)
			}
			if err == nil {
				if part.FileName() == "" {
					v.Add(part.FormName(), string(b))
				}
				continue
			}
		}
		if body.exceeded {
			return tooLarge
		}
		return &params.Error{Msg: "malformed multipart body: " + err.Error()}
	}
}

// limitReader reads at most n bytes of r, then fails with err.
type limitReader struct {
	r        io.Reader
	n        int64
	err      error
	exceeded bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// One byte more tells an exact fit from an overflow.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, l.err
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func (d *decoder) keep(err error) {
	if d.err == nil && err != nil {
		d.err = err
	}
}

func (d *decoder) has(keys ...string) bool { return d.v.Has(keys...) }

// str reads text bounded by textLimit (see limits.go).
func (d *decoder) str(keys ...string) string {
	s, _, err := d.v.String(keys...)
	d.keep(err)
	d.checkLen(keys[0], s, textLimit(keys[0]))
	return s
}

// optStr is nil when no key is present.
func (d *decoder) optStr(keys ...string) *string {
	s, ok, err := d.v.String(keys...)
	d.keep(err)
	if !ok {
		return nil
	}
	d.checkLen(keys[0], s, textLimit(keys[0]))
	return &s
}

func (d *decoder) int(keys ...string) int {
	n, _, err := d.v.Int64(keys...)
	d.keep(err)
	return int(n)
}

func (d *decoder) int64(keys ...string) int64 {
	n, _, err := d.v.Int64(keys...)
	d.keep(err)
	return n
}

// optInt64 is nil when no key is present.
func (d *decoder) optInt64(keys ...string) *int64 {
	n, ok, err := d.v.Int64(keys...)
	d.keep(err)
	if !ok {
		return nil
	}
	return &n
}

func (d *decoder) optInt(keys ...string) *int {
	n, ok, err := d.v.Int64(keys...)
	d.keep(err)
	if !ok {
		return nil
	}
	v := int(n)
	return &v
}

// ids is nil when no key is present and empty when present without values.
func (d *decoder) ids(keys ...string) []int64 {
	ns, ok, err := d.v.Int64s(keys...)
	d.keep(err)
	if !ok {
		return nil
	}
	if ns == nil {
		ns = []int64{}
	}
	for _, n := range ns {
		if n <= 0 {
			d.keep(&params.Error{Field: keys[0], Msg: "IDs must be positive integers, got " + strconv.FormatInt(n, 10)})
		}
	}
	return ns
}

func (d *decoder) strs(keys ...string) []string {
	ss, _, err := d.v.Strings(keys...)
	d.keep(err)
	for _, s := range ss {
		d.checkLen(keys[0], s, textLimit(keys[0]))
	}
	return ss
}

func (d *decoder) bool(keys ...string) bool {
	b, _, err := d.v.Bool(keys...)
	d.keep(err)
	return b
}

func (d *decoder) optTime(keys ...string) *time.Time {
	t, ok, err := d.v.Time(keys...)
	d.keep(err)
	if !ok {
		return nil
	}
	return &t
}

// meta is nil when no key is present.
func (d *decoder) meta(keys ...string) resources.Meta {
	raw, ok, err := d.v.Object(keys...)
	d.keep(err)
	if !ok || err != nil {
		return nil
	}
	m, err := resources.ParseMeta(raw)
	if err != nil {
		d.keep(&params.Error{Field: keys[0], Msg: "must be a JSON object"})
		return nil
	}
	return m
}

// decodeID decodes r and reads the one required ID it carries under keys.
// When that fails it has answered the request and ok is false.
func (a *api) decodeID(w http.ResponseWriter, r *http.Request, keys ...string) (id int64, ok bool) {
	d, err := a.decode(r)
	if err == nil {
		id = d.id(keys...)
		err = d.err
	}
	if err != nil {
		a.fail(w, r, err)
		return 0, false
	}
	return id, true
}

// id reads a required positive ID.
func (d *decoder) id(keys ...string) int64 {
	n, ok, err := d.v.Int64(keys...)
	d.keep(err)
	if err == nil && (!ok || n <= 0) {
		d.keep(&params.Error{Field: keys[0], Msg: "a positive ID is required"})
	}
	return n
}

// saveID reads the ID of a create-or-update request: absent or 0 creates,
// a positive ID updates, anything else is a bad request.
func (d *decoder) saveID() int64 {
	n, ok, err := d.v.Int64("ID")
	d.keep(err)
	if ok && n < 0 {
		d.keep(&params.Error{Field: "ID", Msg: "must be a positive integer, got " + strconv.FormatInt(n, 10)})
	}
	return n
}

// listOptions reads the paging, sorting and name filters of an entity list.
func (d *decoder) listOptions() resources.ListOptions {
	return resources.ListOptions{
		Name:        d.filter("Name"),
		Description: d.filter("Description"),
		IDs:         d.ids("Ids", "ID"),
		Page:        d.int("page"),
		PerPage:     d.int("MaxResults", "PerPage"),
		SortBy:      d.strs("SortBy"),
	}
}

// writeList answers a page of items with the paging headers.
func writeList[T any](w http.ResponseWriter, res resources.ListResult[T]) {
	setPageHeaders(w, res.Page, res.PerPage, res.Total)
	writeJSON(w, http.StatusOK, res.Items)
}

func setPageHeaders(w http.ResponseWriter, page, perPage, total int) {
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(perPage))
	h.Set("X-Total-Count", strconv.Itoa(total))
}

func missing(field string) error {
	return &params.Error{Field: field, Msg: "is required"}
}
