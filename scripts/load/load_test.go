package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	m := &measurement{}
	for i := 1; i <= 200; i++ {
		m.lat = append(m.lat, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 100 * time.Millisecond}, {99, 198 * time.Millisecond}, {100, 200 * time.Millisecond}} {
		if got := m.percentile(tt.p); got != tt.want {
			t.Errorf("p%v got %v; want %v", tt.p, got, tt.want)
		}
	}
	if got := (&measurement{}).percentile(99); got != 0 {
		t.Errorf("empty p99 got %v; want 0", got)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8169", true},
		{"http://[::1]:8169", true},
		{"http://127.3.4.5:1", true},
		{"http://10.0.0.1:8169", false},
		{"http://localhost:8169", false}, // a name could resolve anywhere
		{"http://0.0.0.0:8169", false},
	} {
		if err := checkLoopback(tt.url); (err == nil) != tt.ok {
			t.Errorf("checkLoopback(%q) = %v; want ok %v", tt.url, err, tt.ok)
		}
	}
}

func TestMixPlan(t *testing.T) {
	p := planFor("mix", &fixtures{identity: "tok"}, "csr")
	var n [numKinds]int
	for _, c := range p.calls {
		n[c.kind]++
	}
	if n != [numKinds]int{kindToken: 2, kindIAM: 1, kindCert: 1, kindMetadata: 6} {
		t.Fatalf("mix got %v; want 2 tokens, 1 IAM, 1 certificate, 6 metadata reads", n)
	}
	for _, name := range allScenarios {
		if p := planFor(name, &fixtures{identity: "tok"}, "csr"); p.name != name || p.clients == 0 || len(p.calls) == 0 {
			t.Errorf("plan %q: %+v", name, p)
		}
	}
}
