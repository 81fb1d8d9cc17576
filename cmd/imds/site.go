package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/imdsplay/imdsplay/site"
)

const siteUsage = `Usage:

	imds site build [-o public] [--root DIR] [--skip-wasm]
	imds site serve [--addr 127.0.0.1:8080] [-o public] [--root DIR] [--skip-wasm] [--no-build]

build renders the playground, content/*.md with the WebAssembly emulator and shell, into a
static directory ready for any static host. serve builds it, serves it the way production does
(netlify.toml's headers and redirects) and rebuilds when content/, web/ or the Go sources
change. Both run from the repository root (--root).
`

func (c *cli) site(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, siteUsage)
		return 2
	}
	switch args[0] {
	case "build":
		return c.siteBuild(args[1:])
	case "serve":
		return c.siteServe(args[1:])
	case "-h", "-help", "--help":
		fmt.Fprint(c.stdout, siteUsage)
		return 0
	}
	return c.usageError("site", "unknown subcommand %q (want build or serve)", args[0])
}

func (c *cli) siteBuild(args []string) int {
	fs := c.flags("site build", siteUsage)
	out := fs.String("o", "public", "output `directory` (replaced as a whole)")
	root := fs.String("root", ".", "repository root `DIR` (holds content/, web/ and wasm/)")
	skipWasm := fs.Bool("skip-wasm", false, "build the pages without compiling the WebAssembly")
	if st := c.parse(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() > 0 {
		return c.usageError("site build", "unexpected argument %q", fs.Arg(0))
	}
	ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := site.Build(ctx, site.Options{Out: *out, Root: *root, Log: c.stderr, SkipWasm: *skipWasm})
	if err != nil {
		fmt.Fprintf(c.stderr, "imds site build: %v\n", err)
		return 1
	}
	fmt.Fprintf(c.stdout, "imds site build: %d pages, %d live blocks in %s (%s)", len(res.Pages), res.LiveBlocks, res.Out, res.Took.Round(1e6))
	if res.WasmBytes > 0 {
		fmt.Fprintf(c.stdout, "; wasm %.2f MB, %.2f MB with brotli", float64(res.WasmBytes)/1e6, float64(res.WasmBrotli)/1e6)
	}
	fmt.Fprintln(c.stdout)
	return 0
}

func (c *cli) siteServe(args []string) int {
	fs := c.flags("site serve", siteUsage)
	addr := fs.String("addr", "127.0.0.1:8080", "`address` to listen on")
	out := fs.String("o", "public", "output `directory`")
	root := fs.String("root", ".", "repository root `DIR`")
	skipWasm := fs.Bool("skip-wasm", false, "build the pages without compiling the WebAssembly")
	noBuild := fs.Bool("no-build", false, "serve the output directory as it is, without building")
	if st := c.parse(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() > 0 {
		return c.usageError("site serve", "unexpected argument %q", fs.Arg(0))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(c.stderr, "imds site serve: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(c.stdout, "imds site: serving http://%s from %s\n", ln.Addr(), *out)
	err = site.Serve(ctx, site.ServeOptions{Listener: ln, Out: *out, Root: *root, Log: c.stderr, SkipWasm: *skipWasm, NoBuild: *noBuild})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(c.stderr, "imds site serve: %v\n", err)
		return 1
	}
	return 0
}
