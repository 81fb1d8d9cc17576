package site

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/evanw/esbuild/pkg/api"

	"github.com/imdsplay/imdsplay/internal/wasmdata"
)

// Where the sources of the bundled assets live, relative to Options.Root.
const (
	scriptEntry = "web/ts/main.ts"
	styleEntry  = "web/css/site.css"
	workerEntry = "web/ts/worker.ts"
	bootEntry   = "web/ts/boot.ts"
	wasmPkg     = "./wasm"
)

// assetsDir is the directory, inside the output, of every hashed asset. The
// immutable Cache-Control rule of netlify.toml is written for this path.
const assetsDir = "assets"

// bundle compiles one entry point (TypeScript or CSS) with esbuild's Go API:
// bundled, minified, for ES2020 browsers, written into dir as
// <name>-<hash>.<ext>. esbuild computes the hash; the output's name is read
// back from the metafile rather than guessed.
func bundle(root, entry, dir string) (string, []api.Message, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return "", nil, err
	}
	if _, err := os.Stat(filepath.Join(absRoot, entry)); err != nil {
		return "", nil, fmt.Errorf("site: bundle entry point %s: %w", entry, err)
	}
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:     absRoot,
		EntryPoints:       []string{entry},
		Outdir:            dir,
		EntryNames:        "[name]-[hash]",
		AssetNames:        "[name]-[hash]",
		Bundle:            true,
		Write:             true,
		Metafile:          true,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Target:            api.ES2020,
		Platform:          api.PlatformBrowser,
		Format:            api.FormatESModule,
		Charset:           api.CharsetUTF8,
		Loader: map[string]api.Loader{
			".svg": api.LoaderFile, ".png": api.LoaderFile, ".woff2": api.LoaderFile,
		},
		LogLevel: api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		return "", nil, fmt.Errorf("site: esbuild %s: %s", entry, formatMessages(res.Errors))
	}
	name, err := metafileOutput(res.Metafile, entry)
	if err != nil {
		return "", nil, fmt.Errorf("site: esbuild %s: %w", entry, err)
	}
	return name, res.Warnings, nil
}

// metafileOutput finds, in an esbuild metafile, the output built from entry
// and returns its base name.
func metafileOutput(metafile, entry string) (string, error) {
	var meta struct {
		Outputs map[string]struct {
			EntryPoint string `json:"entryPoint"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(metafile), &meta); err != nil {
		return "", fmt.Errorf("reading the metafile: %w", err)
	}
	for out, o := range meta.Outputs {
		if o.EntryPoint == entry {
			return filepath.Base(out), nil
		}
	}
	return "", fmt.Errorf("the metafile names no output for %s", entry)
}

func formatMessages(msgs []api.Message) string {
	var parts []string
	for _, m := range msgs {
		s := m.Text
		if m.Location != nil {
			s = fmt.Sprintf("%s:%d:%d: %s", m.Location.File, m.Location.Line, m.Location.Column, m.Text)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// bundleWorker builds the engine's worker script: web/ts/worker.ts as a minified classic script
// (an IIFE: a worker started from a blob: URL on another site cannot import modules relative to
// anything) after goGlue, the toolchain's wasm_exec.js, which defines the Go class it runs the
// wasm with. One file, so that an embed starts its worker with one cross-origin fetch.
func bundleWorker(root string, goGlue []byte) ([]byte, error) {
	js, err := bundleScript(root, workerEntry, nil)
	if err != nil {
		return nil, err
	}
	return append(append(bytes.TrimRight(goGlue, "\n"), '\n'), js...), nil
}

// bundleScript bundles entry (relative to root) into one minified classic script (an IIFE),
// with the identifiers of define replaced by their JSON values, and returns it unwritten.
func bundleScript(root, entry string, define map[string]string) ([]byte, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:     absRoot,
		EntryPoints:       []string{entry},
		Outdir:            filepath.Join(absRoot, "script-out"), // not written: Write is false
		Bundle:            true,
		Write:             false,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Target:            api.ES2020,
		Platform:          api.PlatformBrowser,
		Format:            api.FormatIIFE,
		Charset:           api.CharsetUTF8,
		LegalComments:     api.LegalCommentsNone,
		Define:            define,
		LogLevel:          api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		return nil, fmt.Errorf("site: esbuild %s: %s", entry, formatMessages(res.Errors))
	}
	for _, f := range res.OutputFiles {
		if strings.HasSuffix(f.Path, ".js") {
			return f.Contents, nil
		}
	}
	return nil, fmt.Errorf("site: esbuild %s: no JS output", entry)
}

// hashedName is name with a content hash before its extension, in the same
// style as esbuild's [hash]: 8 characters of base32 over SHA-256.
func hashedName(name string, data []byte) string {
	sum := sha256.Sum256(data)
	h := base32.StdEncoding.EncodeToString(sum[:])[:8]
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + "-" + h + ext
}

// writeHashed writes data into dir under its hashed name and returns that name.
func writeHashed(dir, name string, data []byte) (string, error) {
	hn := hashedName(name, data)
	return hn, os.WriteFile(filepath.Join(dir, hn), data, 0o644)
}

// goEnv asks the go command for one of its settings.
func goEnv(ctx context.Context, goCmd, key string) (string, error) {
	out, err := exec.CommandContext(ctx, goCmd, "env", key).Output()
	if err != nil {
		return "", fmt.Errorf("site: %s env %s: %w", goCmd, key, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// wasmExecJS reads the wasm_exec.js of the toolchain that builds the wasm;
// the two must come from the same Go release.
func wasmExecJS(ctx context.Context, goCmd string) ([]byte, error) {
	goroot, err := goEnv(ctx, goCmd, "GOROOT")
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return nil, fmt.Errorf("site: wasm_exec.js from the Go toolchain: %w", err)
	}
	return b, nil
}

// minifyJS minifies a classic script without bundling or lowering it: the
// toolchain's wasm_exec.js halves in size and keeps its behaviour (and its licence comment).
func minifyJS(src []byte) ([]byte, error) {
	res := api.Transform(string(src), api.TransformOptions{
		Loader:            api.LoaderJS,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsInline,
		Charset:           api.CharsetUTF8,
	})
	if len(res.Errors) > 0 {
		return nil, fmt.Errorf("site: minifying wasm_exec.js: %s", formatMessages(res.Errors))
	}
	return res.Code, nil
}

// wasmArtifact is the compiled emulator and its brotli form.
type wasmArtifact struct {
	wasm   []byte
	brotli []byte
}

// wasmGCFlags turn inlining off everywhere but in the two places where it pays: the modular
// arithmetic under RSA and SHA-256. Measured on this project's wasm (brotli quality 11):
// 2.89 MB with default inlining, 2.47 MB without any, 2.49 MB with these exceptions; an RSA
// signature (the cost of every token) takes about 1.2x the fully inlined time with them and 3.6x
// without them (sizes before the data segments were merged, see CompileWasm). The size budget
// is 2.5 MB.
var wasmGCFlags = []string{
	"-gcflags=all=-l",
	"-gcflags=crypto/internal/fips140/bigmod=",
	"-gcflags=crypto/internal/fips140/sha256=",
	"-gcflags=crypto/sha256=",
}

// buildWasm compiles ./wasm for the browser, stripped and without local paths,
// and compresses it with brotli at the given level: that is about the size a
// visitor downloads, and the one the budget is about.
func buildWasm(ctx context.Context, goCmd, root string, level int) (*wasmArtifact, error) {
	if fi, err := os.Stat(filepath.Join(root, "wasm")); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("site: there is no %s package in %s yet; build with SkipWasm to render the pages without the emulator", wasmPkg, root)
	}
	wasm, br, err := CompileWasm(ctx, goCmd, root, wasmPkg, level)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w; build with SkipWasm to render the pages without the emulator", err)
	}
	return &wasmArtifact{wasm: wasm, brotli: br}, nil
}

// CompileWasm compiles the Go package pkg (relative to dir) for GOOS=js GOARCH=wasm exactly as
// the site's engine is compiled (the same flags: stripped, without local paths, wasmGCFlags;
// then its data segments merged) and returns the module and its brotli form at level. scripts/budgets builds its floor, the
// smallest Go program, with it, so that the floor and the engine differ only in their code.
func CompileWasm(ctx context.Context, goCmd, dir, pkg string, level int) (wasm, br []byte, err error) {
	if goCmd == "" {
		goCmd = "go"
	}
	tmp, err := os.MkdirTemp("", "imds-wasm-*")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "out.wasm")
	args := append([]string{"build", "-trimpath", "-ldflags=-s -w"}, wasmGCFlags...)
	cmd := exec.CommandContext(ctx, goCmd, append(args, "-o", out, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("site: GOOS=js GOARCH=wasm go build %s failed (%v):\n%s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	if wasm, err = os.ReadFile(out); err != nil {
		return nil, nil, err
	}
	// The linker's 100,000 data segments, one per stretch between zeros, compress badly: merged
	// (internal/wasmdata), the engine is 1 MB bigger raw and 127 KB smaller in brotli-11.
	if wasm, err = wasmdata.Merge(wasm); err != nil {
		return nil, nil, fmt.Errorf("site: merging the data segments of %s: %w", pkg, err)
	}
	var b bytes.Buffer
	w := brotli.NewWriterLevel(&b, level)
	if _, err := w.Write(wasm); err != nil {
		return nil, nil, err
	}
	if err := w.Close(); err != nil {
		return nil, nil, err
	}
	return wasm, b.Bytes(), nil
}

// favicon is the site icon: a small SVG, so there is no binary in the tree and
// browsers do not log a 404 for /favicon.ico.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
	`<rect width="32" height="32" rx="6" fill="#0f62fe"/>` +
	`<path d="M9 9h14v14H9z" fill="none" stroke="#fff" stroke-width="2.5"/>` +
	`<circle cx="16" cy="16" r="2.5" fill="#fff"/></svg>` + "\n"

// markerFile marks an output directory as ours, so that rebuilding may
// replace it; Build refuses to delete a non-empty directory without it.
const markerFile = ".imds-site"

// replaceDir moves the freshly built stage into place at out. The old output
// is moved aside first and removed after, so a server reading out sees
// either the old site or the new one.
func replaceDir(stage, out string) error {
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.Rename(stage, out)
	case err != nil:
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(out, markerFile)); err != nil {
			return fmt.Errorf("site: %s is not empty and was not written by a site build (no %s); refusing to replace it", out, markerFile)
		}
	}
	old := stage + "-old" // unique, like stage, so concurrent builds do not collide
	if err := os.Rename(out, old); err != nil {
		return err
	}
	if err := os.Rename(stage, out); err != nil {
		_ = os.Rename(old, out)
		return err
	}
	return os.RemoveAll(old)
}

// The boot script (web/ts/boot.ts) is inline in every page's <head>: it starts the engine's
// worker, and as a file of its own it waited for a request of its own first (40–100 ms of a
// first visit on this project's machine, before the worker could start). The pages'
// Content-Security-Policy (netlify.toml) allows it by its hash, and nothing else inline.

// BootScriptHash is the CSP source that allows script inline: 'sha256-…'.
func BootScriptHash(script []byte) string {
	sum := sha256.Sum256(script)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// checkBootScript refuses a boot script that could not sit inside <script>…</script>, or that
// the pages' policy in root/netlify.toml (when there is one) does not allow by its hash: then
// the browser would refuse it, and the page would start its engine only from its module, late.
// The error says what to write.
func checkBootScript(root string, script []byte) error {
	lower := bytes.ToLower(script)
	if bytes.Contains(lower, []byte("</script")) || bytes.Contains(lower, []byte("<!--")) {
		return fmt.Errorf("site: the boot script (%s) holds </script or <!--, which cannot be inlined", bootEntry)
	}
	data, err := os.ReadFile(filepath.Join(root, "netlify.toml"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	cfg, err := ParseNetlify(data)
	if err != nil {
		return err
	}
	hash := BootScriptHash(script)
	// The home page and any other page, /<slug>/ (the rules match paths, not the content).
	for _, page := range []string{"/", "/any-page/"} {
		policy := cfg.HeadersFor(page).Get("Content-Security-Policy")
		if policy == "" {
			continue
		}
		if !slices.Contains(strings.Fields(cspDirective(policy, "script-src")), hash) {
			return fmt.Errorf("netlify.toml: the pages' Content-Security-Policy does not allow the inline boot script (%s): put %s in the script-src of the rule for %s, in place of the old hash", bootEntry, hash, page)
		}
	}
	return nil
}

// cspDirective returns the value of directive name in policy ("" when it has none).
func cspDirective(policy, name string) string {
	for d := range strings.SplitSeq(policy, ";") {
		f := strings.Fields(d)
		if len(f) > 0 && strings.EqualFold(f[0], name) {
			return strings.Join(f[1:], " ")
		}
	}
	return ""
}
