package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/imdsplay/imdsplay/imds
BenchmarkIdentityToken/via=http/impl=emulator-2   	 100	 2000000 ns/op
BenchmarkIdentityToken/via=http/impl=paired-2     	 100	 1900000 emulator-ns/req	 1800000 floor-ns/req	 0.95 rate-ratio
BenchmarkIdentityToken/via=http/impl=paired-2     	 100	 1900000 emulator-ns/req	 1800000 floor-ns/req	 0.93 rate-ratio
BenchmarkIdentityToken/via=http/impl=paired-2     	 100	 1900000 emulator-ns/req	 1800000 floor-ns/req	 0.80 rate-ratio
BenchmarkIAMExchange/via=http/impl=paired-2       	 100	 1900000 emulator-ns/req	 1800000 floor-ns/req	 0.70 rate-ratio
`

func TestCheck(t *testing.T) {
	ratios, err := rateRatios("sample", strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := ratios["IdentityToken/via=http/impl=paired"]; len(got) != 3 {
		t.Fatalf("rate-ratios got %v; want three", got)
	}
	tests := []struct {
		name   string
		budget string
		status int
		out    string
	}{
		{"ok/median", "IdentityToken/via=http/impl=paired>=0.9", 0, "= 0.93"},
		{"fail/below", "IAMExchange/via=http/impl=paired>=0.9", 1, "BELOW BUDGET"},
		{"fail/no-results", "Certificate/via=http/impl=paired>=0.9", 1, "no rate-ratio results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := parseBudget(tt.budget)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			if st := check(&out, ratios, []budget{b}); st != tt.status || !strings.Contains(out.String(), tt.out) {
				t.Errorf("got %d %q; want %d and %q", st, out.String(), tt.status, tt.out)
			}
		})
	}
	if _, err := parseBudget("IdentityToken"); err == nil {
		t.Error("a budget without >= parsed")
	}
}
