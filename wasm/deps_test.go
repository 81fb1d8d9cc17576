//go:build !js

package main

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// modulePath is this module's import path prefix.
const modulePath = "github.com/imdsplay/imdsplay"

// bannedInWasm are packages (exact paths, or prefixes ending in "/") that must never reach the
// browser build: build tooling, test servers, the site generator and the CLI. Each would bloat
// the wasm, and most cannot work inside a browser at all. go-jose is the tests' independent
// check of the emulator's tokens; the emulator itself signs and verifies with imds/jwt, and
// go-jose in the wasm would cost 73 KB of its 2.5 MB budget.
var bannedInWasm = []string{
	"github.com/go-jose/",
	"net/http/httptest",
	"net/http/pprof",
	"runtime/pprof",
	"testing",
	"github.com/chromedp/",
	"github.com/evanw/esbuild/",
	"github.com/yuin/goldmark",
	"github.com/a-h/templ",
	"github.com/fsnotify/",
	modulePath + "/site",
	modulePath + "/cmd/",
}

// osExecImporters are the only packages allowed to bring os/exec into the wasm build: the shell
// interpreter and awk import it for their default way of running programs, which our shell
// replaces with its builtins; their patched copies in third_party keep the code that starts
// processes out of the js build (TestWasmLinksNoProcessStart). No package of this module may
// import it.
var osExecImporters = []string{
	"mvdan.cc/sh/v3/interp",
	"mvdan.cc/sh/v3/internal",
	"github.com/benhoyt/goawk/interp",
}

// listPackage is the part of `go list -json` output the guard reads.
type listPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Standard   bool
	Error      *struct{ Err string }
}

// goList runs `go list -e -deps -json` for GOOS=js GOARCH=wasm on pkgs.
func goList(t *testing.T, pkgs ...string) []listPackage {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found: dependency guard skipped")
	}
	cmd := exec.Command(goBin, append([]string{"list", "-e", "-deps", "-json"}, pkgs...)...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var list []listPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		list = append(list, p)
	}
	return list
}

// banned reports whether path matches an entry of bannedInWasm: an entry ending in "/" matches
// everything under it, any other entry the package itself and its subpackages.
func banned(path string) bool {
	for _, b := range bannedInWasm {
		if strings.HasSuffix(b, "/") {
			if strings.HasPrefix(path, b) || path == strings.TrimSuffix(b, "/") {
				return true
			}
		} else if path == b || strings.HasPrefix(path, b+"/") {
			return true
		}
	}
	return false
}

// TestWasmDeps fails when a banned package reaches the GOOS=js build of this package, when
// os/exec comes in through anything but the known interpreter packages, or when code of this
// module that the wasm includes opens listeners or starts processes.
func TestWasmDeps(t *testing.T) {
	deps := goList(t, ".")
	var own []listPackage
	for _, p := range deps {
		if banned(p.ImportPath) {
			t.Errorf("package %q must not be a dependency of the wasm build", p.ImportPath)
		}
		if slices.Contains(p.Imports, "os/exec") && !slices.Contains(osExecImporters, p.ImportPath) {
			t.Errorf("package %q imports os/exec in the wasm build; only %v may (for exec handlers the shell replaces)", p.ImportPath, osExecImporters)
		}
		if p.ImportPath == modulePath || strings.HasPrefix(p.ImportPath, modulePath+"/") {
			own = append(own, p)
		}
		if p.Error != nil && strings.HasPrefix(p.ImportPath, modulePath) {
			t.Logf("note: %s does not build yet: %s", p.ImportPath, p.Error.Err)
		}
	}
	for _, p := range own {
		for _, f := range p.GoFiles {
			for _, call := range forbiddenCalls(t, filepath.Join(p.Dir, f)) {
				t.Errorf("%s: %s has no place in the browser build", filepath.Join(p.Dir, f), call)
			}
		}
	}
	t.Logf("the wasm build has %d dependencies, %d of them in this module", len(deps), len(own))
}

// forbiddenCalls lists the selector expressions in file that open listeners or start
// processes: the browser has neither, and the emulator reaches its hosts in-process.
func forbiddenCalls(t *testing.T, file string) []string {
	t.Helper()
	forbidden := map[string][]string{
		"net":        {"Listen", "ListenTCP", "ListenUDP", "ListenPacket", "ListenUnix", "ListenIP", "Dial", "DialTimeout"},
		"net/http":   {"ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS"},
		"crypto/tls": {"Listen", "Dial"},
		"os":         {"StartProcess"},
		"os/exec":    {"Command", "CommandContext", "LookPath"},
		"syscall":    {"ForkExec", "Exec"},
		"os/signal":  {"Notify"},
		"plugin":     {"Open"},
		"net/rpc":    {"Dial", "DialHTTP"},
		"net/smtp":   {"Dial"},
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Errorf("parse %s: %v", file, err)
		return nil
	}
	names := map[string]string{} // local name → import path
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = path
	}
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		if path, ok := names[id.Name]; ok && slices.Contains(forbidden[path], sel.Sel.Name) {
			found = append(found, fset.Position(sel.Pos()).String()+": "+path+"."+sel.Sel.Name)
		}
		return true
	})
	return found
}

// TestSyscallJSOnlyInWasm fails when a Go file of this module outside wasm/*_js.go imports
// syscall/js. It reads every file whatever its build tags, so a file that only builds for js
// cannot hide.
func TestSyscallJSOnlyInWasm(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found above wasm/: %v", err)
	}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules" || name == "public") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			// A file mid-edit by someone else is not this test's business.
			t.Logf("skipping %s: %v", path, err)
			return nil
		}
		for _, imp := range f.Imports {
			if imp.Path.Value != strconv.Quote("syscall/js") {
				continue
			}
			rel, _ := filepath.Rel(root, path)
			if filepath.Dir(rel) != "wasm" || !strings.HasSuffix(name, "_js.go") {
				t.Errorf("%s imports syscall/js; only wasm/*_js.go may", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checked %d Go files", files)
}

// TestBanned checks the matcher the guard relies on.
func TestBanned(t *testing.T) {
	for path, want := range map[string]bool{
		"net/http/httptest":                           true,
		"github.com/chromedp/chromedp":                true,
		"github.com/evanw/esbuild/pkg/api":            true,
		"github.com/yuin/goldmark/parser":             true,
		"github.com/a-h/templ":                        true,
		"github.com/a-h/templ/runtime":                true,
		modulePath + "/site":                          true,
		modulePath + "/site/browsertest":              true,
		modulePath + "/cmd/imds":                      true,
		modulePath + "/shell":                         false,
		modulePath + "/imds":                          false,
		"net/http":                                    false,
		"testing/fstest":                              true,
		"github.com/yuin/goldmark-emoji":              false,
		"github.com/a-h/templates-are-something-else": false,
	} {
		if got := banned(path); got != want {
			t.Errorf("banned(%q) = %v; want %v", path, got, want)
		}
	}
}

// TestWasmLinksNoProcessStart fails when the linked wasm can reach os/exec's Cmd.Start: a
// browser starts no process, and the patched copies of mvdan.cc/sh and goawk in third_party
// (their PATCH.md) keep that code out of the module, where it cost 8 KB of the brotli budget.
// It reads the linker's dependency edges (-dumpdep), so it links the wasm once (~20 s).
func TestWasmLinksNoProcessStart(t *testing.T) {
	if testing.Short() {
		t.Skip("links the wasm")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	cmd := exec.Command(goBin, "build", "-ldflags=-dumpdep", "-o", filepath.Join(t.TempDir(), "w.wasm"), ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var out bytes.Buffer
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out.String())
	}
	reached := map[string]bool{}
	for line := range strings.Lines(out.String()) {
		if from, to, ok := strings.Cut(strings.TrimSpace(line), " -> "); ok {
			reached[to] = true
			if strings.HasPrefix(to, "os/exec.") && !strings.HasPrefix(from, "os/exec.") && to != "os/exec..inittask" {
				t.Errorf("%s reaches %s", from, to)
			}
		}
	}
	if len(reached) < 1000 {
		t.Fatalf("the linker printed %d dependency edges; -dumpdep's format may have changed", len(reached))
	}
	if reached["os/exec.(*Cmd).Start"] {
		t.Errorf("os/exec.(*Cmd).Start is linked into the wasm")
	}
}

// TestWasmInitCompilesNoRegexp fails when a package of the wasm build outside the standard
// library compiles a regular expression in a package-level variable's initialiser. Inside wasm
// each one runs at start-up, before the engine can answer, and the first one also pays for
// compiling the regexp compiler itself (V8 compiles a function on its first call): the thirteen
// there were cost about 15 ms of the 70–130 ms Go's package initialisation takes under node,
// more in a page's worker. Wrap them in sync.OnceValue, compiled on first use.
func TestWasmInitCompilesNoRegexp(t *testing.T) {
	for _, p := range goList(t, ".") {
		if p.Standard {
			continue
		}
		for _, f := range p.GoFiles {
			for _, at := range initRegexps(t, filepath.Join(p.Dir, f)) {
				t.Errorf("%s: a regexp compiled at package initialisation; compile it on first use (sync.OnceValue)", at)
			}
		}
	}
}

// initRegexps lists the calls of regexp's Compile functions in file's package-level variable
// initialisers, outside function literals (which run when called).
func initRegexps(t *testing.T, file string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Errorf("parse %s: %v", file, err)
		return nil
	}
	local := ""
	for _, imp := range f.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); path == "regexp" {
			local = "regexp"
			if imp.Name != nil {
				local = imp.Name.Name
			}
		}
	}
	if local == "" {
		return nil
	}
	var found []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		ast.Inspect(gd, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && id.Name == local && strings.Contains(n.Sel.Name, "Compile") {
					found = append(found, fset.Position(n.Pos()).String())
				}
			}
			return true
		})
	}
	return found
}
