package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/resources"
)

// importCommand imports files and folders, into a data folder or, with
// -server, into a running server over the API.
type importCommand struct {
	// out receives progress, failures and the summary; nil means os.Stderr.
	out io.Writer
	// terminal reports whether out is a terminal (a progress bar) or not
	// (periodic lines); nil means: check os.Stderr.
	terminal func() bool
	// usageOut receives the help text of -h; nil means out.
	usageOut io.Writer
}

type importConfig struct {
	dataDir      string
	dbDSN        string
	fileSavePath string
	server       string
	workers      int
	tags         []string
	owner        string
	meta         resources.Meta
	interval     time.Duration
	paths        []string
}

func (c *importCommand) parse(args []string, getenv func(string) string) (*importConfig, error) {
	cfg := &importConfig{}
	fs := flag.NewFlagSet("stockroom import", flag.ContinueOnError)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var tags, meta string
	fs.StringVar(&cfg.dataDir, "data-dir", env("STOCKROOM_DATA_DIR", stockroom.DefaultDataDir), "data folder to import into (STOCKROOM_DATA_DIR)")
	fs.StringVar(&cfg.dbDSN, "db-dsn", env("DB_DSN", ""), "database file; default <data-dir>/stockroom.db (DB_DSN)")
	fs.StringVar(&cfg.fileSavePath, "file-save-path", env("FILE_SAVE_PATH", ""), "folder for the files; default <data-dir>/files (FILE_SAVE_PATH)")
	fs.StringVar(&cfg.server, "server", "", "import into the running server at this URL (http://host:port) instead of a data folder")
	fs.IntVar(&cfg.workers, "workers", 2, "files read and stored at once")
	fs.StringVar(&tags, "tags", "", "comma-separated tag names to put on every file (created when missing)")
	fs.StringVar(&cfg.owner, "owner", "", "name of the group that owns the files (created when missing)")
	fs.StringVar(&meta, "meta", "", "JSON object of metadata for every file")
	fs.DurationVar(&cfg.interval, "progress-interval", 5*time.Second, "how often to print progress when not on a terminal")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			out := c.usageOut
			if out == nil {
				out = c.output()
			}
			fs.SetOutput(out)
			fmt.Fprintf(out, "usage: stockroom import [flags] PATH...\n\n"+
				"Imports files, and folders recursively, skipping content already stored.\n"+
				"Run again after an interruption, it carries on without duplicating anything.\n\nflags:\n")
			fs.PrintDefaults()
			return nil, err
		}
		return nil, &usageError{err.Error()}
	}
	cfg.paths = fs.Args()
	if len(cfg.paths) == 0 {
		return nil, &usageError{"import: give at least one file or folder"}
	}
	if cfg.workers < 1 || cfg.workers > 64 {
		return nil, &usageError{fmt.Sprintf("-workers %d: want 1 to 64", cfg.workers)}
	}
	if cfg.interval <= 0 {
		return nil, &usageError{"-progress-interval must be positive"}
	}
	for _, t := range strings.Split(tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			cfg.tags = append(cfg.tags, t)
		}
	}
	if strings.TrimSpace(meta) != "" {
		m, err := resources.ParseMeta([]byte(meta))
		if err != nil {
			return nil, &usageError{"-meta: must be a JSON object"}
		}
		cfg.meta = m
	}
	if cfg.server != "" && !strings.HasPrefix(cfg.server, "http://") && !strings.HasPrefix(cfg.server, "https://") {
		return nil, &usageError{fmt.Sprintf("-server %q: want an http:// or https:// URL", cfg.server)}
	}
	return cfg, nil
}

func (c *importCommand) output() io.Writer {
	if c.out != nil {
		return c.out
	}
	return os.Stderr
}

// importFile is one file to import.
type importFile struct {
	path string // absolute
	size int64
}

// importTarget stores files: a data folder or a server.
type importTarget interface {
	// prepare resolves the tags and the owner.
	prepare(ctx context.Context, cfg *importConfig) error
	// store imports one file; it may report its outcome later, through
	// done, when it batches.
	store(ctx context.Context, f importFile, done func(outcome, error))
	// flush waits for every outcome.
	flush(ctx context.Context)
	close() error
}

type outcome int

const (
	imported outcome = iota
	skipped
	failed
)

// importStats counts what happened.
type importStats struct {
	files, bytes                int64 // found
	doneFiles, doneBytes        atomic.Int64
	imported, skipped, failures atomic.Int64
	importedBytes               atomic.Int64
}

// Run imports the paths of args and prints a summary. It fails when any
// file failed or when ctx ended first.
func (c *importCommand) Run(ctx context.Context, args []string, getenv func(string) string) error {
	cfg, err := c.parse(args, getenv)
	if err != nil {
		return err
	}
	out := c.output()
	var target importTarget
	if cfg.server != "" {
		target = newServerTarget(cfg.server)
	} else {
		t, err := openLocalTarget(ctx, cfg)
		if err != nil {
			return err
		}
		target = t
	}
	defer target.close()
	if err := target.prepare(ctx, cfg); err != nil {
		return err
	}

	files, problems := collectFiles(cfg.paths)
	stats := &importStats{files: int64(len(files))}
	for _, f := range files {
		stats.bytes += f.size
	}
	var outMu sync.Mutex
	report := &progress{out: out, stats: stats, interval: cfg.interval}
	terminal := c.terminal
	if terminal == nil {
		terminal = func() bool { return term.IsTerminal(int(os.Stderr.Fd())) }
	}
	if terminal() {
		report.bar = progressbar.NewOptions64(stats.bytes,
			progressbar.OptionSetWriter(out),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSetDescription(fmt.Sprintf("0/%d files", stats.files)),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(out) }),
		)
	}
	fail := func(path string, err error) {
		outMu.Lock()
		defer outMu.Unlock()
		if report.bar != nil {
			report.bar.Clear()
		}
		fmt.Fprintf(out, "import: %s: %v\n", path, err)
	}
	for _, p := range problems {
		stats.failures.Add(1)
		fail(p.path, p.err)
	}

	start := time.Now()
	report.start(start)
	work := make(chan importFile)
	var wg sync.WaitGroup
	for range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				target.store(ctx, f, func(o outcome, err error) {
					switch o {
					case imported:
						stats.imported.Add(1)
						stats.importedBytes.Add(f.size)
					case skipped:
						stats.skipped.Add(1)
					default:
						stats.failures.Add(1)
						if ctx.Err() == nil {
							fail(f.path, err)
						}
					}
					stats.doneFiles.Add(1)
					stats.doneBytes.Add(f.size)
					report.step(f.size)
				})
			}
		}()
	}
feed:
	for _, f := range files {
		select {
		case work <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	target.flush(context.WithoutCancel(ctx))
	report.stop()
	elapsed := time.Since(start)

	done := stats.doneFiles.Load()
	mb := float64(stats.doneBytes.Load()) / 1e6
	secs := max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(out, "import: %d of %d files in %s: %d imported, %d already stored, %d failed; %.1f MB at %.1f MB/s, %.1f files/s\n",
		done, stats.files, elapsed.Round(time.Millisecond), stats.imported.Load(), stats.skipped.Load(), stats.failures.Load(),
		mb, mb/secs, float64(done)/secs)
	if ctx.Err() != nil {
		return fmt.Errorf("import interrupted after %d of %d files; run the same command again to carry on", done, stats.files)
	}
	if n := stats.failures.Load(); n > 0 {
		return fmt.Errorf("%d files failed to import", n)
	}
	return nil
}

type pathProblem struct {
	path string
	err  error
}

// collectFiles lists the regular files of paths, folders recursively
// (symbolic links to files are followed, to folders not), in a stable order.
func collectFiles(paths []string) ([]importFile, []pathProblem) {
	var files []importFile
	var problems []pathProblem
	seen := map[string]bool{}
	add := func(p string, fi fs.FileInfo) {
		if !fi.Mode().IsRegular() || seen[p] {
			return
		}
		seen[p] = true
		files = append(files, importFile{path: p, size: fi.Size()})
	}
	for _, arg := range paths {
		abs, err := filepath.Abs(arg)
		if err != nil {
			problems = append(problems, pathProblem{arg, err})
			continue
		}
		fi, err := os.Stat(abs)
		if err != nil {
			problems = append(problems, pathProblem{arg, err})
			continue
		}
		if !fi.IsDir() {
			add(abs, fi)
			continue
		}
		err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				problems = append(problems, pathProblem{p, err})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			fi, err := os.Stat(p) // follows a link to a file
			if err != nil {
				problems = append(problems, pathProblem{p, err})
				return nil
			}
			add(p, fi)
			return nil
		})
		if err != nil {
			problems = append(problems, pathProblem{arg, err})
		}
	}
	return files, problems
}

// progress shows how far the import is: a bar on a terminal, a line every
// interval otherwise.
type progress struct {
	out      io.Writer
	stats    *importStats
	interval time.Duration
	bar      *progressbar.ProgressBar
	begin    time.Time
	stopc    chan struct{}
	wg       sync.WaitGroup
}

func (p *progress) start(t time.Time) {
	p.begin = t
	if p.bar != nil {
		return
	}
	p.stopc = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(p.interval)
		defer tick.Stop()
		for {
			select {
			case <-p.stopc:
				return
			case <-tick.C:
				p.line()
			}
		}
	}()
}

func (p *progress) step(size int64) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(fmt.Sprintf("%d/%d files", p.stats.doneFiles.Load(), p.stats.files))
	p.bar.Add64(size)
}

func (p *progress) line() {
	s := p.stats
	done, bytes := s.doneFiles.Load(), s.doneBytes.Load()
	secs := max(time.Since(p.begin).Seconds(), 1e-9)
	rate := float64(bytes) / secs
	eta := "unknown"
	if rate > 0 {
		eta = time.Duration(float64(s.bytes-bytes) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.out, "import: %d/%d files (%d imported, %d already stored, %d failed), %.1f of %.1f MB, %.1f MB/s, %.1f files/s, about %s left\n",
		done, s.files, s.imported.Load(), s.skipped.Load(), s.failures.Load(), float64(bytes)/1e6, float64(s.bytes)/1e6,
		rate/1e6, float64(done)/secs, eta)
}

func (p *progress) stop() {
	if p.bar != nil {
		p.bar.Finish()
		return
	}
	close(p.stopc)
	p.wg.Wait()
}
