// Command stockroom runs the Stockroom asset server.
//
//	stockroom [serve] [flags]
//	stockroom import [flags] PATH...
//
// With no subcommand it serves; import brings files and folders in. Run "stockroom serve -h" for the flags; most
// have an environment variable of the same name in capitals (-data-dir has
// STOCKROOM_DATA_DIR, -alt-fs has FILE_ALT_NAME_N/FILE_ALT_PATH_N), and a
// flag on the command line wins over its variable.
//
// SIGINT or SIGTERM shuts the server down gracefully; a second one ends the
// process at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, give the signals back to the runtime so
		// that a second one kills a shutdown that takes too long.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:])
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "stockroom:", err)
		var ue *usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg + " (see stockroom serve -h)" }

func run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return (&serveCommand{}).Run(ctx, args[1:], os.Getenv)
		case "import":
			return (&importCommand{}).Run(ctx, args[1:], os.Getenv)
		case "users", "tokens":
			return runAccessCommand(ctx, args, os.Getenv)
		case "help":
			// Same as -h: the flags of serve, the default command.
			return (&serveCommand{}).Run(ctx, []string{"-h"}, os.Getenv)
		}
		if len(args[0]) > 0 && args[0][0] != '-' {
			return &usageError{fmt.Sprintf("unknown command %q", args[0])}
		}
	}
	return (&serveCommand{}).Run(ctx, args, os.Getenv)
}
