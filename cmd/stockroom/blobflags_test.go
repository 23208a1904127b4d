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
	for name, got := range map[string]serveConfig{
		"flags":       parseOK(t, []string{"-blob-store", url, "-s3-presign"}, nil),
		"environment": parseOK(t, nil, map[string]string{"BLOB_STORE": url, "S3_PRESIGN": "true"}),
	} {
		if diff := cmp.Diff(blobFlags{store: url, presign: true, s3: want}, got.blobs, cmp.AllowUnexported(blobFlags{})); diff != "" {
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
