// Package blobstore stores immutable byte streams addressed by the SHA-256
// of their content.
//
// A blob is written once with [Putter.Put], which streams the content,
// computes its [Hash] and stores it under that hash; putting the same bytes
// again stores nothing new. Blobs are read back with [Opener.Open], listed
// with [Walker.Walk], checked with [Verifier.Verify] and deleted with
// [Remover.Remove]. The package knows bytes only: which blob belongs to which
// resource is recorded elsewhere.
//
// [Store] combines the small interfaces; each backend lives in its own
// subpackage (aferostore for any afero.Fs; localfs for files referenced in
// place on alternative filesystems) and runs the conformance suite in
// blobstoretest.
package blobstore

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/stockroomhq/stockroom/errs"
)

// Blobstore errors. Compare with [errors.Is]; implementations wrap them with
// the operation and the hash concerned.
var (
	// ErrNotFound reports that no blob is stored under a hash. Errors that
	// wrap it also satisfy errors.Is(err, fs.ErrNotExist).
	ErrNotFound = fmt.Errorf("blob not found: %w", fs.ErrNotExist)

	// ErrCorrupt reports that the stored bytes of a blob no longer hash to
	// the blob's address.
	ErrCorrupt = errors.New("blob content does not match its hash")

	// ErrInvalidHash reports text that is not a hex-encoded SHA-256 hash.
	ErrInvalidHash = errors.New("invalid blob hash")

	// ErrTooLarge reports content longer than a store accepts. Its kind is
	// errs.TooLarge.
	ErrTooLarge = errs.New(errs.TooLarge, "blob too large")
)

// HashSize is the length of a Hash in bytes.
const HashSize = 32

// Hash is the SHA-256 digest of a blob's content and the blob's address.
// It is comparable and can be used as a map key. The zero Hash stands for
// "no hash" (see [Hash.IsZero]); no known content hashes to it.
type Hash [HashSize]byte

// ParseHash parses the 64 hexadecimal characters of a hash, in lower or
// upper case. Any other input yields an error wrapping [ErrInvalidHash].
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return Hash{}, fmt.Errorf("blobstore.ParseHash: %w: want %d hex characters, got %d", ErrInvalidHash, 2*HashSize, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("blobstore.ParseHash %q: %w", s, ErrInvalidHash)
	}
	return h, nil
}

// String returns the hash as 64 lowercase hexadecimal characters.
func (h Hash) String() string {
	return hex.EncodeToString(h[:])
}

// Path returns the slash-separated relative path under which file-based
// stores keep the blob: the first two hex characters, the next two, then
// the full hex hash, as in "ab/cd/abcd…".
func (h Hash) Path() string {
	s := h.String()
	return s[0:2] + "/" + s[2:4] + "/" + s
}

// IsZero reports whether h is the zero Hash, typically an unset field.
func (h Hash) IsZero() bool {
	return h == Hash{}
}

// MarshalText implements [encoding.TextMarshaler] using [Hash.String].
func (h Hash) MarshalText() ([]byte, error) {
	return []byte(h.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] using [ParseHash].
func (h *Hash) UnmarshalText(text []byte) error {
	v, err := ParseHash(string(text))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// Value implements [driver.Valuer]: a hash is stored as the 64 lowercase
// hex characters of [Hash.String], the TEXT the databases have always held.
// The zero Hash is stored as the empty string, which Scan reads back as the
// zero Hash.
func (h Hash) Value() (driver.Value, error) {
	if h.IsZero() {
		return "", nil
	}
	return h.String(), nil
}

// Scan implements [sql.Scanner] for the TEXT of Value, in either case. NULL
// and the empty string scan as the zero Hash; anything else that is not a
// hash is an error wrapping [ErrInvalidHash].
//
// [sql.Scanner]: https://pkg.go.dev/database/sql#Scanner
func (h *Hash) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("blobstore.Hash.Scan: %w: cannot scan %T", ErrInvalidHash, src)
	}
	if s == "" {
		*h = Hash{}
		return nil
	}
	v, err := ParseHash(s)
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// Info describes a stored blob.
type Info struct {
	Hash    Hash
	Size    int64     // length of the content in bytes
	ModTime time.Time // when the blob was stored, as far as the backend knows
}

// PutResult describes the outcome of a successful Put.
type PutResult struct {
	Hash Hash
	Size int64
	// Created is true when this Put stored the content and false when the
	// same content was already stored (deduplicated).
	Created bool
}

// File is an open blob. It must be closed after use.
type File interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
}

// Putter stores content.
type Putter interface {
	// Put reads r to EOF and stores its content under its SHA-256 hash.
	// It streams: memory use does not grow with the content's length.
	//
	// Storing content that is already stored succeeds with
	// PutResult.Created false and leaves the stored blob untouched; of
	// several concurrent Puts of the same content exactly one reports
	// Created true.
	//
	// If r fails, ctx is done, or the content exceeds the store's size
	// limit (an error wrapping ErrTooLarge), Put returns an error wrapping
	// the cause and nothing of the content stays behind. A blob is
	// visible to Open, Stat and Walk only once Put has returned it.
	Put(ctx context.Context, r io.Reader) (PutResult, error)
}

// Opener reads blobs.
type Opener interface {
	// Open returns the content of the blob h for reading. It returns an
	// error wrapping ErrNotFound if h is not stored.
	Open(ctx context.Context, h Hash) (File, error)
}

// Stater describes blobs.
type Stater interface {
	// Stat returns the Info of blob h, or an error wrapping ErrNotFound
	// if h is not stored.
	Stat(ctx context.Context, h Hash) (Info, error)
}

// Remover deletes blobs.
type Remover interface {
	// Remove deletes blob h. Removal is idempotent: removing a blob that
	// is not stored is not an error. Files already open on h may keep
	// reading it, depending on the backend.
	Remove(ctx context.Context, h Hash) error
}

// Walker lists blobs.
type Walker interface {
	// Walk calls fn once for every stored blob, and for nothing else (no
	// partial uploads, no derived files). Blobs put or removed while Walk
	// runs may or may not be seen. If fn returns an error Walk stops and
	// returns that error unchanged; if ctx is done Walk stops and returns
	// an error wrapping ctx.Err().
	Walk(ctx context.Context, fn func(Info) error) error
}

// Verifier checks blobs.
type Verifier interface {
	// Verify re-reads blob h and checks that its content still hashes to
	// h. It returns an error wrapping ErrCorrupt, with detail, when it
	// does not, and an error wrapping ErrNotFound if h is not stored.
	Verify(ctx context.Context, h Hash) error
}

// Store is a content-addressed blob store.
//
// Implementations must be safe for concurrent use by multiple goroutines.
// Errors wrap the sentinels of this package (ErrNotFound, ErrCorrupt,
// ErrTooLarge) where they apply, and the context's error when ctx ends an
// operation early, so callers can test them with errors.Is.
type Store interface {
	Putter
	Opener
	Stater
	Remover
	Walker
	Verifier
}
