package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/stockroomhq/stockroom"
)

// schemaComponent is the "component" attribute of the library's schema
// logger (stockroom.Open adds it).
const schemaComponent = "schema"

// operatorHandler decides what the server prints. The library logs routine
// events at Debug; the server shows records from min up and, whatever min,
// the schema steps: a step that builds an index on a large library can take
// minutes, and a server that says nothing meanwhile looks stuck.
type operatorHandler struct {
	inner  slog.Handler // enabled from Debug up
	min    slog.Level
	schema bool // the logger carries component=schema
}

func newOperatorHandler(inner slog.Handler, min slog.Level) *operatorHandler {
	return &operatorHandler{inner: inner, min: min}
}

func (h *operatorHandler) Enabled(ctx context.Context, l slog.Level) bool {
	if l >= h.min {
		return true
	}
	return h.schema && l >= slog.LevelDebug
}

func (h *operatorHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.Handle(ctx, r)
}

func (h *operatorHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	schema := h.schema
	for _, a := range attrs {
		if a.Key == "component" {
			// A logger narrowed to another component is not the schema's.
			schema = a.Value.String() == schemaComponent
		}
	}
	return &operatorHandler{inner: h.inner.WithAttrs(attrs), min: h.min, schema: schema}
}

func (h *operatorHandler) WithGroup(name string) slog.Handler {
	return &operatorHandler{inner: h.inner.WithGroup(name), min: h.min, schema: h.schema}
}

// storageAttrs say, for the first line, where the library keeps its data:
// the data folder, and the database or the files when they are elsewhere
// or in memory.
func storageAttrs(opts stockroom.Options) []any {
	if opts.MemoryDB && opts.Fs != nil {
		return []any{"data", "in memory, gone on exit"}
	}
	attrs := []any{"data", absPath(opts.DataDir)}
	switch {
	case opts.MemoryDB:
		attrs = append(attrs, "database", "in memory")
	case opts.DBPath != "":
		attrs = append(attrs, "database", absPath(opts.DBPath))
	}
	switch {
	case opts.Blobs != nil:
		attrs = append(attrs, "files", "object storage")
	case opts.Fs != nil:
		attrs = append(attrs, "files", "in memory")
	case opts.FilesDir != "":
		attrs = append(attrs, "files", absPath(opts.FilesDir))
	}
	return attrs
}

// absPath makes a path absolute, so that the operator knows which folder
// whatever the working directory; it keeps the path when that fails.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
