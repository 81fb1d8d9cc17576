package ibmcloud

import (
	"io"
	"strings"
)

// field is one line of a detail view: a label and either a value or a sub-table (a header row
// and data rows), which the CLI prints beside the label and follows with a blank line.
type field struct {
	label string
	value string
	table [][]string
}

// columns pads cells to the widest cell of their column plus three spaces, as the CLI's table
// printer does; the last column is not padded.
func columns(rows [][]string) []string {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	out := make([]string, len(rows))
	for n, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-len(c)+3))
			}
		}
		out[n] = strings.TrimRight(b.String(), " ")
	}
	return out
}

func printDetail(w io.Writer, fields []field) {
	width := 0
	for _, f := range fields {
		width = max(width, len(f.label))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", width+3-len(s)) }
	var b strings.Builder
	for _, f := range fields {
		if f.table == nil {
			v := f.value
			if v == "" {
				v = "-"
			}
			b.WriteString(pad(f.label) + v + "\n")
			continue
		}
		for i, line := range columns(f.table) {
			label := ""
			if i == 0 {
				label = f.label
			}
			b.WriteString(pad(label) + line + "\n")
		}
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}

func printTable(w io.Writer, rows [][]string) {
	var b strings.Builder
	for _, l := range columns(rows) {
		b.WriteString(l + "\n")
	}
	io.WriteString(w, b.String())
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
