package main

import (
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/intake"
)

// ignoreIntake leaves the intake flags out of the serveConfig comparisons of
// serve_test.go; the tests below check them.
var ignoreIntake = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && sf.Name() == "intake"
}, cmp.Ignore())

var cmpIntake = cmp.AllowUnexported(intakeFlags{})

func TestIntakeFlags(t *testing.T) {
	defaults := intakeFlags{connectTimeout: 30 * time.Second, idleTimeout: time.Minute, overallTimeout: 30 * time.Minute,
		maxRemoteSize: "2GiB", concurrency: 3, queueCap: 1000, retention: 24 * time.Hour}
	if diff := cmp.Diff(defaults, parseOK(t, nil, nil).intake, cmpIntake); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	env := map[string]string{"REMOTE_CONNECT_TIMEOUT": "5s", "REMOTE_IDLE_TIMEOUT": "6s", "REMOTE_OVERALL_TIMEOUT": "7m",
		"MAX_REMOTE_SIZE": "10MB", "DOWNLOAD_CONCURRENCY": "2", "DOWNLOAD_QUEUE_CAP": "50", "DOWNLOAD_RETENTION": "1h"}
	fromEnv := intakeFlags{connectTimeout: 5 * time.Second, idleTimeout: 6 * time.Second, overallTimeout: 7 * time.Minute,
		maxRemoteSize: "10MB", concurrency: 2, queueCap: 50, retention: time.Hour}
	if diff := cmp.Diff(fromEnv, parseOK(t, nil, env).intake, cmpIntake); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	args := []string{"-remote-connect-timeout", "1s", "-remote-idle-timeout", "2s", "-remote-overall-timeout", "3s",
		"-max-remote-size", "1KiB", "-download-concurrency", "1", "-download-queue-cap", "9", "-download-retention", "10m"}
	fromFlags := intakeFlags{connectTimeout: time.Second, idleTimeout: 2 * time.Second, overallTimeout: 3 * time.Second,
		maxRemoteSize: "1KiB", concurrency: 1, queueCap: 9, retention: 10 * time.Minute}
	if diff := cmp.Diff(fromFlags, parseOK(t, args, env).intake, cmpIntake); diff != "" {
		t.Errorf("flags over the environment (-want +got):\n%s", diff)
	}

	for _, bad := range [][]string{
		{"-max-remote-size", "lots"}, {"-max-remote-size", "0"}, {"-remote-idle-timeout", "0s"},
		{"-download-concurrency", "0"}, {"-allow-private-fetch", "intranet"}, {"-download-retention", "-1h"},
	} {
		_, err := (&serveCommand{usageOut: io.Discard}).parse(bad, fakeEnv(nil))
		var ue *usageError
		if err == nil || !errors.As(err, &ue) {
			t.Errorf("parse(%q) = %v, want a usage error", bad, err)
		}
	}
	if _, err := (&serveCommand{}).parse(nil, fakeEnv(map[string]string{"REMOTE_IDLE_TIMEOUT": "soon"})); err == nil ||
		!strings.Contains(err.Error(), "REMOTE_IDLE_TIMEOUT") {
		t.Errorf("bad variable: %v", err)
	}
}

func TestIntakeApply(t *testing.T) {
	cfg := parseOK(t, []string{"-alt-fs", "a:/mnt/a", "-alt-fs", "b:/mnt/b:with:colons", "-allow-private-fetch", "10.0.0.0/8, 127.0.0.1",
		"-max-remote-size", "1MiB", "-remote-idle-timeout", "9s", "-download-concurrency", "4"}, nil)
	var opts stockroom.Options
	if err := cfg.intake.apply(&opts, cfg.altFS, cfg.allowPrivate); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a": "/mnt/a", "b": "/mnt/b:with:colons"}, opts.AltFS); diff != "" {
		t.Errorf("AltFS (-want +got):\n%s", diff)
	}
	f := opts.Fetcher
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	if f == nil || f.MaxSize != 1<<20 || f.IdleTimeout != 9*time.Second || cmp.Diff(want, f.Allow, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })) != "" {
		t.Errorf("Fetcher = %+v", f)
	}
	if opts.Jobs != (intake.Config{Concurrency: 4, QueueCap: 1000, Retention: 24 * time.Hour}) {
		t.Errorf("Jobs = %+v", opts.Jobs)
	}
	dup := parseOK(t, []string{"-alt-fs", "a:/x", "-alt-fs", "a:/y"}, nil)
	if err := dup.intake.apply(&opts, dup.altFS, ""); err == nil {
		t.Error("a repeated -alt-fs key was accepted")
	}
}
