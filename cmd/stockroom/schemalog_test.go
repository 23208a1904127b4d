package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSchemaStepsShown checks what a user sees of the schema: the first
// start on an empty data folder shows each step at info, without the
// library's debug records; the next start shows none.
func TestSchemaStepsShown(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	steps := regexp.MustCompile(`level=(\w+) msg="updated the database schema" step=(\d+)`)
	for i, want := range [][]string{{"INFO 1", "INFO 2", "INFO 3", "INFO 4", "INFO 5", "INFO 6", "INFO 7", "INFO 8", "INFO 9", "INFO 10", "INFO 11"}, nil} {
		p := startInProcess(t, "-data-dir", dataDir)
		if err := p.stop(t); err != nil {
			t.Fatal(err)
		}
		logs := p.logs.String()
		var got []string
		for _, m := range steps.FindAllStringSubmatch(logs, -1) {
			got = append(got, m[1]+" "+m[2])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("start %d: schema steps (-want +got):\n%s\nlogs:\n%s", i+1, diff, logs)
		}
		for _, bad := range []string{"level=DEBUG", "component=schema"} {
			if strings.Contains(logs, bad) {
				t.Errorf("start %d: logs hold %q:\n%s", i+1, bad, logs)
			}
		}
	}
}

// TestSchemaStepsHandler checks that the handler lifts the schema's debug
// records to info, whatever attributes and groups come with them, and
// leaves the debug records of other components out.
func TestSchemaStepsHandler(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	logger := slog.New(schemaSteps{Handler: h})
	logger.With("component", "schema").Debug("updating the database schema", "step", 1)
	logger.With("component", "sqlite", "db", "main").Debug("wal checkpoint")
	logger.With("component", "sqlite").Info("opened")
	logger.With("component", "schema", "db", "main").WithGroup("g").Debug("step", "n", 2)
	logger.Debug("plain debug")
	logger.Warn("plain warn", "component", "schema")
	want := `level=INFO msg="updating the database schema" step=1
level=INFO msg=opened component=sqlite
level=INFO msg=step db=main g.n=2
level=WARN msg="plain warn" component=schema
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if !logger.Enabled(context.Background(), slog.LevelInfo) || logger.Enabled(context.Background(), slog.LevelDebug) {
		t.Error("the server's logger must show info and hide debug")
	}
}
