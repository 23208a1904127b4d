// Command stockroom runs the Stockroom asset server and its tools.
//
//	stockroom serve [flags]          run the HTTP server
//	stockroom [flags]                the same, as the reference server takes its flags
//	stockroom import [flags] PATH... bring files and folders in
//	stockroom verify [flags]         re-hash the files, check the database
//	stockroom gc [flags]             remove files no resource uses
//	stockroom backup [flags] DEST    copy database and files, incrementally
//	stockroom restore [flags] SRC    bring a backup back
//	stockroom version                print the version
//	stockroom help                   list the commands
//
// With no arguments it prints the list of commands and exits 2. Run
// "stockroom serve -h" for the server's flags; most have an environment
// variable of the same name in capitals (-data-dir has STOCKROOM_DATA_DIR,
// -alt-fs has FILE_ALT_NAME_N/FILE_ALT_PATH_N), and a flag on the command
// line wins over its variable.
//
// SIGINT or SIGTERM shuts the server down gracefully; a second one ends the
// process at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/stockroomhq/stockroom/internal/timerslack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, give the signals back to the runtime so
		// that a second one kills a shutdown that takes too long.
		<-ctx.Done()
		stop()
	}()
	serveReexec = startOver
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsagePrinted):
		os.Exit(2)
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "stockroom:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "stockroom:", err)
		os.Exit(1)
	}
}

// serveReexec is serveCommand's reexec, set by main alone: run, called by
// tests in process, must not replace the test binary.
var serveReexec func(time.Duration) error

func init() {
	// Keeps main on the main thread until serve has decided whether to
	// start the process over (startOver): a process that execs from
	// another thread loses what its parent set on its main thread alone,
	// such as the signal it gets when the parent dies.
	runtime.LockOSThread()
}

// startOver runs the process again with the timer slack, from the main
// thread, unless the process has that much already (always true of a
// slack of zero) or the system has none; it releases the main thread when
// it returns. serve calls it on the main goroutine.
func startOver(slack time.Duration) error {
	defer runtime.UnlockOSThread()
	if cur, err := timerslack.Current(); err != nil || cur >= slack {
		return nil
	}
	return timerslack.Exec(slack)
}

// usageError is a mistake in the command line. run adds the hint of the
// command it was given to (see stockroom import -h).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// hintedError is a usage error with the command whose help explains it.
type hintedError struct {
	err  error
	hint string
}

func (e *hintedError) Error() string { return e.err.Error() + " (see " + e.hint + ")" }
func (e *hintedError) Unwrap() error { return e.err }

// withHint points a usage error to the help of the command.
func withHint(err error, hint string) error {
	var ue *usageError
	if errors.As(err, &ue) {
		return &hintedError{err: err, hint: hint}
	}
	return err
}

// errUsagePrinted says the usage is already on stderr: exit 2, print
// nothing more.
var errUsagePrinted = errors.New("usage printed")

// commands are the subcommands, in the order the usage lists them.
var commands = []struct{ name, args, summary string }{
	{"serve", "[flags]", "run the HTTP server (server flags may also come without \"serve\")"},
	{"import", "[flags] PATH...", "bring files and folders into a data folder or a running server"},
	{"users", "add|passwd|list ...", "manage the accounts of a server with -auth"},
	{"tokens", "create ...", "make an API token for a user"},
	{"verify", "[flags]", "re-hash the files and check the database"},
	{"gc", "[flags]", "remove files no resource uses any more"},
	{"backup", "[flags] DEST", "copy the database and the files into a folder, incrementally"},
	{"restore", "[flags] SRC", "bring a backup back into an empty data folder"},
	{"migrate-db", "-to postgres://...", "copy a SQLite library into PostgreSQL"},
	{"version", "", "print the version and the source revision"},
	{"help", "", "print this list"},
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "Stockroom stores files with their metadata, tags and version history.\n\nusage: stockroom COMMAND [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun \"stockroom COMMAND -h\" for the flags of a command.\n")
}

// run runs the command that args name. stdout receives what the user asked
// for (help, version); stderr the logs, progress and the usage shown on a
// mistake.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printUsage(stderr)
		return errUsagePrinted
	}
	switch name := args[0]; {
	case name == "serve":
		return withHint((&serveCommand{logOut: stderr, usageOut: stdout, reexec: serveReexec}).Run(ctx, args[1:], getenv), "stockroom serve -h")
	case name == "import":
		return withHint((&importCommand{out: stderr, usageOut: stdout}).Run(ctx, args[1:], getenv), "stockroom import -h")
	case name == "users", name == "tokens":
		return withHint(runAccessCommand(ctx, args, getenv), "stockroom "+name+" -h")
	case name == "verify", name == "gc", name == "backup", name == "restore":
		return withHint((&opsCommand{stdout: stdout, stderr: stderr}).Run(ctx, name, args[1:], getenv), "stockroom "+name+" -h")
	case name == "migrate-db":
		return withHint(runMigrateDB(ctx, args[1:], getenv, stderr), "stockroom migrate-db -h")
	case name == "version":
		return withHint((&versionCommand{out: stdout}).Run(ctx, args[1:]), "stockroom version -h")
	case name == "help", name == "-h", name == "-help", name == "--help":
		printUsage(stdout)
		return nil
	case len(name) > 0 && name[0] == '-':
		// The reference server takes its flags with no command.
		return withHint((&serveCommand{logOut: stderr, usageOut: stdout, reexec: serveReexec}).Run(ctx, args, getenv), "stockroom serve -h")
	default:
		return withHint(&usageError{fmt.Sprintf("unknown command %q", name)}, "stockroom help")
	}
}
