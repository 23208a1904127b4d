package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/httpapi"
	"github.com/stockroomhq/stockroom/internal/netbudget"
)

// budgetFlags are the serve flags that bound what requests, images and
// clients may take of the machine: memory, disk, files and connections.
type budgetFlags struct {
	previewCacheSize  string
	previewMemory     string
	imageMemory       string
	tempGrace         time.Duration
	minTransferRate   string
	transferGrace     time.Duration
	maxUploads        int
	maxConnsPerClient int
	allowHardLinks    bool
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
	fs.StringVar(&f.previewCacheSize, "preview-cache-size", env("PREVIEW_CACHE_SIZE", "1GiB"),
		"size cap of the cached previews; past it the least recently used go; 0 means no cap (PREVIEW_CACHE_SIZE)")
	fs.StringVar(&f.previewMemory, "preview-memory", env("PREVIEW_MEMORY", "32MiB"),
		"memory for previews served again without reading the cache (a read of the bucket with -blob-store); the least recently used go; 0 keeps none (PREVIEW_MEMORY)")
	integer := func(flagName, name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			badEnv[flagName] = fmt.Sprintf("%s=%q is not a number", name, v)
			return def
		}
		return n
	}
	fs.StringVar(&f.imageMemory, "image-memory", env("IMAGE_MEMORY", ""),
		"memory budget of all image work at once (previews, rotation, hashing); images that cost more are refused; default an eighth of the machine's memory, at most 512MiB (IMAGE_MEMORY)")
	fs.StringVar(&f.minTransferRate, "min-transfer-rate", env("MIN_TRANSFER_RATE", "4KiB"),
		"slowest a request body may arrive and a download be read, per second, after -transfer-grace; 0 means no bound (MIN_TRANSFER_RATE)")
	fs.DurationVar(&f.transferGrace, "transfer-grace", envDuration(getenv, badEnv, "transfer-grace", "TRANSFER_GRACE", httpapi.DefaultTransferGrace, false),
		"time a transfer gets beyond what -min-transfer-rate allows, and the longest it may stall (TRANSFER_GRACE)")
	fs.IntVar(&f.maxUploads, "max-concurrent-uploads", integer("max-concurrent-uploads", "MAX_CONCURRENT_UPLOADS", httpapi.DefaultMaxConcurrentUploads),
		"uploads and synchronous remote fetches at once; more get 503 with Retry-After; 0 means no bound (MAX_CONCURRENT_UPLOADS)")
	fs.IntVar(&f.maxConnsPerClient, "max-conns-per-client", integer("max-conns-per-client", "MAX_CONNS_PER_CLIENT", 128),
		"open connections per client IP address; more are answered 503 and closed; 0 means no bound (MAX_CONNS_PER_CLIENT)")
	links := false
	if v := getenv("ALT_FS_ALLOW_HARD_LINKS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			badEnv["alt-fs-allow-hard-links"] = fmt.Sprintf("ALT_FS_ALLOW_HARD_LINKS=%q is not a boolean (use true or false)", v)
		}
		links = b
	}
	fs.BoolVar(&f.allowHardLinks, "alt-fs-allow-hard-links", links,
		"serve -alt-fs files that have other hard links, which may be files from outside the folder (ALT_FS_ALLOW_HARD_LINKS)")
	fs.DurationVar(&f.tempGrace, "temp-grace", envDuration(getenv, badEnv, "temp-grace", "TEMP_GRACE", time.Hour, false),
		"temporary files of uploads older than this (left by a crash) are removed at start and periodically (TEMP_GRACE)")
}

// check validates the values once parsed.
func (f *budgetFlags) check() error {
	if _, err := parseSize(f.previewCacheSize); err != nil {
		return &usageError{"-preview-cache-size: " + err.Error()}
	}
	if _, err := parseSize(f.previewMemory); err != nil {
		return &usageError{"-preview-memory: " + err.Error()}
	}
	if f.imageMemory != "" {
		if n, err := parseSize(f.imageMemory); err != nil {
			return &usageError{"-image-memory: " + err.Error()}
		} else if n < 1<<20 {
			return &usageError{fmt.Sprintf("-image-memory %q: must be at least 1MiB", f.imageMemory)}
		}
	}
	if _, err := parseSize(f.minTransferRate); err != nil {
		return &usageError{"-min-transfer-rate: " + err.Error()}
	}
	if f.transferGrace <= 0 {
		return &usageError{fmt.Sprintf("-transfer-grace %v: must be positive", f.transferGrace)}
	}
	if f.maxUploads < 0 {
		return &usageError{fmt.Sprintf("-max-concurrent-uploads %d: must not be negative", f.maxUploads)}
	}
	if f.maxConnsPerClient < 0 {
		return &usageError{fmt.Sprintf("-max-conns-per-client %d: must not be negative", f.maxConnsPerClient)}
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
	if m, _ := parseSize(f.previewMemory); m == 0 {
		opts.Previews.MemorySize = -1 // none
	} else {
		opts.Previews.MemorySize = m
	}
	opts.ImageMemory, _ = parseSize(f.imageMemory) // "" is 0: the default
	opts.AltFSAllowHardLinks = f.allowHardLinks
}

// handler puts the client budgets into the handler's configuration.
func (f *budgetFlags) handler(cfg httpapi.Config) httpapi.Config {
	rate, _ := parseSize(f.minTransferRate)
	if rate == 0 {
		rate = -1 // no bound
	}
	cfg.MinTransferRate, cfg.TransferGrace = rate, f.transferGrace
	cfg.MaxConcurrentUploads = f.maxUploads
	if f.maxUploads == 0 {
		cfg.MaxConcurrentUploads = -1
	}
	return cfg
}

// listener bounds the connections of each client address.
func (f *budgetFlags) listener(ln net.Listener) net.Listener {
	return netbudget.LimitPerClient(ln, f.maxConnsPerClient)
}

// memSlack is what the server may use beyond the image budget: the
// database's cache, buffers of requests, the runtime.
const memSlack = 64 << 20

// tempCleaner is the blob store's removal of leftover temporary files
// (aferostore.Store).
type tempCleaner interface {
	CleanTemp(ctx context.Context, olderThan time.Duration) error
}

// start runs the server's housekeeping until ctx ends: temporary files
// older than -temp-grace are removed now and then every quarter of it
// (at most every 10 minutes).
//
// Unless GOMEMLIMIT is set, it also gives the Go runtime a soft memory
// limit of the image budget plus memSlack: a decoded image released to
// the budget is garbage only once collected, and by default the collector
// lets the heap grow to twice what is live before it runs.
func (f *budgetFlags) start(ctx context.Context, lib *stockroom.Library, logger *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(lib.Media.Budget().Size() + memSlack)
	}
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
