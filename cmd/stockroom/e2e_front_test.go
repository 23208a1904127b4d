//go:build !windows

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// firstLine waits until the process has logged its "listening" line and
// returns the first line it wrote.
func firstLine(t *testing.T, p *proc) (first string, all string) {
	t.Helper()
	all = p.stderr.String()
	first, _, _ = strings.Cut(all, "\n")
	return first, all
}

// TestE2EFirstLine: the first line a new operator sees says where the
// server listens (the port the system chose for :0) and where the data is;
// the schema steps come after it, on the first start only.
func TestE2EFirstLine(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	p := startServer(t, t.TempDir(), nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)
	first, all := firstLine(t, p)
	want := regexp.MustCompile(`^time=\S+ level=INFO msg=listening addr=` + regexp.QuoteMeta(p.base) + ` data=` + regexp.QuoteMeta(dataDir) + `$`)
	if !want.MatchString(first) {
		t.Errorf("first line %q, want %v", first, want)
	}
	if !strings.Contains(all, `msg="updated the database schema"`) {
		t.Errorf("a new data folder logged no schema step:\n%s", all)
	}
	for _, line := range strings.Split(all, "\n") {
		if strings.Contains(line, "level=DEBUG") && !strings.Contains(line, "component=schema") {
			t.Errorf("a debug line other than the schema's is printed: %s", line)
		}
	}
	p.stop(os.Interrupt)

	// Same folder: nothing to migrate, nothing said about the schema.
	p = startServer(t, t.TempDir(), nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir)
	p.stop(os.Interrupt)
	first, all = firstLine(t, p)
	if !strings.Contains(first, "msg=listening addr="+p.base+" data="+dataDir) {
		t.Errorf("first line %q on a restart", first)
	}
	if strings.Contains(all, "schema") {
		t.Errorf("a restart on a migrated folder logs schema steps:\n%s", all)
	}

	// Everything in memory, in JSON.
	p = startServer(t, t.TempDir(), nil, "-ephemeral", "-bind-address", "127.0.0.1:0", "-log-format", "json")
	first, _ = firstLine(t, p)
	if !strings.Contains(first, `"msg":"listening","addr":"`+p.base+`","data":"in memory, gone on exit"}`) {
		t.Errorf("first line of -ephemeral: %q", first)
	}
	p.stop(os.Interrupt)

	// Database elsewhere, files in memory: both named.
	db := filepath.Join(t.TempDir(), "elsewhere.db")
	p = startServer(t, t.TempDir(), nil, "-bind-address", "127.0.0.1:0", "-data-dir", dataDir, "-db-dsn", db, "-memory-fs")
	first, _ = firstLine(t, p)
	if !strings.HasSuffix(first, " data="+dataDir+" database="+db+` files="in memory"`) {
		t.Errorf("first line with -db-dsn and -memory-fs: %q", first)
	}
	p.stop(os.Interrupt)
}

// TestE2EVersion: "stockroom version" prints what the build recorded, as
// "go version -m" reads it from the binary.
func TestE2EVersion(t *testing.T) {
	bin := stockroomBinary(t)
	code, out := runProc(t, nil, "version")
	if code != 0 {
		t.Fatalf("stockroom version: exit %d:\n%s", code, out)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to read the build information with")
	}
	info, err := exec.Command(goTool, "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	var want []string
	for _, line := range strings.Split(string(info), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			want = append(want, "stockroom "+f[2]+" ")
		case len(f) >= 2 && strings.HasPrefix(f[1], "vcs.revision="):
			want = append(want, "revision "+strings.TrimPrefix(f[1], "vcs.revision="))
		}
	}
	if len(want) == 0 {
		t.Fatalf("go version -m shows no module version:\n%s", info)
	}
	for _, w := range want {
		if !strings.HasPrefix(out, "stockroom ") || !strings.Contains(out, w) {
			t.Errorf("stockroom version printed %q, want it to contain %q", out, w)
		}
	}
}
