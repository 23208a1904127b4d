package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/blobstore/s3store"
)

// blobFlags choose where the files live: the data folder (the default) or
// an S3-compatible bucket.
type blobFlags struct {
	store   string // -blob-store: empty, or s3://bucket/prefix?...
	presign bool   // -s3-presign
	cache   string // -s3-cache-size, as given
	s3      s3store.Config
}

// defaultS3Cache is what -s3-cache-size keeps when not given.
const defaultS3Cache = 1 << 30

func (f *blobFlags) register(fs *flag.FlagSet, getenv func(string) string, badEnv map[string]string) {
	fs.StringVar(&f.store, "blob-store", getenv("BLOB_STORE"),
		"keep the files in object storage: s3://bucket/prefix?endpoint=host:port&region=...&tls=false&path-style=true, credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; empty: the data folder (BLOB_STORE)")
	presign := false
	if v := getenv("S3_PRESIGN"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			badEnv["s3-presign"] = fmt.Sprintf("S3_PRESIGN=%q is not true or false", v)
		}
		presign = b
	}
	fs.BoolVar(&f.presign, "s3-presign", presign, "redirect downloads of /files/ to presigned object-storage URLs, so large files do not pass through the server (S3_PRESIGN)")
	fs.StringVar(&f.cache, "s3-cache-size", getenv("S3_CACHE_SIZE"),
		"with -blob-store, keep local copies of the files this server stores, up to this size in <data-dir>/cache/s3, for downloads and previews without a request to the service; 0 keeps none (default 1GiB) (S3_CACHE_SIZE)")
}

// check parses -blob-store and refuses combinations that choose the files'
// place twice.
func (f *blobFlags) check(cfg *serveConfig) error {
	if f.store == "" {
		if f.presign {
			return &usageError{"-s3-presign needs -blob-store"}
		}
		if f.cache != "" {
			return &usageError{"-s3-cache-size needs -blob-store"}
		}
		return nil
	}
	s3cfg, err := s3store.ParseURL(f.store)
	if err != nil {
		return &usageError{"-blob-store: " + err.Error()}
	}
	s3cfg.CacheSize = defaultS3Cache
	if f.cache != "" {
		if s3cfg.CacheSize, err = parseSize(f.cache); err != nil {
			return &usageError{"-s3-cache-size: " + err.Error()}
		}
	}
	switch {
	case cfg.memoryFS:
		return &usageError{"-blob-store and -memory-fs both choose where the files live; give one"}
	case cfg.ephemeral:
		return &usageError{"-blob-store and -ephemeral both choose where the files live; give one"}
	case cfg.fileSavePath != "":
		return &usageError{"-blob-store and -file-save-path both choose where the files live; give one"}
	}
	f.s3 = s3cfg
	return nil
}

// open connects the bucket and hands it to opts. Uploads are staged in the
// data folder's tmp, on disk: a RAM-backed /tmp would hold every upload in
// memory.
func (f *blobFlags) open(ctx context.Context, opts *stockroom.Options, dataDir string) error {
	if f.store == "" {
		return nil
	}
	tmp := filepath.Join(dataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	cfg := f.s3
	cfg.TempDir = tmp
	// Beside tmp, on its filesystem: a copy is the staged file, linked.
	cfg.CacheDir = filepath.Join(dataDir, "cache", "s3")
	blobs, err := s3store.New(ctx, cfg)
	if err != nil {
		return err
	}
	blobs.MaxSize = opts.MaxFileSize
	opts.Blobs = blobs
	return nil
}
