package curl

import (
	"math"
	"testing"
	"time"
)

// TestParseNumbers covers the numeric options at their edges: a timeout past what a
// time.Duration holds used to overflow to a negative one and vanish, NaN slipped through, and
// --max-redirs -1, curl's "no limit", stopped at once.
func TestParseNumbers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		err     string
		maxTime time.Duration
		redirs  int
	}{
		{name: "ok/max-time-fraction", args: []string{"-m", "2.5"}, maxTime: 2500 * time.Millisecond, redirs: 50},
		{name: "ok/max-time-beyond-duration-is-clamped", args: []string{"--max-time", "9.3e9"}, maxTime: math.MaxInt64, redirs: 50},
		{name: "ok/max-redirs-unlimited", args: []string{"--max-redirs", "-1"}, redirs: -1},
		{name: "fail/max-time-too-large", args: []string{"-m", "1e300"}, err: "option -m: too large number"},
		{name: "fail/max-time-infinite", args: []string{"--max-time", "inf"}, err: "option --max-time: too large number"},
		{name: "fail/max-time-nan", args: []string{"-m", "NaN"}, err: "option -m: expected a proper numerical parameter"},
		{name: "fail/connect-timeout-negative", args: []string{"--connect-timeout", "-1"}, err: "option --connect-timeout: expected a proper numerical parameter"},
		{name: "fail/max-redirs-below-minus-one", args: []string{"--max-redirs", "-2"}, err: "option --max-redirs: expected a proper numerical parameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parse(tc.args)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got %v; want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := o.maxTime; got != tc.maxTime {
				t.Errorf("max time %v; want %v", got, tc.maxTime)
			}
			if o.maxRedirs != tc.redirs {
				t.Errorf("max redirs %d; want %d", o.maxRedirs, tc.redirs)
			}
		})
	}
}
