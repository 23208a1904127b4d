package blobstore

import (
	"context"
	"net/url"
	"time"

	"github.com/stockroomhq/stockroom/errs"
)

// ErrUnavailable reports that a store which lives behind a network (object
// storage) could not be reached or refused to serve for now: a timeout, a
// refused or broken connection, a 5xx answer, throttling. The operation may
// succeed if retried later, so the HTTP layer answers 503 with Retry-After.
// Nothing of a Put that failed with it stays visible.
var ErrUnavailable = errs.New(errs.Unavailable, "the file store is unavailable; try again shortly")

// Presigner is an optional capability of a Store whose blobs can be
// downloaded directly from their backend, so large files need not pass
// through the server. Check for it with a type assertion.
type Presigner interface {
	// PresignGet returns a URL from which anyone may GET the content of
	// blob h, with Range requests, until ttl has passed. It does not check
	// that h is stored. opts sets headers of the response.
	PresignGet(ctx context.Context, h Hash, ttl time.Duration, opts PresignOptions) (*url.URL, error)
}

// PresignOptions are the response headers a presigned download carries.
// Empty fields leave the backend's default.
type PresignOptions struct {
	ContentType        string
	ContentDisposition string
}

// Cacher is an optional capability of a Store that keeps local copies of
// blobs from a remote backend. Check for it with a type assertion.
type Cacher interface {
	// CacheStats reports what the local copies hold and how often they
	// served an Open.
	CacheStats() CacheStats
}

// CacheStats counts a store's local copies and their use since it was
// opened.
type CacheStats struct {
	Entries int
	Bytes   int64
	Hits    int64 // Opens served from a local copy
	Misses  int64 // Opens that went to the backend
	Fills   int64 // copies made from the backend after Opens that missed
}
