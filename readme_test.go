package stockroom_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestReadmeEmbeddingBuilds builds the README's Go program as written, in
// a folder inside this module so that it uses this checkout of the library.
func TestReadmeEmbeddingBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build; skipped with -short")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "\n```go\n")
	if !ok {
		t.Fatal("README.md has no ```go block")
	}
	src, _, ok := strings.Cut(rest, "\n```")
	if !ok {
		t.Fatal("the README's ```go block does not end")
	}
	if strings.Count(string(readme), "\n```go\n") != 1 {
		t.Fatal("README.md has more than one ```go block; build each")
	}
	// A leading underscore keeps the folder out of ./... patterns, should
	// another go command run meanwhile.
	dir, err := os.MkdirTemp(".", "_readme-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", filepath.Join(t.TempDir(), "snippet"), "./"+filepath.ToSlash(dir))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's Go program does not build: %v\n%s\n%s", err, out, src)
	}
}

// TestExamplesUsePublicPackages: an embedder must be able to copy an
// example out of this module, so none imports an internal package.
func TestExamplesUsePublicPackages(t *testing.T) {
	n := 0
	err := filepath.WalkDir("examples", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			n++
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains("/"+p+"/", "/internal/") {
				t.Errorf("%s imports %s", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("found no imports under examples/")
	}
}
