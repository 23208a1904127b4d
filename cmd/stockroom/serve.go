package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/afero"
	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/httpapi"
	"github.com/stockroomhq/stockroom/internal/procs"
	"github.com/stockroomhq/stockroom/webui"
)

// serveCommand runs the HTTP server until its context ends.
type serveCommand struct {
	// ready, when set, receives the address the server listens on.
	ready func(addr string)
	// logOut receives the logs; nil means os.Stderr.
	logOut io.Writer
	// usageOut receives the help text of -h; nil means os.Stderr.
	usageOut io.Writer
	// reexec, when set, starts the process over with a timer slack (see
	// -timer-slack) unless it has that much already; it returns at once
	// then, and otherwise only when it cannot. Run calls it once, first.
	// Only main sets it: a test that serves in process must not be
	// replaced.
	reexec func(slack time.Duration) error
}

// serveConfig is what the flags and their environment variables say.
type serveConfig struct {
	bindAddress     string
	dataDir         string
	dbType          string
	dbDSN           string
	fileSavePath    string
	ephemeral       bool
	memoryDB        bool
	memoryFS        bool
	maxUploadSize   string
	allowDuplicates bool
	logFormat       string
	logLevel        slog.Level
	altFS           multiFlag
	allowPrivate    string
	intake          intakeFlags
	media           mediaFlags
	access          accessFlags
	budget          budgetFlags
	blobs           blobFlags
	ops             opsFlags
	ffmpegPath      string
	shutdownTimeout time.Duration
	adaptiveProcs   bool
	timerSlack      time.Duration
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (c *serveCommand) parse(args []string, getenv func(string) string) (*serveConfig, error) {
	cfg := &serveConfig{}
	fs := flag.NewFlagSet("stockroom serve", flag.ContinueOnError)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	// A variable that is set but not a boolean is reported after parsing,
	// unless its flag was given and overrides it.
	badEnv := map[string]string{} // flag name -> problem
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
	fs.StringVar(&cfg.bindAddress, "bind-address", env("BIND_ADDRESS", "127.0.0.1:8181"), "address to listen on (BIND_ADDRESS); \":8181\" listens on every interface")
	fs.StringVar(&cfg.dataDir, "data-dir", env("STOCKROOM_DATA_DIR", stockroom.DefaultDataDir), "folder for the database and the files (STOCKROOM_DATA_DIR)")
	fs.StringVar(&cfg.dbType, "db-type", env("DB_TYPE", "SQLITE"), "database type: SQLITE or POSTGRES (DB_TYPE)")
	fs.StringVar(&cfg.dbDSN, "db-dsn", env("DB_DSN", ""), "database file for SQLITE (default <data-dir>/stockroom.db), postgres://... URL for POSTGRES (DB_DSN)")
	fs.StringVar(&cfg.fileSavePath, "file-save-path", env("FILE_SAVE_PATH", ""), "folder for the files; default <data-dir>/files (FILE_SAVE_PATH)")
	fs.BoolVar(&cfg.ephemeral, "ephemeral", envBool("ephemeral", "EPHEMERAL"), "keep database and files in memory; everything is gone on exit (EPHEMERAL)")
	fs.BoolVar(&cfg.memoryDB, "memory-db", envBool("memory-db", "MEMORY_DB"), "keep the database in memory (MEMORY_DB)")
	fs.BoolVar(&cfg.memoryFS, "memory-fs", envBool("memory-fs", "MEMORY_FS"), "keep the files in memory (MEMORY_FS)")
	fs.StringVar(&cfg.maxUploadSize, "max-upload-size", env("MAX_UPLOAD_SIZE", "32GiB"), "largest upload body, in bytes or with a unit: 500MB, 2GiB (MAX_UPLOAD_SIZE)")
	fs.BoolVar(&cfg.allowDuplicates, "allow-duplicates", envBool("allow-duplicates", "ALLOW_DUPLICATES"), "store identical uploads as separate resources sharing one file, instead of a 409 (ALLOW_DUPLICATES)")
	fs.StringVar(&cfg.logFormat, "log-format", env("LOG_FORMAT", "text"), "log format: text or json (LOG_FORMAT)")
	logLevel := fs.String("log-level", env("LOG_LEVEL", "info"), "least level logged: debug, info, warn or error; schema steps are always shown (LOG_LEVEL)")
	fs.Var(&cfg.altFS, "alt-fs", "alternative filesystem key:path, repeatable (FILE_ALT_NAME_N/FILE_ALT_PATH_N); used by local resources")
	fs.StringVar(&cfg.allowPrivate, "allow-private-fetch", env("ALLOW_PRIVATE_FETCH", ""), "IPs/CIDRs that remote fetches may reach despite being private (ALLOW_PRIVATE_FETCH)")
	cfg.intake.register(fs, getenv, badEnv)
	cfg.media.register(fs, getenv, badEnv)
	cfg.access.register(fs, getenv, badEnv)
	cfg.budget.register(fs, getenv, badEnv)
	cfg.blobs.register(fs, getenv, badEnv)
	cfg.ops.register(fs, getenv, badEnv)
	fs.StringVar(&cfg.ffmpegPath, "ffmpeg-path", env("FFMPEG_PATH", ""), "ffmpeg binary for video previews (FFMPEG_PATH)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", envDuration(getenv, badEnv, "shutdown-timeout", "SHUTDOWN_TIMEOUT", 30*time.Second, false), "how long to let requests finish on SIGINT/SIGTERM (SHUTDOWN_TIMEOUT)")
	adaptive := getenv("ADAPTIVE_PROCS") == "" || envBool("adaptive-procs", "ADAPTIVE_PROCS")
	fs.DurationVar(&cfg.timerSlack, "timer-slack", envDuration(getenv, badEnv, "timer-slack", "TIMER_SLACK", time.Millisecond, true), "on Linux, how late a timer may wake the server's threads, so that wake-ups come together: fewer context switches per request; 0 keeps the system's (TIMER_SLACK)")
	fs.BoolVar(&cfg.adaptiveProcs, "adaptive-procs", adaptive, "run Go on one CPU while serving one request at a time, on all of them as soon as there is more; off when GOMAXPROCS is set (ADAPTIVE_PROCS)")
	// The flag package would print parse errors and the whole usage text
	// itself; main prints the error once, and the usage only on -h.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			out := c.usageOut
			if out == nil {
				out = os.Stderr
			}
			fs.SetOutput(out)
			fmt.Fprintf(out, "usage: stockroom [serve] [flags]\n\nflags (each may also come from the environment variable in brackets):\n")
			fs.PrintDefaults()
			return nil, err
		}
		return nil, &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, problem := range badEnv {
		if !given[name] {
			return nil, &usageError{problem}
		}
	}
	if !given["alt-fs"] {
		// The -alt-fs flags replace the variables, as every flag does.
		for i := 1; ; i++ {
			name, path := getenv(fmt.Sprintf("FILE_ALT_NAME_%d", i)), getenv(fmt.Sprintf("FILE_ALT_PATH_%d", i))
			if name == "" && path == "" {
				break
			}
			if name == "" || path == "" {
				return nil, &usageError{fmt.Sprintf("FILE_ALT_NAME_%d and FILE_ALT_PATH_%d must be set together", i, i)}
			}
			cfg.altFS = append(cfg.altFS, name+":"+path)
		}
	}
	for _, a := range cfg.altFS {
		if key, path, ok := strings.Cut(a, ":"); !ok || key == "" || path == "" {
			return nil, &usageError{fmt.Sprintf("-alt-fs %q: want key:path", a)}
		}
	}
	if err := cfg.intake.check(cfg.allowPrivate); err != nil {
		return nil, err
	}
	if err := cfg.media.check(); err != nil {
		return nil, err
	}
	if err := cfg.access.check(cfg.bindAddress); err != nil {
		return nil, err
	}
	if err := cfg.budget.check(); err != nil {
		return nil, err
	}
	if err := cfg.blobs.check(cfg); err != nil {
		return nil, err
	}
	if err := cfg.ops.check(); err != nil {
		return nil, err
	}
	if err := cfg.checkPostgres(); err != nil {
		return nil, err
	}
	if isMemoryDSN(cfg.dbDSN) && !cfg.postgres() {
		cfg.memoryDB = true
	}
	if !strings.EqualFold(cfg.dbType, "SQLITE") && !cfg.postgres() {
		return nil, &usageError{fmt.Sprintf("-db-type %q is not supported; use SQLITE or POSTGRES", cfg.dbType)}
	}
	if cfg.logFormat != "text" && cfg.logFormat != "json" {
		return nil, &usageError{fmt.Sprintf("-log-format %q: want text or json", cfg.logFormat)}
	}
	if err := cfg.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return nil, &usageError{fmt.Sprintf("-log-level %q: want debug, info, warn or error", *logLevel)}
	}
	if n, err := parseSize(cfg.maxUploadSize); err != nil {
		return nil, &usageError{"-max-upload-size: " + err.Error()}
	} else if n <= 0 {
		return nil, &usageError{fmt.Sprintf("-max-upload-size %q: must be at least one byte", cfg.maxUploadSize)}
	}
	if cfg.shutdownTimeout <= 0 {
		return nil, &usageError{fmt.Sprintf("-shutdown-timeout %v: must be positive", cfg.shutdownTimeout)}
	}
	if cfg.timerSlack < 0 || cfg.timerSlack > maxTimerSlack {
		return nil, &usageError{fmt.Sprintf("-timer-slack %v: want 0 to %v", cfg.timerSlack, maxTimerSlack)}
	}
	return cfg, nil
}

// envDuration is the duration in the variable name, or def when it is
// unset. One that does not parse, is negative, or is zero unless zeroOK,
// is reported in badEnv under flagName, for parse to refuse unless the
// flag is given.
func envDuration(getenv func(string) string, badEnv map[string]string, flagName, name string, def time.Duration, zeroOK bool) time.Duration {
	v := getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil || d < 0:
		badEnv[flagName] = fmt.Sprintf("%s=%q is not a duration (e.g. 30s)", name, v)
	case d == 0 && !zeroOK:
		badEnv[flagName] = fmt.Sprintf("%s=%q: must be more than zero", name, v)
	default:
		return d
	}
	return def
}

// Run parses args and serves until ctx ends, then shuts down gracefully:
// requests in flight may finish within -shutdown-timeout, and the database
// is closed (and its WAL checkpointed) before Run returns.
func (c *serveCommand) Run(ctx context.Context, args []string, getenv func(string) string) (err error) {
	cfg, err := c.parse(args, getenv)
	if err != nil {
		return err
	}
	// First of all, as the process starts over from here.
	var slackErr error
	if c.reexec != nil {
		slackErr = c.reexec(cfg.timerSlack)
	}
	out := c.logOut
	if out == nil {
		out = os.Stderr
	}
	// The library logs routine events at Debug; operatorHandler picks
	// what to print.
	format := func(w io.Writer) slog.Handler {
		if cfg.logFormat == "json" {
			return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
		}
		return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	lines := newLogBuffer(out, accessLogDelay)
	defer lines.Flush()
	// schemaSteps shows the schema steps at Info without their marker.
	var handler slog.Handler = newOperatorHandler(schemaSteps{Handler: format(lines.Now())}, cfg.logLevel)
	logger := slog.New(handler)
	// Bind first: the first line says where the server listens and what
	// it stores where, before any schema step.
	ln, err := net.Listen("tcp", cfg.bindAddress)
	if err != nil {
		return err
	}
	defer ln.Close() // srv.Serve closes it too; this covers a failed Open
	if err := cfg.access.checkListen(ln.Addr()); err != nil {
		return err
	}
	ln = cfg.budget.listener(ln)

	opts := stockroom.Options{
		DataDir:         cfg.dataDir,
		DBPath:          cfg.sqlitePath(),
		PostgresDSN:     cfg.postgresDSN(),
		FilesDir:        cfg.fileSavePath,
		MemoryDB:        cfg.memoryDB || cfg.ephemeral,
		AllowDuplicates: cfg.allowDuplicates,
		Logger:          logger,
	}
	if cfg.memoryFS || cfg.ephemeral {
		opts.Fs = afero.NewMemMapFs()
	}
	if err := cfg.intake.apply(&opts, cfg.altFS, cfg.allowPrivate); err != nil {
		return err
	}
	cfg.media.apply(&opts, cfg.ffmpegPath)
	cfg.budget.apply(&opts)
	cfg.ops.apply(&opts)
	if err := cfg.blobs.open(ctx, &opts, cfg.dataDir); err != nil {
		return err
	}
	if c, ok := opts.Blobs.(io.Closer); ok {
		defer c.Close() // after the library's: a bucket's copies in progress
	}
	logger.Info("listening", append([]any{"addr", "http://" + ln.Addr().String()}, storageAttrs(opts)...)...)
	if slackErr != nil {
		logger.Warn("serving with the system's timer slack", "err", slackErr)
	}
	lib, err := stockroom.Open(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			// Stopped while opening (a signal during a long schema
			// step): what was asked for, not a failure.
			logger.Info("stopped before serving")
			return nil
		}
		return err
	}
	closed := false
	defer func() {
		if closed {
			return
		}
		if cerr := lib.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the database: %w", cerr)
		}
	}()

	cfg.budget.start(ctx, lib, logger)
	maxUpload, _ := parseSize(cfg.maxUploadSize)
	hcfg := httpapi.Config{
		Store:         lib.Store,
		Versions:      lib.Versions,
		Query:         lib.Query,
		MaxUploadSize: maxUpload,
		Logger:        logger,
		AccessLogger:  slog.New(newOperatorHandler(format(lines), cfg.logLevel)),
		Fetcher:       lib.Fetcher,
		Jobs:          lib.Jobs,
		Media:         lib.Media,
		Previews:      lib.Previews,

		PresignDownloads: cfg.blobs.presign,
	}
	cfg.ops.serve(ctx, &hcfg, lib)
	if err := cfg.access.apply(ctx, &hcfg, lib, cfg.bindAddress, logger); err != nil {
		return err
	}
	// The paths httpapi answers are its; every other path is the web UI's.
	api, mux := httpapi.NewHandler(cfg.budget.handler(hcfg)), http.NewServeMux()
	for _, p := range httpapi.Paths() {
		mux.Handle(p, api)
	}
	mux.Handle("/", webui.NewHandler(webui.Config{Store: lib.Store, Versions: lib.Versions, Query: lib.Query,
		Access: hcfg.Access, Principal: hcfg.Principal, LinkTTL: hcfg.LinkTTL, Logger: logger, AllowedHosts: hcfg.AllowedHosts}))
	if cfg.adaptiveProcs && getenv("GOMAXPROCS") == "" {
		governed := make(chan struct{})
		gctx, stopGoverning := context.WithCancel(ctx)
		go func() { defer close(governed); procs.Govern(gctx, procsWindow) }()
		defer func() { stopGoverning(); <-governed }()
	}
	srv := &http.Server{
		Handler:           counted(mux),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	// Event streams of the download queue end when shutdown begins, or
	// they would hold it until its timeout.
	srv.RegisterOnShutdown(func() { lib.Jobs.Close() })
	startPprof(getenv("STOCKROOM_PPROF"), logger)
	if c.ready != nil {
		c.ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running after the timeout are cut off.
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	closed = true
	if err := lib.Close(); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// dsnPath turns a SQLite DSN as the reference application takes it ("x.db",
// "file:x.db?...", "file:///abs/x.db") into a file path. A memory DSN has
// no path.
func dsnPath(dsn string) string {
	if isMemoryDSN(dsn) {
		return ""
	}
	dsn = strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(dsn, '?'); i >= 0 {
		dsn = dsn[:i]
	}
	if strings.HasPrefix(dsn, "//") {
		// A URI filename: file://[localhost]/path.
		dsn = strings.TrimPrefix(strings.TrimPrefix(dsn, "//"), "localhost")
		if !strings.HasPrefix(dsn, "/") {
			return "" // another host: not a local file
		}
	}
	if dsn == "" {
		return ""
	}
	return filepath.Clean(dsn)
}

// isMemoryDSN reports whether a SQLite DSN names an in-memory database
// (":memory:", "file::memory:?cache=shared", "file:x?mode=memory"), which
// would otherwise become a file of that name.
func isMemoryDSN(dsn string) bool {
	name, q, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if name == ":memory:" {
		return true
	}
	for _, kv := range strings.Split(q, "&") {
		if strings.EqualFold(kv, "mode=memory") {
			return true
		}
	}
	return false
}

// parseSize reads a byte count with an optional unit (K, KB, KiB, M, MB,
// MiB, G, GB, GiB, T...; decimal for KB/MB, binary for KiB/MiB and bare
// letters).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToUpper(strings.TrimSpace(s[i:]))
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	mult := map[string]float64{
		"": 1, "B": 1,
		"K": 1 << 10, "KIB": 1 << 10, "KB": 1e3,
		"M": 1 << 20, "MIB": 1 << 20, "MB": 1e6,
		"G": 1 << 30, "GIB": 1 << 30, "GB": 1e9,
		"T": 1 << 40, "TIB": 1 << 40, "TB": 1e12,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q", s, unit)
	}
	// float64(math.MaxInt64) rounds up to 2^63, which does not fit.
	if n := f * mult; n >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(f * mult), nil
}

// maxTimerSlack bounds -timer-slack: more would make the server's own
// timers (timeouts, the procs governor's window) late by more than a
// rounding.
const maxTimerSlack = 50 * time.Millisecond

// procsWindow is the window of procs.Govern: after a few of them in a row
// in which the server served no more than one request at a time (and ran
// no more than one background batch) it narrows Go to one CPU; long
// enough that a steady stream of requests from several clients keeps
// all of them.
const procsWindow = 100 * time.Millisecond

// counted counts each request as a piece of work for procs.Govern, until
// it ends or says it will mostly wait (procs.Done).
func counted(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, end := procs.Start(r.Context())
		defer end()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
