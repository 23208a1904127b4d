package resources

import (
	"errors"
	"fmt"
)

// The error kinds of this package. Callers compare with errors.Is; the HTTP
// layer maps them to statuses in one place.
var (
	// ErrNotFound means an ID (of the resource or of an entity it refers to)
	// does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid means the input is malformed or incomplete.
	ErrInvalid = errors.New("invalid input")
	// ErrConflict means the operation clashes with stored state, such as
	// uploading content that another resource already has.
	ErrConflict = errors.New("conflict")
	// ErrUnsupported means the operation cannot apply to this content type.
	ErrUnsupported = errors.New("unsupported for this content")
)

// NotFoundError names the missing entity and its ID.
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

// Is makes NotFoundError match ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// DuplicateError is returned when uploaded content is already stored as
// another resource and duplicates are not allowed.
type DuplicateError struct {
	ExistingID int64
	Hash       string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("this content is already stored as resource %d", e.ExistingID)
}

// Is makes DuplicateError match ErrConflict.
func (e *DuplicateError) Is(target error) bool { return target == ErrConflict }

func notFound(entity string, id int64) error { return &NotFoundError{Entity: entity, ID: id} }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
