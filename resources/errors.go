package resources

import (
	"fmt"

	"github.com/stockroomhq/stockroom/errs"
)

// The error kinds of this package: the kinds of package errs, so that
// errors.Is(err, ErrNotFound) holds for every not-found error, whichever
// package made it, and the HTTP layer maps them to statuses in one place.
var (
	// ErrNotFound means an ID (of the resource or of an entity it refers to)
	// does not exist.
	ErrNotFound = errs.NotFound
	// ErrInvalid means the input is malformed or incomplete.
	ErrInvalid = errs.Invalid
	// ErrConflict means the operation clashes with stored state, such as
	// uploading content that another resource already has.
	ErrConflict = errs.Conflict
	// ErrUnsupported means the operation cannot apply to this content type.
	ErrUnsupported = errs.Unsupported
)

// NotFoundError names the missing entity and its ID. Its kind is NotFound.
type NotFoundError struct {
	Entity string // "resource", "tag", "group", ...
	ID     int64
	Slug   string // set instead of ID when looked up by slug
}

func (e *NotFoundError) Error() string {
	if e.Slug != "" {
		return fmt.Sprintf("%s %q not found", e.Entity, e.Slug)
	}
	return fmt.Sprintf("%s %d not found", e.Entity, e.ID)
}

// Unwrap returns the kind, so that errors.Is(err, ErrNotFound) holds.
func (e *NotFoundError) Unwrap() error { return errs.NotFound }

// DuplicateError is returned when uploaded content is already stored as
// another resource and duplicates are not allowed. Its kind is Conflict.
type DuplicateError struct {
	ExistingID int64
	Hash       string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("this content is already stored as resource %d", e.ExistingID)
}

// Unwrap returns the kind, so that errors.Is(err, ErrConflict) holds.
func (e *DuplicateError) Unwrap() error { return errs.Conflict }

func notFound(entity string, id int64) error { return &NotFoundError{Entity: entity, ID: id} }

// invalidf returns an Invalid error with the formatted client message; the
// caller adds its operation when it returns the error.
func invalidf(format string, args ...any) error {
	return errs.Errorf("", errs.Invalid, format, args...)
}
