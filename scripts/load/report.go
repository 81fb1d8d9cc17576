package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// budget is issue 6's bound for a scenario, as ratios to its floor; zero means none.
type budget struct {
	minThroughput float64 // emulator req/s ÷ floor req/s, at least
	maxP99        float64 // emulator p99 ÷ floor p99, at most
}

var budgets = map[string]budget{
	"tokens":   {minThroughput: 0.9},
	"metadata": {minThroughput: 0.8, maxP99: 1.5},
}

// report prints the markdown tables and reports whether everything passed.
func report(w io.Writer, results []result, server string, o options) bool {
	ok := true
	fmt.Fprintf(w, "\n### Load: %s\n\n", server)
	fmt.Fprintf(w, "`go run ./scripts/load %s` — %d CPUs, %s, %v per server and scenario in alternating segments of at most %v (+%v warm-up each), client and servers on the same machine.\n\n",
		strings.Join(os.Args[1:], " "), runtime.NumCPU(), runtime.Version(), o.duration, o.segment, o.warmup)
	fmt.Fprintln(w, "| scenario | server | clients | requests | failed | req/s | p50 | p99 | req/s ÷ floor | p99 ÷ floor | budget |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range results {
		row := func(server string, m *measurement, ratios, verdict string) {
			fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %.0f | %s | %s | %s |\n", r.plan.name, server, r.plan.clients, m.requests, m.failed,
				m.throughput(), ms(m.percentile(50)), ms(m.percentile(99)), ratios+" | "+verdict)
		}
		if r.emu.failed > 0 {
			ok = false
		}
		ratios, verdict := "—", "—"
		if r.floor != nil && r.floor.throughput() > 0 && r.floor.percentile(99) > 0 {
			tr := r.emu.throughput() / r.floor.throughput()
			pr := float64(r.emu.percentile(99)) / float64(r.floor.percentile(99))
			ratios = fmt.Sprintf("%.2f | %.2f", tr, pr)
			verdict = "none yet"
			if b, has := budgets[r.plan.name]; has {
				met := tr >= b.minThroughput && (b.maxP99 == 0 || pr <= b.maxP99)
				verdict = fmt.Sprintf("req/s ≥ %.1f×", b.minThroughput)
				if b.maxP99 > 0 {
					verdict += fmt.Sprintf(", p99 ≤ %.1f×", b.maxP99)
				}
				if met {
					verdict += ": **met**"
				} else {
					verdict += ": **missed**"
					ok = false
				}
			}
		} else {
			ratios = "— | —"
		}
		row("emulator", r.emu, ratios, verdict)
		if r.floor != nil {
			row("floor ("+r.plan.floor+")", r.floor, "— | —", "")
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scenario | requests to the emulator | failed | identity tokens verified | IAM tokens verified | certificates chained | metadata answers identical | Activity Tracker events | checks |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|---|")
	var notes []string
	for _, r := range results {
		c := r.checks
		events := fmt.Sprintf("%d of %d", c.events, c.sent)
		if c.eventsFull {
			events += " (log full)"
		}
		verdict := "**pass**"
		if !c.ok() || r.emu.failed > 0 {
			verdict = "**FAIL**"
			ok = false
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %s | %s |\n", r.plan.name, c.sent, r.emu.failed,
			c.verified[kindToken], c.verified[kindIAM], c.verified[kindCert], c.verified[kindMetadata], events, verdict)
		for _, p := range append(r.emu.failures, c.problems...) {
			notes = append(notes, r.plan.name+": "+p)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Each segment is a fresh process of at most %d requests, warm-up included (the core's Activity Tracker log keeps %d events, and every event is counted); rates and percentiles are over the segments' timed windows.\n", eventsCap, eventsCap)
	for _, n := range notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	return ok
}

// ms formats a latency in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
