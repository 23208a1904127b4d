package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/stockroomhq/stockroom"
)

// budgetFlags are the serve flags that bound what requests, images and
// clients may take of the machine: memory, disk, files and connections.
type budgetFlags struct {
	previewCacheSize string
	tempGrace        time.Duration
}

// register adds the flags to fs, with their environment variables; a
// variable that does not parse is reported in badEnv under its flag.
func (f *budgetFlags) register(fs *flag.FlagSet, getenv func(string) string, badEnv map[string]string) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	duration := func(flagName, name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			badEnv[flagName] = fmt.Sprintf("%s=%q is not a positive duration (e.g. 1h)", name, v)
			return def
		}
		return d
	}
	fs.StringVar(&f.previewCacheSize, "preview-cache-size", env("PREVIEW_CACHE_SIZE", "1GiB"),
		"size cap of the cached previews; past it the least recently used go; 0 means no cap (PREVIEW_CACHE_SIZE)")
	fs.DurationVar(&f.tempGrace, "temp-grace", duration("temp-grace", "TEMP_GRACE", time.Hour),
		"temporary files of uploads older than this (left by a crash) are removed at start and periodically (TEMP_GRACE)")
}

// check validates the values once parsed.
func (f *budgetFlags) check() error {
	if _, err := parseSize(f.previewCacheSize); err != nil {
		return &usageError{"-preview-cache-size: " + err.Error()}
	}
	if f.tempGrace <= 0 {
		return &usageError{fmt.Sprintf("-temp-grace %v: must be positive", f.tempGrace)}
	}
	return nil
}

// apply puts the library's budgets into opts; call it after the media
// flags' apply.
func (f *budgetFlags) apply(opts *stockroom.Options) {
	n, _ := parseSize(f.previewCacheSize)
	if n == 0 {
		n = -1 // no cap
	}
	opts.Previews.CacheSize = n
}

// tempCleaner is the blob store's removal of leftover temporary files
// (aferostore.Store).
type tempCleaner interface {
	CleanTemp(ctx context.Context, olderThan time.Duration) error
}

// start runs the server's housekeeping until ctx ends: temporary files
// older than -temp-grace are removed now and then every quarter of it
// (at most every 10 minutes).
func (f *budgetFlags) start(ctx context.Context, lib *stockroom.Library, logger *slog.Logger) {
	if c, ok := lib.Blobs.(tempCleaner); ok {
		go cleanTempLoop(ctx, c, f.tempGrace, min(f.tempGrace/4, 10*time.Minute), logger)
	}
}

// cleanTempLoop calls CleanTemp at once and then every period until ctx
// ends.
func cleanTempLoop(ctx context.Context, c tempCleaner, grace, period time.Duration, logger *slog.Logger) {
	t := time.NewTicker(max(period, time.Millisecond))
	defer t.Stop()
	for {
		if err := c.CleanTemp(ctx, grace); err != nil && ctx.Err() == nil {
			logger.Warn("removing old temporary files", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
