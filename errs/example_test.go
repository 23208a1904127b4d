package errs_test

import (
	"errors"
	"fmt"

	"github.com/stockroomhq/stockroom/errs"
)

// ErrQueueFull is a package's sentinel: its own identity, and a kind.
var ErrQueueFull = errs.New(errs.Unavailable, "the download queue is full; try again later")

// rename is a library operation: it decides the kind where it knows it and
// names itself once.
func rename(name string) error {
	const op = "tags.Rename"
	if name == "" {
		return errs.E(op, errs.Invalid, "Name must not be empty")
	}
	if name == "sunset" {
		return errs.Errorf(op, errs.Conflict, "a tag named %q already exists", name)
	}
	return nil
}

func Example() {
	// Somewhere up the stack, the error is wrapped again.
	err := fmt.Errorf("api.SaveTag: %w", rename("sunset"))
	fmt.Println(err)
	// A server maps the kind to a status and shows the message.
	fmt.Println(errs.KindOf(err) == errs.Conflict, errs.Message(err))
	fmt.Println(errors.Is(err, errs.Conflict))

	err = fmt.Errorf("jobs.Submit: %w", ErrQueueFull)
	fmt.Println(errors.Is(err, ErrQueueFull), errs.KindOf(err) == errs.Unavailable, errs.Message(err))

	err = errors.New("disk on fire")
	fmt.Println(errs.KindOf(err) == errs.Other)
	// Output:
	// api.SaveTag: tags.Rename: conflict: a tag named "sunset" already exists
	// true a tag named "sunset" already exists
	// true
	// true true the download queue is full; try again later
	// true
}
