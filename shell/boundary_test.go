package shell_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tooltestDir holds tooltest, which runs the real tools beside the builtins, for tests only; it
// is the one package below shell/ allowed processes and real files, and only _test.go files may
// import it.
const tooltestDir = "internal/tooltest"

// TestBoundaries keeps the shell's own code away from the host: no processes, no sockets, no
// real files, no syscall/js (the wasm package owns the JavaScript boundary). Third-party
// interpreters (mvdan.cc/sh, goawk) link os/exec, but the session never calls into it: every
// command goes through the exec handler and goawk runs with NoExec.
func TestBoundaries(t *testing.T) {
	banned := map[string]string{
		"os/exec": "no processes", "syscall": "no system calls", "syscall/js": "the JS boundary is wasm/'s",
		"net/http/httptest": "not in the wasm build", "unsafe": "not needed",
	}
	bannedCalls := map[string]bool{
		"os.Open": true, "os.OpenFile": true, "os.Create": true, "os.ReadFile": true, "os.WriteFile": true,
		"os.Stat": true, "os.Lstat": true, "os.Remove": true, "os.RemoveAll": true, "os.Mkdir": true,
		"os.MkdirAll": true, "os.ReadDir": true, "os.Getwd": true, "os.Chdir": true, "os.Environ": true,
		"os.Getenv": true, "os.Exit": true, "net.Dial": true, "net.Listen": true, "net.DialTimeout": true,
		"http.Get": true, "http.Post": true, "http.ListenAndServe": true,
	}
	fset := token.NewFileSet()
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || path == tooltestDir) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		n++
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasSuffix(p, "/"+tooltestDir) {
				t.Errorf("%s imports %s: it runs the real tools, for _test.go files only", path, p)
			}
			if why, ok := banned[p]; ok {
				t.Errorf("%s imports %s: %s", path, p, why)
			}
		}
		ast.Inspect(f, func(node ast.Node) bool {
			if sel, ok := node.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && bannedCalls[id.Name+"."+sel.Sel.Name] {
					t.Errorf("%s: %s uses %s.%s", path, fset.Position(sel.Pos()), id.Name, sel.Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("checked only %d files", n)
	}
}
