package query

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stockroomhq/stockroom/errs"
)

// Bounds on the text of one MetaQuery or SortBy term and of a meta key.
const (
	maxTermLen = 4096
	maxKeyLen  = 256
)

// MetaOp is the comparison of a MetaCondition.
type MetaOp string

// The MetaQuery operators. A MetaQuery without an operator ("key:value") is
// OpLI.
const (
	// OpEQ: the value equals. With null: the key is absent or null.
	OpEQ MetaOp = "EQ"
	// OpNE: the key is present, not null, and its value differs, as the
	// reference's SQL <> has it. With null: the key is present and not
	// null.
	OpNE MetaOp = "NE"
	// OpLI: the value, as text, matches %Value% as a LIKE pattern
	// (case-insensitive): a substring, or the client's own wildcards.
	OpLI MetaOp = "LI"
	// OpNL: the key is present, not null, and its value does not match
	// OpLI's pattern.
	OpNL MetaOp = "NL"
	// OpGT, OpGE, OpLT and OpLE compare numbers numerically and strings as
	// text; a value of another type never matches.
	OpGT MetaOp = "GT"
	OpGE MetaOp = "GE"
	OpLT MetaOp = "LT"
	OpLE MetaOp = "LE"
)

func (op MetaOp) valid() bool {
	switch op {
	case OpEQ, OpNE, OpLI, OpNL, OpGT, OpGE, OpLT, OpLE:
		return true
	}
	return false
}

// ordered reports whether op is one of GT, GE, LT, LE.
func (op MetaOp) ordered() bool {
	switch op {
	case OpGT, OpGE, OpLT, OpLE:
		return true
	}
	return false
}

// MetaCondition is one parsed MetaQuery: a condition on the value stored at
// a key of a resource's Meta.
type MetaCondition struct {
	// Key is a dotted path into Meta: "camera.model" is the "model" member
	// of the "camera" object. Each name consists of ASCII letters, digits,
	// "_" and "-".
	Key string
	// Op is the comparison.
	Op MetaOp
	// Value is nil (JSON null), a bool, an int64, a float64 or a string. For
	// OpLI and OpNL it is always the string to look for.
	Value any
}

// String returns the condition in MetaQuery syntax; ParseMetaQuery reads it
// back to an equal MetaCondition.
func (c MetaCondition) String() string {
	return c.Key + ":" + string(c.Op) + ":" + formatValue(c.Value)
}

func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0" // keep it a float when read back
		}
		return s
	case string:
		return `"` + v + `"`
	default:
		return fmt.Sprint(v)
	}
}

// numberRE is the syntax of a number value: optional sign, digits with an
// optional fraction, optional exponent. (strconv alone would also accept
// "Inf", "NaN", hex and underscores.)
var numberRE = regexp.MustCompile(`^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$`)

// ParseMetaQuery parses one MetaQuery term:
//
//	key:value       the value contains the text (same as key:LI:value)
//	key:OP:value    OP one of EQ NE LI NL GT GE LT LE, in any case
//
// The key is a dotted path ("a.b.c" reaches into nested objects) of names
// made of ASCII letters, digits, "_" and "-". A middle part of exactly two
// letters is taken as the operator, so a substring such as "ab:cd" must be
// written with an explicit operator: "key:LI:ab:cd". Everything after the
// operator is the value, colons included.
//
// Values are true, false and null (any case), numbers (compared
// numerically), or strings; quote a string in "..." or '...' to keep it a
// string ("007", "true") or to keep surrounding spaces, which are otherwise
// trimmed. There are no escapes inside quotes: the outer pair is removed.
// For LI and NL the value is always the text to look for; % and _ in it are
// literal characters, not wildcards.
//
// GT, GE, LT and LE need a number or a string. Every error wraps
// resources.ErrInvalid and names the term and the problem.
func ParseMetaQuery(s string) (MetaCondition, error) {
	fail := func(format string, args ...any) (MetaCondition, error) {
		return MetaCondition{}, errs.Errorf("", errs.Invalid, "MetaQuery %q: %s", s, fmt.Sprintf(format, args...))
	}
	if err := checkText(s); err != "" {
		return fail("%s", err)
	}
	key, rest, ok := strings.Cut(s, ":")
	if !ok {
		return fail(`want "key:value" or "key:OP:value"`)
	}
	key = strings.TrimSpace(key)
	if err := checkKey(key); err != "" {
		return fail("%s", err)
	}
	c := MetaCondition{Key: key, Op: OpLI}
	if word, value, ok := strings.Cut(rest, ":"); ok && isOperatorShaped(strings.TrimSpace(word)) {
		c.Op = MetaOp(strings.ToUpper(strings.TrimSpace(word)))
		if !c.Op.valid() {
			return fail("unknown operator %q (want one of EQ NE LI NL GT GE LT LE)", strings.TrimSpace(word))
		}
		rest = value
	}
	v, quoted, err := unquote(strings.TrimSpace(rest))
	if err != "" {
		return fail("%s", err)
	}
	if c.Op == OpLI || c.Op == OpNL || quoted {
		c.Value = v
		return c, nil
	}
	switch lower := strings.ToLower(v); {
	case lower == "null":
		c.Value = nil
	case lower == "true" || lower == "false":
		c.Value = lower == "true"
	case numberRE.MatchString(v):
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			c.Value = n
			break
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) {
			return fail("number %s is out of range", v)
		}
		c.Value = f
	default:
		c.Value = v
	}
	if c.Op.ordered() {
		switch c.Value.(type) {
		case nil, bool:
			return fail("operator %s needs a number or a string, not %s", c.Op, formatValue(c.Value))
		}
	}
	return c, nil
}

// isOperatorShaped reports whether s looks like an operator: two ASCII
// letters.
func isOperatorShaped(s string) bool {
	return len(s) == 2 && isLetter(s[0]) && isLetter(s[1])
}

func isLetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

// unquote removes one pair of matching outer quotes. A value that starts
// with a quote but does not end with the same one is an error.
func unquote(v string) (s string, quoted bool, problem string) {
	if v == "" || v[0] != '"' && v[0] != '\'' {
		return v, false, ""
	}
	if len(v) < 2 || v[len(v)-1] != v[0] {
		return "", false, fmt.Sprintf("unterminated quote in value %s", v)
	}
	return v[1 : len(v)-1], true, ""
}

// checkText bounds a term and keeps out what the database layer cannot
// carry: NUL bytes and invalid UTF-8. It returns the problem, or "".
func checkText(s string) string {
	switch {
	case len(s) > maxTermLen:
		return fmt.Sprintf("longer than %d bytes", maxTermLen)
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL byte"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	return ""
}

// checkKey validates a dotted meta key and returns the problem, or "".
func checkKey(key string) string {
	if key == "" {
		return "empty key"
	}
	if len(key) > maxKeyLen {
		return fmt.Sprintf("key longer than %d bytes", maxKeyLen)
	}
	for name := range strings.SplitSeq(key, ".") {
		if name == "" {
			return fmt.Sprintf("key %q has an empty name between dots", key)
		}
		for i := 0; i < len(name); i++ {
			if b := name[i]; !isLetter(b) && !('0' <= b && b <= '9') && b != '_' && b != '-' {
				return fmt.Sprintf("key %q: names may hold only letters, digits, \"_\" and \"-\", joined by \".\"", key)
			}
		}
	}
	return ""
}
