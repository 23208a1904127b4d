package s3store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stockroomhq/stockroom/blobstore/s3store"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want s3store.Config
	}{
		{"s3://assets", s3store.Config{Bucket: "assets"}},
		{"s3://assets/", s3store.Config{Bucket: "assets"}},
		{"s3://assets/stockroom", s3store.Config{Bucket: "assets", Prefix: "stockroom/"}},
		{"s3://assets/a/b/", s3store.Config{Bucket: "assets", Prefix: "a/b/"}},
		{"s3://assets/prod?endpoint=127.0.0.1:9000&region=eu-west-1&tls=false&path-style=true", s3store.Config{
			Bucket: "assets", Prefix: "prod/", Endpoint: "127.0.0.1:9000", Region: "eu-west-1",
			DisableTLS: true, Addressing: s3store.AddressingPath,
		}},
		{"s3://my.assets?path-style=false&tls=true", s3store.Config{Bucket: "my.assets", Addressing: s3store.AddressingVirtualHost}},
		{"s3://assets?endpoint=[::1]:9000", s3store.Config{Bucket: "assets", Endpoint: "[::1]:9000"}},
		{"s3://assets?endpoint=minio.internal", s3store.Config{Bucket: "assets", Endpoint: "minio.internal"}},
		{"s3://assets/with%20space", s3store.Config{Bucket: "assets", Prefix: "with space/"}},
	}
	for _, tt := range tests {
		got, err := s3store.ParseURL(tt.in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(s3store.Config{}, "Transport")); diff != "" {
			t.Errorf("ParseURL(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
		again, err := s3store.ParseURL(got.URL())
		if err != nil || !cmp.Equal(got, again, cmpopts.IgnoreFields(s3store.Config{}, "Transport")) {
			t.Errorf("ParseURL(%q).URL() = %q parses to %+v, %v", tt.in, got.URL(), again, err)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "scheme"},
		{"assets/prefix", "scheme"},
		{"http://assets/prefix", "scheme"},
		{"s3:assets", "want s3://bucket/prefix"},
		{"s3://", "missing bucket"},
		{"s3:///prefix", "missing bucket"},
		{"s3://Assets", "bucket"},
		{"s3://as", "bucket"},
		{"s3://assets_1", "bucket"},
		{"s3://key:secret@assets", "credentials"},
		{"s3://assets#x", "fragment"},
		{"s3://assets/a//b", "prefix"},
		{"s3://assets/a/../b", "prefix"},
		{"s3://assets/./b", "prefix"},
		{"s3://assets/a%0Ab", "prefix"},
		{"s3://assets?endpoint=http://localhost:9000", "without scheme"},
		{"s3://assets?endpoint=localhost:0", "port"},
		{"s3://assets?endpoint=localhost:99999", "port"},
		{"s3://assets?endpoint=localhost:http", "port"},
		{"s3://assets?endpoint=a/b", "host"},
		{"s3://assets?endpoint=", "empty value"},
		{"s3://assets?region=", "empty value"},
		{"s3://assets?tls=maybe", "tls"},
		{"s3://assets?path-style=yes", "path-style"},
		{"s3://assets?region=eu west", "region"},
		{"s3://assets?tls=true&tls=false", "2 times"},
		{"s3://assets?bucket=other", "unknown parameter"},
		{"s3://assets?access-key=AK", "unknown parameter"},
		{"s3://assets?a=%zz", "query"},
	}
	for _, tt := range tests {
		_, err := s3store.ParseURL(tt.in)
		if !errors.Is(err, s3store.ErrInvalidConfig) {
			t.Errorf("ParseURL(%q) = %v, want ErrInvalidConfig", tt.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseURL(%q) = %q, want it to mention %q", tt.in, err, tt.want)
		}
	}
}

func TestConfigURLHidesCredentials(t *testing.T) {
	cfg := s3store.Config{Bucket: "assets", AccessKey: "AKIDEXAMPLE", SecretKey: "wJalrXUtnFEMI", SessionToken: "tok"}
	if u := cfg.URL(); strings.Contains(u, "AKIDEXAMPLE") || strings.Contains(u, "wJalrXUtnFEMI") || strings.Contains(u, "tok") {
		t.Errorf("URL() = %q shows credentials", u)
	}
}

// FuzzParseURL checks that ParseURL never panics, that what it accepts it
// can print back unchanged, and that it accepts only valid names.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"s3://assets",
		"s3://assets/prefix/",
		"s3://assets/prod?endpoint=127.0.0.1:9000&region=eu-west-1&tls=false&path-style=true",
		"s3://assets?endpoint=[::1]:9000&path-style=false",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cfg, err := s3store.ParseURL(in)
		if err != nil {
			if !errors.Is(err, s3store.ErrInvalidConfig) {
				t.Fatalf("ParseURL(%q) = %v, not wrapping ErrInvalidConfig", in, err)
			}
			return
		}
		if cfg.Bucket == "" {
			t.Fatalf("ParseURL(%q) accepted an empty bucket", in)
		}
		if cfg.Prefix != "" && (!strings.HasSuffix(cfg.Prefix, "/") || strings.HasPrefix(cfg.Prefix, "/") || strings.Contains(cfg.Prefix, "//")) {
			t.Fatalf("ParseURL(%q) prefix %q", in, cfg.Prefix)
		}
		if strings.Contains(cfg.Endpoint, "://") {
			t.Fatalf("ParseURL(%q) endpoint %q has a scheme", in, cfg.Endpoint)
		}
		again, err := s3store.ParseURL(cfg.URL())
		if err != nil {
			t.Fatalf("ParseURL(%q).URL() = %q does not parse: %v", in, cfg.URL(), err)
		}
		if diff := cmp.Diff(cfg, again, cmpopts.IgnoreFields(s3store.Config{}, "Transport")); diff != "" {
			t.Fatalf("round trip of %q through %q (-first +second):\n%s", in, cfg.URL(), diff)
		}
	})
}
