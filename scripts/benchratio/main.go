// Command benchratio reads `go test -bench` output and prints each emulator benchmark beside
// its floors, as ratios, and checks the budgets.
//
// The benchmarks of package imds are named Benchmark<Call>/<variant>, where a variant is the
// emulator itself (handler…: in process; http: over loopback), a floor (floor-…), or paired.
// Each emulator variant is compared with the floors of its kind: handler variants with the
// in-process floors, http with the floor-http-… ones.
//
// The ratio is floor ns/op ÷ emulator ns/op: the emulator's rate as a fraction of the floor's;
// 1.00 means the emulator costs nothing beyond the floor. When both benchmarks ran the same
// number of rounds (scripts/bench.sh runs every benchmark once per round), the ratio is the
// median of the per-round ratios, and the range column shows their spread; otherwise it is
// the ratio of the medians.
//
// A paired variant measures the emulator and its floor itself, in alternating phases of one
// run, and reports emulator-ns/req, floor-ns/req and rate-ratio; those are printed as they
// come (medians over the rounds). On a shared machine, where the neighbours' load swings from
// one second to the next, paired is the number to trust, and the default budget uses it.
//
// Usage:
//
//	go test ./imds/ -run '^$' -bench . -count 5 | go run ./scripts/benchratio
//	go run ./scripts/benchratio [-budget 'IdentityToken:paired>=0.9'] bench.txt ...
//
// A budget is Call:variant>=min (the rate-ratio of a paired variant) or
// Call:variant/floor>=min (the ratio of two variants). The default is
// IdentityToken:paired>=0.9: identity tokens over loopback HTTP at 0.9× or more of the rate
// of a minimal net/http handler that only signs the same token. It exits 1 when a budget is
// not met, 2 on bad input.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// budget is one required ratio; an empty floor means the variant's own rate-ratio.
type budget struct {
	call, variant, floor string
	min                  float64
}

func (b budget) String() string {
	if b.floor == "" {
		return fmt.Sprintf("%s %s rate-ratio", b.call, b.variant)
	}
	return fmt.Sprintf("%s: %s rate ÷ %s rate", b.call, b.variant, b.floor)
}

// parseBudget reads "Call:variant>=min" or "Call:variant/floor>=min".
func parseBudget(s string) (budget, error) {
	var b budget
	bad := fmt.Errorf("budget %q: want Call:variant>=min or Call:variant/floor>=min", s)
	lhs, min, ok := strings.Cut(s, ">=")
	if !ok {
		return b, bad
	}
	call, pair, ok := strings.Cut(lhs, ":")
	if !ok || call == "" || pair == "" {
		return b, bad
	}
	variant, floor, _ := strings.Cut(pair, "/")
	m, err := strconv.ParseFloat(strings.TrimSpace(min), 64)
	if err != nil {
		return b, fmt.Errorf("budget %q: %v", s, err)
	}
	return budget{strings.TrimSpace(call), strings.TrimSpace(variant), strings.TrimSpace(floor), m}, nil
}

// line matches "BenchmarkCall/variant-8   123   4567 ns/op ..." and keeps the metrics.
var (
	line   = regexp.MustCompile(`^Benchmark([^/\s]+)/(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)
	metric = regexp.MustCompile(`([0-9.e+-]+) (\S+)`)
)

// results maps call → variant → metric unit → the value of every run.
type results map[string]map[string]map[string][]float64

func parse(r io.Reader) (results, error) {
	res := results{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		call, variant := m[1], m[2]
		if res[call] == nil {
			res[call] = map[string]map[string][]float64{}
		}
		if res[call][variant] == nil {
			res[call][variant] = map[string][]float64{}
		}
		for _, mm := range metric.FindAllStringSubmatch(m[3], -1) {
			v, err := strconv.ParseFloat(mm[1], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: %v", sc.Text(), err)
			}
			res[call][variant][mm[2]] = append(res[call][variant][mm[2]], v)
		}
	}
	return res, sc.Err()
}

// ratio compares the runs of an emulator variant with those of a floor: the median of the
// per-round ratios, with their minimum and maximum, when the rounds pair up, and the ratio of
// the medians (with an empty range) when they do not.
func ratio(emulator, floor []float64) (r, lo, hi float64) {
	if len(emulator) != len(floor) {
		return median(floor) / median(emulator), 0, 0
	}
	per := make([]float64, len(emulator))
	for i := range emulator {
		per[i] = floor[i] / emulator[i]
	}
	return median(per), slices.Min(per), slices.Max(per)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// isFloorFor says whether floor is compared with the emulator variant.
func isFloorFor(variant, floor string) bool {
	if !strings.HasPrefix(floor, "floor-") || variant == "paired" {
		return false
	}
	return strings.HasPrefix(variant, "http") == strings.HasPrefix(floor, "floor-http")
}

func main() {
	var budgets []budget
	flag.Func("budget", "a required ratio, Call:variant>=min or Call:variant/floor>=min (repeatable; default IdentityToken:paired>=0.9)", func(s string) error {
		b, err := parseBudget(s)
		budgets = append(budgets, b)
		return err
	})
	flag.Parse()
	if len(budgets) == 0 {
		budgets = []budget{{"IdentityToken", "paired", "", 0.9}}
	}
	var in io.Reader = os.Stdin
	if flag.NArg() > 0 {
		var readers []io.Reader
		for _, name := range flag.Args() {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintln(os.Stderr, "benchratio:", err)
				os.Exit(2)
			}
			defer f.Close()
			readers = append(readers, f)
		}
		in = io.MultiReader(readers...)
	}
	res, err := parse(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(2)
	}
	if len(res) == 0 {
		fmt.Fprintln(os.Stderr, "benchratio: no benchmark results in the input")
		os.Exit(2)
	}
	os.Exit(report(os.Stdout, res, budgets))
}

func spread(lo, hi float64) string {
	if hi == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f–%.2f", lo, hi)
}

// report prints the tables and the budgets; it returns the exit status.
func report(w io.Writer, res results, budgets []budget) int {
	calls := make([]string, 0, len(res))
	for c := range res {
		calls = append(calls, c)
	}
	sort.Strings(calls)

	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "call\temulator\tns/op\tfloor\tns/op\tratio\trange\truns\t")
	rows := 0
	for _, c := range calls {
		var variants, floors []string
		for v := range res[c] {
			if strings.HasPrefix(v, "floor-") {
				floors = append(floors, v)
			} else {
				variants = append(variants, v)
			}
		}
		sort.Strings(variants)
		sort.Strings(floors)
		for _, v := range variants {
			for _, f := range floors {
				if !isFloorFor(v, f) {
					continue
				}
				ev, fv := res[c][v]["ns/op"], res[c][f]["ns/op"]
				r, lo, hi := ratio(ev, fv)
				rows++
				fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%.0f\t%.2f\t%s\t%d\t\n", c, v, median(ev), f, median(fv), r, spread(lo, hi), min(len(ev), len(fv)))
			}
		}
	}
	tw.Flush()
	if rows > 0 {
		w.Write(table.Bytes())
		fmt.Fprintln(w)
	}

	var pairedRows [][]string
	for _, c := range calls {
		p := res[c]["paired"]
		if len(p["rate-ratio"]) == 0 {
			continue
		}
		rr := p["rate-ratio"]
		pairedRows = append(pairedRows, []string{c, fmt.Sprintf("%.0f", median(p["emulator-ns/req"])), fmt.Sprintf("%.0f", median(p["floor-ns/req"])),
			fmt.Sprintf("%.2f", median(rr)), spread(slices.Min(rr), slices.Max(rr)), fmt.Sprint(len(rr))})
	}
	if len(pairedRows) > 0 {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "paired\temulator ns/req\tfloor-http-sign ns/req\trate-ratio\trange\truns\t")
		for _, row := range pairedRows {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()
		fmt.Fprintln(w)
	}

	status := 0
	for _, b := range budgets {
		var r float64
		var ok bool
		if b.floor == "" {
			rr := res[b.call][b.variant]["rate-ratio"]
			r, ok = median(rr), len(rr) > 0
		} else {
			ev, fv := res[b.call][b.variant]["ns/op"], res[b.call][b.floor]["ns/op"]
			r, _, _ = ratio(ev, fv)
			ok = len(ev) > 0 && len(fv) > 0
		}
		if !ok {
			fmt.Fprintf(w, "budget %s: no results\n", b)
			status = 1
			continue
		}
		verdict := "ok"
		if r < b.min {
			verdict, status = "BELOW BUDGET", 1
		}
		fmt.Fprintf(w, "budget %s = %.2f (want ≥ %.2f): %s\n", b, r, b.min, verdict)
	}
	return status
}
