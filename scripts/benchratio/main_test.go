package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkIdentityToken/handler-2         	     193	   1000000 ns/op	   41436 B/op	     361 allocs/op
BenchmarkIdentityToken/floor-sign-2      	     171	    900000 ns/op
BenchmarkIdentityToken/http-2            	     290	   1000000 ns/op
BenchmarkIdentityToken/floor-http-sign-2 	     225	    950000 ns/op
BenchmarkIdentityToken/paired-2         	    1578	   2754863 ns/op	   2000000 emulator-ns/req	   1900000 floor-ns/req	         0.950 rate-ratio	   41463 B/op	     403 allocs/op
BenchmarkIdentityToken/http-2            	     290	   3000000 ns/op
BenchmarkIdentityToken/floor-http-sign-2 	     225	    950000 ns/op
BenchmarkIdentityToken/paired-2         	    1578	   2754863 ns/op	   2000000 emulator-ns/req	   1900000 floor-ns/req	         0.850 rate-ratio
BenchmarkIdentityToken/http-2            	     290	   1000000 ns/op
BenchmarkIdentityToken/floor-http-sign-2 	     225	    950000 ns/op
BenchmarkIdentityToken/paired-2         	    1578	   2754863 ns/op	   2000000 emulator-ns/req	   1900000 floor-ns/req	         0.960 rate-ratio
PASS
`

func TestReport(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := res["IdentityToken"]["http"]["ns/op"]; len(got) != 3 {
		t.Fatalf("http runs: got %v; want 3", got)
	}
	for _, tc := range []struct {
		name   string
		budget budget
		status int
		want   string
	}{
		{"ok/paired", budget{"IdentityToken", "paired", "", 0.9}, 0, "IdentityToken paired rate-ratio = 0.95 (want ≥ 0.90): ok"},
		{"fail/paired", budget{"IdentityToken", "paired", "", 0.99}, 1, "BELOW BUDGET"},
		// The 3 ms round is paired with its own floor round: the median of the per-round
		// ratios ignores it.
		{"ok/pair-of-variants", budget{"IdentityToken", "http", "floor-http-sign", 0.9}, 0, "http rate ÷ floor-http-sign rate = 0.95 (want ≥ 0.90): ok"},
		{"fail/missing", budget{"Nope", "paired", "", 0.9}, 1, "no results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			status := report(&out, res, []budget{tc.budget})
			if status != tc.status || !strings.Contains(out.String(), tc.want) {
				t.Errorf("got status %d:\n%s\nwant %d and %q", status, out.String(), tc.status, tc.want)
			}
			if strings.Contains(out.String(), "handler  1000000  floor-http") {
				t.Errorf("handler compared with an HTTP floor:\n%s", out.String())
			}
			if !strings.Contains(out.String(), "0.85–0.96") {
				t.Errorf("paired range missing:\n%s", out.String())
			}
		})
	}
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		name            string
		emulator, floor []float64
		want, lo, hi    float64
	}{
		{"ok/paired", []float64{1, 2, 4}, []float64{1, 1, 3}, 0.75, 0.5, 1},
		{"ok/unpaired", []float64{1, 2, 4}, []float64{2, 2}, 1, 0, 0},
	} {
		r, lo, hi := ratio(tc.emulator, tc.floor)
		if r != tc.want || lo != tc.lo || hi != tc.hi {
			t.Errorf("%s: got %v %v %v; want %v %v %v", tc.name, r, lo, hi, tc.want, tc.lo, tc.hi)
		}
	}
}

func TestParseBudget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want budget
	}{
		{"IAMExchange:http/floor-http-sign>=0.85", budget{"IAMExchange", "http", "floor-http-sign", 0.85}},
		{"IdentityToken:paired>=0.9", budget{"IdentityToken", "paired", "", 0.9}},
	} {
		if b, err := parseBudget(tc.in); err != nil || b != tc.want {
			t.Errorf("ok/%s: got %+v, %v; want %+v", tc.in, b, err, tc.want)
		}
	}
	for _, bad := range []string{"x", "A>=1", ":b>=1", "A:b/c>=x"} {
		if _, err := parseBudget(bad); err == nil {
			t.Errorf("fail/%s: got nil error", bad)
		}
	}
}
