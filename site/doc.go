// Package site generates the playground, a static site, from content/*.md and
// serves it locally exactly as production would.
//
// # Build
//
// [Build] reads the markdown pages from an [fs.FS], renders each through the
// templ components of package web, bundles web/ts/main.ts and web/css/site.css
// with esbuild's Go API, compiles ./wasm with GOOS=js GOARCH=wasm, bundles the
// engine's worker (web/ts/worker.ts after the toolchain's wasm_exec.js), and
// writes everything into one output directory:
//
//	index.html            the overview and the list of pages
//	<slug>/index.html     one page per content file
//	404.html              served for unknown paths
//	assets/<name>-<hash>  every script, stylesheet, icon and wasm, content-hashed
//
// Pages reference assets only by their hashed URLs, so assets can be cached
// forever and pages not at all. The wasm and worker URLs reach the runtime
// through <meta name="imds-wasm"> and <meta name="imds-worker">: the CSP forbids
// inline scripts, so there is no other channel.
//
// # Markdown
//
// Pages are CommonMark plus GFM (tables, strikethrough, autolinks, task lists)
// with a front matter block of `key: value` lines (title, order, summary,
// slug). Fenced blocks are treated by their info string:
//
//	```sh                  live block, runs on the instance
//	```sh on=workstation   live block, runs on the operator's workstation
//	```sh static           shown highlighted, never run (a template)
//	```json, ```text, …    sample output, shown highlighted where we can
//
// A live block's editor holds the block's text exactly as written (without the
// final newline), also kept in data-source for Reset. Links to other pages may
// be written as relative paths to their markdown files (enable.md#cli); the
// build rewrites them to page URLs and fails on a link to a missing page.
//
// # Serve
//
// [Serve] builds, serves the output directory, applies the [[headers]] and
// [[redirects]] of netlify.toml (see [ParseNetlify]) and rebuilds when
// content/ or web/ change, so what a local browser sees, CSP included, is what
// production sends. [NewHandler] is the same server without the build loop.
package site
