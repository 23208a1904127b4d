package blobstore

import (
	"context"
	"errors"
	"io"
)

// ErrInvalidName reports a derived-file name that DerivedStore refuses.
var ErrInvalidName = errors.New("invalid derived file name")

// DerivedStore is an optional capability of a Store: it keeps files computed
// from a blob (previews, thumbnails and the like) beside it, addressed by the
// blob's hash and a short name ("preview-256x256"). Derived files are not
// blobs: Walk does not report them, and they may be recomputed at any time,
// so a backend may drop them whenever it likes. Check for the capability with
// a type assertion:
//
//	if ds, ok := store.(blobstore.DerivedStore); ok { ... }
//
// Implementations must be safe for concurrent use. Names are 1 to 128
// characters from [a-z0-9._-] and must not start with a dot; any other name
// is refused with an error wrapping ErrInvalidName.
type DerivedStore interface {
	// PutDerived stores the content of r as the derived file name of blob
	// h, replacing any previous one atomically: readers see the old or the
	// new content, never a part. The blob itself need not be stored. If r
	// fails or ctx ends, nothing changes.
	PutDerived(ctx context.Context, h Hash, name string, r io.Reader) error

	// OpenDerived opens the derived file name of blob h. It returns an
	// error wrapping ErrNotFound when there is none.
	OpenDerived(ctx context.Context, h Hash, name string) (File, error)

	// RemoveDerived removes every derived file of blob h. It is
	// idempotent: removing nothing is not an error.
	RemoveDerived(ctx context.Context, h Hash) error
}

// ValidDerivedName reports whether name is acceptable to a DerivedStore.
func ValidDerivedName(name string) bool {
	if len(name) == 0 || len(name) > 128 || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// LocalPather is an optional capability of a Store whose blobs are files of
// the host filesystem, for tools that need a path (ffmpeg reading a video).
type LocalPather interface {
	// LocalPath returns the host path of blob h, or false when the store
	// has no such path. The blob may not exist at that path.
	LocalPath(h Hash) (string, bool)
}
