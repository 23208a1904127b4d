// Package aferostore implements blobstore.Store on an afero.Fs.
//
// The root of the filesystem is the root of the store. Blob h lives at
// h.Path() ("ab/cd/abcd…"); uploads in progress live in [TempDir] (on
// Linux, when LocalDir is set, as anonymous files that a crash cannot
// leave behind); [DerivedDir]
// is reserved for files computed from blobs (previews and the like), which
// are not blobs. Use afero.NewBasePathFs(afero.NewOsFs(), dir) to keep a
// store in a directory of the host filesystem and afero.NewMemMapFs() in
// tests.
package aferostore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/afero"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/errs"
)

// Reserved directories at the root of the store. Walk never reports their
// contents as blobs.
const (
	// TempDir holds the temporary files of uploads in progress.
	TempDir = "tmp"
	// DerivedDir is reserved for files derived from blobs, such as previews.
	DerivedDir = "derived"
)

const (
	bufSize    = 256 << 10
	dirPerm    = 0o755
	tempPrefix = "put-"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

var _ blobstore.Store = (*Store)(nil)

// Store is a blobstore.Store on an afero.Fs. Create it with [New]; the zero
// value is not usable. A Store is safe for concurrent use. Several Stores,
// or processes, may share one directory of the host filesystem, but only
// the renames of a single Store are serialized, which matters for
// filesystems whose Rename is not atomic (afero.MemMapFs).
type Store struct {
	// MaxSize is the largest content Put accepts, in bytes. Zero, the
	// default, means no limit. Set it before the first Put.
	MaxSize int64

	// LocalDir, when set, is the host directory that the root of the
	// filesystem is (as with afero.NewBasePathFs(afero.NewOsFs(),
	// LocalDir)); LocalPath reports blob paths under it. Empty, the
	// default, means the blobs have no host path.
	LocalDir string

	fs afero.Fs

	mu          sync.Mutex          // serializes commits (exists check + rename) and removals
	inflight    map[string]struct{} // temp files of running Puts, guarded by mu
	shards      map[string]bool     // shard directories known to exist, guarded by mu
	making      map[string]bool     // top-level directories MakeShards fills and has not synced, guarded by mu
	shardsMade  atomic.Int64        // shard directories Puts made (see ShardsMade)
	tempMade    atomic.Bool         // TempDir was made (or found) once
	noAnon      atomic.Bool         // the host cannot make anonymous files in TempDir
	procChecked atomic.Bool         // /proc names open files (see linkAnon)

	// syncs makes Puts durable: each sync, of files' data and of
	// directories' entries, is shared by the Puts that wait for it.
	syncs groupSync[syncItem]
	// unsynced counts, by content, the blobs that putSmall has named but
	// not yet synced (or failed to), guarded by mu: a Put of the same
	// content that finds one must sync it before it returns.
	unsynced map[blobstore.Hash]int
}

// syncItem is what a sync makes durable: the data of the host file fd,
// or (fd < 0) the entries of the directory dir of the store.
type syncItem struct {
	fd  int
	dir string
}

// New returns a Store whose blobs live at the root of fsys.
func New(fsys afero.Fs) *Store {
	return &Store{fs: fsys, inflight: make(map[string]struct{}), shards: make(map[string]bool), making: make(map[string]bool), unsynced: make(map[blobstore.Hash]int)}
}

// Put implements blobstore.Putter. It streams r into a new file in
// [TempDir] while hashing it, syncs that file, then gives it its content
// address (a rename; a link of the anonymous file on Linux with
// LocalDir), or deletes it when the content is already stored, and syncs
// the directories of the new name. On any failure the temporary file is
// removed. On Linux with LocalDir, content of up to 64 KiB is read whole
// first: its anonymous file is then made in the directory of its address,
// and none at all when the content is already stored; it is named before
// it is synced (see putSmall).
//
// Concurrent Puts share their syncs (group commit): one Put syncs the
// directories of all the Puts that got there while the previous sync ran,
// and, for files of the host on Linux, their data likewise; elsewhere each
// Put syncs its own file. Either way a Put that returns is durable.
func (s *Store) Put(ctx context.Context, r io.Reader) (blobstore.PutResult, error) {
	const op = "aferostore.Put"
	var res blobstore.PutResult
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("%s: %w", op, err)
	}
	src := io.Reader(r)
	if s.MaxSize > 0 && s.MaxSize < 1<<62 {
		src = io.LimitReader(src, s.MaxSize+1) // one byte over tells us it is too large
	}
	if s.LocalDir != "" && !s.noAnon.Load() {
		buf := smallPool.Get().(*[]byte)
		defer smallPool.Put(buf)
		n, err := blobstore.Fill(blobstore.ContextReader(ctx, src), (*buf)[:smallSize+1])
		switch {
		case err == io.EOF:
			return s.putSmall(ctx, (*buf)[:n])
		case err != nil:
			return res, fmt.Errorf("%s: %w", op, err)
		}
		src = io.MultiReader(bytes.NewReader((*buf)[:n]), src)
	}
	return s.putStream(ctx, src)
}

// smallSize is the size up to which Put reads content whole before it
// makes a file (see putSmall).
const smallSize = 64 << 10

var smallPool = sync.Pool{New: func() any { b := make([]byte, smallSize+1); return &b }}

// putSmall is Put of content read whole, on the host with anonymous
// files. Knowing the content's address before making a file, it makes
// none for content already stored, and makes the anonymous file in the
// directory the content goes to rather than in TempDir: the filesystem
// then takes its inode near that directory's, where a shard directory
// made by the filesystem's spreading of directories finds free inodes
// cheaply, instead of every upload's from the one group of TempDir.
//
// The file is named before its data is synced, so that one sync, of its
// data and then of the directories of its name, makes it durable: two
// in a row (data, then names) made every upload wait for the disk
// twice. A crash of the machine before that sync may then leave a name
// whose content did not reach the disk; no row refers to it, as Put had
// not returned, and a Put of that content compares what it finds (see
// confirmStored) and replaces it. A crash of the process alone loses
// nothing that the kernel was given.
func (s *Store) putSmall(ctx context.Context, content []byte) (blobstore.PutResult, error) {
	const op = "aferostore.Put"
	res := blobstore.PutResult{Hash: blobstore.Hash(sha256.Sum256(content)), Size: int64(len(content))}
	if s.MaxSize > 0 && res.Size > s.MaxSize {
		return blobstore.PutResult{}, &errs.Error{Op: op, Msg: fmt.Sprintf("the file is larger than the %d bytes this server stores", s.MaxSize), Err: blobstore.ErrTooLarge}
	}
	dst := res.Hash.Path()
	dir := path.Dir(dst)
	host := filepath.Join(s.LocalDir, filepath.FromSlash(dst))
	s.mu.Lock()
	newDirs, err := s.makeShard(dir)
	stored := false
	if err == nil && len(newDirs) == 0 { // a directory just made holds nothing
		_, serr := s.fs.Stat(dst)
		stored = serr == nil
	}
	s.mu.Unlock()
	if err != nil {
		return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, res.Hash, err)
	}
	if stored {
		switch ok, err := s.confirmStored(ctx, res.Hash, host, content); {
		case err != nil:
			return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, res.Hash, err)
		case ok:
			return res, nil
		}
	}
	f, err := s.openAnonIn(dir)
	if f == nil {
		// No anonymous file here after all, or the shard directory was
		// removed meanwhile: the general way copes with both.
		if err != nil {
			s.mu.Lock()
			delete(s.shards, dir)
			s.mu.Unlock()
		}
		return s.putStream(ctx, bytes.NewReader(content))
	}
	defer f.Close()
	if _, err = f.Write(content); err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, res.Hash, err)
	}
	for retried := false; ; retried = true {
		s.mu.Lock()
		err = linkAnon(f, host)
		if err == nil {
			s.unsynced[res.Hash]++
		}
		s.mu.Unlock()
		if !errors.Is(err, fs.ErrExist) || retried {
			break
		}
		// The same content, named meanwhile by another Put; or a file
		// that confirmStored removes, whose name is then taken again.
		ok, cerr := s.confirmStored(ctx, res.Hash, host, content)
		if cerr != nil {
			return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, res.Hash, cerr)
		}
		if ok {
			return res, nil
		}
	}
	if err != nil {
		return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, res.Hash, err)
	}
	res.Created = true
	fd, _ := fdOf(f)
	items := append(entryItems(dst, newDirs), syncItem{fd: fd})
	if err := s.syncs.wait(items, s.sync); err != nil {
		// Left counted as unsynced: a Put of the same content syncs it.
		return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, res.Hash, err)
	}
	s.mu.Lock()
	if s.unsynced[res.Hash]--; s.unsynced[res.Hash] <= 0 {
		delete(s.unsynced, res.Hash)
	}
	s.mu.Unlock()
	return res, nil
}

// confirmStored checks that the file host, found at the address h of
// content, holds content, and makes it durable when a Put of this Store
// named it without (yet) syncing it. A file that holds something else
// was left by a crash of the machine between naming and syncing (see
// putSmall): it is removed, and ok is false, for the caller to store
// content anew.
func (s *Store) confirmStored(ctx context.Context, h blobstore.Hash, host string, content []byte) (ok bool, err error) {
	f, err := os.Open(host)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // removed meanwhile
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := smallPool.Get().(*[]byte)
	defer smallPool.Put(buf)
	n, err := io.ReadFull(f, (*buf)[:len(content)+1])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, err
	}
	if !bytes.Equal((*buf)[:n], content) {
		s.mu.Lock()
		err := s.fs.Remove(h.Path())
		s.mu.Unlock()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		return false, nil
	}
	s.mu.Lock()
	pending := s.unsynced[h] > 0
	s.mu.Unlock()
	if !pending {
		return true, nil
	}
	fd, _ := fdOf(f)
	if err := s.syncs.wait(append(entryItems(h.Path(), nil), syncItem{fd: fd}), s.sync); err != nil {
		return false, err
	}
	return true, ctx.Err()
}

// putStream is Put of content of any size: it streams src into a
// temporary file while hashing it.
func (s *Store) putStream(ctx context.Context, src io.Reader) (blobstore.PutResult, error) {
	const op = "aferostore.Put"
	var res blobstore.PutResult
	hasher := sha256.New()
	tmp, n, err := s.spool(ctx, src, hasher, s.groupDataSync, true)
	if err != nil {
		return res, fmt.Errorf("%s: %w", op, err)
	}
	committed := false
	defer func() { tmp.done(committed) }()
	if s.MaxSize > 0 && n > s.MaxSize {
		return res, &errs.Error{Op: op, Msg: fmt.Sprintf("the file is larger than the %d bytes this server stores", s.MaxSize), Err: blobstore.ErrTooLarge}
	}

	res.Hash = blobstore.Hash(hasher.Sum(nil))
	res.Size = n
	dst := res.Hash.Path()

	s.mu.Lock()
	created, newDirs, err := s.commit(tmp, dst)
	s.mu.Unlock()
	if err != nil {
		return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, res.Hash, err)
	}
	committed = created
	res.Created = created
	if created {
		if err := s.syncNewEntry(dst, newDirs); err != nil {
			return blobstore.PutResult{}, fmt.Errorf("%s %s: %w", op, res.Hash, err)
		}
	}
	return res, nil
}

// syncNewEntry makes the new directory entry dst durable before the
// caller records the blob elsewhere, with the shard directories newDirs
// made for it.
func (s *Store) syncNewEntry(dst string, newDirs []string) error {
	return s.syncs.wait(entryItems(dst, newDirs), s.sync)
}

// entryItems are the directories to sync for the new entry dst: its own,
// and the parents of the shard directories newDirs made for it, each
// itself an entry of its parent, which a crash could lose with the blob
// inside.
func entryItems(dst string, newDirs []string) []syncItem {
	items := make([]syncItem, 0, 1+len(newDirs)+1)
	items = append(items, syncItem{fd: -1, dir: path.Dir(dst)})
	for _, d := range newDirs {
		items = append(items, syncItem{fd: -1, dir: path.Dir(d)})
	}
	return items
}

// groupDataSync makes the data of f durable, together with that of the
// other Puts waiting meanwhile when f is a file of the host.
func (s *Store) groupDataSync(f afero.File) error {
	fd, ok := fdOf(f)
	if !ok {
		return f.Sync()
	}
	return s.syncs.wait([]syncItem{{fd: fd}}, s.sync)
}

// sync makes items durable: the files' data first, then the
// directories' entries, so that on a journaling filesystem the first
// commit records both and the syncs of the directories find little left
// to do. Directories are synced where the filesystem can (best effort:
// not every platform or afero.Fs can sync one), on the host without an
// *os.File each.
func (s *Store) sync(items map[syncItem]struct{}) error {
	fds := make(map[int]struct{})
	for it := range items {
		if it.fd >= 0 {
			fds[it.fd] = struct{}{}
		}
	}
	var err error
	if len(fds) > 0 {
		err = syncData(fds)
	}
	for it := range items {
		if it.fd >= 0 {
			continue
		}
		if s.LocalDir != "" && syncHostDir(filepath.Join(s.LocalDir, filepath.FromSlash(it.dir))) {
			continue
		}
		if d, err := s.fs.Open(it.dir); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return err
}

// commit gives the temporary file tmp the name dst unless dst exists. It
// reports whether it did, and the shard directories it made for dst,
// deepest first. The caller holds s.mu.
func (s *Store) commit(tmp *spooled, dst string) (bool, []string, error) {
	dir := path.Dir(dst)
	if s.shards[dir] {
		// The Store never removes shard directories; should something
		// else have, placing fails and the directories are made again.
		switch err := s.place(tmp, dst); {
		case err == nil:
			return true, nil, nil
		case errors.Is(err, fs.ErrExist):
			return false, nil, nil
		case !errors.Is(err, fs.ErrNotExist):
			return false, nil, err
		}
		delete(s.shards, dir)
	}
	newDirs, err := s.makeShard(dir)
	if err != nil {
		return false, nil, err
	}
	switch err := s.place(tmp, dst); {
	case errors.Is(err, fs.ErrExist):
		return false, nil, nil
	case err != nil:
		delete(s.shards, dir)
		return false, nil, err
	}
	return true, newDirs, nil
}

// makeShard makes the shard directory dir, unless known to exist, and
// returns the directories it made, deepest first. The caller holds s.mu.
// Once its parent is known to exist, a new shard directory costs one
// mkdir, rather than the stats of each level and MkdirAll's own.
func (s *Store) makeShard(dir string) ([]string, error) {
	if s.shards[dir] {
		return nil, nil
	}
	parent := path.Dir(dir)
	if s.shards[parent] {
		if err := s.fs.Mkdir(dir, dirPerm); err == nil {
			s.shards[dir] = true
			s.shardsMade.Add(1)
			return []string{dir}, nil
		}
		// Made already, or the parent was removed: the general way.
	}
	var newDirs []string
	for d := dir; d != "." && d != "/"; d = path.Dir(d) {
		if _, err := s.fs.Stat(d); err == nil {
			break
		}
		newDirs = append(newDirs, d)
	}
	if err := s.fs.MkdirAll(dir, dirPerm); err != nil {
		return nil, err
	}
	if len(newDirs) > 0 {
		s.shardsMade.Add(1)
	}
	if s.making[parent] {
		// MakeShards may have made them without syncing yet: the Put
		// syncs their parents itself.
		newDirs = []string{dir, parent}
	}
	s.shards[dir] = true
	s.shards[parent] = true
	return newDirs, nil
}

// ShardsMade is the number of shard directories that Puts of this Store
// have made so far: a caller may run MakeShards once it is large enough
// to say that the store is being filled.
func (s *Store) ShardsMade() int64 { return s.shardsMade.Load() }

// MakeShards makes every shard directory (256 × 256) that does not exist
// yet, one top-level directory at a time with a pause between them, and
// syncs their parents, so that Puts find the directory of their blob
// made: a new one costs a Put a mkdir and a sync of its parent, which
// until the store holds some hundreds of thousands of blobs is nearly
// every Put. The directories take 256 MiB on ext4 (a block each), none
// on filesystems that keep small directories inline. It is safe to run
// with Puts, and returns ctx's error when ctx ends first.
func (s *Store) MakeShards(ctx context.Context, pause time.Duration) error {
	const op = "aferostore.MakeShards"
	for i := range 256 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if err := s.makeShardsIn(fmt.Sprintf("%02x", i)); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if pause > 0 && i < 255 {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
		}
	}
	return nil
}

// makeShardsIn makes the shard directories of the top-level directory
// top, and top itself, then syncs their parents. Puts that meanwhile
// find one of them made sync its parents themselves (see makeShard),
// until they are marked as known, after the sync.
func (s *Store) makeShardsIn(top string) error {
	s.mu.Lock()
	known := s.shards[top]
	s.making[top] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.making, top)
		s.mu.Unlock()
	}()
	var items map[syncItem]struct{}
	if !known {
		if _, err := s.fs.Stat(top); err != nil {
			if err := s.fs.Mkdir(top, dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			items = map[syncItem]struct{}{{fd: -1, dir: "."}: {}}
		}
	}
	have := make(map[string]bool)
	infos, err := afero.ReadDir(s.fs, top)
	if err != nil {
		return err
	}
	for _, fi := range infos {
		have[fi.Name()] = fi.IsDir()
	}
	made := false
	for j := range 256 {
		name := fmt.Sprintf("%02x", j)
		if have[name] {
			continue
		}
		if err := s.fs.Mkdir(top+"/"+name, dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		made = true
	}
	if made {
		if items == nil {
			items = make(map[syncItem]struct{})
		}
		items[syncItem{fd: -1, dir: top}] = struct{}{}
	}
	if len(items) > 0 {
		if err := s.sync(items); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.shards[top] = true
	for j := range 256 {
		s.shards[fmt.Sprintf("%s/%02x", top, j)] = true
	}
	s.mu.Unlock()
	return nil
}

// place names tmp dst, unless dst exists (fs.ErrExist) or its directory
// does not (fs.ErrNotExist).
func (s *Store) place(tmp *spooled, dst string) error {
	if tmp.anon != nil {
		return linkAnon(tmp.anon, filepath.Join(s.LocalDir, filepath.FromSlash(dst)))
	}
	if _, err := s.fs.Stat(dst); err == nil {
		return fs.ErrExist
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return s.fs.Rename(tmp.name, dst)
}

// spooled is the temporary file of a Put: a named file in TempDir, or an
// anonymous one that is still open.
type spooled struct {
	name string   // in TempDir, when not anonymous
	anon *os.File // the anonymous file (Linux's O_TMPFILE), or nil
	// done removes the file unless it was kept (given its name), and
	// forgets it.
	done func(kept bool)
}

// spool streams r, and a copy to also when not nil, into a new temporary
// file, syncs it (with sync, when not nil), and checks ctx once more. With
// anon, and where the host allows, the file is anonymous (it has no name
// until placed, vanishes when closed or on a crash, and stays open until
// done); otherwise it is a file in TempDir, closed, and tracked, so that
// CleanTemp leaves it alone, until done. On error spool leaves nothing
// behind.
func (s *Store) spool(ctx context.Context, r io.Reader, also io.Writer, sync func(afero.File) error, anon bool) (*spooled, int64, error) {
	var (
		sp  = &spooled{}
		tmp afero.File
		err error
	)
	if anon {
		sp.anon = s.openAnon()
	}
	if sp.anon != nil {
		tmp = sp.anon
		sp.done = func(bool) { sp.anon.Close() }
	} else {
		if tmp, sp.name, err = s.createTemp(); err != nil {
			return nil, 0, err
		}
		sp.done = func(kept bool) {
			if !kept {
				s.fs.Remove(sp.name)
			}
			s.track(sp.name, false)
		}
	}
	w := io.Writer(tmp)
	if also != nil {
		w = io.MultiWriter(tmp, also)
	}
	buf := bufPool.Get().(*[]byte)
	n, err := io.CopyBuffer(w, fillReader{blobstore.ContextReader(ctx, r)}, *buf)
	bufPool.Put(buf)
	if err == nil {
		if sync != nil {
			err = sync(tmp)
		} else {
			err = tmp.Sync()
		}
	}
	if err == nil {
		// What was written is what the file holds (a short write is an
		// error of its own, but a misbehaving afero.Fs may not say so).
		var fi os.FileInfo
		if fi, err = tmp.Stat(); err == nil && fi.Size() != n {
			err = fmt.Errorf("wrote %d bytes but the temporary file has %d", n, fi.Size())
		}
	}
	if sp.anon == nil {
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		sp.done(false)
		return nil, 0, err
	}
	return sp, n, nil
}

// createTemp creates a new empty file in TempDir, which it makes the first
// time (and again should it be gone), and registers it as in use before it
// exists, so CleanTemp never removes it.
func (s *Store) createTemp() (afero.File, string, error) {
	if !s.tempMade.Load() {
		if err := s.fs.MkdirAll(TempDir, dirPerm); err != nil {
			return nil, "", err
		}
		s.tempMade.Store(true)
	}
	var rnd [8]byte
	for range 10 {
		rand.Read(rnd[:])
		name := TempDir + "/" + tempPrefix + hex.EncodeToString(rnd[:])
		s.track(name, true)
		f, err := s.fs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, name, nil
		}
		s.track(name, false)
		if errors.Is(err, fs.ErrNotExist) && s.tempMade.Swap(false) {
			return s.createTemp() // TempDir was removed: make it again, once
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", err
		}
	}
	return nil, "", errors.New("cannot create a unique temporary file")
}

// track records (add) or forgets a temporary file of a running Put, so
// CleanTemp leaves it alone.
func (s *Store) track(name string, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.inflight[name] = struct{}{}
	} else {
		delete(s.inflight, name)
	}
}

// Open implements blobstore.Opener. The returned File is the afero.File
// of the blob, opened read-only.
func (s *Store) Open(ctx context.Context, h blobstore.Hash) (blobstore.File, error) {
	const op = "aferostore.Open"
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, h, err)
	}
	f, err := s.fs.Open(h.Path())
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, h, notFound(err))
	}
	return f, nil
}

// Stat implements blobstore.Stater.
func (s *Store) Stat(ctx context.Context, h blobstore.Hash) (blobstore.Info, error) {
	const op = "aferostore.Stat"
	if err := ctx.Err(); err != nil {
		return blobstore.Info{}, fmt.Errorf("%s %s: %w", op, h, err)
	}
	fi, err := s.fs.Stat(h.Path())
	if err != nil {
		return blobstore.Info{}, fmt.Errorf("%s %s: %w", op, h, notFound(err))
	}
	return blobstore.Info{Hash: h, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Remove implements blobstore.Remover. Removing a blob that is not stored
// is not an error. The blob's derived files (see PutDerived) are removed
// with it; its now possibly empty directories are kept.
func (s *Store) Remove(ctx context.Context, h blobstore.Hash) error {
	const op = "aferostore.Remove"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, h, err)
	}
	s.mu.Lock()
	err := s.fs.Remove(h.Path())
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		if derr := s.fs.RemoveAll(derivedDir(h)); derr != nil && !errors.Is(derr, fs.ErrNotExist) {
			err = derr
		}
	}
	s.mu.Unlock()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s: %w", op, h, err)
	}
	return nil
}

// Walk implements blobstore.Walker. It visits blobs in ascending hash
// order and reports only files whose names and directories match the
// layout of h.Path(), so the contents of [TempDir], [DerivedDir] and any
// stray files are skipped.
func (s *Store) Walk(ctx context.Context, fn func(blobstore.Info) error) error {
	const op = "aferostore.Walk"
	top, err := s.readDir(ctx, ".")
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, d1 := range top {
		if !d1.IsDir() || !isHexPair(d1.Name()) {
			continue
		}
		mid, err := s.readDir(ctx, d1.Name())
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		for _, d2 := range mid {
			if !d2.IsDir() || !isHexPair(d2.Name()) {
				continue
			}
			dir := d1.Name() + "/" + d2.Name()
			files, err := s.readDir(ctx, dir)
			if err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			for _, fi := range files {
				h, err := blobstore.ParseHash(fi.Name())
				if err != nil || !fi.Mode().IsRegular() || h.Path() != dir+"/"+fi.Name() {
					continue
				}
				if err := fn(blobstore.Info{Hash: h, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readDir lists dir sorted by name after checking ctx. A directory that
// does not exist (yet, or any more) is empty.
func (s *Store) readDir(ctx context.Context, dir string) ([]os.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	list, err := afero.ReadDir(s.fs, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return list, err
}

// Verify implements blobstore.Verifier.
func (s *Store) Verify(ctx context.Context, h blobstore.Hash) error {
	const op = "aferostore.Verify"
	f, err := s.Open(ctx, h)
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

// CleanTemp removes the temporary files that Puts interrupted by a crash
// left in [TempDir], if they were last modified more than olderThan ago.
// Temporary files of this Store's running Puts are never removed; choose
// olderThan longer than the slowest upload when other processes use the
// same directory.
func (s *Store) CleanTemp(ctx context.Context, olderThan time.Duration) error {
	const op = "aferostore.CleanTemp"
	cutoff := time.Now().Add(-olderThan)
	list, err := s.readDir(ctx, TempDir)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, fi := range list {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if fi.IsDir() || !fi.ModTime().Before(cutoff) {
			continue
		}
		name := path.Join(TempDir, fi.Name())
		var err error
		s.mu.Lock()
		if _, busy := s.inflight[name]; !busy {
			err = s.fs.Remove(name)
		}
		s.mu.Unlock()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return nil
}

// notFound turns a "does not exist" error from the filesystem into
// blobstore.ErrNotFound and returns other errors unchanged.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return blobstore.ErrNotFound
	}
	return err
}

// isHexPair reports whether name is a directory name of the blob layout:
// two lowercase hex characters.
func isHexPair(name string) bool {
	return len(name) == 2 && isLowerHex(name[0]) && isLowerHex(name[1])
}

func isLowerHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
}

// fillReader fills the buffer of each Read, short only at the end of r or
// on an error: a reader may return little at a time (a multipart part
// returns at most what its reader buffers, 4 KiB by default), and a write
// to the file per 4 KiB costs more CPU than copying the bytes.
type fillReader struct{ r io.Reader }

func (f fillReader) Read(p []byte) (int, error) { return blobstore.Fill(f.r, p) }
