// Package preview makes the thumbnails of stored files: images fitted in a
// box, a frame of a video (with ffmpeg), and a generated placeholder card
// for everything else and for anything that fails, so that a preview is
// always an image.
//
// Previews are cached in the blob store's derived area (when it has one),
// keyed by the content hash and the box, so that resources with the same
// content share them and a new version gets new ones. Concurrent requests
// for the same preview do the work once, and the number of decodes running
// at once is bounded.
package preview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/media/imaging"
	"github.com/stockroomhq/stockroom/media/probe"
)

// Defaults and bounds.
const (
	// DefaultBox is the box a preview fits in when no size is asked for.
	DefaultBox = 600
	// MaxBox caps each side of the box.
	MaxBox = 2048
	// DefaultJPEGQuality is the quality of JPEG previews.
	DefaultJPEGQuality = 85
	// DefaultFFmpegTimeout bounds one ffmpeg run.
	DefaultFFmpegTimeout = 20 * time.Second
	// version is part of every cache key and ETag: bump it when previews
	// change, and old ones are no longer used (their files stay counted
	// by the cache until evicted). 2: boxes are exact, no longer rounded
	// up to a ladder of sizes.
	version = 2
	// maxCached bounds a cached preview read back.
	maxCached = 32 << 20
)

// ErrInvalidBox reports a negative width or height. Its kind is errs.Invalid.
var ErrInvalidBox = errs.New(errs.Invalid, "preview: Width and Height must not be negative")

// Box is the size a preview must fit in; a zero side is unconstrained.
type Box struct{ Width, Height int }

// NewBox normalizes a requested size: neither given means DefaultBox ×
// DefaultBox, one given leaves the other to the aspect ratio (up to
// MaxBox), and each side given is capped at MaxBox. The box is otherwise
// exact: a client gets a picture that fits what it asked for. Negative
// sizes are ErrInvalidBox.
func NewBox(width, height int) (Box, error) {
	if width < 0 || height < 0 {
		return Box{}, ErrInvalidBox
	}
	if width == 0 && height == 0 {
		return Box{DefaultBox, DefaultBox}, nil
	}
	side := func(n int) int {
		if n == 0 {
			return MaxBox
		}
		return min(n, MaxBox)
	}
	return Box{side(width), side(height)}, nil
}

// Preview is a rendered preview.
type Preview struct {
	Data        []byte
	ContentType string // image/jpeg, or image/png when the image has transparency or is a placeholder
	// ETag is a strong entity tag, quoted, that changes whenever Data
	// would.
	ETag string
	// Placeholder is set when Data is a generated card rather than a
	// picture of the content; Reason says why ("not-an-image",
	// "too-many-pixels", "undecodable", "video-unavailable", ...).
	Placeholder bool
	Reason      string
}

// Service renders and caches previews. Set its fields before the first Get;
// the zero value of each optional field is a sensible default. It is safe
// for concurrent use.
type Service struct {
	// Blobs reads the content. Required.
	Blobs blobstore.Opener
	// Derived caches previews; nil renders every time. New sets it when
	// Blobs has the capability.
	Derived blobstore.DerivedStore
	// LocalPaths gives ffmpeg a file to read instead of a pipe; optional.
	LocalPaths blobstore.LocalPather
	// MaxPixels bounds width × height of the images decoded; larger ones
	// get a placeholder without being decoded. 0 means
	// imaging.DefaultMaxPixels.
	MaxPixels int64
	// Concurrency bounds the renders running at once; 0 means
	// GOMAXPROCS.
	Concurrency int
	// FFmpegPath is the ffmpeg binary for video previews; empty means
	// videos get a placeholder.
	FFmpegPath string
	// FFmpegTimeout bounds one ffmpeg run; 0 means DefaultFFmpegTimeout.
	FFmpegTimeout time.Duration
	// Budget is the memory budget of image work, shared with the other
	// users of decoded images (rotation, hashing); nil means one of
	// imaging.DefaultBudget() for this Service alone. An image that does
	// not fit waits; one larger than the whole budget gets a placeholder.
	Budget *imaging.Budget
	// CacheSize caps the bytes of the cached previews: past it, the
	// previews of the least recently used images are removed. 0 means
	// DefaultCacheSize; negative means no cap.
	CacheSize int64
	// MemorySize caps the bytes of the previews kept in memory, in front
	// of Derived, least recently used dropped first; 0 means
	// DefaultMemorySize, negative keeps none. With it a preview served
	// again costs no read of the derived area (two requests on an object
	// store) and is rendered once even without a derived area.
	MemorySize int64
	// JPEGQuality of previews; 0 means DefaultJPEGQuality.
	JPEGQuality int
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger

	initOnce     sync.Once
	sem          chan struct{}
	flight       flightGroup
	placeholders placeholders
	renders      atomic.Int64
	hits         atomic.Int64 // previews served from the cache, in memory or derived
	memoryHits   atomic.Int64 // of which from memory
	index        *cacheIndex  // nil without a cap or a cache
	memory       *memCache    // nil when MemorySize is negative
}

// New returns a Service over a blob store, using its derived area and host
// paths when it has them.
func New(blobs blobstore.Store) *Service {
	s := &Service{Blobs: blobs}
	if d, ok := blobs.(blobstore.DerivedStore); ok {
		s.Derived = d
	}
	if p, ok := blobs.(blobstore.LocalPather); ok {
		s.LocalPaths = p
	}
	return s
}

func (s *Service) init() {
	s.initOnce.Do(func() {
		n := s.Concurrency
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		s.sem = make(chan struct{}, n)
		if s.Budget == nil {
			s.Budget = imaging.NewBudget(0)
		}
		if s.MemorySize >= 0 {
			max := s.MemorySize
			if max == 0 {
				max = DefaultMemorySize
			}
			s.memory = newMemCache(max)
		}
		if s.Derived != nil && s.CacheSize >= 0 {
			max := s.CacheSize
			if max == 0 {
				max = DefaultCacheSize
			}
			s.index = newCacheIndex(max)
			s.loadIndex()
		}
	})
}

// loadIndex counts the previews an earlier run cached, oldest first, when
// the store can list them; others are counted when first used.
func (s *Service) loadIndex() {
	w, ok := s.Derived.(DerivedWalker)
	if !ok {
		return
	}
	type file struct {
		h    blobstore.Hash
		name string
		size int64
		t    time.Time
	}
	var files []file
	ctx := context.Background()
	err := w.WalkDerived(ctx, func(h blobstore.Hash, name string, size int64, t time.Time) error {
		if strings.HasPrefix(name, "preview-") {
			files = append(files, file{h, name, size, t})
		}
		return nil
	})
	if err != nil {
		s.logger().Warn("listing cached previews", "err", err)
	}
	slices.SortFunc(files, func(a, b file) int { return a.t.Compare(b.t) })
	gone := map[blobstore.Hash]bool{} // evicted with all their files
	for _, f := range files {
		if gone[f.h] {
			continue
		}
		hs := s.index.put(f.h, f.name, f.size, true)
		for _, h := range hs {
			gone[h] = true
		}
		s.evict(ctx, hs)
	}
}

// evict removes the cached previews of hs.
func (s *Service) evict(ctx context.Context, hs []blobstore.Hash) {
	for _, h := range hs {
		if err := s.Derived.RemoveDerived(ctx, h); err != nil {
			s.logger().Warn("evicting cached previews", "hash", h, "err", err)
		}
	}
}

// CacheBytes reports the bytes of cached previews the Service counts
// towards CacheSize (0 without a cap).
func (s *Service) CacheBytes() int64 {
	s.init()
	if s.index == nil {
		return 0
	}
	return s.index.size()
}

// MemoryHits reports how many of the CacheHits were served from memory.
func (s *Service) MemoryHits() int64 { return s.memoryHits.Load() }

// MemoryBytes reports the bytes of the previews kept in memory.
func (s *Service) MemoryBytes() int64 {
	s.init()
	if s.memory == nil {
		return 0
	}
	return s.memory.size()
}

// Renders reports how many previews have been rendered (not read from the
// cache) since the Service was made.
func (s *Service) Renders() int64 { return s.renders.Load() }

// CacheHits reports how many previews were read from the cache since the
// Service was made.
func (s *Service) CacheHits() int64 { return s.hits.Load() }

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) quality() int {
	if s.JPEGQuality > 0 && s.JPEGQuality <= 100 {
		return s.JPEGQuality
	}
	return DefaultJPEGQuality
}

// Get returns the preview of the content with hash h and type contentType
// (as probe.Sniff reports it) that fits in box, normalized as NewBox does.
// It fails only on a negative side or when ctx ends; every other problem
// gives a placeholder.
func (s *Service) Get(ctx context.Context, h blobstore.Hash, contentType string, box Box) (*Preview, error) {
	s.init()
	box, err := NewBox(box.Width, box.Height)
	if err != nil {
		return nil, err
	}
	name, etag := storedName(box), ETag(h, box)
	if p := s.cached(ctx, h, name, contentType, box, etag); p != nil {
		return p, nil
	}
	return s.flight.do(ctx, h.String()+"/"+name, func() (p *Preview, err error) {
		defer func() {
			if v := recover(); v != nil {
				s.logger().Error("rendering a preview panicked", "hash", h, "panic", v)
				p, err = s.placeholder(contentType, box, "internal-error"), nil
			}
		}()
		// Detached from the first caller: the others wait for it too,
		// and the result is cached even if they all leave.
		ctx := context.WithoutCancel(ctx)
		if p := s.cached(ctx, h, name, contentType, box, etag); p != nil {
			return p, nil
		}
		s.sem <- struct{}{}
		defer func() { <-s.sem }()
		s.renders.Add(1)
		r := s.render(ctx, h, contentType, box)
		if r.cacheable {
			s.keep(ctx, h, name, r.stored())
		}
		if r.reason != "" {
			return s.placeholder(contentType, box, r.reason), nil
		}
		return &Preview{Data: r.data, ContentType: r.contentType, ETag: etag}, nil
	})
}

// keep stores the stored form of a rendered preview in the derived area
// and in memory: in memory even when the derived area refused it, so that
// the next request need not render it again.
func (s *Service) keep(ctx context.Context, h blobstore.Hash, name string, content []byte) {
	if s.Derived != nil {
		if err := s.Derived.PutDerived(ctx, h, name, bytes.NewReader(content)); err != nil {
			s.logger().Warn("caching a preview", "hash", h, "err", err)
		} else if s.index != nil {
			s.evict(ctx, s.index.put(h, name, int64(len(content)), true))
		}
	}
	if s.memory != nil {
		s.memory.put(memKey{h, name}, bytes.Clone(content))
	}
}

// cached returns the preview kept in memory or stored in the derived area,
// or nil.
func (s *Service) cached(ctx context.Context, h blobstore.Hash, name, contentType string, box Box, etag string) *Preview {
	if s.memory != nil {
		if data := s.memory.get(memKey{h, name}); data != nil {
			// The derived area's index is left alone: it counts
			// what is on disk, which its evictions may have removed
			// since.
			if p := s.fromStored(bytes.Clone(data), contentType, box, etag); p != nil {
				s.hits.Add(1)
				s.memoryHits.Add(1)
				return p
			}
		}
	}
	if s.Derived == nil {
		return nil
	}
	f, err := s.Derived.OpenDerived(ctx, h, name)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCached+1))
	if err != nil || len(data) > maxCached {
		return nil
	}
	p := s.fromStored(data, contentType, box, etag)
	if p == nil {
		return nil
	}
	if s.index != nil {
		s.evict(ctx, s.index.used(h, name, int64(len(data))))
	}
	if s.memory != nil {
		s.memory.put(memKey{h, name}, bytes.Clone(data))
	}
	s.hits.Add(1)
	return p
}

// fromStored makes the Preview of the stored form of one: a picture, or
// the reason of a placeholder. It returns nil for anything else.
func (s *Service) fromStored(data []byte, contentType string, box Box, etag string) *Preview {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return &Preview{Data: data, ContentType: "image/jpeg", ETag: etag}
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return &Preview{Data: data, ContentType: "image/png", ETag: etag}
	case bytes.HasPrefix(data, []byte("failed:")):
		return s.placeholder(contentType, box, string(data[len("failed:"):]))
	}
	return nil
}

// storedName is the derived file name of the preview in box.
func storedName(box Box) string {
	return fmt.Sprintf("preview-v%d-%dx%d", version, box.Width, box.Height)
}

// ETag is the entity tag of the preview of the content with hash h in
// box (normalized as NewBox does, a negative side taken as 0) when that
// preview is a picture; placeholders have tags of their own. It is known
// without reading anything, so that a client revalidating a preview it
// holds can be answered at once.
func ETag(h blobstore.Hash, box Box) string {
	box, _ = NewBox(max(box.Width, 0), max(box.Height, 0))
	return `"` + h.String() + "-" + storedName(box) + `"`
}

// placeholder returns the card for a content type.
func (s *Service) placeholder(contentType string, box Box, reason string) *Preview {
	data, key := s.placeholders.get(contentType, box)
	return &Preview{
		Data: data, ContentType: "image/png", Placeholder: true, Reason: reason,
		ETag: fmt.Sprintf(`"placeholder-v%d.%d-%s"`, version, placeholderDesign, strings.ReplaceAll(key, "/", "-")),
	}
}

// rendered is the outcome of a render: an encoded picture, or a reason for
// a placeholder; cacheable when trying again would give the same.
type rendered struct {
	data        []byte
	contentType string
	reason      string
	cacheable   bool
}

// stored is the form a render is kept in: the picture, or the reason of
// its placeholder behind "failed:" (see fromStored).
func (r rendered) stored() []byte {
	if r.reason != "" {
		return []byte("failed:" + r.reason)
	}
	return r.data
}

func failed(reason string, cacheable bool) rendered {
	return rendered{reason: reason, cacheable: cacheable}
}

func (s *Service) render(ctx context.Context, h blobstore.Hash, contentType string, box Box) rendered {
	switch {
	case imaging.IsRaster(contentType):
		f, err := s.Blobs.Open(ctx, h)
		if err != nil {
			s.logger().Warn("opening content for a preview", "hash", h, "err", err)
			return failed("unreadable", false)
		}
		defer f.Close()
		return s.renderImage(ctx, f, contentType, box)
	case probe.Category(contentType) == probe.CategoryVideo && s.FFmpegPath != "":
		return s.renderVideo(ctx, h, box)
	case probe.Category(contentType) == probe.CategoryVideo:
		return failed("video-unavailable", false)
	case contentType == "image/svg+xml":
		return failed("vector-image", true)
	}
	return failed("not-an-image", true)
}

// renderImage decodes a raster image only as large as the box needs, fits
// it in the box, orients it and encodes it.
func (s *Service) renderImage(ctx context.Context, f io.ReadSeeker, contentType string, box Box) rendered {
	w, h, err := imaging.Config(f, contentType, imaging.Options{MaxPixels: s.MaxPixels})
	if err != nil {
		return failed(reasonOf(err), true)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return failed("unreadable", false)
	}
	o := probe.ReadOrientation(f, contentType)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return failed("unreadable", false)
	}
	// The size of the result, as displayed, and then as stored.
	tw, th := imaging.Fit(orientedSize(w, h, o, box))
	if o.SwapsAxes() {
		tw, th = th, tw
	}
	opts := imaging.Options{MaxPixels: s.MaxPixels, MinWidth: tw, MinHeight: th}
	cost, err := imaging.Cost(f, contentType, opts)
	if err != nil {
		return failed(reasonOf(err), true)
	}
	// The decoded image, and the resized and oriented copies.
	release, err := s.Budget.Acquire(ctx, cost+2*4*int64(tw)*int64(th))
	if err != nil {
		// The budget may grow with the next start: not cached.
		return failed(reasonOf(err), false)
	}
	defer release()
	d, err := imaging.Decode(f, contentType, opts)
	if err != nil {
		return failed(reasonOf(err), true)
	}
	return s.encode(imaging.Orient(imaging.Resize(d.Image, tw, th), o))
}

func orientedSize(w, h int, o probe.Orientation, box Box) (int, int, int, int) {
	if o.SwapsAxes() {
		w, h = h, w
	}
	return w, h, box.Width, box.Height
}

// encode writes a JPEG, or a PNG when the picture has transparency.
func (s *Service) encode(img image.Image) rendered {
	var buf bytes.Buffer
	if imaging.HasAlpha(img) {
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
			return failed("unencodable", false)
		}
		return rendered{data: buf.Bytes(), contentType: "image/png", cacheable: true}
	}
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: s.quality()}); err != nil {
		return failed("unencodable", false)
	}
	return rendered{data: buf.Bytes(), contentType: "image/jpeg", cacheable: true}
}

func reasonOf(err error) string {
	switch {
	case errors.Is(err, imaging.ErrTooManyPixels):
		return "too-many-pixels"
	case errors.Is(err, imaging.ErrOverBudget):
		return "over-memory-budget"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "busy"
	case errors.Is(err, imaging.ErrNotRaster):
		return "not-an-image"
	}
	return "undecodable"
}
