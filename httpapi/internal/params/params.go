package params

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/stockroomhq/stockroom/errs"
)

// Limits on what a request may carry (DESIGN invariant 6).
const (
	// DefaultMaxBody is the body size limit that Parse applies when it is
	// given a limit of zero or less.
	DefaultMaxBody = 10 << 20

	// MaxDepth is how deeply JSON may nest, in a JSON body and in a string
	// holding a JSON object. The body object itself is level 1.
	MaxDepth = 32

	// MaxValues is how many values a request may carry: query and form
	// pairs, plus every member and element of every JSON object and array
	// in the body. It also bounds the length of an integer list.
	MaxValues = 10000
)

// Error is a client error in the request's parameters. Its kind is
// errs.Invalid (400), or errs.TooLarge (413) when TooLarge is true.
type Error struct {
	// Field names the parameter, as the caller spelled it first. It is ""
	// when the request itself is bad (malformed body or query, too large).
	Field string
	// Msg describes the problem. It quotes at most a short prefix of the
	// offending value.
	Msg string
	// TooLarge reports that a limit was exceeded: the body size, or
	// MaxValues.
	TooLarge bool
}

// Error returns "Field: Msg", or Msg alone when Field is empty.
func (e *Error) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Unwrap returns e's kind, errs.TooLarge or errs.Invalid.
func (e *Error) Unwrap() error {
	if e.TooLarge {
		return errs.TooLarge
	}
	return errs.Invalid
}

// origin says where a value came from. Body values (including Add) replace
// query values of the same name.
type origin uint8

const (
	fromQuery origin = iota
	fromBody
)

// value is one parameter value: text from a query, a form or a multipart
// part, or a JSON value from a JSON body (never JSON null).
type value struct {
	text string
	raw  json.RawMessage // nil for text values
}

// field holds the values of one lower-cased name, all from one origin.
type field struct {
	origin origin
	vals   []value
}

// Values is the merged parameter bag. The zero value is empty and usable.
//
// The getters only read, so they may run concurrently; Add must not run
// concurrently with any other method.
type Values struct {
	m map[string]*field
}

// put stores val under key. Values from the same origin accumulate; a body
// value replaces query values; a query value never replaces body values.
func (v *Values) put(o origin, key string, val value) {
	if v.m == nil {
		v.m = make(map[string]*field)
	}
	k := strings.ToLower(key)
	f := v.m[k]
	switch {
	case f == nil:
		v.m[k] = &field{origin: o, vals: []value{val}}
	case f.origin == o:
		f.vals = append(f.vals, val)
	case o == fromBody:
		f.origin = fromBody
		f.vals = []value{val}
	}
}

// Add appends one text value under key, as for a text part of a multipart
// form. Like any body value it replaces query values of the same name, and
// it accumulates with other body values. Add does not count towards
// MaxValues: the caller bounds a multipart body by its size.
func (v *Values) Add(key, value string) {
	v.put(fromBody, key, valueOf(value))
}

func valueOf(s string) value { return value{text: s} }

// FromQuery builds Values from q, as if q were a request's URL query.
func FromQuery(q url.Values) *Values {
	v := new(Values)
	// Sorted so that names differing only in case merge in a stable order.
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, s := range q[k] {
			v.put(fromQuery, k, valueOf(s))
		}
	}
	return v
}

// bodyKind is how Parse treats a request body.
type bodyKind uint8

const (
	bodyIgnore bodyKind = iota // not read: multipart, unknown content types
	bodySniff                  // no Content-Type: JSON if it looks like JSON
	bodyForm
	bodyJSON
)

// Parse returns the parameters of r: its URL query merged with its body,
// body values replacing query values of the same name.
//
// The body is read, up to maxBody bytes (DefaultMaxBody when maxBody <= 0),
// according to its Content-Type:
//
//   - application/json or any +json type: a JSON object;
//   - application/x-www-form-urlencoded: a form;
//   - none: a JSON object if the body starts with '{' (or '[', which is then
//     an error because it is not an object), otherwise ignored;
//   - multipart/*: not read at all, so that the caller can stream the parts
//     and add the text ones with Add;
//   - anything else: not read.
//
// The body is read whatever the method, GET included, and an empty body
// adds nothing. Parse consumes the body it reads.
//
// Every error is an *Error: TooLarge when the body exceeds maxBody or the
// request carries more than MaxValues values; otherwise for a malformed
// query, form or Content-Type, invalid JSON, JSON nested deeper than
// MaxDepth, or a JSON body that is not an object.
//
// In query strings and forms, '+' is a space, "%XX" an escaped byte, and
// ';' is an ordinary character (not a separator).
func Parse(r *http.Request, maxBody int64) (*Values, error) {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	v := new(Values)
	budget := MaxValues
	if r.URL != nil {
		n, err := v.addURLEncoded(fromQuery, r.URL.RawQuery, budget, "query")
		if err != nil {
			return nil, err
		}
		budget -= n
	}
	// A GET may carry a body too: the reference reads a JSON body whatever
	// the method, and clients built on it send list filters that way.
	if r.Body == nil || r.Body == http.NoBody {
		return v, nil
	}
	kind, err := kindOf(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if kind == bodyIgnore {
		return v, nil
	}
	body, err := readBody(r, maxBody)
	if err != nil {
		return nil, err
	}
	if kind == bodySniff {
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
			return v, nil
		}
		kind = bodyJSON
	}
	if kind == bodyForm {
		_, err = v.addURLEncoded(fromBody, string(body), budget, "request body")
	} else {
		err = v.addJSON(body, budget)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

func kindOf(contentType string) (bodyKind, error) {
	if strings.TrimSpace(contentType) == "" {
		return bodySniff, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if mt == "" {
		return bodyIgnore, &Error{Msg: fmt.Sprintf("request: invalid Content-Type %s: %v", short(contentType), err)}
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return bodyJSON, nil
	case mt == "application/x-www-form-urlencoded":
		return bodyForm, nil
	}
	return bodyIgnore, nil
}

func tooLarge(limit int64) *Error {
	return &Error{Msg: fmt.Sprintf("request body: larger than %d bytes", limit), TooLarge: true}
}

func tooMany() *Error {
	return &Error{Msg: fmt.Sprintf("request: more than %d values", MaxValues), TooLarge: true}
}

func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	n := limit
	if n < math.MaxInt64 {
		n++ // one more byte tells an exact fit from an overflow
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, n))
	if err != nil {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, &Error{Msg: "request body: " + err.Error()}
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(limit)
	}
	return b, nil
}

// addURLEncoded adds the pairs of a query string or urlencoded form in
// order, and returns how many it added. where names the source in errors.
func (v *Values) addURLEncoded(o origin, s string, budget int, where string) (int, error) {
	n := 0
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if n++; n > budget {
			return n, tooMany()
		}
		k, val, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return n, &Error{Msg: where + ": " + err.Error()}
		}
		val, err = url.QueryUnescape(val)
		if err != nil {
			return n, &Error{Field: k, Msg: where + ": " + err.Error()}
		}
		v.put(o, k, valueOf(val))
	}
	return n, nil
}

// addJSON adds the members of a JSON object body. Members that are null are
// absent; members whose names differ only in case accumulate.
func (v *Values) addJSON(body []byte, budget int) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	n, msg := checkJSON(body)
	if msg != "" {
		return &Error{Msg: "request body: " + msg}
	}
	if n > budget {
		return tooMany()
	}
	invalid := func(err error) error {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return &Error{Msg: "request body: invalid JSON: " + err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return invalid(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return &Error{Msg: "request body: JSON body is not an object"}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalid(err)
		}
		key, ok := tok.(string)
		if !ok {
			return invalid(fmt.Errorf("object key is %v", tok))
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return invalid(err)
		}
		raw = bytes.TrimSpace(raw)
		if string(raw) == "null" {
			continue
		}
		v.put(fromBody, key, value{raw: raw})
	}
	if _, err := dec.Token(); err != nil {
		return invalid(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Msg: "request body: invalid JSON: data after the object"}
	}
	return nil
}

// checkJSON enforces MaxDepth and counts the members and elements of all
// objects and arrays in b, without validating it: the decoder does that.
// It returns a message when b is nested too deeply.
func checkJSON(b []byte) (count int, msg string) {
	depth := 0
	inString, escaped, opened := false, false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		if opened {
			// The first thing after '{' or '[' is a member or element
			// unless it closes an empty container.
			opened = false
			if c != '}' && c != ']' {
				count++
			}
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if depth++; depth > MaxDepth {
				return count, fmt.Sprintf("JSON nested deeper than %d levels", MaxDepth)
			}
			opened = true
		case '}', ']':
			depth--
		case ',':
			count++
		}
	}
	return count, ""
}

// short quotes s for an error message, cut to a readable length.
func short(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
