//go:build !js

// Package browsertest drives the built playground in headless Chromium: its tests open every
// page, run every live block and check what a reader would see; scripts/budgets uses the same
// helpers to measure load and run times.
//
// Chromium is Debian's `chromium` package (CI installs it). Without it the tests skip with a
// clear message, unless IMDS_REQUIRE_BROWSER=1, when they fail.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/imdsplay/imdsplay/site"
)

// ErrNoChromium is returned by FindChromium when no browser is installed.
var ErrNoChromium = errors.New("chromium not found")

// FindChromium returns the path of a Chromium-family browser: $CHROMIUM when set, else the first
// of chromium, chromium-browser, google-chrome-stable, google-chrome on PATH.
func FindChromium() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Site is a built playground served on a loopback port, with the headers of netlify.toml.
type Site struct {
	// URL is the server's base URL, without a trailing slash.
	URL string
	// Dir is the output directory being served.
	Dir string
	// Build describes what was built.
	Build *site.Result

	cancel context.CancelFunc
	done   chan error
	tmp    string
}

// SiteOptions configures BuildAndServe.
type SiteOptions struct {
	// Root is the repository root; "" means the current directory.
	Root string
	// Content overrides Root/content when set (a directory).
	Content string
	// Out is where to build; "" means a new temporary directory, removed by Close.
	Out string
	// Log receives the build's and the server's lines; nil discards them.
	Log io.Writer
}

// BuildAndServe builds the site and serves it with site.Serve on 127.0.0.1:0, so that the
// headers a browser sees (the CSP above all) are those production sends.
func BuildAndServe(ctx context.Context, opts SiteOptions) (*Site, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	s := &Site{}
	out := opts.Out
	if out == "" {
		if s.tmp, err = os.MkdirTemp("", "imds-site-"); err != nil {
			return nil, err
		}
		out = filepath.Join(s.tmp, "public")
	}
	bopts := site.Options{Out: out, Root: root, Log: opts.Log}
	if opts.Content != "" {
		bopts.Content = os.DirFS(opts.Content)
	}
	if s.Build, err = site.Build(ctx, bopts); err != nil {
		s.Close()
		return nil, fmt.Errorf("building the site: %w", err)
	}
	if err := s.serve(out, root, opts.Log); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// ServeBuilt serves a site already built into out (by `imds site build`, say) the way
// BuildAndServe does, with root's netlify.toml; Close stops it and, when tmp is not "", removes
// tmp, the temporary folder out is in.
func ServeBuilt(out, root, tmp string) (*Site, error) {
	s := &Site{tmp: tmp}
	if err := s.serve(out, root, io.Discard); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// serve starts site.Serve on 127.0.0.1:0 for out, without builds.
func (s *Site) serve(out, root string, log io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.URL, s.Dir = "http://"+ln.Addr().String(), out
	sctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan error, 1)
	go func() {
		s.done <- site.Serve(sctx, site.ServeOptions{Listener: ln, Out: out, Root: root, Log: log, NoBuild: true})
	}()
	return nil
}

// Close stops the server and removes a temporary build.
func (s *Site) Close() {
	if s.cancel != nil {
		s.cancel()
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
		}
	}
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
	}
}

// NewBrowser starts headless Chromium at path with a fresh profile and returns a chromedp
// context on its first tab. Derive one context per tab from it with chromedp.NewContext; cancel
// stops the browser and removes the profile.
func NewBrowser(path string) (context.Context, context.CancelFunc, error) {
	profile, err := os.MkdirTemp("", "imds-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.WindowSize(1280, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	stop := func() {
		cancel()
		acancel()
		os.RemoveAll(profile)
	}
	// The first Do starts the browser; it must not carry a timeout (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		stop()
		return nil, nil, fmt.Errorf("starting %s: %w", path, err)
	}
	return ctx, stop, nil
}

// LongTaskScript records the page's long tasks (Long Tasks API: a task of the page's main thread
// over 50 ms) from before the page's own scripts run, in window.__longTasks as {start, ms}. It is
// for AddScriptToEvaluateOnNewDocument; scripts/budgets uses it too.
const LongTaskScript = `window.__longTasks = [];
try {
	new PerformanceObserver((list) => {
		for (const e of list.getEntries()) window.__longTasks.push({start: e.startTime, ms: e.duration});
	}).observe({type: "longtask", buffered: true});
} catch (e) {
	window.__longTasks = null;
}`

// LongTask is one entry of window.__longTasks, in ms of the page's performance timeline.
type LongTask struct {
	Start float64 `json:"start"`
	Ms    float64 `json:"ms"`
}
