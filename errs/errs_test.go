package errs_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stockroomhq/stockroom/errs"
)

// typedNotFound stands for a typed error of a library that unwraps to its
// kind, as resources.NotFoundError does.
type typedNotFound struct{ id int }

func (e *typedNotFound) Error() string { return fmt.Sprintf("thing %d not found", e.id) }
func (e *typedNotFound) Unwrap() error { return errs.NotFound }

// multi stands for an error that wraps several, as fetch.Error does.
type multi struct {
	text string
	errs []error
}

func (m *multi) Error() string   { return m.text }
func (m *multi) Unwrap() []error { return m.errs }

var errFull = errs.New(errs.Unavailable, "the queue is full")

func TestKindOfAndMessage(t *testing.T) {
	plain := errors.New("disk on fire")
	for _, tt := range []struct {
		name     string
		err      error
		kind     errs.Kind
		message  string
		text     string // err.Error(); "" skips the check
		isTarget error  // errors.Is(err, isTarget) must hold
	}{
		{"nil", nil, errs.Other, "", "", nil},
		{"plain", plain, errs.Other, "disk on fire", "disk on fire", plain},
		{"plain wrapped", fmt.Errorf("store.Put: %w", plain), errs.Other, "store.Put: disk on fire", "", plain},
		{"bare kind", errs.Conflict, errs.Conflict, "conflict", "conflict", errs.Conflict},
		{"E", errs.E("resources.Edit", errs.Invalid, "Name is required"), errs.Invalid, "Name is required",
			"resources.Edit: invalid input: Name is required", errs.Invalid},
		{"E without op, wrapped twice", fmt.Errorf("a.B: %w", fmt.Errorf("c.D: %w", errs.E("", errs.NotFound, "tag 3 not found"))),
			errs.NotFound, "tag 3 not found", "a.B: c.D: not found: tag 3 not found", errs.NotFound},
		{"Errorf", errs.Errorf("versions.Delete", errs.Conflict, "version %d is the only version", 2), errs.Conflict,
			"version 2 is the only version", "versions.Delete: conflict: version 2 is the only version", errs.Conflict},
		{"Wrap takes the cause's message", errs.Wrap("params.Decode", errs.Invalid, errors.New("unexpected EOF")),
			errs.Invalid, "unexpected EOF", "params.Decode: invalid input: unexpected EOF", errs.Invalid},
		{"Wrap of a typed error", errs.Wrap("x.Y", errs.Other, &typedNotFound{7}), errs.NotFound, "thing 7 not found", "", errs.NotFound},
		{"kind without message or cause", &errs.Error{Op: "x.Y", Kind: errs.Forbidden}, errs.Forbidden, "forbidden", "x.Y: forbidden", errs.Forbidden},
		{"op-only Error around a plain error", &errs.Error{Op: "x.Y", Err: plain}, errs.Other, "x.Y: disk on fire", "x.Y: disk on fire", plain},
		{"sentinel", fmt.Errorf("jobs.Submit: %w", errFull), errs.Unavailable, "the queue is full", "jobs.Submit: the queue is full", errFull},
		{"sentinel keeps its identity", errFull, errs.Unavailable, "the queue is full", "the queue is full", errs.Unavailable},
		{"typed error", fmt.Errorf("resources.Get: %w", &typedNotFound{5}), errs.NotFound, "thing 5 not found", "", errs.NotFound},
		{"fmt detail on a kind", fmt.Errorf("query.List: %w", fmt.Errorf("%w: bad SortBy", errs.Invalid)), errs.Invalid,
			"invalid input: bad SortBy", "query.List: invalid input: bad SortBy", errs.Invalid},
		{"outer kind wins", errs.Wrap("x.Y", errs.Internal, &typedNotFound{1}), errs.Internal, "thing 1 not found", "", errs.NotFound},
		{"Other defers to the cause", &errs.Error{Op: "x.Y", Msg: "the file is larger than allowed", Err: errs.New(errs.TooLarge, "blob too large")},
			errs.TooLarge, "the file is larger than allowed", "x.Y: the file is larger than allowed: blob too large", errs.TooLarge},
		{"several causes, first kind wins", &multi{"fetching u: too big", []error{errs.TooLarge, errs.New(errs.Invalid, "sentinel")}},
			errs.TooLarge, "fetching u: too big", "fetching u: too big", errs.Invalid},
		{"several causes, kind deeper", &multi{"two", []error{plain, fmt.Errorf("w: %w", errFull)}}, errs.Unavailable, "the queue is full", "", errFull},
		{"fs error keeps its chain", errs.Wrap("x.Open", errs.NotFound, fs.ErrNotExist), errs.NotFound, fs.ErrNotExist.Error(), "", fs.ErrNotExist},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := errs.KindOf(tt.err); got != tt.kind {
				t.Errorf("KindOf = %v, want %v", got, tt.kind)
			}
			if got := errs.Message(tt.err); got != tt.message {
				t.Errorf("Message = %q, want %q", got, tt.message)
			}
			if tt.text != "" && tt.err.Error() != tt.text {
				t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.text)
			}
			if tt.isTarget != nil && !errors.Is(tt.err, tt.isTarget) {
				t.Errorf("errors.Is(err, %v) = false", tt.isTarget)
			}
		})
	}
}

// TestIsMatchesOnlyItsKind: kinds are distinct sentinels, Other matches
// nothing, and sentinels made by New are distinct even of one kind.
func TestIsMatchesOnlyItsKind(t *testing.T) {
	a, b := errs.New(errs.Invalid, "a"), errs.New(errs.Invalid, "b")
	if errors.Is(a, b) || !errors.Is(a, errs.Invalid) || errors.Is(a, errs.NotFound) {
		t.Error("sentinels of one kind are not distinct, or do not match their kind")
	}
	e := errs.E("x.Y", errs.Conflict, "m")
	for _, k := range errs.Kinds() {
		if got, want := errors.Is(e, k), k == errs.Conflict; got != want {
			t.Errorf("errors.Is(conflict error, %v) = %v", k, got)
		}
	}
	if errors.Is(&errs.Error{Msg: "m"}, errs.Other) {
		t.Error("an Error of kind Other matches Other")
	}
	if errs.Wrap("x.Y", errs.Invalid, nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}

// TestKindsHaveTexts: every kind has a text of its own, so a new kind
// without one fails here.
func TestKindsHaveTexts(t *testing.T) {
	seen := map[string]errs.Kind{}
	for _, k := range errs.Kinds() {
		text := k.Error()
		if text == "" || text == fmt.Sprintf("kind %d", uint8(k)) {
			t.Errorf("kind %d has no text", uint8(k))
		}
		if other, ok := seen[text]; ok {
			t.Errorf("kinds %d and %d share the text %q", uint8(other), uint8(k), text)
		}
		seen[text] = k
	}
	if ks := errs.Kinds(); ks[0] != errs.Other || ks[len(ks)-1] != errs.Internal {
		t.Errorf("Kinds() = %v, want Other first and Internal last", ks)
	}
}
