//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// lighthouseVersion is the Lighthouse the budget is measured with: 12.x runs on node 18.16 and
// later (13 wants node 22), and its desktop preset is the one the budget names.
const lighthouseVersion = "12.8.2"

// lighthouseScore is one page's Lighthouse result.
type lighthouseScore struct {
	Path  string
	Score float64 // the Performance category, 0..100
	// Accessibility is the Accessibility category, 0..100: its audits are axe-core's, run on
	// the page as loaded (the browser tests run axe itself after every block too).
	Accessibility float64
	TBT           float64 // total blocking time, ms
	LCP           float64 // largest contentful paint, ms
}

// lighthouseCLI finds the lighthouse command: $LIGHTHOUSE, else one on PATH, else the pinned
// version installed with npm into the user's cache directory (once).
func lighthouseCLI(verbose bool) (string, error) {
	if p := os.Getenv("LIGHTHOUSE"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("lighthouse"); err == nil {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "imdsplay", "lighthouse-"+lighthouseVersion)
	bin := filepath.Join(dir, "node_modules", ".bin", "lighthouse")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("no lighthouse and no npm to install it (set $LIGHTHOUSE)")
	}
	fmt.Fprintf(os.Stderr, "installing lighthouse@%s into %s…\n", lighthouseVersion, dir)
	cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "lighthouse@"+lighthouseVersion)
	if verbose {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install lighthouse@%s: %w", lighthouseVersion, err)
	}
	return bin, nil
}

// lighthouse runs Lighthouse's desktop preset, performance and accessibility, on each path of the site at
// base with chromium. It returns the scores, or why it could not measure.
func lighthouse(base string, paths []string, chromium string, verbose bool) ([]lighthouseScore, string) {
	cli, err := lighthouseCLI(verbose)
	if err != nil {
		return nil, err.Error()
	}
	var scores []lighthouseScore
	for _, p := range paths {
		fmt.Fprintf(os.Stderr, "lighthouse %s…\n", p)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, cli, base+p,
			"--preset=desktop", "--only-categories=performance,accessibility", "--output=json", "--output-path=stdout", "--quiet",
			"--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run")
		cmd.Env = append(os.Environ(), "CHROME_PATH="+chromium)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		if err != nil {
			return scores, fmt.Sprintf("lighthouse %s: %v: %s", p, err, strings.TrimSpace(lastLine(stderr.String())))
		}
		var report struct {
			Categories struct {
				Performance struct {
					Score *float64 `json:"score"`
				} `json:"performance"`
				Accessibility struct {
					Score *float64 `json:"score"`
				} `json:"accessibility"`
			} `json:"categories"`
			Audits map[string]struct {
				NumericValue float64 `json:"numericValue"`
			} `json:"audits"`
			RuntimeError *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"runtimeError"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
			return scores, fmt.Sprintf("lighthouse %s: reading its report: %v", p, err)
		}
		if report.RuntimeError != nil {
			return scores, fmt.Sprintf("lighthouse %s: %s: %s", p, report.RuntimeError.Code, report.RuntimeError.Message)
		}
		if report.Categories.Performance.Score == nil || report.Categories.Accessibility.Score == nil {
			return scores, fmt.Sprintf("lighthouse %s: no performance or accessibility score", p)
		}
		sc := lighthouseScore{Path: p, Score: 100 * *report.Categories.Performance.Score, Accessibility: 100 * *report.Categories.Accessibility.Score,
			TBT: report.Audits["total-blocking-time"].NumericValue, LCP: report.Audits["largest-contentful-paint"].NumericValue}
		if verbose {
			fmt.Fprintf(os.Stderr, "lighthouse %s: %.0f (TBT %.0f ms, LCP %.0f ms, FCP %.0f ms, SI %.0f ms, CLS %.3f)\n", p, sc.Score, sc.TBT, sc.LCP,
				report.Audits["first-contentful-paint"].NumericValue, report.Audits["speed-index"].NumericValue, report.Audits["cumulative-layout-shift"].NumericValue)
		}
		scores = append(scores, sc)
	}
	return scores, ""
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
