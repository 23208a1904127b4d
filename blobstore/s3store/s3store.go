// Package s3store implements blobstore.Store on S3-compatible object
// storage (AWS S3, MinIO, Ceph, SeaweedFS, Garage, Cloudflare R2,
// versitygw) with minio-go.
//
// # Layout
//
// Keys mirror the data folder of aferostore under Config.Prefix: blob h is
// the object prefix+h.Path() ("ab/cd/abcd…") and its derived files are
// prefix+"derived/"+h.Path()+"/"+name. A data folder can therefore be
// copied into a bucket (or back) with any sync tool and used as it is.
//
// # How Put lands an object without exposing a part of it
//
// Put stages the content in a local temporary file (Config.TempDir) while
// hashing it, then uploads that file to its final key with one PUT that is
// conditional on the key not existing (If-None-Match: *) and names the
// content's CRC32C, computed along with the SHA-256 from the same bytes,
// so the service itself refuses bytes damaged in the staged file or on the
// way. An object appears at its key whole or not at all; there
// is no staging key to clean up. Content already stored costs one HEAD and
// no upload. Concurrent Puts of the same content in one process wait for
// each other; across processes the condition makes one of them the
// creator (on services that ignore it, the loser overwrites the key with
// the same bytes, which is harmless). [Store.Receive] stops after the
// staging, so that a caller can read the staged copy (to sniff its type,
// say) without asking the service for the object it is about to store.
//
// For a 2 GB file this costs: 2 GB of free space in TempDir while it
// uploads (TempDir should be on disk, not a tmpfs); 2 requests, a HEAD and
// one PUT (above MaxSinglePut, 5 GiB by default as on AWS, a multipart
// upload: HEAD, initiate, one request per 64 MiB part, complete); the
// 2 GB sent once, or not at all when the content is already stored; and
// the time to receive the file plus the time to upload it, since the
// upload can only start once the hash, hence the key, is known. Memory
// stays constant: three 256 KiB buffers while staging, and the HTTP
// buffers.
//
// The alternative, a multipart upload to a staging key while hashing, then
// a server-side CopyObject to the final key and a delete of the staging
// key, needs no local disk and overlaps the upload with the receipt
// (about one transfer time plus the copy), but for 2 GB costs 37 requests
// (HEAD, initiate, 32 parts of 64 MiB, complete, copy, delete), a part
// buffered in memory per upload (parts are sized and signed before they
// are sent), the bytes stored twice until the copy ends, the copy time on
// the service (a full 2 GB rewrite on most self-hosted services, tens of
// seconds on AWS; above 5 GiB the copy must itself be multipart), the
// whole upload even when the content is already stored, and staging
// objects left behind when the process dies. Nor would it shorten the wait
// after the receipt on versitygw's posix backend, whose work on a PUT
// (mostly the MD5 of the ETag) is that wait: its CopyObject and
// UploadPartCopy read the object back through the same MD5 and checksum
// as a PUT; only CompleteMultipartUpload is cheap (copy_file_range of the
// parts), and it lands on the key the upload was started with.
//
// # Local copies
//
// With Config.CacheSize, the Store keeps the staged file of each blob it
// stores as a local copy, hard-linked under the blob's hash in
// Config.CacheDir, and Open serves a blob that has one from it, without a
// request. A blob opened twice without a copy (stored by another process,
// or before a restart) is copied from the service in the background and
// checked against its hash. A blob never changes, so copies need no
// invalidation; the least recently opened are dropped once they hold more
// than CacheSize.
//
// # Backups
//
// Stockroom does not copy a bucket. Back it up on the service: turn on
// bucket versioning (a removed or overwritten object stays recoverable;
// expire old versions with a lifecycle rule), and replicate the bucket to
// another region or service for disasters. Back up the database as usual;
// a restored database may point at blobs removed since, which `verify`
// reports. Add a lifecycle rule that aborts incomplete multipart uploads
// after a day (see [Store.CleanTemp]).
//
// # Errors
//
// Failures of the service (a connection idle for Config.IdleTimeout,
// refused or broken connections, 5xx answers, throttling) are tried
// Config.MaxRetries times in all, then returned wrapping [ErrUnavailable];
// the HTTP layer answers 503 with Retry-After. A missing key is
// blobstore.ErrNotFound; a refusal (wrong credentials, no permission) is a
// plain error, since retrying will not cure it.
package s3store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/stockroomhq/stockroom/blobstore"
)

// ErrUnavailable is blobstore.ErrUnavailable: errors of the object store
// that retrying later may cure wrap it.
var ErrUnavailable = blobstore.ErrUnavailable

// DerivedDir is the folder, under the prefix, of the files derived from
// blobs, as in aferostore.
const DerivedDir = "derived"

const (
	bufSize     = 256 << 10
	tempPattern = "stockroom-s3-*"
	contentType = "application/octet-stream"
	// abortTimeout bounds the cleanup of a failed multipart upload, which
	// runs even when the caller's context is done.
	abortTimeout = 30 * time.Second
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	_ blobstore.Store        = (*Store)(nil)
	_ blobstore.DerivedStore = (*Store)(nil)
	_ blobstore.Presigner    = (*Store)(nil)
	_ blobstore.Receiver     = (*Store)(nil)
	_ blobstore.Cacher       = (*Store)(nil)
)

// Store is a blobstore.Store in an S3 bucket. Create it with [New]; it is
// safe for concurrent use.
type Store struct {
	// MaxSize is the largest content Put accepts, in bytes. Zero, the
	// default, means no limit. Set it before the first Put.
	MaxSize int64

	client       *minio.Client
	core         minio.Core
	bucket       string
	prefix       string
	tempDir      string
	maxSinglePut int64
	partSize     int64
	sendCRC32C   bool
	splice       bool          // File.CopyNTo may splice (plain HTTP, our transport)
	idle         time.Duration // Config.IdleTimeout or its default
	locks        hashLocks
	cache        *cache // nil without Config.CacheSize

	inflightMu sync.Mutex
	inflight   map[string]struct{} // temporary files and upload IDs of running Puts
}

// New connects to the service cfg describes and checks that the bucket
// exists. It fails with an error wrapping [ErrInvalidConfig] for a bad cfg
// or a missing bucket, and [ErrUnavailable] when the service cannot be
// reached.
func New(ctx context.Context, cfg Config) (*Store, error) {
	const op = "s3store.New"
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrInvalidConfig, err)
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	creds := credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	if cfg.AccessKey == "" {
		// No IAM (instance metadata) provider: it would probe the network
		// on every host without credentials.
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.EnvMinio{},
			&credentials.FileAWSCredentials{},
		})
	}
	lookup := minio.BucketLookupAuto
	switch cfg.Addressing {
	case AddressingPath:
		lookup = minio.BucketLookupPath
	case AddressingVirtualHost:
		lookup = minio.BucketLookupDNS
	}
	retries := cfg.MaxRetries
	if retries == 0 {
		retries = defaultMaxRetries
	}
	transport, err := newTransport(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        creds,
		Secure:       !cfg.DisableTLS,
		Transport:    transport,
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   retries,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", op, ErrInvalidConfig, err)
	}
	s := &Store{
		client:       client,
		core:         minio.Core{Client: client},
		bucket:       cfg.Bucket,
		prefix:       cfg.Prefix,
		tempDir:      cfg.TempDir,
		maxSinglePut: cfg.MaxSinglePut,
		partSize:     cfg.PartSize,
		// Google's XML API takes x-goog-hash instead; minio-go sends no
		// checksum there either.
		sendCRC32C: !s3utils.IsGoogleEndpoint(*client.EndpointURL()),
		splice:     transport.(fileBodyTransport).splice != nil,
		idle:       idleTimeout(cfg),
	}
	if s.tempDir == "" {
		s.tempDir = os.TempDir()
	}
	if s.maxSinglePut == 0 {
		s.maxSinglePut = defaultMaxSinglePut
	}
	if s.partSize == 0 {
		s.partSize = defaultPartSize
	}
	if fi, err := os.Stat(s.tempDir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s: %w: temporary directory %q is not a directory", op, ErrInvalidConfig, s.tempDir)
	}
	if cfg.CacheSize > 0 {
		if s.cache, err = openCache(cfg.CacheDir, s.tempDir, cfg.CacheSize); err != nil {
			return nil, fmt.Errorf("%s: %w: cache: %v", op, ErrInvalidConfig, err)
		}
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, s.fail(ctx, op, cfg.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w: bucket %q does not exist at %s", op, ErrInvalidConfig, cfg.Bucket, endpoint)
	}
	return s, nil
}

// blobKey is the key of blob h.
func (s *Store) blobKey(h blobstore.Hash) string {
	return s.prefix + h.Path()
}

// Put implements blobstore.Putter; see the package documentation for how.
// It is Receive, Store and Close.
func (s *Store) Put(ctx context.Context, r io.Reader) (blobstore.PutResult, error) {
	const op = "s3store.Put"
	st, err := s.receive(ctx, op, r)
	if err != nil {
		return blobstore.PutResult{}, err
	}
	defer st.Close()
	return st.store(ctx, op)
}

// Receive implements blobstore.Receiver: it stages r in a local temporary
// file while hashing it, as Put does, and makes no request. The
// [blobstore.Received] reads that file; its Store makes Put's requests.
func (s *Store) Receive(ctx context.Context, r io.Reader) (blobstore.Received, error) {
	return s.receive(ctx, "s3store.Receive", r)
}

func (s *Store) receive(ctx context.Context, op string, r io.Reader) (*staged, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	src := r
	if s.MaxSize > 0 && s.MaxSize < 1<<62 {
		src = io.LimitReader(src, s.MaxSize+1) // one byte over tells us it is too large
	}
	st, err := s.stage(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if s.MaxSize > 0 && st.size > s.MaxSize {
		st.Close()
		return nil, fmt.Errorf("%s: %w: content exceeds %d bytes", op, blobstore.ErrTooLarge, s.MaxSize)
	}
	return st, nil
}

// store lands the staged content at its key unless an object is there
// already: one HEAD, then one conditional PUT when the key is free.
func (st *staged) store(ctx context.Context, op string) (blobstore.PutResult, error) {
	if st.stored != nil {
		return *st.stored, nil
	}
	if st.closed {
		return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, st.sum, os.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, st.sum, err)
	}
	s := st.s
	res := blobstore.PutResult{Hash: st.sum, Size: st.size}
	key := s.blobKey(st.sum)

	unlock, err := s.locks.lock(ctx, st.sum)
	if err != nil {
		return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, st.sum, err)
	}
	defer unlock()
	if _, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{}); err == nil {
		st.stored = &res
		s.cache.add(st.sum, st.f.Name(), st.size)
		return res, nil
	} else if err := s.fail(ctx, op, key, err); !errors.Is(err, blobstore.ErrNotFound) {
		return blobstore.PutResult{}, err
	}
	created, err := s.upload(ctx, key, st, true)
	if err != nil {
		err = s.fail(ctx, op, key, err)
		// Another process may have stored the content since the HEAD, and
		// a service may then refuse the conditional PUT before reading its
		// body and close the connection, so that the client sees a reset
		// instead of the 412. Whatever is at the key has the same bytes.
		if errors.Is(err, ErrUnavailable) && ctx.Err() == nil {
			if info, herr := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{}); herr == nil && info.Size == st.size {
				st.stored = &res
				return res, nil
			}
		}
		return blobstore.PutResult{}, err
	}
	res.Created = created
	st.stored = &res
	s.cache.add(st.sum, st.f.Name(), st.size)
	return res, nil
}

// staged is content copied to a local temporary file, with its length and
// SHA-256. It is the store's blobstore.Received.
type staged struct {
	s      *Store
	f      *os.File
	size   int64
	sum    blobstore.Hash
	crc    uint32               // CRC32C of the content
	stored *blobstore.PutResult // the result of the first successful store
	closed bool
}

var _ blobstore.Received = (*staged)(nil)

// Hash implements blobstore.Received.
func (st *staged) Hash() blobstore.Hash { return st.sum }

// Size implements blobstore.Received.
func (st *staged) Size() int64 { return st.size }

// NewReader implements blobstore.Received: it reads the temporary file.
func (st *staged) NewReader() *io.SectionReader { return io.NewSectionReader(st.f, 0, st.size) }

// Store implements blobstore.Received; see Put.
func (st *staged) Store(ctx context.Context) (blobstore.PutResult, error) {
	return st.store(ctx, "s3store.Received.Store")
}

// Close implements blobstore.Received: it removes the temporary file.
func (st *staged) Close() error {
	if st.closed {
		return nil
	}
	st.closed = true
	st.f.Close()
	os.Remove(st.f.Name())
	st.s.track(st.f.Name(), false)
	return nil
}

// stage copies r into a new temporary file in TempDir while hashing it. On
// error it leaves nothing behind. The file is not synced: it is read back
// by the upload and removed, and durability is the service's job.
func (s *Store) stage(ctx context.Context, r io.Reader) (*staged, error) {
	f, err := os.CreateTemp(s.tempDir, tempPattern)
	if err != nil {
		return nil, err
	}
	s.track(f.Name(), true)
	st := &staged{s: s, f: f}
	hasher, crc := sha256.New(), crc32.New(castagnoli)
	st.size, err = copyHashing(f, blobstore.ContextReader(ctx, r), io.MultiWriter(hasher, crc))
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	st.sum = blobstore.Hash(hasher.Sum(nil))
	st.crc = crc.Sum32()
	return st, nil
}

// stageBufs is how many buffers of bufSize a staging copy uses: one being
// filled and written to the file while the others wait to be hashed.
const stageBufs = 3

// copyHashing copies r to f, and to h in a goroutine of its own, so that
// hashing a chunk (SHA-256 and CRC32C, most of the CPU of staging)
// overlaps receiving and writing the next ones. Each buffer is filled
// before it is written: a reader may return little at a time (a multipart
// part returns at most what its reader buffers, 4 KiB by default), and a
// system call per 4 KiB costs more CPU than the hashing. It returns once h has seen everything written to f.
func copyHashing(f io.Writer, r io.Reader, h io.Writer) (n int64, err error) {
	type chunk struct {
		buf *[]byte
		n   int
	}
	free := make(chan *[]byte, stageBufs)
	full := make(chan chunk, stageBufs)
	for range stageBufs {
		free <- bufPool.Get().(*[]byte)
	}
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for c := range full {
			h.Write((*c.buf)[:c.n]) // hashes do not fail
			free <- c.buf
		}
	}()
	for err == nil {
		buf := <-free
		m, rerr := blobstore.Fill(r, *buf)
		if m > 0 {
			if _, err = f.Write((*buf)[:m]); err == nil {
				n += int64(m)
				full <- chunk{buf, m}
				buf = nil
			}
		}
		if buf != nil {
			free <- buf
		}
		if rerr == io.EOF {
			break
		}
		if err == nil {
			err = rerr
		}
	}
	close(full)
	<-hashed
	for range stageBufs {
		bufPool.Put(<-free)
	}
	return n, err
}

// upload sends the staged content to key. With ifAbsent it does not
// replace an existing object and reports false when there was one.
//
// The service checks every byte against one digest the request carries. A
// single PUT names the content's CRC32C, which the service also keeps as
// the object's checksum, and leaves the payload unsigned
// (UNSIGNED-PAYLOAD), as AWS's SDKs do over TLS. The service's work on the
// PUT is most of the time an upload takes after its receipt. CRC32C runs
// in hardware; a signed payload makes the service hash the upload with
// SHA-256 as well (on versitygw, half as much CPU again as the MD5 of its
// ETag), and naming no checksum makes it compute a CRC64NVME in software.
// Over plain HTTP (Config.DisableTLS, a trusted network) an attacker on
// the path could swap the bytes for others with the same CRC32C, which a
// signature would prevent; he could as well alter what downloads read.
// Where the header is not understood (Google's XML API) the PUT is signed
// with the SHA-256 instead. Multipart parts are signed with their own.
//
// The staged file goes out with sendfile(2) where the connection allows
// (see fileBodyTransport).
func (s *Store) upload(ctx context.Context, key string, st *staged, ifAbsent bool) (bool, error) {
	opts := minio.PutObjectOptions{ContentType: contentType, DisableContentSha256: true}
	if ifAbsent {
		opts.SetMatchETagExcept("*")
	}
	var err error
	if st.size <= s.maxSinglePut {
		body := io.NewSectionReader(st.f, 0, st.size)
		sha256Hex := ""
		if s.sendCRC32C {
			var crc [4]byte
			binary.BigEndian.PutUint32(crc[:], st.crc)
			opts.UserMetadata = map[string]string{"x-amz-checksum-crc32c": base64.StdEncoding.EncodeToString(crc[:])}
		} else {
			sha256Hex = hex.EncodeToString(st.sum[:])
		}
		pctx := withStagedBody(ctx, st.f.Name(), st.size)
		_, err = s.core.PutObject(pctx, s.bucket, key, body, st.size, "", sha256Hex, opts)
	} else {
		err = s.uploadMultipart(ctx, key, st, opts)
	}
	if ifAbsent && isConditionFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// uploadMultipart uploads the staged content in parts, each signed with
// its own SHA-256, and completes the upload with the conditions of opts.
// A failed upload is aborted so that its parts do not linger (a bucket
// lifecycle rule should still expire incomplete uploads, for crashes).
func (s *Store) uploadMultipart(ctx context.Context, key string, st *staged, opts minio.PutObjectOptions) (err error) {
	partSize := max(s.partSize, (st.size+maxParts-1)/maxParts)
	initOpts := minio.PutObjectOptions{ContentType: opts.ContentType}
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, key, initOpts)
	if err != nil {
		return err
	}
	s.track(id, true)
	defer func() {
		s.track(id, false)
		if err != nil {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
			s.core.AbortMultipartUpload(actx, s.bucket, key, id)
			cancel()
		}
	}()
	var parts []minio.CompletePart
	for off, num := int64(0), 1; off < st.size; off, num = off+partSize, num+1 {
		n := min(partSize, st.size-off)
		sec := io.NewSectionReader(st.f, off, n)
		sum, err := hashSection(ctx, sec)
		if err != nil {
			return err
		}
		p, err := s.core.PutObjectPart(ctx, s.bucket, key, id, num, sec, n, minio.PutObjectPartOptions{
			Sha256Hex: sum, DisableContentSha256: true,
		})
		if err != nil {
			return err
		}
		parts = append(parts, minio.CompletePart{PartNumber: num, ETag: p.ETag})
	}
	_, err = s.core.CompleteMultipartUpload(ctx, s.bucket, key, id, parts, opts)
	return err
}

// hashSection returns the hex SHA-256 of sec and rewinds it.
func hashSection(ctx context.Context, sec *io.SectionReader) (string, error) {
	h := sha256.New()
	buf := bufPool.Get().(*[]byte)
	_, err := io.CopyBuffer(h, blobstore.ContextReader(ctx, sec), *buf)
	bufPool.Put(buf)
	if err != nil {
		return "", err
	}
	if _, err := sec.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Open implements blobstore.Opener. A blob with a local copy (see
// Config.CacheSize) is served from it without a request: the service is
// not asked whether the object is still there, so a blob another process
// removed stays readable here until its copy is dropped. Otherwise Open
// asks the service for the size of the blob; the File then reads with
// (ranged) GETs on the context ctx, so keep ctx alive while reading. See
// [File]. The second such Open of a blob starts copying it from the
// service in the background.
func (s *Store) Open(ctx context.Context, h blobstore.Hash) (blobstore.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3store.Open %s: %w", h, err)
	}
	if f, ok := s.cache.open(h); ok {
		return f, nil
	}
	f, err := s.open(ctx, "s3store.Open", s.blobKey(h))
	if err != nil {
		return nil, err
	}
	s.miss(h, f.size)
	return f, nil
}

func (s *Store) open(ctx context.Context, op, key string) (*File, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, key, err)
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return nil, s.fail(ctx, op, key, err)
	}
	return &File{s: s, ctx: ctx, key: key, size: info.Size, etag: info.ETag, modTime: info.LastModified}, nil
}

// Stat implements blobstore.Stater with one HEAD request.
func (s *Store) Stat(ctx context.Context, h blobstore.Hash) (blobstore.Info, error) {
	const op = "s3store.Stat"
	if err := ctx.Err(); err != nil {
		return blobstore.Info{}, fmt.Errorf("%s %s: %w", op, h, err)
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.blobKey(h), minio.StatObjectOptions{})
	if err != nil {
		return blobstore.Info{}, s.fail(ctx, op, s.blobKey(h), err)
	}
	return blobstore.Info{Hash: h, Size: info.Size, ModTime: info.LastModified}, nil
}

// Remove implements blobstore.Remover. The blob's derived files go with
// it. Open Files may fail on their next request once the blob is gone.
func (s *Store) Remove(ctx context.Context, h blobstore.Hash) error {
	const op = "s3store.Remove"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, h, err)
	}
	unlock, err := s.locks.lock(ctx, h)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, h, err)
	}
	defer unlock()
	s.cache.remove(h)
	if err := s.client.RemoveObject(ctx, s.bucket, s.blobKey(h), minio.RemoveObjectOptions{}); err != nil {
		if err := s.fail(ctx, op, s.blobKey(h), err); !errors.Is(err, blobstore.ErrNotFound) {
			return err
		}
	}
	return s.removeDerived(ctx, op, h)
}

// Walk implements blobstore.Walker. It lists the keys under the prefix in
// ascending order, which is ascending hash order, in two ranges around
// derived/ so that derived files are not even listed, and reports only
// keys of the form ab/cd/abcd…
func (s *Store) Walk(ctx context.Context, fn func(blobstore.Info) error) error {
	const op = "s3store.Walk"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	// "derived/" sorts between "de/" and "df/", "derived0" right after
	// every "derived/…" key, and "ff0" after every "ff/…" key.
	ranges := []struct{ after, stop string }{
		{"", s.prefix + DerivedDir + "/"},
		{s.prefix + DerivedDir + "0", s.prefix + "ff0"},
	}
	for _, rg := range ranges {
		if err := s.walkRange(ctx, rg.after, rg.stop, fn); err != nil {
			if stop, ok := err.(fnError); ok {
				return stop.err
			}
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return nil
}

// fnError carries an error of Walk's callback, which Walk returns
// unchanged.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// walkRange calls fn for the blobs whose keys are after after and before
// stop.
func (s *Store) walkRange(ctx context.Context, after, stop string, fn func(blobstore.Info) error) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine when we leave early
	list := s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true, StartAfter: after})
	for obj := range list {
		if obj.Err != nil {
			return s.fail(ctx, "list", s.bucket+"/"+s.prefix, obj.Err)
		}
		if obj.Key >= stop {
			return nil
		}
		h, ok := parseBlobPath(strings.TrimPrefix(obj.Key, s.prefix))
		if !ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(blobstore.Info{Hash: h, Size: obj.Size, ModTime: obj.LastModified}); err != nil {
			return fnError{err}
		}
	}
	return ctx.Err()
}

// parseBlobPath returns the hash of a key relative to the prefix when it is
// exactly h.Path().
func parseBlobPath(rel string) (blobstore.Hash, bool) {
	if len(rel) != 6+2*blobstore.HashSize {
		return blobstore.Hash{}, false
	}
	h, err := blobstore.ParseHash(rel[6:])
	if err != nil || h.Path() != rel {
		return blobstore.Hash{}, false
	}
	return h, true
}

// Verify implements blobstore.Verifier: it downloads the blob and hashes
// it.
func (s *Store) Verify(ctx context.Context, h blobstore.Hash) error {
	const op = "s3store.Verify"
	f, err := s.open(ctx, op, s.blobKey(h))
	if err != nil {
		return err
	}
	defer f.Close()
	hasher := sha256.New()
	buf := bufPool.Get().(*[]byte)
	n, err := io.CopyBuffer(hasher, blobstore.ContextReader(ctx, f), *buf)
	bufPool.Put(buf)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, h, err)
	}
	if got := blobstore.Hash(hasher.Sum(nil)); got != h {
		return fmt.Errorf("%s %s: %w: %d stored bytes hash to %s", op, h, blobstore.ErrCorrupt, n, got)
	}
	return nil
}

// PresignGet implements blobstore.Presigner. Signing is local: no request
// is made and the blob need not exist.
func (s *Store) PresignGet(ctx context.Context, h blobstore.Hash, ttl time.Duration, opts blobstore.PresignOptions) (*url.URL, error) {
	const op = "s3store.PresignGet"
	params := url.Values{}
	if opts.ContentType != "" {
		params.Set("response-content-type", opts.ContentType)
	}
	if opts.ContentDisposition != "" {
		params.Set("response-content-disposition", opts.ContentDisposition)
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, s.blobKey(h), ttl, params)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, h, err)
	}
	return u, nil
}

// fail wraps an error of the service for operation op on key: with
// blobstore.ErrNotFound for a missing key, ctx.Err() when the context
// ended the operation, and ErrUnavailable for transient failures.
func (s *Store) fail(ctx context.Context, op, key string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s %s: %w (%v)", op, key, cerr, err)
	}
	switch {
	case isNotFound(err):
		return fmt.Errorf("%s %s: %w", op, key, blobstore.ErrNotFound)
	case isUnavailable(err):
		return fmt.Errorf("%s %s: %w: %w", op, key, ErrUnavailable, err)
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}

func isNotFound(err error) bool {
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) {
		return false
	}
	// Answers to HEAD have no body, hence no code of the service's own.
	return resp.Code == "NoSuchKey" || resp.StatusCode == 404 && (resp.Code == "" || resp.Code == "NotFound")
}

// isConditionFailed reports the answer to If-None-Match: * on an existing
// key: 412, or 409 when another conditional write to the key is in
// progress.
func isConditionFailed(err error) bool {
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) {
		return false
	}
	return resp.StatusCode == 412 || resp.Code == "PreconditionFailed" || resp.Code == "ConditionalRequestConflict"
}

// isUnavailable reports failures that retrying later may cure: the service
// answered 5xx or throttled, or did not answer properly at all.
func isUnavailable(err error) bool {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		switch resp.Code {
		case "SlowDown", "Throttling", "RequestTimeout", "ServiceUnavailable", "InternalError", "RequestTimeTooSkewed":
			return true
		}
		return resp.StatusCode >= 500 || resp.StatusCode == 429 || resp.StatusCode == 408
	}
	var nerr net.Error // *url.Error, *net.OpError, timeouts
	return errors.As(err, &nerr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// hashLocks serializes the operations on one hash within a Store, so that
// of concurrent Puts of the same content exactly one uploads and reports
// Created, and a Remove does not interleave with them. Waiting respects
// the context.
type hashLocks struct {
	mu sync.Mutex
	m  map[blobstore.Hash]*hashLock
}

type hashLock struct {
	ch   chan struct{} // holds a token while locked
	refs int           // holders and waiters, guarded by hashLocks.mu
}

func (l *hashLocks) lock(ctx context.Context, h blobstore.Hash) (unlock func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[blobstore.Hash]*hashLock)
	}
	e := l.m[h]
	if e == nil {
		e = &hashLock{ch: make(chan struct{}, 1)}
		l.m[h] = e
	}
	e.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(l.m, h)
		}
		l.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
