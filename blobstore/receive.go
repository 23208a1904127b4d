package blobstore

import (
	"context"
	"io"
)

// Receiver is an optional capability of a Store whose Put copies the
// content to a local file before storing it (object storage, where the
// key, hence the hash, must be known before the upload starts). Receive
// splits Put in two, so that the caller can look at the content and learn
// its hash before the store is asked for anything: a caller that would
// otherwise read the new blob back (to sniff its type) saves the requests.
// Check for it with a type assertion.
type Receiver interface {
	// Receive reads r to EOF into a local copy and hashes it. It stores
	// nothing and asks the backend nothing; [Received.Store] does. The
	// failures are Put's: r failing, ctx done, content over the store's
	// size limit (ErrTooLarge), and nothing stays behind after them.
	Receive(ctx context.Context, r io.Reader) (Received, error)
}

// Received is content a [Receiver] holds locally, not yet stored. It is not
// safe for concurrent use, except for the readers of NewReader. Close it
// once done, whether Store was called or not.
type Received interface {
	// Hash returns the SHA-256 of the content.
	Hash() Hash
	// Size returns the length of the content in bytes.
	Size() int64
	// NewReader returns a reader of the local copy, from its start; each
	// call returns a new one. It makes no request to the backend. Readers
	// fail once Close has been called.
	NewReader() *io.SectionReader
	// Store stores the content under its hash as Put would, with Put's
	// results and errors (Created false when the content was already
	// stored; nothing visible when it fails). A successful Store is not
	// repeated: calling it again returns the same result.
	Store(ctx context.Context) (PutResult, error)
	// Close discards the local copy. A stored blob stays. Close is
	// idempotent.
	Close() error
}
