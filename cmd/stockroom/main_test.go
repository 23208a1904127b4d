package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRunUsage(t *testing.T) {
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, nil, fakeEnv(nil), &stdout, &stderr); !errors.Is(err, errUsagePrinted) {
		t.Errorf("run() = %v, want errUsagePrinted", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("run() wrote %q to stdout", stdout.String())
	}
	for _, c := range commands {
		if !strings.Contains(stderr.String(), "\n  "+c.name+" ") {
			t.Errorf("the usage lacks %q:\n%s", c.name, stderr.String())
		}
	}
	for _, arg := range []string{"help", "-h", "-help", "--help"} {
		var stdout, stderr bytes.Buffer
		if err := run(ctx, []string{arg}, fakeEnv(nil), &stdout, &stderr); err != nil {
			t.Errorf("run(%s) = %v", arg, err)
		}
		if !strings.Contains(stdout.String(), "\n  import ") || stderr.Len() != 0 {
			t.Errorf("run(%s): stdout %q, stderr %q", arg, stdout.String(), stderr.String())
		}
	}
}

// TestRunHints: main prints a usage error once, with the help to read.
func TestRunHints(t *testing.T) {
	for _, tt := range []struct {
		args []string
		hint string
	}{
		{[]string{"bogus"}, "(see stockroom help)"},
		{[]string{"serve", "-nope"}, "(see stockroom serve -h)"},
		{[]string{"-nope"}, "(see stockroom serve -h)"},
		{[]string{"import"}, "(see stockroom import -h)"},
		{[]string{"import", "-workers", "0", "x"}, "(see stockroom import -h)"},
		{[]string{"version", "now"}, "(see stockroom version -h)"},
	} {
		err := run(context.Background(), tt.args, fakeEnv(nil), io.Discard, io.Discard)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("run(%q) = %v, want a usage error", tt.args, err)
			continue
		}
		if !strings.HasSuffix(err.Error(), tt.hint) || strings.Count(err.Error(), "(see ") != 1 {
			t.Errorf("run(%q) = %q, want one hint %q", tt.args, err, tt.hint)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version", "-h"}, fakeEnv(nil), &out, io.Discard); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "usage: stockroom version") {
		t.Errorf("version -h: %v, %q", err, out.String())
	}
}

func TestVersionLine(t *testing.T) {
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/stockroomhq/stockroom", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	for _, tt := range []struct {
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{info("v1.2.3"), true, "stockroom v1.2.3 go1.26.8"},
		{info(""), true, "stockroom (devel) go1.26.8"},
		{info("v0.0.0-20261203030000-321039f1a2b3+dirty", "vcs.revision", "321039f1a2b3", "vcs.time", "2026-12-03T03:00:00Z", "vcs.modified", "true"), true,
			"stockroom v0.0.0-20261203030000-321039f1a2b3+dirty revision 321039f1a2b3 (modified) of 2026-12-03T03:00:00Z go1.26.8"},
		{info("(devel)", "vcs.revision", "abc", "vcs.modified", "false"), true, "stockroom (devel) revision abc go1.26.8"},
	} {
		if got := versionLine(tt.bi, tt.ok); got != tt.want {
			t.Errorf("versionLine = %q, want %q", got, tt.want)
		}
	}
	if got := versionLine(nil, false); !strings.HasPrefix(got, "stockroom (unknown version") {
		t.Errorf("versionLine without build info = %q", got)
	}
	var out bytes.Buffer
	cmd := &versionCommand{out: &out, buildInfo: func() (*debug.BuildInfo, bool) { return info("v9.9.9"), true }}
	if err := cmd.Run(context.Background(), nil); err != nil || out.String() != "stockroom v9.9.9 go1.26.8\n" {
		t.Errorf("version: %v, %q", err, out.String())
	}
}

// TestOperatorHandler: the server prints from its level up, plus the
// schema steps the library logs at Debug, and nothing else at Debug.
func TestOperatorHandler(t *testing.T) {
	var buf bytes.Buffer
	inner := slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	})
	for _, tt := range []struct {
		min  slog.Level
		want []string
	}{
		{slog.LevelInfo, []string{
			`level=INFO msg=listening`,
			`level=DEBUG msg="updating the database schema" component=schema step=1`,
			`level=INFO msg=done component=schema`,
			`level=WARN msg="wal checkpoint failed" component=sqlite`,
		}},
		{slog.LevelWarn, []string{
			`level=DEBUG msg="updating the database schema" component=schema step=1`,
			`level=INFO msg=done component=schema`,
			`level=WARN msg="wal checkpoint failed" component=sqlite`,
		}},
		{slog.LevelDebug, []string{
			`level=INFO msg=listening`,
			`level=DEBUG msg="updating the database schema" component=schema step=1`,
			`level=INFO msg=done component=schema`,
			`level=DEBUG msg="wal checkpoint" component=sqlite`,
			`level=DEBUG msg=checkpoint component=schema component=sqlite`,
			`level=WARN msg="wal checkpoint failed" component=sqlite`,
		}},
	} {
		buf.Reset()
		log := slog.New(newOperatorHandler(inner, tt.min))
		log.Info("listening")
		schema := log.With("component", "schema")
		schema.Debug("updating the database schema", "step", 1)
		schema.Info("done")
		sqlite := log.With("component", "sqlite")
		sqlite.Debug("wal checkpoint")
		schema.With("component", "sqlite").Debug("checkpoint")
		sqlite.Warn("wal checkpoint failed")
		got := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("level %v (-want +got):\n%s", tt.min, diff)
		}
	}
}

// TestReadmeUsage: the README shows what "stockroom" with no arguments
// prints.
func TestReadmeUsage(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, shown, ok := strings.Cut(string(readme), "\n$ stockroom\n")
	if !ok {
		t.Fatal(`README.md does not show "$ stockroom"`)
	}
	shown, _, _ = strings.Cut(shown, "```")
	var usage bytes.Buffer
	printUsage(&usage)
	if diff := cmp.Diff(usage.String(), shown); diff != "" {
		t.Errorf("README's usage (-printed +README):\n%s", diff)
	}
}
