package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/errs"
	"github.com/stockroomhq/stockroom/internal/pgdb"
)

// runAccessCommand runs "stockroom users ..." and "stockroom tokens ...",
// which manage accounts in a data folder directly, for the first admin
// and for when no one can sign in.
func runAccessCommand(ctx context.Context, args []string, getenv func(string) string) error {
	c := &accessCommand{}
	if args[0] == "users" {
		return c.users(ctx, args[1:], getenv)
	}
	return c.tokens(ctx, args[1:], getenv)
}

type accessCommand struct {
	stdin  io.Reader // nil: os.Stdin
	stdout io.Writer // nil: os.Stdout
	stderr io.Writer // nil: os.Stderr
	// terminal reports whether stdin is a terminal, to prompt for a
	// password without echo; nil means: check os.Stdin.
	terminal func() bool
}

func (c *accessCommand) out() io.Writer {
	if c.stdout == nil {
		return os.Stdout
	}
	return c.stdout
}

func (c *accessCommand) errOut() io.Writer {
	if c.stderr == nil {
		return os.Stderr
	}
	return c.stderr
}

// dbFlags are the flags that say where the database is, as serve has them.
type dbFlags struct {
	dataDir, dbType, dbDSN string
}

func (d *dbFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&d.dataDir, "data-dir", env("STOCKROOM_DATA_DIR", stockroom.DefaultDataDir), "the server's data folder (STOCKROOM_DATA_DIR)")
	fs.StringVar(&d.dbType, "db-type", env("DB_TYPE", "SQLITE"), "database type: SQLITE or POSTGRES (DB_TYPE)")
	fs.StringVar(&d.dbDSN, "db-dsn", env("DB_DSN", ""), "database file for SQLITE; default <data-dir>/stockroom.db (DB_DSN)")
}

func (d *dbFlags) open(ctx context.Context) (*stockroom.Library, error) {
	pg := strings.EqualFold(d.dbType, "POSTGRES")
	switch {
	case pg && !pgdb.IsDSN(d.dbDSN):
		return nil, &usageError{"-db-type POSTGRES needs -db-dsn postgres://user@host:port/database"}
	case pg:
		return stockroom.Open(ctx, stockroom.Options{
			DataDir:            d.dataDir,
			PostgresDSN:        d.dbDSN,
			DisableJobs:        true,
			DisableMediaWorker: true,
			Logger:             slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		})
	case !strings.EqualFold(d.dbType, "SQLITE"):
		return nil, &usageError{fmt.Sprintf("-db-type %q is not supported; use SQLITE or POSTGRES", d.dbType)}
	}
	if isMemoryDSN(d.dbDSN) {
		return nil, &usageError{"-db-dsn: a database in memory holds no users after this command ends"}
	}
	return stockroom.Open(ctx, stockroom.Options{
		DataDir:            d.dataDir,
		DBPath:             dsnPath(d.dbDSN),
		DisableJobs:        true,
		DisableMediaWorker: true,
		Logger:             slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
}

// parseFlags parses args with fs, printing usage only on -h.
func (c *accessCommand) parseFlags(fs *flag.FlagSet, usage string, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(c.errOut())
			fmt.Fprintf(c.errOut(), "usage: %s\n\nflags (each may also come from the environment variable in brackets):\n", usage)
			fs.PrintDefaults()
			return err
		}
		return &usageError{err.Error()}
	}
	return nil
}

const usersUsage = `stockroom users add [-role admin|editor|user|guest] [-scope-group ID] [-password-file FILE] NAME
       stockroom users passwd [-password-file FILE] NAME
       stockroom users list`

func (c *accessCommand) users(ctx context.Context, args []string, getenv func(string) string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list" && args[0] != "passwd") {
		return &usageError{"usage: " + usersUsage}
	}
	sub := args[0]
	var db dbFlags
	fs := flag.NewFlagSet("stockroom users "+sub, flag.ContinueOnError)
	db.register(fs, getenv)
	role := fs.String("role", "user", "the user's role: admin, editor, user or guest")
	passwordFile := fs.String("password-file", "", "read the password from the first line of this file instead of standard input")
	displayName := fs.String("display-name", "", "the name shown for the user")
	scopeGroup := fs.Int64("scope-group", 0, "the group a user of role user writes in (with the groups under it); without one it may change nothing")
	if err := c.parseFlags(fs, usersUsage, args[1:]); err != nil {
		return err
	}
	if sub == "list" {
		if fs.NArg() > 0 {
			return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
		lib, err := db.open(ctx)
		if err != nil {
			return err
		}
		defer lib.Close()
		users, err := lib.Access.ListUsers(ctx, 0, 0)
		if err != nil {
			return err
		}
		for _, u := range users {
			state := ""
			if u.Disabled {
				state = " (disabled)"
			}
			fmt.Fprintf(c.out(), "%d\t%s\t%s%s\n", u.ID, u.Username, u.Role, state)
		}
		return nil
	}
	if fs.NArg() != 1 {
		return &usageError{"users " + sub + ": give one user name"}
	}
	if sub == "passwd" {
		return c.passwd(ctx, &db, fs.Arg(0), *passwordFile)
	}
	r, err := access.ParseRole(*role)
	if err != nil {
		return &usageError{"-role: " + strings.TrimPrefix(err.Error(), access.ErrInvalid.Error()+": ")}
	}
	password, err := c.readPassword(*passwordFile)
	if err != nil {
		return err
	}
	lib, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer lib.Close()
	u, err := lib.Access.CreateUser(ctx, access.UserInput{Username: fs.Arg(0), DisplayName: *displayName, Password: password, Role: r, ScopeGroupID: scopeGroup})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.errOut(), "added user %q (id %d, role %s)\n", u.Username, u.ID, u.Role)
	if _, _, err := u.Principal().WriteScope(); err != nil {
		fmt.Fprintf(c.errOut(), "note: %s\n", errs.Message(err))
	}
	return nil
}

// passwd sets a user's password (ending their sessions): the way back in
// for an admin who forgot theirs.
func (c *accessCommand) passwd(ctx context.Context, db *dbFlags, name, passwordFile string) error {
	password, err := c.readPassword(passwordFile)
	if err != nil {
		return err
	}
	lib, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer lib.Close()
	u, err := lib.Access.UserByName(ctx, name)
	if err != nil {
		return err
	}
	if _, err := lib.Access.UpdateUser(ctx, u.ID, access.UserInput{Password: password}); err != nil {
		return err
	}
	fmt.Fprintf(c.errOut(), "set the password of %q\n", name)
	return nil
}

func (c *accessCommand) isTerminal() bool {
	if c.terminal != nil {
		return c.terminal()
	}
	return term.IsTerminal(int(os.Stdin.Fd()))
}

// readPassword reads the password from file, or else from standard input:
// without echo at a terminal, else its first line.
func (c *accessCommand) readPassword(file string) (string, error) {
	var line string
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		line, _, _ = strings.Cut(string(b), "\n")
	case c.stdin == nil && c.isTerminal():
		fmt.Fprint(c.errOut(), "password: ")
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(c.errOut())
		if err != nil {
			return "", err
		}
		line = string(b)
	default:
		in := c.stdin
		if in == nil {
			in = os.Stdin
		}
		s, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		line = s
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", &usageError{"no password: give it on standard input or with -password-file"}
	}
	return line, nil
}

const tokensUsage = `stockroom tokens create -user NAME [-name LABEL] [-expires DURATION]`

func (c *accessCommand) tokens(ctx context.Context, args []string, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "create" {
		return &usageError{"usage: " + tokensUsage}
	}
	var db dbFlags
	fs := flag.NewFlagSet("stockroom tokens create", flag.ContinueOnError)
	db.register(fs, getenv)
	user := fs.String("user", "", "the user the token acts as (required)")
	name := fs.String("name", "cli", "a label for the token")
	expires := fs.Duration("expires", 0, "how long the token is valid, such as 720h; 0 means until revoked")
	if err := c.parseFlags(fs, tokensUsage, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *user == "" {
		return &usageError{"tokens create: -user is required"}
	}
	if *expires < 0 {
		return &usageError{"-expires must not be negative"}
	}
	lib, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer lib.Close()
	u, err := lib.Access.UserByName(ctx, *user)
	if err != nil {
		return err
	}
	var exp *time.Time
	if *expires > 0 {
		t := time.Now().Add(*expires)
		exp = &t
	}
	secret, _, err := lib.Access.CreateToken(ctx, u.ID, *name, exp)
	if err != nil {
		return err
	}
	// The secret alone on standard output, so that scripts can take it.
	fmt.Fprintln(c.out(), secret)
	return nil
}
