package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/httpapi"
)

// accessFlags are the serve flags of auth and of the guard against
// cross-site requests.
type accessFlags struct {
	auth           bool
	insecureNoAuth bool
	publicURL      string
	allowedHosts   string
}

func (f *accessFlags) register(fs *flag.FlagSet, getenv func(string) string, badEnv map[string]string) {
	envBool := func(flagName, name string) bool {
		v := getenv(name)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			badEnv[flagName] = fmt.Sprintf("%s=%q is not a boolean (use true or false)", name, v)
		}
		return b
	}
	fs.BoolVar(&f.auth, "auth", envBool("auth", "AUTH_ENABLED"), "require sign-in: an API token (Authorization: Bearer) or a session; create the first admin with \"stockroom users add -role admin NAME\" (AUTH_ENABLED)")
	fs.BoolVar(&f.insecureNoAuth, "insecure-no-auth", envBool("insecure-no-auth", "INSECURE_NO_AUTH"), "serve without auth on an address other than loopback, so that anyone who reaches it may change everything (INSECURE_NO_AUTH)")
	fs.StringVar(&f.publicURL, "public-url", getenv("PUBLIC_URL"), "the URL browsers reach the server at (https://assets.example.com); its host is allowed, and https marks cookies Secure (PUBLIC_URL)")
	fs.StringVar(&f.allowedHosts, "allowed-hosts", getenv("ALLOWED_HOSTS"), "more host names, comma-separated, that requests may name in Host; loopback names and IP addresses always may (ALLOWED_HOSTS)")
}

func (f *accessFlags) check(bindAddress string) error {
	if _, err := httpapi.AllowedHosts(bindAddress, f.publicURL, f.allowedHosts); err != nil {
		return &usageError{"-public-url: " + err.Error()}
	}
	return nil
}

// apply fills in the handler's access settings.
func (f *accessFlags) apply(ctx context.Context, cfg *httpapi.Config, lib *stockroom.Library, bindAddress string, logger *slog.Logger) error {
	hosts, err := httpapi.AllowedHosts(bindAddress, f.publicURL, f.allowedHosts)
	if err != nil {
		return &usageError{"-public-url: " + err.Error()}
	}
	cfg.AllowedHosts = hosts
	if f.publicURL != "" {
		u, _ := url.Parse(f.publicURL)
		cfg.TrustedOrigins = []string{u.Scheme + "://" + u.Host}
		cfg.SecureCookies = u.Scheme == "https"
	}
	if f.auth {
		cfg.Access = lib.Access
		if n, err := lib.Access.CountUsers(ctx); err != nil {
			return err
		} else if n == 0 {
			logger.Warn("auth is on but there are no users yet: no one can sign in; add one with: stockroom users add -role admin NAME")
		}
	}
	return nil
}

// checkListen refuses to serve without auth on an address others can
// reach, unless told to.
func (f *accessFlags) checkListen(addr net.Addr) error {
	if f.auth || f.insecureNoAuth {
		return nil
	}
	tcp, ok := addr.(*net.TCPAddr)
	if ok && tcp.IP.IsLoopback() {
		return nil
	}
	return &usageError{fmt.Sprintf("refusing to listen on %s without auth: anyone who reaches it could change or delete everything; "+
		"use -auth, a loopback -bind-address such as 127.0.0.1:8181, or -insecure-no-auth", addr)}
}
