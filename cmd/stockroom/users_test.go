package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stockroomhq/stockroom"
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
