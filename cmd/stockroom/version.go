package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionCommand prints the module version the binary was built from and,
// when the build recorded it, the source revision.
type versionCommand struct {
	out io.Writer
	// buildInfo returns the build information; nil means
	// debug.ReadBuildInfo.
	buildInfo func() (*debug.BuildInfo, bool)
}

func (c *versionCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("stockroom version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(c.out, "usage: stockroom version\n\nPrints the version of the module the binary was built from, its source\nrevision when the build recorded one, and the Go version.\n")
			return err
		}
		return &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	read := c.buildInfo
	if read == nil {
		read = debug.ReadBuildInfo
	}
	_, err := fmt.Fprintln(c.out, versionLine(read()))
	return err
}

// versionLine says "stockroom VERSION [revision REV[, modified] (TIME)] GOVERSION".
func versionLine(bi *debug.BuildInfo, ok bool) string {
	if !ok {
		return "stockroom (unknown version: built without module information) " + runtime.Version()
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	parts := []string{"stockroom", version}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		r := "revision " + rev
		if settings["vcs.modified"] == "true" {
			r += " (modified)"
		}
		if t := settings["vcs.time"]; t != "" {
			r += " of " + t
		}
		parts = append(parts, r)
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	return strings.Join(append(parts, goVersion), " ")
}
