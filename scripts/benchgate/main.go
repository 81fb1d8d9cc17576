// Command benchgate checks the benchmark budgets in `go test -bench` output. The comparison
// itself (each emulator benchmark beside its floors, with confidence intervals) is benchstat's
// (scripts/bench.sh runs `go tool benchstat -row .name,/via -col /impl`); this only decides
// pass or fail.
//
// A budget is Name>=min: the median (golang.org/x/perf/benchmath, no distribution assumed) of
// the rate-ratio metric of the benchmark Name, without "Benchmark" and the GOMAXPROCS suffix.
// The paired benchmarks report rate-ratio, the emulator's rate as a fraction of its floor's,
// measured in alternating phases of one run. The default budget is
//
//	IdentityToken/via=http/impl=paired>=0.9
//
// identity tokens over loopback HTTP at 0.9× or more of the rate of a minimal net/http
// handler that only signs the same token.
//
// Usage:
//
//	go run ./scripts/benchgate [-budget 'IAMExchange/via=http/impl=paired>=0.9'] bench.txt ...
//
// It exits 1 when a budget is not met or has no results, 2 on bad input.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// budget is a minimum for the median rate-ratio of one benchmark.
type budget struct {
	name string
	min  float64
}

func parseBudget(s string) (budget, error) {
	name, min, ok := strings.Cut(s, ">=")
	if !ok || strings.TrimSpace(name) == "" {
		return budget{}, fmt.Errorf("budget %q: want Name>=min", s)
	}
	m, err := strconv.ParseFloat(strings.TrimSpace(min), 64)
	if err != nil {
		return budget{}, fmt.Errorf("budget %q: %v", s, err)
	}
	return budget{strings.TrimSpace(name), m}, nil
}

// rateRatios reads benchmark results and returns the rate-ratio values of every benchmark
// that reports one, by name (without the GOMAXPROCS suffix).
func rateRatios(name string, r io.Reader) (map[string][]float64, error) {
	out := map[string][]float64{}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		base, parts := res.Name.Parts()
		full := string(base)
		for _, p := range parts {
			if len(p) > 0 && p[0] == '/' {
				full += string(p)
			}
		}
		for _, v := range res.Values {
			if v.Unit == "rate-ratio" {
				out[full] = append(out[full], v.Value)
			}
		}
	}
	return out, br.Err()
}

// check prints each budget's verdict and returns the exit status.
func check(w io.Writer, ratios map[string][]float64, budgets []budget) int {
	status := 0
	for _, b := range budgets {
		values := ratios[b.name]
		if len(values) == 0 {
			fmt.Fprintf(w, "budget %s: no rate-ratio results\n", b.name)
			status = 1
			continue
		}
		s := benchmath.AssumeNothing.Summary(benchmath.NewSample(values, &benchmath.DefaultThresholds), 0.95)
		verdict := "ok"
		if s.Center < b.min {
			verdict, status = "BELOW BUDGET", 1
		}
		fmt.Fprintf(w, "budget %s rate-ratio = %.2f (%.2f–%.2f, n=%d; want ≥ %.2f): %s\n", b.name, s.Center, s.Lo, s.Hi, len(values), b.min, verdict)
	}
	return status
}

func main() {
	var budgets []budget
	flag.Func("budget", "a required median rate-ratio, Name>=min (repeatable; default IdentityToken/via=http/impl=paired>=0.9)", func(s string) error {
		b, err := parseBudget(s)
		budgets = append(budgets, b)
		return err
	})
	flag.Parse()
	if len(budgets) == 0 {
		budgets = []budget{{"IdentityToken/via=http/impl=paired", 0.9}}
	}
	ratios := map[string][]float64{}
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchgate:", err)
			os.Exit(2)
		}
		got, err := rateRatios(name, f)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchgate:", err)
			os.Exit(2)
		}
		for k, v := range got {
			ratios[k] = append(ratios[k], v...)
		}
	}
	os.Exit(check(os.Stdout, ratios, budgets))
}
