//go:build !js

package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// table collects the measures and their verdicts.
type table struct {
	rows [][]string
	over bool
}

// add appends a row: measure, value, floor, ratio, budget, verdict.
func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// verdict is "ok", or "OVER" (and the table is over budget) when ok is false.
func (t *table) verdict(ok bool) string {
	if ok {
		return "ok"
	}
	t.over = true
	return "OVER"
}

// ratio judges median(v) / median(floor) ≤ budget.
func (t *table) ratio(name string, v, floor []float64, budget float64) {
	med, fl := median(v), median(floor)
	r := med / fl
	t.add(name, fmtMs(med)+spread(v), fmtMs(fl)+spread(floor), fmt.Sprintf("%.2f×", r), fmt.Sprintf("≤ %.1f×", budget), t.verdict(r <= budget))
}

// ratioTo judges median(v) / floor ≤ budget; budget 0 only reports the ratio.
func (t *table) ratioTo(name string, v []float64, floor float64, floorName string, budget float64) {
	med := median(v)
	r := med / floor
	if budget == 0 {
		t.add(name, fmtMs(med)+spread(v), fmtMs(floor)+" ("+floorName+")", fmt.Sprintf("%.2f×", r), "-", "")
		return
	}
	t.add(name, fmtMs(med)+spread(v), fmtMs(floor)+" ("+floorName+")", fmt.Sprintf("%.2f×", r), fmt.Sprintf("≤ %.1f×", budget), t.verdict(r <= budget))
}

// max judges median(v) ≤ budget (milliseconds).
func (t *table) max(name string, v []float64, budget float64) {
	med := median(v)
	t.add(name, fmtMs(med)+spread(v), "", "", "≤ "+fmtMs(budget), t.verdict(med <= budget))
}

// maxBeside judges median(v) ≤ budget (milliseconds), with the floor's median beside it.
func (t *table) maxBeside(name string, v, floor []float64, budget float64) {
	med := median(v)
	t.add(name, fmtMs(med)+spread(v), fmtMs(median(floor))+spread(floor), "", "≤ "+fmtMs(budget), t.verdict(med <= budget))
}

// maxMB judges a size in bytes.
func (t *table) maxMB(name string, v, budget float64) {
	t.add(name, fmtMB(v), "", "", "≤ "+fmtMB(budget), t.verdict(v <= budget))
}

// min judges v ≥ budget.
func (t *table) min(name string, v, budget float64) {
	t.add(name, fmt.Sprintf("%.0f", v), "", "", fmt.Sprintf("≥ %.0f", budget), t.verdict(v >= budget))
}

// check judges a yes/no measure.
func (t *table) check(name, value string, ok bool, budget string) {
	t.add(name, value, "", "", budget, t.verdict(ok))
}

// info is a line for information, not judged.
func (t *table) info(name, value string) { t.add(name, value, "", "", "-", "") }

// print writes the table.
func (t *table) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tplayground (min–max)\tfloor (min–max)\tratio\tbudget\t\t")
	for _, r := range t.rows {
		for len(r) < 6 {
			r = append(r, "")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", r[0], r[1], r[2], r[3], r[4], r[5])
	}
	tw.Flush()
}

// spread is " (min–max)" of v when it has more than one value.
func spread(v []float64) string {
	if len(v) < 2 {
		return ""
	}
	return fmt.Sprintf(" (%s–%s)", fmtMs(slices.Min(v)), fmtMs(slices.Max(v)))
}

// fmtMs formats milliseconds.
func fmtMs(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// fmtMB formats bytes as MB.
func fmtMB(v float64) string { return fmt.Sprintf("%.2f MB", v/1e6) }
