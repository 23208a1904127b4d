package s3store

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// ErrInvalidConfig reports a store URL or Config that New cannot use.
var ErrInvalidConfig = errors.New("invalid S3 blob store configuration")

// Addressing says how the bucket appears in request URLs.
type Addressing int

const (
	// AddressingAuto lets the client choose: virtual-host style on AWS and
	// other hosts known to support it, path style elsewhere (IP
	// addresses, localhost, most self-hosted servers).
	AddressingAuto Addressing = iota
	// AddressingPath puts the bucket in the path: host/bucket/key.
	AddressingPath
	// AddressingVirtualHost puts the bucket in the host: bucket.host/key.
	AddressingVirtualHost
)

// DefaultEndpoint is the endpoint of AWS S3, used when Config.Endpoint is
// empty.
const DefaultEndpoint = "s3.amazonaws.com"

// Config describes where a Store keeps its blobs and how it reaches them.
// Only Bucket is required. [ParseURL] builds one from the -blob-store flag.
type Config struct {
	// Bucket is the name of an existing bucket.
	Bucket string
	// Prefix is prepended to every key, so several stores can share a
	// bucket. Empty, or slash-separated segments ending with "/" (New adds
	// the final slash when it is missing).
	Prefix string
	// Endpoint is the host[:port] of the S3 service, without scheme;
	// empty means AWS S3 ([DefaultEndpoint]).
	Endpoint string
	// Region of the bucket; empty lets the client discover it.
	Region string
	// DisableTLS talks plain HTTP, for a service on localhost or a
	// trusted network. TLS is on by default.
	DisableTLS bool
	// Addressing chooses path or virtual-host style bucket addressing.
	Addressing Addressing

	// AccessKey, SecretKey and SessionToken are the credentials. When
	// AccessKey is empty they come from the environment
	// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, or
	// MinIO's MINIO_ACCESS_KEY/MINIO_SECRET_KEY), then from the shared
	// credentials file (~/.aws/credentials, AWS_PROFILE); with none of
	// them requests are anonymous. They never come from the URL.
	AccessKey    string
	SecretKey    string
	SessionToken string

	// TempDir is the local directory where Put stages content while
	// hashing it (see [Store.Put]); empty means os.TempDir(). It needs as
	// much free space as the largest uploads in progress at once.
	TempDir string
	// CacheSize, when above zero, keeps local copies of the blobs this
	// Store stores, and of those it opens twice without one, in CacheDir,
	// up to CacheSize bytes, the least recently opened dropped first, so
	// that Open serves them from a local file rather than from the service
	// (see [Store.Open]). A blob larger than a quarter of CacheSize is not
	// kept. CacheDir must be on the filesystem of TempDir, which New
	// checks: a copy is the staged file, hard-linked. New removes the
	// copies it finds there, which a crash may have left unsynced; it
	// touches no other file. [Store.Close] stops the background copies.
	CacheDir  string
	CacheSize int64
	// MaxRetries is how many times a failing request is tried in all,
	// with a short backoff; 0 means 3. A request that still fails returns
	// an error wrapping [ErrUnavailable].
	MaxRetries int
	// MaxSinglePut is the largest object uploaded with one PUT; larger
	// ones use a multipart upload. 0 means 5 GiB, the limit of AWS S3.
	MaxSinglePut int64
	// PartSize is the size of the parts of a multipart upload; 0 means
	// 64 MiB. S3 requires at least 5 MiB and allows 10,000 parts.
	PartSize int64
	// IdleTimeout bounds how long a connection to the service may make no
	// progress (no byte sent or received) before the request fails with
	// ErrUnavailable; 0 means one minute. Ignored with Transport.
	IdleTimeout time.Duration
	// Transport is the HTTP transport; nil means minio-go's default with
	// IdleTimeout. Set it for custom CAs, proxies or tests.
	Transport http.RoundTripper
}

const (
	defaultMaxRetries   = 3
	defaultMaxSinglePut = 5 << 30
	defaultPartSize     = 64 << 20
	minPartSize         = 5 << 20
	maxParts            = 10000
)

// URL query parameters of ParseURL.
const (
	paramEndpoint  = "endpoint"
	paramRegion    = "region"
	paramTLS       = "tls"
	paramPathStyle = "path-style"
)

// ParseURL parses the -blob-store form of a Config:
//
//	s3://bucket/prefix?endpoint=host:port&region=eu-west-1&tls=false&path-style=true
//
// The prefix is optional. Parameters are optional; tls defaults to true and
// path-style, when absent, lets the client choose (true forces path style,
// false virtual-host style). Credentials are not part of the URL: they come
// from the environment (see Config.AccessKey). Errors wrap
// [ErrInvalidConfig].
func ParseURL(raw string) (Config, error) {
	var cfg Config
	fail := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("s3store.ParseURL: %w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the input, which is what the user needs.
		return fail("%v", err)
	}
	if u.Scheme != "s3" {
		return fail("%q: the scheme must be s3://", raw)
	}
	if u.Opaque != "" {
		return fail("%q: want s3://bucket/prefix", raw)
	}
	if u.User != nil {
		return fail("credentials do not belong in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return fail("%q: unexpected #fragment", raw)
	}
	cfg.Bucket = u.Host
	cfg.Prefix = strings.TrimPrefix(u.Path, "/")
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("query: %v", err)
	}
	for key, vals := range q {
		if len(vals) != 1 {
			return fail("parameter %q given %d times", key, len(vals))
		}
		v := vals[0]
		if v == "" {
			// Most likely an unset variable in a script: say so rather
			// than fall back to AWS.
			return fail("parameter %q has an empty value", key)
		}
		switch key {
		case paramEndpoint:
			cfg.Endpoint = v
		case paramRegion:
			cfg.Region = v
		case paramTLS:
			on, err := strconv.ParseBool(v)
			if err != nil {
				return fail("tls=%q: want true or false", v)
			}
			cfg.DisableTLS = !on
		case paramPathStyle:
			on, err := strconv.ParseBool(v)
			if err != nil {
				return fail("path-style=%q: want true or false", v)
			}
			cfg.Addressing = AddressingVirtualHost
			if on {
				cfg.Addressing = AddressingPath
			}
		default:
			return fail("unknown parameter %q (want endpoint, region, tls, path-style)", key)
		}
	}
	if err := cfg.validate(); err != nil {
		return fail("%v", err)
	}
	return cfg, nil
}

// URL returns the Config in the form ParseURL reads, without credentials
// and the settings the URL does not carry: safe to log.
func (c Config) URL() string {
	u := url.URL{Scheme: "s3", Host: c.Bucket, Path: "/" + c.Prefix}
	q := url.Values{}
	if c.Endpoint != "" {
		q.Set(paramEndpoint, c.Endpoint)
	}
	if c.Region != "" {
		q.Set(paramRegion, c.Region)
	}
	if c.DisableTLS {
		q.Set(paramTLS, "false")
	}
	switch c.Addressing {
	case AddressingPath:
		q.Set(paramPathStyle, "true")
	case AddressingVirtualHost:
		q.Set(paramPathStyle, "false")
	}
	// A colon is fine in a query and host:port reads better unescaped;
	// a literal "%3A" in a value is encoded as "%253A", so this touches
	// only colons.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "%3A", ":")
	if c.Prefix == "" {
		u.Path = ""
	}
	return u.String()
}

// validate checks the fields that ParseURL and New share.
func (c Config) validate() error {
	if c.Bucket == "" {
		return errors.New("missing bucket name")
	}
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		return fmt.Errorf("bucket %q: %v", c.Bucket, err)
	}
	if c.Prefix != "" {
		p := strings.TrimSuffix(c.Prefix, "/")
		for seg := range strings.SplitSeq(p, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return fmt.Errorf("prefix %q: empty, . or .. segment", c.Prefix)
			}
		}
		for _, r := range c.Prefix {
			if r < 0x20 || r == 0x7f || r == '\\' || r == '\uFFFD' {
				return fmt.Errorf("prefix %q: control character, backslash or invalid UTF-8", c.Prefix)
			}
		}
		if len(c.Prefix) > 512 {
			return fmt.Errorf("prefix longer than 512 bytes")
		}
	}
	if c.Endpoint != "" {
		if strings.Contains(c.Endpoint, "://") {
			return fmt.Errorf("endpoint %q: give host:port without scheme; use tls=false for http", c.Endpoint)
		}
		host := c.Endpoint
		if h, port, err := net.SplitHostPort(c.Endpoint); err == nil {
			host = h
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("endpoint %q: bad port", c.Endpoint)
			}
		}
		if host == "" || strings.ContainsAny(host, "/?#@ %") || strings.ContainsFunc(host, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			return fmt.Errorf("endpoint %q: want host or host:port", c.Endpoint)
		}
	}
	for _, r := range c.Region {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_' || 'A' <= r && r <= 'Z') {
			return fmt.Errorf("region %q: letters, digits and - only", c.Region)
		}
	}
	if c.Addressing < AddressingAuto || c.Addressing > AddressingVirtualHost {
		return fmt.Errorf("unknown addressing %d", c.Addressing)
	}
	if c.PartSize != 0 && c.PartSize < minPartSize {
		return fmt.Errorf("part size %d below the S3 minimum of 5 MiB", c.PartSize)
	}
	if c.MaxSinglePut < 0 || c.MaxRetries < 0 || c.IdleTimeout < 0 || c.CacheSize < 0 {
		return errors.New("negative MaxSinglePut, MaxRetries, IdleTimeout or CacheSize")
	}
	if c.CacheSize > 0 && c.CacheDir == "" {
		return errors.New("CacheSize without CacheDir")
	}
	return nil
}
