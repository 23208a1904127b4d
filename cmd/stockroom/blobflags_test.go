package main

import (
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/blobstore/s3store"
)

func TestBlobFlags(t *testing.T) {
	const url = "s3://assets/lib?endpoint=127.0.0.1:7070&region=eu&tls=false&path-style=true"
	want, err := s3store.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	cached := want
	cached.CacheSize = 1 << 30
	small := want
	small.CacheSize = 64 << 20
	none := want
	none.CacheSize = 0
	for name, tc := range map[string]struct {
		got  serveConfig
		want blobFlags
	}{
		"flags":       {parseOK(t, []string{"-blob-store", url, "-s3-presign"}, nil), blobFlags{store: url, presign: true, s3: cached}},
		"environment": {parseOK(t, nil, map[string]string{"BLOB_STORE": url, "S3_PRESIGN": "true"}), blobFlags{store: url, presign: true, s3: cached}},
		"cache flag":  {parseOK(t, []string{"-blob-store", url, "-s3-cache-size", "64MiB"}, nil), blobFlags{store: url, cache: "64MiB", s3: small}},
		"cache env":   {parseOK(t, nil, map[string]string{"BLOB_STORE": url, "S3_CACHE_SIZE": "64MiB"}), blobFlags{store: url, cache: "64MiB", s3: small}},
		"no cache":    {parseOK(t, []string{"-blob-store", url, "-s3-cache-size", "0"}, nil), blobFlags{store: url, cache: "0", s3: none}},
	} {
		if diff := cmp.Diff(tc.want, tc.got.blobs, cmp.AllowUnexported(blobFlags{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if got := parseOK(t, nil, nil).blobs; got.store != "" || got.presign {
		t.Errorf("default: %+v, want the data folder", got)
	}
}

func TestBlobFlagsRefused(t *testing.T) {
	for name, args := range map[string][]string{
		"presign alone":       {"-s3-presign"},
		"cache alone":         {"-s3-cache-size", "1GiB"},
		"cache not a size":    {"-blob-store", "s3://bucket/p", "-s3-cache-size", "lots"},
		"negative cache":      {"-blob-store", "s3://bucket/p", "-s3-cache-size", "-1"},
		"not s3":              {"-blob-store", "https://bucket.example.com/"},
		"credentials in URL":  {"-blob-store", "s3://key:secret@bucket/p"},
		"and memory-fs":       {"-blob-store", "s3://bucket/p", "-memory-fs"},
		"and ephemeral":       {"-blob-store", "s3://bucket/p", "-ephemeral"},
		"and file-save-path":  {"-blob-store", "s3://bucket/p", "-file-save-path", "files"},
		"unknown parameter":   {"-blob-store", "s3://bucket/p?color=blue"},
		"bad presign env var": nil,
	} {
		env := map[string]string(nil)
		if args == nil {
			env = map[string]string{"S3_PRESIGN": "maybe"}
		}
		cfg, err := (&serveCommand{usageOut: io.Discard}).parse(args, fakeEnv(env))
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%s: parse = %+v, %v; want a usage error", name, cfg, err)
		}
	}
}
