package httpapi

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/stockroomhq/stockroom/errs"
)

// guard refuses what a web page on another site could otherwise make a
// user's browser do to this server, whether auth is on or off:
//
//   - a request whose Host is not one of ours (DNS rebinding: a name the
//     attacker controls, resolved to this server, makes our origin theirs);
//   - an unsafe method (POST, PUT, DELETE...) sent cross-site, as a form or
//     a fetch from another origin. net/http's CrossOriginProtection decides
//     from Sec-Fetch-Site, or Origin against Host; a request with neither
//     (curl, scripts, the reference CLI) is not from a browser and passes.
//
// Both answers are a 403 JSON error that changes nothing.
type guard struct {
	hosts map[string]bool // lower-case host names, no port; nil: any host
	cop   *http.CrossOriginProtection
}

// guard wraps next in the checks above.
func (a *api) guard(next http.Handler) http.Handler {
	cfg := a.auth
	g := &guard{cop: http.NewCrossOriginProtection()}
	for _, o := range cfg.TrustedOrigins {
		if err := g.cop.AddTrustedOrigin(o); err != nil {
			// Not fatal: the origin is then simply not trusted.
			a.log.Error("ignoring a trusted origin", "origin", o, "err", err)
		}
	}
	g.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, errs.E("", errs.Forbidden, "cross-origin request refused: "+r.Method+" from another site is not allowed"))
	}))
	if cfg.AllowedHosts != nil {
		g.hosts = map[string]bool{}
		for _, h := range cfg.AllowedHosts {
			if h == "*" {
				g.hosts = nil
				break
			}
			g.hosts[strings.ToLower(hostOnly(h))] = true
		}
	}
	checked := g.cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.hostAllowed(r.Host) {
			a.fail(w, r, errs.E("", errs.Forbidden, "host "+quoteHost(r.Host)+" is not served here; start the server with -public-url or -allowed-hosts naming it"))
			return
		}
		checked.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a request's Host names this server. IP
// literals always do: rebinding needs a name the attacker controls, and a
// page whose origin is this server's address is this server's.
func (g *guard) hostAllowed(host string) bool {
	if g.hosts == nil {
		return true
	}
	h := strings.ToLower(hostOnly(host))
	if h == "" {
		return false
	}
	if net.ParseIP(h) != nil || g.hosts[h] {
		return true
	}
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// hostOnly strips the port and IPv6 brackets from host[:port], and the
// trailing dot of a fully qualified name.
func hostOnly(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(h, ".")
}

func quoteHost(h string) string {
	if len(h) > 100 {
		h = h[:100]
	}
	return `"` + strings.ToValidUTF8(h, "?") + `"`
}

// AllowedHosts is the Host allow-list a server listening on bindAddress
// should use: loopback names (always allowed by the guard), the bind
// address's host when it is a name, the host of publicURL, and extra
// (host names, host:port or URLs). It fails on a publicURL that is not an
// absolute http(s) URL.
func AllowedHosts(bindAddress, publicURL string, extra ...string) ([]string, error) {
	hosts := []string{"localhost"}
	if h := hostOnly(bindAddress); h != "" {
		hosts = append(hosts, h)
	}
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &url.Error{Op: "parse", URL: publicURL, Err: errBadPublicURL}
		}
		hosts = append(hosts, u.Hostname())
	}
	for _, e := range extra {
		for _, h := range strings.Split(e, ",") {
			h = strings.TrimSpace(h)
			if h == "" {
				continue
			}
			if u, err := url.Parse(h); err == nil && u.Host != "" {
				h = u.Host
			}
			hosts = append(hosts, hostOnly(h))
		}
	}
	return hosts, nil
}

type constError string

func (e constError) Error() string { return string(e) }

const errBadPublicURL = constError("want an absolute http or https URL, such as https://assets.example.com")
