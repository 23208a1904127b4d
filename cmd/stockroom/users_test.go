package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom"
	"github.com/stockroomhq/stockroom/resources"
)

func TestUsersAndTokensCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := fakeEnv(map[string]string{"STOCKROOM_DATA_DIR": data})
	ctx := context.Background()
	run := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		c := &accessCommand{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, terminal: func() bool { return false }}
		var err error
		if args[0] == "users" {
			err = c.users(ctx, args[1:], env)
		} else {
			err = c.tokens(ctx, args[1:], env)
		}
		return out.String(), err
	}
	if _, err := run("s3cret-password\n", "users", "add", "-role", "editor", "eve"); err != nil {
		t.Fatal(err)
	}
	var ue *usageError
	for _, tt := range [][]string{
		{"users"}, {"users", "remove", "eve"}, {"users", "add"}, {"users", "add", "-role", "boss", "x"},
		{"tokens"}, {"tokens", "create"}, {"tokens", "create", "-user", "eve", "extra"},
	} {
		if _, err := run("s3cret-password\n", tt...); !errors.As(err, &ue) {
			t.Errorf("%q: error %v, want a usage error", tt, err)
		}
	}
	if _, err := run("", "users", "add", "empty"); !errors.As(err, &ue) {
		t.Errorf("no password: %v", err)
	}
	out, err := run("", "users", "list")
	if err != nil || out != "1\teve\teditor\n" {
		t.Errorf("users list = %q, %v", out, err)
	}
	out, err = run("", "tokens", "create", "-user", "eve", "-expires", "24h")
	if err != nil || !strings.HasPrefix(out, "srt_") {
		t.Fatalf("tokens create = %q, %v", out, err)
	}
	if _, err := run("", "tokens", "create", "-user", "nobody"); err == nil {
		t.Error("token for an unknown user")
	}
	if _, err := run("another-password\n", "users", "passwd", "eve"); err != nil {
		t.Fatal(err)
	}

	lib, err := stockroom.Open(ctx, stockroom.Options{DataDir: data, DisableJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	p, err := lib.Access.TokenPrincipal(ctx, strings.TrimSpace(out))
	if err != nil || p.Name != "eve" || p.TokenName != "cli" {
		t.Errorf("the printed token is %+v, %v", p, err)
	}
	if _, err := lib.Access.Login(ctx, "eve", "another-password", "127.0.0.1:1"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
}

// A user of role user is given its scope group on the command line; without
// one the command says it may change nothing.
func TestUsersAddScopeGroup(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := fakeEnv(map[string]string{"STOCKROOM_DATA_DIR": data})
	ctx := context.Background()
	lib, err := stockroom.Open(ctx, stockroom.Options{DataDir: data, DisableJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	name := "team"
	g, err := lib.Store.SaveGroup(ctx, resources.GroupInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}
	add := func(args ...string) string {
		t.Helper()
		var errOut bytes.Buffer
		c := &accessCommand{stdin: strings.NewReader("s3cret-password\n"), stdout: &bytes.Buffer{}, stderr: &errOut, terminal: func() bool { return false }}
		if err := c.users(ctx, append([]string{"add"}, args...), env); err != nil {
			t.Fatalf("users add %q: %v", args, err)
		}
		return errOut.String()
	}
	if msg := add("-role", "user", "-scope-group", fmt.Sprint(g.ID), "bob"); strings.Contains(msg, "note:") {
		t.Errorf("scoped user: %q", msg)
	}
	if msg := add("-role", "user", "drifter"); !strings.Contains(msg, "note: role user may change nothing without a scope group") {
		t.Errorf("user without a scope group: the command says %q", msg)
	}
	lib, err = stockroom.Open(ctx, stockroom.Options{DataDir: data, DisableJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	users, err := lib.Access.ListUsers(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	scopes := map[string]any{}
	for _, u := range users {
		if u.ScopeGroupID != nil {
			scopes[u.Username] = *u.ScopeGroupID
		} else {
			scopes[u.Username] = nil
		}
	}
	if want := map[string]any{"bob": g.ID, "drifter": nil}; !cmp.Equal(scopes, want) {
		t.Errorf("scope groups %v, want %v", scopes, want)
	}
}
