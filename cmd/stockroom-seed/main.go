// Command stockroom-seed fills a new Stockroom SQLite database with
// synthetic resources, to try and benchmark lists and searches at scale.
//
//	stockroom-seed -n 1000000 -db /tmp/stockroom.db
//
// It migrates the schema, then writes the rows directly (no files are
// stored: the hashes point at nothing) in large transactions. The data is
// described in package internal/seed and depends only on -n and -seed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/stockroomhq/stockroom/internal/seed"
	"github.com/stockroomhq/stockroom/internal/sqlitedb"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "stockroom-seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("stockroom-seed", flag.ContinueOnError)
	n := fs.Int("n", 100_000, "number of resources to write")
	path := fs.String("db", "", "SQLite database file to create (required; must hold no resources)")
	seedValue := fs.Uint64("seed", seed.DefaultSeed, "seed of the generated data")
	batch := fs.Int("batch", seed.DefaultBatch, "resources per transaction")
	quiet := fs.Bool("q", false, "no progress output")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("-db is required and no arguments are accepted")
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	start := time.Now()
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: *path})
	if err != nil {
		return err
	}
	opts := seed.Options{N: *n, Seed: *seedValue, Batch: *batch}
	if !*quiet {
		opts.Progress = func(done int) {
			el := time.Since(start)
			fmt.Fprintf(os.Stderr, "\r%d/%d resources, %s, %.0f/s   ", done, *n,
				el.Truncate(time.Second), float64(done)/el.Seconds())
		}
	}
	st, err := seed.Run(ctx, db.Writer, opts)
	if !*quiet {
		fmt.Fprintln(os.Stderr)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d resources (%d tag links, %d related groups, %d note links) to %s in %s (entities %s, resources %s)\n",
		st.Resources, st.ResourceTags, st.RelatedGroups, st.ResourceNotes, *path,
		time.Since(start).Truncate(time.Millisecond), st.EntitiesTime.Truncate(time.Millisecond),
		st.ResourcesTime.Truncate(time.Millisecond))
	return nil
}
