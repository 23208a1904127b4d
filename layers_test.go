package stockroom_test

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/stockroomhq/stockroom"

// layer ranks the packages of the module as DESIGN.md draws them: a package
// may import its own layer and those below, never one above.
func layer(pkg string) int {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	top, _, _ := strings.Cut(rel, "/")
	switch {
	case rel == "errs":
		return 0
	case top == "blobstore", top == "media", top == "fetch", top == "internal" && !strings.HasPrefix(rel, "internal/seed"):
		return 1
	case rel == "resources":
		return 2
	case top == "versions", top == "query", top == "intake", top == "mediasvc", top == "access", rel == "internal/seed":
		return 3
	case rel == "":
		return 4
	case top == "httpapi", top == "webui":
		return 5
	default: // cmd, examples
		return 6
	}
}

// domainForbidden are imports the domain packages must not have: the
// model does not fetch over HTTP, nor decode pixels.
var domainForbidden = map[string][]string{
	"resources": {"net/http", module + "/fetch", module + "/media/imaging", module + "/media/jpegscale", module + "/media/phash"},
	"versions":  {"net/http", module + "/fetch"},
	"query":     {"net/http", module + "/fetch"},
}

// TestLayers checks every non-test import of every package of the module
// against the layers.
func TestLayers(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files here
		}
		pkg := module
		if path != "." {
			pkg += "/" + filepath.ToSlash(path)
		}
		checked++
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) && layer(imp) > layer(pkg) {
				t.Errorf("%s (layer %d) imports %s (layer %d), which is above it", pkg, layer(pkg), imp, layer(imp))
			}
			for _, bad := range domainForbidden[strings.TrimPrefix(pkg, module+"/")] {
				if imp == bad {
					t.Errorf("%s imports %s", pkg, imp)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d packages found", checked)
	}
}
