package params

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// kind is the shape of a value.
type kind uint8

const (
	kindText   kind = iota // text from a query, form or Add
	kindString             // JSON string
	kindNumber             // JSON number
	kindBool               // JSON true or false
	kindArray              // JSON array
	kindObject             // JSON object
)

func (val value) kind() kind {
	if val.raw == nil {
		return kindText
	}
	switch val.raw[0] {
	case '"':
		return kindString
	case '{':
		return kindObject
	case '[':
		return kindArray
	case 't', 'f':
		return kindBool
	}
	return kindNumber
}

// str returns the text of a text value or a JSON string.
func (val value) str() string {
	if val.raw == nil {
		return val.text
	}
	var s string
	if err := json.Unmarshal(val.raw, &s); err != nil {
		// Unreachable: the decoder validated the string.
		return string(val.raw)
	}
	return s
}

// checkText returns why a text value or JSON string is not acceptable
// text, or "": every text field refuses NUL, which the database and file
// systems cannot hold, and invalid UTF-8, which the JSON decoder would
// silently replace.
func (val value) checkText() string {
	if val.raw != nil && !utf8.Valid(val.raw) {
		return "invalid UTF-8"
	}
	s := val.str()
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character"
	case !utf8.ValidString(s):
		return "invalid UTF-8"
	}
	return ""
}

// blank reports whether val is an empty or blank text or JSON string, which
// the typed single-value getters take as absent.
func (val value) blank() bool {
	switch val.kind() {
	case kindText, kindString:
		return strings.TrimSpace(val.str()) == ""
	}
	return false
}

// display renders val for an error message.
func (val value) display() string {
	switch val.kind() {
	case kindText, kindString:
		return short(val.str())
	case kindArray:
		return "an array"
	case kindObject:
		return "an object"
	}
	if len(val.raw) > 64 {
		return string(val.raw[:64]) + "..."
	}
	return string(val.raw)
}

// errorf returns an *Error for the first of keys, the name the caller
// prefers.
func errorf(keys []string, format string, args ...any) *Error {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	if len(keys) > 0 {
		e.Field = keys[0]
	}
	return e
}

// lookup returns the values of the first of keys that is present.
func (v *Values) lookup(keys []string) []value {
	if v == nil {
		return nil
	}
	for _, k := range keys {
		if f := v.m[strings.ToLower(k)]; f != nil {
			return f.vals
		}
	}
	return nil
}

// first returns the first value that is not blank, trying keys in order.
func (v *Values) first(keys []string) (value, bool) {
	if v == nil {
		return value{}, false
	}
	for _, k := range keys {
		f := v.m[strings.ToLower(k)]
		if f == nil {
			continue
		}
		for _, val := range f.vals {
			if !val.blank() {
				return val, true
			}
		}
	}
	return value{}, false
}

// Has reports whether any of keys is present, even with an empty value or
// an empty JSON array. A JSON null is absent.
func (v *Values) Has(keys ...string) bool {
	return v.lookup(keys) != nil
}

// String returns the first value of the first of keys that is present.
// JSON strings are unquoted; JSON numbers and booleans are returned in their
// JSON text. An empty value is present: s is "" and ok is true. A JSON
// object or array is an error.
func (v *Values) String(keys ...string) (s string, ok bool, err error) {
	vals := v.lookup(keys)
	if vals == nil {
		return "", false, nil
	}
	val := vals[0]
	switch val.kind() {
	case kindText, kindString:
		if msg := val.checkText(); msg != "" {
			return "", false, errorf(keys, "%s", msg)
		}
		return val.str(), true, nil
	case kindNumber, kindBool:
		return string(val.raw), true, nil
	}
	return "", false, errorf(keys, "expected a string, got %s", val.display())
}

// Strings returns all values of the first of keys that is present: repeated
// keys, or the elements of a JSON array; a single value is a one-element
// list. Elements may be strings, numbers or booleans (in their JSON text).
// Empty strings are skipped, so "Key=" or a JSON [] means present and empty:
// ss is empty and ok is true.
func (v *Values) Strings(keys ...string) (ss []string, ok bool, err error) {
	vals := v.lookup(keys)
	if vals == nil {
		return nil, false, nil
	}
	ss = []string{}
	add := func(val value) error {
		switch val.kind() {
		case kindText, kindString:
			if msg := val.checkText(); msg != "" {
				return errorf(keys, "%s", msg)
			}
			if s := val.str(); s != "" {
				ss = append(ss, s)
			}
		case kindNumber, kindBool:
			ss = append(ss, string(val.raw))
		default:
			return errorf(keys, "expected a list of strings, got %s in it", val.display())
		}
		return nil
	}
	for _, val := range vals {
		if err := eachElement(keys, val, add); err != nil {
			return nil, false, err
		}
	}
	return ss, true, nil
}

// eachElement calls fn with each element of a JSON array, or with val itself
// when it is not an array. A null element is an error.
func eachElement(keys []string, val value, fn func(value) error) error {
	if val.kind() != kindArray {
		return fn(val)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(val.raw, &elems); err != nil {
		// Unreachable: the decoder validated the array.
		return errorf(keys, "invalid JSON array: %v", err)
	}
	for _, e := range elems {
		e = bytes.TrimSpace(e)
		if string(e) == "null" {
			return errorf(keys, "null in a list")
		}
		if err := fn(value{raw: e}); err != nil {
			return err
		}
	}
	return nil
}

// Int64 returns the first integer value of the first of keys that has a
// value that is not blank. Text must be a decimal integer; a JSON number
// must be integral (1.0 and 1e3 are, 1.5 is not). Values outside the int64
// range are errors.
func (v *Values) Int64(keys ...string) (n int64, ok bool, err error) {
	val, ok := v.first(keys)
	if !ok {
		return 0, false, nil
	}
	n, msg := val.int64()
	if msg != "" {
		return 0, false, errorf(keys, "%s", msg)
	}
	return n, true, nil
}

func (val value) int64() (int64, string) {
	switch val.kind() {
	case kindText, kindString:
		return parseInt(strings.TrimSpace(val.str()))
	case kindNumber:
		return parseJSONInt(string(val.raw))
	}
	return 0, fmt.Sprintf("expected an integer, got %s", val.display())
}

// Int64s returns all integers of the first of keys that is present:
// repeated keys, or the elements of a JSON array; a single value is a
// one-element list. As a convenience, a text value (or a JSON string) may
// hold several integers separated by commas ("Tags=1,2"); empty items are
// skipped. So "Tags=" or a JSON [] means present and empty: ns is empty and
// ok is true, which callers use to clear a set. Duplicates are removed,
// keeping the first-seen order. A list longer than MaxValues is an error.
func (v *Values) Int64s(keys ...string) (ns []int64, ok bool, err error) {
	vals := v.lookup(keys)
	if vals == nil {
		return nil, false, nil
	}
	ns = []int64{}
	seen := make(map[int64]bool)
	add := func(n int64) error {
		if seen[n] {
			return nil
		}
		if len(ns) >= MaxValues {
			// A bound on the field, like its length: 400 naming it.
			return errorf(keys, "more than %d integers", MaxValues)
		}
		seen[n] = true
		ns = append(ns, n)
		return nil
	}
	addValue := func(val value) error {
		switch val.kind() {
		case kindText, kindString:
			for item := range strings.SplitSeq(val.str(), ",") {
				item = strings.TrimSpace(item)
				if item == "" {
					continue
				}
				n, msg := parseInt(item)
				if msg != "" {
					return errorf(keys, "%s", msg)
				}
				if err := add(n); err != nil {
					return err
				}
			}
			return nil
		case kindNumber:
			n, msg := parseJSONInt(string(val.raw))
			if msg != "" {
				return errorf(keys, "%s", msg)
			}
			return add(n)
		}
		return errorf(keys, "expected a list of integers, got %s in it", val.display())
	}
	for _, val := range vals {
		if err := eachElement(keys, val, addValue); err != nil {
			return nil, false, err
		}
	}
	return ns, true, nil
}

// parseInt parses decimal text, with an optional sign.
func parseInt(s string) (int64, string) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err == nil:
		return n, ""
	case errors.Is(err, strconv.ErrRange):
		return 0, short(s) + " is out of range"
	}
	return 0, short(s) + " is not an integer"
}

// parseJSONInt parses a JSON number exactly: it is an integer when its
// value is integral, whatever its notation (10, 10.0, 1e1, 100e-1).
func parseJSONInt(num string) (int64, string) {
	show := num
	if len(show) > 64 {
		show = show[:64] + "..."
	}
	notInt := func() (int64, string) { return 0, show + " is not an integer" }
	outOfRange := func() (int64, string) { return 0, show + " is out of range" }

	n, err := strconv.ParseInt(num, 10, 64)
	switch {
	case err == nil:
		return n, ""
	case errors.Is(err, strconv.ErrRange):
		return outOfRange()
	}

	// The grammar is -?int(.frac)?([eE][+-]?exp)?; the decoder checked it.
	s, neg := strings.CutPrefix(num, "-")
	mant, expText := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, expText = s[:i], s[i+1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	sig := strings.TrimRight(digits, "0")
	if sig == "" {
		return 0, "" // zero, in any notation
	}
	exp, err := strconv.ParseInt(expText, 10, 64)
	if expText == "" {
		exp, err = 0, nil
	}
	// With at most 19 significant digits, any exponent beyond ±2^40 puts
	// the value far outside int64 or makes it fractional; bounding it keeps
	// the arithmetic below from overflowing.
	const bound = 1 << 40
	if err != nil || exp > bound || exp < -bound {
		if strings.HasPrefix(expText, "-") {
			return notInt()
		}
		return outOfRange()
	}
	// value = sig × 10^shift
	shift := exp - int64(len(frac)) + int64(len(digits)-len(sig))
	if shift < 0 {
		return notInt()
	}
	if int64(len(sig))+shift > 19 {
		return outOfRange()
	}
	text := sig + strings.Repeat("0", int(shift))
	if neg {
		text = "-" + text
	}
	if n, err = strconv.ParseInt(text, 10, 64); err != nil {
		return outOfRange()
	}
	return n, ""
}

// Bool returns the first boolean value of the first of keys that has a
// value that is not blank: true/false, 1/0, on/off or yes/no in any case,
// or a JSON boolean (or the JSON numbers 1 and 0).
func (v *Values) Bool(keys ...string) (b bool, ok bool, err error) {
	val, ok := v.first(keys)
	if !ok {
		return false, false, nil
	}
	var s string
	switch val.kind() {
	case kindText, kindString:
		s = strings.TrimSpace(val.str())
	case kindBool, kindNumber:
		s = string(val.raw)
	default:
		return false, false, errorf(keys, "expected a boolean, got %s", val.display())
	}
	switch strings.ToLower(s) {
	case "true", "1", "on", "yes":
		return true, true, nil
	case "false", "0", "off", "no":
		return false, true, nil
	}
	return false, false, errorf(keys, "%s is not a boolean", val.display())
}

// timeLayouts are the accepted date forms, tried in order. time.Parse
// accepts fractional seconds after the seconds even when the layout has
// none. Layouts without a zone are parsed as UTC.
var timeLayouts = []string{
	"2006-01-02",
	time.RFC3339,
	"2006-01-02T15:04:05", // HTML datetime-local with seconds
	"2006-01-02T15:04",    // HTML datetime-local
}

// Time returns the first date value of the first of keys that has a value
// that is not blank: YYYY-MM-DD (midnight UTC), RFC 3339, or
// YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS without a zone, taken as UTC.
// RFC 3339 times keep their offset.
func (v *Values) Time(keys ...string) (t time.Time, ok bool, err error) {
	val, ok := v.first(keys)
	if !ok {
		return time.Time{}, false, nil
	}
	if k := val.kind(); k == kindText || k == kindString {
		s := strings.TrimSpace(val.str())
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true, nil
			}
		}
	}
	return time.Time{}, false, errorf(keys, "%s is not a date (want YYYY-MM-DD or RFC 3339)", val.display())
}

// Object returns the first JSON object of the first of keys that has a value
// that is not blank, compacted: either a JSON object in a JSON body, or a
// string (text or JSON) holding one. Anything that is not a JSON object is
// an error, as is JSON in a string nested deeper than MaxDepth or with more
// than MaxValues members and elements, or invalid UTF-8.
func (v *Values) Object(keys ...string) (obj json.RawMessage, ok bool, err error) {
	val, ok := v.first(keys)
	if !ok {
		return nil, false, nil
	}
	var raw []byte
	switch val.kind() {
	case kindObject:
		raw = val.raw
	case kindText, kindString:
		raw = []byte(strings.TrimSpace(val.str()))
		n, msg := checkJSON(raw)
		if msg != "" {
			return nil, false, errorf(keys, "%s", msg)
		}
		if n > MaxValues {
			return nil, false, errorf(keys, "more than %d values", MaxValues)
		}
		var probe json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, false, errorf(keys, "invalid JSON: %v", err)
		}
		if raw[0] != '{' {
			return nil, false, errorf(keys, "expected a JSON object, got %s", short(string(raw)))
		}
	default:
		return nil, false, errorf(keys, "expected a JSON object, got %s", val.display())
	}
	if !utf8.Valid(raw) {
		return nil, false, errorf(keys, "invalid UTF-8 in JSON object")
	}
	if escapedNUL(raw) {
		return nil, false, errorf(keys, "NUL character in JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, false, errorf(keys, "invalid JSON: %v", err)
	}
	return buf.Bytes(), true, nil
}

// escapedNUL reports whether a JSON text holds \u0000 in a string (a raw
// NUL byte is invalid JSON).
func escapedNUL(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		// Skip the escaped character, so that \\u0000 (a backslash then
		// "u0000") does not count.
		i++
		if b[i] == 'u' && bytes.HasPrefix(b[i+1:], []byte("0000")) {
			return true
		}
	}
	return false
}
