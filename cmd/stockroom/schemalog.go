package main

import (
	"context"
	"log/slog"
)

// schemaSteps is the server's log handler: the library logs the schema
// steps it applies at debug level, under the attribute component=schema,
// and the server shows them at info, because a step that rebuilds an index
// of a large library can take minutes before the server listens and must
// not look like a hang. The attribute only marks them: it is not printed,
// so a step reads `msg="updated the database schema" step=5`. Every other
// record passes through as it is.
type schemaSteps struct {
	slog.Handler
	// schema reports that the records are the schema's.
	schema bool
}

func (h schemaSteps) Enabled(ctx context.Context, level slog.Level) bool {
	return h.schema || h.Handler.Enabled(ctx, level)
}

func (h schemaSteps) Handle(ctx context.Context, r slog.Record) error {
	if h.schema && r.Level < slog.LevelInfo {
		r.Level = slog.LevelInfo
	}
	return h.Handler.Handle(ctx, r)
}

func (h schemaSteps) WithAttrs(attrs []slog.Attr) slog.Handler {
	var kept []slog.Attr
	for _, a := range attrs {
		if a.Key == "component" && a.Value.Kind() == slog.KindString && a.Value.String() == "schema" {
			h.schema = true
			continue
		}
		kept = append(kept, a)
	}
	if len(kept) > 0 {
		h.Handler = h.Handler.WithAttrs(kept)
	}
	return h
}

func (h schemaSteps) WithGroup(name string) slog.Handler {
	h.Handler = h.Handler.WithGroup(name)
	return h
}
