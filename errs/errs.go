// Package errs is Stockroom's one error vocabulary: a small set of kinds
// (invalid input, not found, conflict, ...) that every library error
// carries, and a typed error that names the operation, the kind, a message
// meant for the client and the cause.
//
// Why: without it, the HTTP layer had to guess a status from each package's
// sentinels and strip "pkg.Op: " prefixes from error text to find the
// message worth showing. With it, a library decides the kind where it knows
// it, once, and a server maps kinds to statuses in one function and shows
// [Message], whatever the wrapping in between. The package imports only the
// standard library, so every package of the module can use it.
//
// An error carries a kind in one way: a [Kind] value is somewhere in its
// chain (the tree that [errors.Unwrap] walks), either as the Kind field of
// an [*Error] or as the error itself (a Kind is an error). So:
//
//   - [E], [Errorf] and [Wrap] build an *Error where a kind is decided.
//   - [New] makes a package's sentinel (such as a "queue full" error) that
//     keeps its own identity for errors.Is and unwraps to its kind.
//   - A typed error (a *NotFoundError naming the entity) unwraps to its kind.
//   - A Kind itself can be a package's sentinel: var ErrNotFound = errs.NotFound.
//
// errors.Is(err, errs.NotFound) then reports whether any error of the chain
// has that kind; [KindOf] picks the decisive one. An Is method that claims
// a kind is not enough for KindOf: unwrap to it.
package errs

import (
	"fmt"
	"strings"
)

// Kind classifies an error by what the client can do about it. Kind
// implements error, so kinds are sentinels: errors.Is(err, errs.NotFound).
// The zero value, Other, means "no kind here": a wrapper that only adds an
// operation or a message.
type Kind uint8

// The kinds. A server maps each to one status; the HTTP status each stands
// for is given for orientation.
const (
	Other        Kind = iota // no kind at this level; unclassified errors are treated as Internal
	Invalid                  // the input is malformed or incomplete (400)
	NotFound                 // an ID or name does not exist (404)
	Conflict                 // the operation clashes with stored state (409)
	TooLarge                 // content or a request is larger than allowed (413)
	Unsupported              // the operation does not apply to this content type (415)
	Unavailable              // a service is not running or is saturated; try later (503)
	Unauthorized             // no valid credentials were given (401)
	Forbidden                // the credentials do not allow the operation (403)
	RateLimited              // too many requests; try later (429)
	Internal                 // a failure of the server itself (500)
	numKinds
)

var kindText = [numKinds]string{
	Other:        "other error",
	Invalid:      "invalid input",
	NotFound:     "not found",
	Conflict:     "conflict",
	TooLarge:     "too large",
	Unsupported:  "unsupported for this content",
	Unavailable:  "unavailable",
	Unauthorized: "unauthorized",
	Forbidden:    "forbidden",
	RateLimited:  "too many requests",
	Internal:     "internal error",
}

// Error returns the kind's text, such as "not found".
func (k Kind) Error() string {
	if k < numKinds {
		return kindText[k]
	}
	return fmt.Sprintf("kind %d", uint8(k))
}

// Kinds returns every kind, Other first, so that a mapping (to HTTP
// statuses, to exit codes) can be tested to cover them all.
func Kinds() []Kind {
	ks := make([]Kind, numKinds)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// Error is an error with an operation, a kind, a message for the client
// and a cause. Every field may be empty.
type Error struct {
	// Op names the operation that failed, as "pkg.Func" ("resources.Edit").
	Op string
	// Kind classifies the error; Other leaves it to the cause.
	Kind Kind
	// Msg says what went wrong in words fit for the client that asked: no
	// operation names, no internal addresses or paths.
	Msg string
	// Err is the cause, if any.
	Err error
}

// Error returns "op: kind: msg: cause", leaving out the empty parts and
// the kind when it is Other.
func (e *Error) Error() string {
	parts := make([]string, 0, 4)
	if e.Op != "" {
		parts = append(parts, e.Op)
	}
	if e.Kind != Other {
		parts = append(parts, e.Kind.Error())
	}
	if e.Msg != "" {
		parts = append(parts, e.Msg)
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's kind, so that errors.Is(err, errs.Conflict)
// finds the kind of an *Error anywhere in a chain.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k != Other && k == e.Kind
}

// E returns an *Error with the operation, kind and client message. op may
// be empty when the caller adds it while returning.
func E(op string, kind Kind, msg string) error {
	return &Error{Op: op, Kind: kind, Msg: msg}
}

// Errorf is E with a formatted message. It does not wrap: use Wrap, or an
// *Error literal with Err, to keep a cause.
func Errorf(op string, kind Kind, format string, args ...any) error {
	return &Error{Op: op, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error that gives err an operation and a kind; its
// client message is err's (see [Message]). It returns nil if err is nil.
func Wrap(op string, kind Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Kind: kind, Err: err}
}

// New returns a sentinel error with the given text and kind: distinct from
// every other error for errors.Is, and of kind for [KindOf]. Use it for a
// package's exported Err values.
func New(kind Kind, text string) error {
	return &sentinel{kind: kind, text: text}
}

type sentinel struct {
	kind Kind
	text string
}

func (s *sentinel) Error() string { return s.text }
func (s *sentinel) Unwrap() error { return s.kind }

// KindOf returns the kind of err: the outermost kind in its chain that is
// not Other, walking the chain as errors.Is does (outermost first, depth
// first through errors that unwrap to several). A Kind in the chain counts,
// and so does the Kind field of an *Error. An outer kind wins over an inner
// one, so a caller can re-classify an error it wraps (a NotFound that is
// really the server's fault wrapped as Internal). KindOf returns Other when
// err is nil or carries no kind; a server treats that as Internal.
func KindOf(err error) Kind {
	switch e := err.(type) {
	case nil:
		return Other
	case Kind:
		return e
	case *Error:
		if e.Kind != Other {
			return e.Kind
		}
		return KindOf(e.Err)
	}
	for _, c := range causes(err) {
		if k := KindOf(c); k != Other {
			return k
		}
	}
	return Other
}

// Message returns the text of err meant for a client, without the "op: "
// prefixes that wrapping adds:
//
//   - the Msg of the outermost *Error that has one;
//   - else, for an *Error with a kind but no message, the message of its
//     cause (or the kind's text when it has none);
//   - else the text of the outermost error that carries a kind directly,
//     that is, whose own cause is a Kind: a sentinel made by [New], a typed
//     error such as *resources.NotFoundError, or fmt.Errorf("%w: ...", kind);
//   - else, when err carries no kind at all, err.Error() in full.
//
// So an operation must not wrap a bare Kind with only its name
// (fmt.Errorf("%s: %w", op, errs.NotFound)): use E, which keeps them apart.
func Message(err error) string {
	if err == nil {
		return ""
	}
	if msg, ok := message(err); ok {
		return msg
	}
	return err.Error()
}

func message(err error) (string, bool) {
	switch e := err.(type) {
	case nil:
		return "", false
	case Kind:
		return e.Error(), e != Other
	case *Error:
		if e.Msg != "" {
			return e.Msg, true
		}
		if msg, ok := message(e.Err); ok {
			return msg, true
		}
		if e.Kind == Other {
			return "", false
		}
		if e.Err != nil {
			return e.Err.Error(), true
		}
		return e.Kind.Error(), true
	}
	cs := causes(err)
	for _, c := range cs {
		if k, ok := c.(Kind); ok && k != Other {
			return err.Error(), true
		}
	}
	for _, c := range cs {
		if msg, ok := message(c); ok {
			return msg, true
		}
	}
	return "", false
}

// causes returns the errors that err wraps.
func causes(err error) []error {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if c := u.Unwrap(); c != nil {
			return []error{c}
		}
	case interface{ Unwrap() []error }:
		return u.Unwrap()
	}
	return nil
}
