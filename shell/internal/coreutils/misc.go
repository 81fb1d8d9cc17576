package coreutils

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

func sleep(o Options) builtin.Func {
	return func(e *builtin.Env) int {
		args := e.Args[1:]
		if len(args) == 0 {
			return e.UsageErrorf(1, "missing operand")
		}
		var total time.Duration
		for _, a := range args {
			d, ok := parseInterval(a)
			if !ok {
				return e.UsageErrorf(1, "invalid time interval '%s'", a)
			}
			total += d
		}
		if e.Cancelled() {
			return 130
		}
		// Virtual time: the clock jumps, nobody waits.
		if o.Advance != nil {
			o.Advance(total)
		}
		return 0
	}
}

// negativeOperands puts "--" before the first word that is a negative number, so that
// `seq -5 5` reads -5 as an operand, as GNU seq does.
func negativeOperands(args []string) []string {
	for i, a := range args {
		if len(a) > 1 && a[0] == '-' && (isDigit(a[1]) || a[1] == '.') {
			return append(append(slices.Clone(args[:i]), "--"), args[i:]...)
		}
	}
	return args
}

func parseInterval(s string) (time.Duration, bool) {
	mult := time.Second
	switch {
	case strings.HasSuffix(s, "s"):
		s = s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		s, mult = s[:len(s)-1], time.Minute
	case strings.HasSuffix(s, "h"):
		s, mult = s[:len(s)-1], time.Hour
	case strings.HasSuffix(s, "d"):
		s, mult = s[:len(s)-1], 24*time.Hour
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return time.Duration(v * float64(mult)), true
}

func date(o Options) builtin.Func {
	return func(e *builtin.Env) int {
		t := o.Now().UTC()
		format := "%a %b %e %H:%M:%S %Z %Y"
		iso := func(v string) error {
			switch v {
			case "", "date":
				format = "%Y-%m-%d"
			case "seconds":
				format = "%Y-%m-%dT%H:%M:%S%:z"
			default:
				return builtin.Hinted(fmt.Errorf("invalid argument '%s' for '--iso-8601'", v))
			}
			return nil
		}
		var dateErr error
		args, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
			{Short: 'u', Long: "utc", Flag: builtin.Ignore}, {Long: "universal", Flag: builtin.Ignore},
			{Short: 'I', Long: "iso-8601", Optional: true, Value: iso},
			{Short: 'R', Long: "rfc-email", Flag: func() { format = "%a, %d %b %Y %H:%M:%S %z" }},
			{Short: 'd', Long: "date", Value: func(v string) error {
				parsed, ok := parseDate(v, t)
				if !ok && dateErr == nil {
					dateErr = fmt.Errorf("invalid date '%s'", v)
				}
				t = parsed
				return nil
			}},
		}, builtin.Refused("s/set r/reference")...), e.Args[1:])
		if err != nil {
			return e.Usage(err, 1)
		}
		if dateErr != nil {
			e.Errorf("%v", dateErr)
			return 1
		}
		for i, a := range args {
			switch {
			case i > 0:
				return e.UsageErrorf(1, "extra operand '%s'", a)
			case strings.HasPrefix(a, "+"):
				format = a[1:]
			default:
				e.Errorf("invalid date '%s'", a)
				return 1
			}
		}
		return writeLine(e, strftime(format, t))
	}
}

func parseDate(v string, now time.Time) (time.Time, bool) {
	if strings.HasPrefix(v, "@") {
		f, err := strconv.ParseFloat(v[1:], 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(0, int64(f*1e9)).UTC(), true
	}
	if v == "now" || v == "" {
		return now, true
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// pad writes n in at least width digits, padded on the left with c.
func pad(n, width int, c byte) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = string(c) + s
	}
	return s
}

// strftimeConv is one conversion of date +FORMAT, by letter; ok is false for one it does not
// know.
func strftimeConv(c byte, t time.Time) (s string, ok bool) {
	layout := ""
	switch c {
	case 'Y':
		return pad(t.Year(), 4, '0'), true
	case 'y':
		return pad(t.Year()%100, 2, '0'), true
	case 'm':
		return pad(int(t.Month()), 2, '0'), true
	case 'd':
		return pad(t.Day(), 2, '0'), true
	case 'e':
		return pad(t.Day(), 2, ' '), true
	case 'H':
		return pad(t.Hour(), 2, '0'), true
	case 'I':
		return pad((t.Hour()+11)%12+1, 2, '0'), true
	case 'M':
		return pad(t.Minute(), 2, '0'), true
	case 'S':
		return pad(t.Second(), 2, '0'), true
	case 'N':
		return pad(t.Nanosecond(), 9, '0'), true
	case 's':
		return strconv.FormatInt(t.Unix(), 10), true
	case 'j':
		return pad(t.YearDay(), 3, '0'), true
	case 'u':
		return strconv.Itoa((int(t.Weekday())+6)%7 + 1), true
	case 'w':
		return strconv.Itoa(int(t.Weekday())), true
	case 'n':
		return "\n", true
	case 't':
		return "\t", true
	case '%':
		return "%", true
	case 'a':
		layout = "Mon"
	case 'A':
		layout = "Monday"
	case 'b', 'h':
		layout = "Jan"
	case 'B':
		layout = "January"
	case 'p':
		layout = "PM"
	case 'Z':
		layout = "MST"
	case 'z':
		layout = "-0700"
	case 'T':
		layout = "15:04:05"
	case 'F':
		layout = "2006-01-02"
	case 'D':
		layout = "01/02/06"
	case 'R':
		layout = "15:04"
	default:
		return "", false
	}
	return t.Format(layout), true
}

// strftime formats t as date +FORMAT does; unknown conversions are kept as written.
func strftime(f string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		c := f[i]
		if s, ok := strftimeConv(c, t); ok {
			b.WriteString(s)
		} else if c == ':' && i+1 < len(f) && f[i+1] == 'z' {
			i++
			b.WriteString(t.Format("-07:00"))
		} else {
			b.WriteString("%" + string(c))
		}
	}
	return b.String()
}

// envList returns the exported environment as NAME=value lines, sorted.
func envList(e *builtin.Env) []string {
	out := slices.Clone(e.Environ)
	slices.Sort(out)
	return out
}

func env(e *builtin.Env) int {
	if len(e.Args) > 1 {
		fmt.Fprintf(e.Stderr, "env: running commands is not supported here; set variables with export\n")
		return 125
	}
	for _, kv := range envList(e) {
		writeLine(e, kv)
	}
	return 0
}

func printenv(e *builtin.Env) int {
	if len(e.Args) == 1 {
		return env(e)
	}
	status := 0
	for _, n := range e.Args[1:] {
		found := false
		for _, kv := range envList(e) {
			if k, v, _ := strings.Cut(kv, "="); k == n {
				writeLine(e, v)
				found = true
			}
		}
		if !found {
			status = 1
		}
	}
	return status
}

func uname(o Options) builtin.Func {
	return func(e *builtin.Env) int {
		fields := map[byte]string{'s': "Linux", 'n': o.Hostname, 'r': "6.8.0-45-generic", 'v': "#45-Ubuntu SMP PREEMPT_DYNAMIC", 'm': "x86_64", 'o': "GNU/Linux"}
		if len(e.Args) == 1 {
			return writeLine(e, "Linux")
		}
		var parts []string
		for _, a := range e.Args[1:] {
			if a == "-a" || a == "--all" {
				return writeLine(e, strings.Join([]string{fields['s'], fields['n'], fields['r'], fields['v'], fields['m'], fields['m'], fields['m'], fields['o']}, " "))
			}
			for _, c := range []byte(strings.TrimPrefix(a, "-")) {
				if v, ok := fields[c]; ok {
					parts = append(parts, v)
				}
			}
		}
		return writeLine(e, strings.Join(parts, " "))
	}
}
