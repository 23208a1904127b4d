package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/blobstore"
)

// storeFlags say where a library is, with serve's flags and variables:
// the data folder, the database, the files (folder or bucket) and the
// alternative filesystems.
type storeFlags struct {
	db           dbFlags
	fileSavePath string
	altFS        multiFlag
	blobs        blobFlags
}

func (s *storeFlags) register(fs *flag.FlagSet, getenv func(string) string, badEnv map[string]string) {
	s.db.register(fs, getenv)
	fs.StringVar(&s.fileSavePath, "file-save-path", getenv("FILE_SAVE_PATH"), "folder for the files; default <data-dir>/files (FILE_SAVE_PATH)")
	fs.Var(&s.altFS, "alt-fs", "alternative filesystem key:path, repeatable (FILE_ALT_NAME_N/FILE_ALT_PATH_N)")
	s.blobs.register(fs, getenv, badEnv)
}

// open opens the library with no background work: the server may be
// running on the same folder.
func (s *storeFlags) open(ctx context.Context, fs *flag.FlagSet, getenv func(string) string) (*stockroom.Library, error) {
	if !strings.EqualFold(s.db.dbType, "SQLITE") {
		return nil, &usageError{fmt.Sprintf("-db-type %q is not supported yet; use SQLITE", s.db.dbType)}
	}
	if isMemoryDSN(s.db.dbDSN) {
		return nil, &usageError{"-db-dsn: a database in memory holds nothing for this command"}
	}
	// Opening would create an empty library where there is none.
	dbFile := dsnPath(s.db.dbDSN)
	if dbFile == "" {
		dbFile = filepath.Join(s.db.dataDir, "stockroom.db")
	}
	if _, err := os.Stat(dbFile); err != nil {
		return nil, fmt.Errorf("no library at %s: %w", dbFile, err)
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "alt-fs" })
	if !given {
		for i := 1; ; i++ {
			name, path := getenv(fmt.Sprintf("FILE_ALT_NAME_%d", i)), getenv(fmt.Sprintf("FILE_ALT_PATH_%d", i))
			if name == "" && path == "" {
				break
			}
			s.altFS = append(s.altFS, name+":"+path)
		}
	}
	opts := stockroom.Options{
		DataDir:            s.db.dataDir,
		DBPath:             dsnPath(s.db.dbDSN),
		FilesDir:           s.fileSavePath,
		DisableJobs:        true,
		DisableMediaWorker: true,
		Logger:             slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, a := range s.altFS {
		key, path, ok := strings.Cut(a, ":")
		if !ok || key == "" || path == "" {
			return nil, &usageError{fmt.Sprintf("-alt-fs %q: want key:path", a)}
		}
		if opts.AltFS == nil {
			opts.AltFS = map[string]string{}
		}
		opts.AltFS[key] = path
	}
	if err := s.blobs.check(&serveConfig{fileSavePath: s.fileSavePath}); err != nil {
		return nil, err
	}
	// No local copies of the bucket's files: opening them removes those
	// found, which are a running server's, and a command reads a file once.
	s.blobs.s3.CacheSize = 0
	if err := s.blobs.open(ctx, &opts, s.db.dataDir); err != nil {
		return nil, err
	}
	return stockroom.Open(ctx, opts)
}

// opsCommand runs verify, gc, backup and restore.
type opsCommand struct {
	stdout, stderr io.Writer
	// terminal reports whether stderr shows progress; nil: check os.Stderr.
	terminal func() bool
}

const opsUsage = `stockroom verify [-sample N | -from HASH -limit N | -cursor-file FILE -limit N] [-rate MB/s]
       stockroom gc [-grace 1h] [-dry-run]
       stockroom backup DEST
       stockroom restore SRC   (into the empty folder of -data-dir)`

// parse parses args for the command name; the flags come before paths.
func (c *opsCommand) parse(fs *flag.FlagSet, args []string, getenv func(string) string, badEnv map[string]string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(c.stdout)
			fmt.Fprintf(c.stdout, "usage: %s\n\nflags (each may also come from the environment variable in brackets):\n", opsUsage)
			fs.PrintDefaults()
			return err
		}
		return &usageError{err.Error()}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, problem := range badEnv {
		if !given[name] {
			return &usageError{problem}
		}
	}
	return nil
}

func (c *opsCommand) Run(ctx context.Context, name string, args []string, getenv func(string) string) error {
	var sf storeFlags
	badEnv := map[string]string{}
	fs := flag.NewFlagSet("stockroom "+name, flag.ContinueOnError)
	sf.register(fs, getenv, badEnv)
	switch name {
	case "verify":
		sample := fs.Int("sample", 0, "re-hash only this many blobs, picked at random")
		from := fs.String("from", "", "start after this hash (hash order)")
		limit := fs.Int("limit", 0, "re-hash at most this many blobs (with -from or -cursor-file)")
		cursor := fs.String("cursor-file", "", "read where to start from this file and write where the next run starts; with -limit, checks a large store a slice at a time")
		rate := fs.Float64("rate", 0, "read at most this many MB per second (0: no limit)")
		if err := c.parse(fs, args, getenv, badEnv); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
		opts := stockroom.VerifyOptions{Sample: *sample, Limit: *limit, Rate: int64(*rate * 1e6)}
		start := *from
		if *cursor != "" && start == "" {
			b, err := os.ReadFile(*cursor)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			start = strings.TrimSpace(string(b))
		}
		if start != "" {
			h, err := blobstore.ParseHash(start)
			if err != nil {
				return &usageError{"-from: " + err.Error()}
			}
			opts.From = h
		}
		lib, err := sf.open(ctx, fs, getenv)
		if err != nil {
			return err
		}
		defer lib.Close()
		return c.verify(ctx, lib, opts, *cursor)
	case "gc":
		grace := fs.Duration("grace", stockroom.DefaultGCGrace, "remove only what is older than this, so uploads in flight in a running server are never touched")
		dry := fs.Bool("dry-run", false, "report what would be removed and remove nothing")
		if err := c.parse(fs, args, getenv, badEnv); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
		if *grace <= 0 {
			*grace = -1
		}
		lib, err := sf.open(ctx, fs, getenv)
		if err != nil {
			return err
		}
		defer lib.Close()
		rep, err := lib.GC(ctx, stockroom.GCOptions{Grace: *grace, DryRun: *dry})
		if rep != nil {
			verb := "removed"
			if *dry {
				verb = "would remove"
			}
			fmt.Fprintf(c.stdout, "%s %d blobs (%d bytes), %d previews (%d bytes), %d download parts (%d bytes)\n",
				verb, rep.Blobs, rep.BlobBytes, rep.Derived, rep.DerivedBytes, rep.Parts, rep.PartBytes)
		}
		return err
	case "backup", "restore":
		if err := c.parse(fs, args, getenv, badEnv); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return &usageError{fmt.Sprintf("stockroom %s takes one folder, after the flags", name)}
		}
		if name == "restore" {
			if err := stockroom.Restore(ctx, fs.Arg(0), sf.db.dataDir); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "restored %s into %s\n", fs.Arg(0), sf.db.dataDir)
			return nil
		}
		lib, err := sf.open(ctx, fs, getenv)
		if err != nil {
			return err
		}
		defer lib.Close()
		began := time.Now()
		rep, err := lib.Backup(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "backed up %d blobs: %d copied (%d bytes), %d already there, %d local files left in place, in %v\n",
			rep.Blobs, rep.Copied, rep.Bytes, rep.Present, rep.Local, time.Since(began).Round(time.Millisecond))
		if len(rep.Gone) > 0 {
			for _, h := range rep.Gone {
				fmt.Fprintf(c.stderr, "not copied (removed meanwhile, or corrupt): %s\n", h)
			}
			return fmt.Errorf("backup: %d blobs could not be copied; run stockroom verify", len(rep.Gone))
		}
		return nil
	}
	return &usageError{fmt.Sprintf("unknown command %q", name)}
}

func (c *opsCommand) verify(ctx context.Context, lib *stockroom.Library, opts stockroom.VerifyOptions, cursor string) error {
	terminal := c.terminal
	if terminal == nil {
		terminal = func() bool { return term.IsTerminal(int(os.Stderr.Fd())) }
	}
	var bar *progressbar.ProgressBar
	if terminal() {
		opts.Progress = func(done, total int, _ int64) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(c.stderr),
					progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionSetDescription("verifying"), progressbar.OptionShowCount(),
					progressbar.OptionOnCompletion(func() { fmt.Fprintln(c.stderr) }))
			}
			bar.Set(done)
		}
	}
	began := time.Now()
	rep, err := lib.Verify(ctx, opts)
	if err != nil {
		return err
	}
	for _, line := range rep.Database {
		fmt.Fprintf(c.stdout, "database: %s\n", line)
	}
	if !rep.DatabaseChecked {
		fmt.Fprintln(c.stdout, "database: not checked (use the database's own tools)")
	}
	for _, p := range rep.Problems {
		what := "corrupt"
		if p.Missing {
			what = "missing"
		}
		var users []string
		for _, u := range p.Users {
			if u.VersionID == 0 {
				users = append(users, fmt.Sprintf("resource %d", u.ResourceID))
			} else {
				users = append(users, fmt.Sprintf("resource %d version %d", u.ResourceID, u.VersionID))
			}
		}
		if len(users) == 0 {
			users = []string{"no row (garbage for gc)"}
		}
		fmt.Fprintf(c.stdout, "%s %s: used by %s: %s\n", what, p.Hash, strings.Join(users, ", "), p.Err)
	}
	secs := time.Since(began).Seconds()
	fmt.Fprintf(c.stdout, "checked %d blobs, %d bytes in %.1fs (%.1f MB/s); %d problems; %d unreferenced blobs\n",
		rep.Checked, rep.Bytes, secs, float64(rep.Bytes)/1e6/max(secs, 1e-9), len(rep.Problems)+len(rep.Database), rep.Unreferenced)
	if cursor != "" {
		next := ""
		if !rep.Next.IsZero() {
			next = rep.Next.String()
		}
		if err := os.WriteFile(cursor, []byte(next+"\n"), 0o644); err != nil {
			return err
		}
	}
	if !rep.OK() {
		return fmt.Errorf("verify: %d problems found", len(rep.Problems)+len(rep.Database))
	}
	return nil
}
