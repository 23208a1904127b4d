// Package fetch downloads files from http and https URLs on behalf of users,
// safely: it is the one place where Stockroom reaches out to the network, and
// every remote download (synchronous, background, resumed) goes through it.
//
// The rules a [Fetcher] enforces:
//
//   - Only http and https URLs, on the first request and on every redirect
//     (at most [DefaultMaxRedirects]).
//   - The destination is checked when the connection is made, after DNS
//     resolution, for every connection, redirects included: so a name that
//     resolves to an internal address (DNS rebinding) is caught as well as
//     an IP literal. Loopback, private, link-local (cloud metadata),
//     carrier-grade NAT, multicast, unspecified and the other special ranges
//     of [IsSpecial] are refused unless listed in [Fetcher.Allow]. No proxy
//     from the environment is used.
//   - Connect, idle (no byte received) and overall timeouts.
//   - A maximum size, checked against Content-Length before the body is read
//     and while it streams.
//   - Errors are [*Error] values whose text names the URL that was asked for
//     and what went wrong, never the address it resolved to.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stockroomhq/stockroom/errs"
)

// Defaults for the zero fields of Fetcher.
const (
	DefaultConnectTimeout = 30 * time.Second
	DefaultIdleTimeout    = 60 * time.Second
	DefaultOverallTimeout = 30 * time.Minute
	DefaultMaxSize        = 2 << 30 // 2 GiB
	DefaultMaxRedirects   = 10
	DefaultUserAgent      = "Stockroom/1 (+asset fetcher)"
)

// The kinds of fetch failure. Every error of Fetch and of a Response body
// is an *Error that matches one of them with errors.Is, or the context's
// error when the caller's context ended the fetch. Each has an errs kind:
// a URL that cannot be fetched is the asker's problem (errs.Invalid), a
// file over the limit is errs.TooLarge.
var (
	// ErrBadURL: not an http or https URL, or malformed.
	ErrBadURL = errs.New(errs.Invalid, "unsupported URL")
	// ErrForbidden: the destination address is not allowed.
	ErrForbidden = errs.New(errs.Invalid, "destination not allowed")
	// ErrTimeout: a connect, idle or overall timeout expired.
	ErrTimeout = errs.New(errs.Invalid, "timed out")
	// ErrTooLarge: the content is longer than the size limit.
	ErrTooLarge = errs.New(errs.TooLarge, "too large")
	// ErrStatus: the server answered with an error status.
	ErrStatus = errs.New(errs.Invalid, "error status")
	// ErrTooManyRedirects: more redirects than allowed.
	ErrTooManyRedirects = errs.New(errs.Invalid, "too many redirects")
	// ErrNetwork: the host could not be resolved or reached, or the
	// connection broke.
	ErrNetwork = errs.New(errs.Invalid, "network error")
)

// Error is a failed fetch. Its text is safe to show to the user who asked
// for the URL: it never contains the address the host name resolved to.
type Error struct {
	// URL is the URL that was asked for, without credentials.
	URL string
	// Kind is one of the Err* sentinels of this package, or
	// context.Canceled when the caller gave up.
	Kind error
	// Status is the HTTP status when Kind is ErrStatus.
	Status int

	msg   string
	cause error // for errors.Is/As only; its text may name addresses
}

func (e *Error) Error() string { return "fetching " + e.URL + ": " + e.msg }

// Unwrap returns the errs kind of the failure (none when the caller gave
// up), the Kind sentinel and the underlying cause. Holding the errs kind
// itself makes e's text the client message of errs.Message.
func (e *Error) Unwrap() []error {
	u := make([]error, 0, 3)
	if k := errs.KindOf(e.Kind); k != errs.Other {
		u = append(u, k)
	}
	u = append(u, e.Kind)
	if e.cause != nil {
		u = append(u, e.cause)
	}
	return u
}

// Fetcher downloads URLs under the rules of the package comment. Its fields
// may be set until the first Fetch; the zero value uses the defaults and
// allows no special address. It is safe for concurrent use.
type Fetcher struct {
	// Allow lists addresses that may be fetched although IsSpecial reports
	// them (a server on the local network that users are meant to reach).
	Allow []netip.Prefix
	// ConnectTimeout bounds connecting, TLS included. Zero means
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// IdleTimeout bounds the wait for the answer and for each byte of the
	// body. Zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// OverallTimeout bounds a whole fetch, from the request to the end of
	// the body. Zero means DefaultOverallTimeout.
	OverallTimeout time.Duration
	// MaxSize bounds the content in bytes. Zero means DefaultMaxSize.
	MaxSize int64
	// MaxRedirects bounds the redirects followed. Zero means
	// DefaultMaxRedirects; negative follows none.
	MaxRedirects int
	// UserAgent is sent with every request. Empty means DefaultUserAgent.
	UserAgent string

	once   sync.Once
	client *http.Client
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Limit returns the size limit in force.
func (f *Fetcher) Limit() int64 { return orDefault(f.MaxSize, DefaultMaxSize) }

func (f *Fetcher) init() {
	f.once.Do(func() {
		connect := orDefault(f.ConnectTimeout, DefaultConnectTimeout)
		dialer := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second, Control: f.control}
		transport := &http.Transport{
			Proxy:                 nil, // a proxy would connect for us, unchecked
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   connect,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          16,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
			// The bytes as the server has them: no transparent gunzip,
			// which would also break Range requests.
			DisableCompression: true,
		}
		redirects := orDefault(f.MaxRedirects, DefaultMaxRedirects)
		f.client = &http.Client{
			Transport: transport,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > redirects || redirects < 0 {
					return &Error{Kind: ErrTooManyRedirects, msg: fmt.Sprintf("more than %d redirects", max(redirects, 0))}
				}
				if s := req.URL.Scheme; s != "http" && s != "https" {
					return &Error{Kind: ErrBadURL, msg: "redirected to a URL that is not http or https"}
				}
				return nil
			},
		}
	})
}

// forbiddenError is what the dialer's Control returns for a refused
// address. It never reaches the user's eyes: classify turns it into an
// *Error without the address.
type forbiddenError struct{}

func (forbiddenError) Error() string { return "destination address not allowed" }

// control runs for every connection after the host name is resolved and
// before the connection is made.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return forbiddenError{}
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return forbiddenError{}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !f.allowed(ip) {
		return forbiddenError{}
	}
	return nil
}

// CheckURL parses raw and checks that it is an absolute http or https URL
// with a host. The error is an *Error of kind ErrBadURL.
func CheckURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &Error{URL: strconv.Quote(raw), Kind: ErrBadURL, msg: "not a valid URL"}
	}
	shown := u.Redacted()
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return nil, &Error{URL: shown, Kind: ErrBadURL, msg: "not an absolute URL (it needs http:// or https://)"}
	default:
		return nil, &Error{URL: shown, Kind: ErrBadURL, msg: fmt.Sprintf("the %q scheme is not allowed: only http and https URLs can be fetched", u.Scheme)}
	}
	if u.Hostname() == "" {
		return nil, &Error{URL: shown, Kind: ErrBadURL, msg: "the URL has no host"}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// NameFromURL returns the last element of the URL's path, unescaped, or the
// host name when the path has none. It is the default name of what the URL
// fetches.
func NameFromURL(u *url.URL) string {
	p := strings.TrimRight(u.EscapedPath(), "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	if s, err := url.PathUnescape(p); err == nil {
		p = s
	}
	p = strings.TrimSpace(strings.ReplaceAll(p, "\\", "/"))
	p = path.Base("/" + p)
	if p == "/" || p == "." || p == ".." || p == "" {
		return u.Hostname()
	}
	return p
}

// Request asks for a URL, or for the part of it from Offset on.
type Request struct {
	URL string
	// Offset, when positive, asks for the content from that byte on with
	// a Range request. The server may ignore it: see Response.Offset.
	Offset int64
	// IfRange is the ETag or Last-Modified value of an earlier answer: the
	// server sends the range only if the content is still that one, and
	// the whole content otherwise.
	IfRange string
}

// Response is a successful answer whose body is being received.
type Response struct {
	// Body streams the content under the size and idle limits; its read
	// errors are *Error values. Close it.
	Body io.ReadCloser
	// URL is where the content came from after redirects.
	URL *url.URL
	// Offset is the position of Body's first byte in the content:
	// Request.Offset when the server honoured the range, else 0.
	Offset int64
	// Size is the length of the whole content, -1 when unknown.
	Size int64
	// ETag and LastModified identify the content for a later IfRange.
	ETag, LastModified string
	// AcceptRanges reports that the server said it serves ranges.
	AcceptRanges bool
	// FileName is the file name the server suggested in
	// Content-Disposition, if any (base name only).
	FileName string
}

// Validator returns the value to send as Request.IfRange to resume this
// content: a strong ETag, else Last-Modified, else "" (resuming is then a
// gamble the caller should not take).
func (r *Response) Validator() string {
	if r.ETag != "" && !strings.HasPrefix(r.ETag, "W/") {
		return r.ETag
	}
	return r.LastModified
}

var (
	errIdle    = errors.New("idle timeout")
	errOverall = errors.New("overall timeout")
)

// Get fetches the whole content of rawURL.
func (f *Fetcher) Get(ctx context.Context, rawURL string) (*Response, error) {
	return f.Fetch(ctx, Request{URL: rawURL})
}

// Fetch sends req and returns the answer once its headers have arrived. The
// timeouts run until the body is closed.
func (f *Fetcher) Fetch(ctx context.Context, req Request) (*Response, error) {
	u, err := CheckURL(req.URL)
	if err != nil {
		return nil, err
	}
	f.init()
	shown := u.Redacted()
	idleFor := orDefault(f.IdleTimeout, DefaultIdleTimeout)
	overall := orDefault(f.OverallTimeout, DefaultOverallTimeout)
	limit := f.Limit()
	if req.Offset < 0 || req.Offset >= limit {
		req.Offset = 0
	}

	parent := ctx
	ctx, cancelOverall := context.WithTimeoutCause(ctx, overall, errOverall)
	ctx, cancel := context.WithCancelCause(ctx)
	idle := time.AfterFunc(idleFor, func() { cancel(errIdle) })
	done := func() {
		idle.Stop()
		cancel(nil)
		cancelOverall()
	}
	t := &tracker{shown: shown, parent: parent, ctx: ctx, idleFor: idleFor, overall: overall}

	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		done()
		return nil, &Error{URL: shown, Kind: ErrBadURL, msg: "not a valid URL"}
	}
	hreq.Header.Set("User-Agent", f.UserAgent)
	if f.UserAgent == "" {
		hreq.Header.Set("User-Agent", DefaultUserAgent)
	}
	hreq.Header.Set("Accept", "*/*")
	hreq.Header.Set("Accept-Encoding", "identity")
	if req.Offset > 0 {
		hreq.Header.Set("Range", "bytes="+strconv.FormatInt(req.Offset, 10)+"-")
		if req.IfRange != "" {
			hreq.Header.Set("If-Range", req.IfRange)
		}
	}
	resp, err := f.client.Do(hreq)
	if err != nil {
		done()
		return nil, t.classify(err)
	}
	fail := func(e *Error) (*Response, error) {
		resp.Body.Close()
		done()
		return nil, e
	}
	out := &Response{
		URL:          resp.Request.URL,
		Size:         -1,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		AcceptRanges: strings.EqualFold(strings.TrimSpace(resp.Header.Get("Accept-Ranges")), "bytes"),
		FileName:     dispositionName(resp.Header.Get("Content-Disposition")),
	}
	switch {
	case resp.StatusCode == http.StatusPartialContent && req.Offset > 0:
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != req.Offset {
			return fail(&Error{URL: shown, Kind: ErrNetwork, msg: "the server answered with a different part of the file than asked for"})
		}
		out.Offset, out.Size, out.AcceptRanges = start, total, true
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && req.Offset > 0:
		// The content changed or ended before the offset: start over.
		resp.Body.Close()
		done()
		return f.Fetch(parent, Request{URL: req.URL})
	case resp.StatusCode == http.StatusPartialContent, resp.StatusCode < 200, resp.StatusCode > 299:
		return fail(&Error{URL: shown, Kind: ErrStatus, Status: resp.StatusCode,
			msg: fmt.Sprintf("the server answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))})
	default:
		out.Size = resp.ContentLength
	}
	if out.Size > limit {
		return fail(&Error{URL: shown, Kind: ErrTooLarge, msg: fmt.Sprintf("the file is larger than the limit of %d bytes", limit)})
	}
	out.Body = &body{t: t, rc: resp.Body, idle: idle, left: limit - out.Offset, limit: limit, done: done}
	return out, nil
}

// tracker turns the errors of one fetch into *Error values.
type tracker struct {
	shown       string
	parent, ctx context.Context
	idleFor     time.Duration
	overall     time.Duration
}

func (t *tracker) classify(err error) error {
	var fe *Error
	if errors.As(err, &fe) {
		if fe.URL == "" {
			fe.URL = t.shown
		}
		return fe
	}
	e := &Error{URL: t.shown, cause: err}
	var (
		forbidden forbiddenError
		dnsErr    *net.DNSError
		netErr    net.Error
	)
	switch {
	case errors.As(err, &forbidden):
		e.Kind, e.msg = ErrForbidden, "the destination is not allowed: it is a local, private or otherwise special network address"
	case t.parent.Err() != nil:
		e.Kind, e.msg, e.cause = context.Canceled, "canceled", context.Cause(t.parent)
	case errors.Is(context.Cause(t.ctx), errIdle):
		e.Kind, e.msg = ErrTimeout, fmt.Sprintf("no data received for %s", t.idleFor)
	case errors.Is(context.Cause(t.ctx), errOverall):
		e.Kind, e.msg = ErrTimeout, fmt.Sprintf("the download took longer than %s", t.overall)
	case errors.As(err, &dnsErr):
		e.Kind, e.msg = ErrNetwork, "the host name could not be resolved"
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Kind, e.msg = ErrTimeout, "the server could not be reached in time"
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.Kind, e.msg = ErrNetwork, "the connection closed before the whole file arrived"
	default:
		e.Kind, e.msg = ErrNetwork, "the server could not be reached or the connection failed"
	}
	return e
}

// body enforces the size and idle limits while the content streams.
type body struct {
	t     *tracker
	rc    io.ReadCloser
	idle  *time.Timer
	left  int64 // bytes that may still be read
	limit int64
	done  func()
	once  sync.Once
	err   error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	// Read one byte past the limit to tell an exact fit from an overflow.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if n > 0 {
		b.idle.Reset(b.t.idleFor)
		if int64(n) > b.left {
			b.err = &Error{URL: b.t.shown, Kind: ErrTooLarge, msg: fmt.Sprintf("the file is larger than the limit of %d bytes", b.limit)}
			return 0, b.err
		}
		b.left -= int64(n)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = b.t.classify(err)
		return n, b.err
	}
	return n, err
}

func (b *body) Close() error {
	b.once.Do(func() {
		b.rc.Close()
		b.done()
	})
	return nil
}

// parseContentRange reads "bytes start-end/total"; total is -1 for "*".
func parseContentRange(s string) (start, total int64, ok bool) {
	s, found := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	if tot == "*" {
		return start, -1, true
	}
	total, err = strconv.ParseInt(tot, 10, 64)
	if err != nil || total < start {
		return 0, 0, false
	}
	return start, total, true
}

// dispositionName returns the base file name of a Content-Disposition
// header, or "".
func dispositionName(h string) string {
	if h == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(h)
	if err != nil {
		return ""
	}
	name := strings.ReplaceAll(params["filename"], "\\", "/")
	name = path.Base("/" + strings.TrimSpace(name))
	if name == "/" || name == "." || name == ".." {
		return ""
	}
	return name
}
