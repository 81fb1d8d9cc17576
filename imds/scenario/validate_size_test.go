package scenario_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// bigWorld is the default scenario with n SSH keys and n instances, each naming one of the
// keys, the default subnet and the default profile: a document of about n × 1 KB.
func bigWorld(n int) *scenario.Scenario {
	s := scenario.Default()
	in0, key0 := s.Instances[0], s.Keys[0]
	for i := range n {
		k := key0
		k.ID, k.Name = fmt.Sprintf("r006-key-%d", i), fmt.Sprintf("key-%d", i)
		s.Keys = append(s.Keys, k)
		in := in0
		in.ID, in.Name = fmt.Sprintf("0717_instance-%d", i), fmt.Sprintf("server-%d", i)
		in.Keys = []string{k.ID, k.Name}
		s.Instances = append(s.Instances, in)
	}
	return s
}

// TestValidateIsLinear checks that validation grows with the scenario, not with its square:
// four times the keys and instances may take at most ten times as long (best of five).
// Before issue 14 each reference was looked up in its list: 16 times as long, and a 7.7 MB
// scenario took 200 s.
func TestValidateIsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	best := func(s *scenario.Scenario) time.Duration {
		var b time.Duration
		for i := range 5 {
			runtime.GC()
			start := time.Now()
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); i == 0 || d < b {
				b = d
			}
		}
		return b
	}
	small, large := best(bigWorld(4000)), best(bigWorld(16000))
	t.Logf("4,000 instances: %v; 16,000: %v (ratio %.1f)", small, large, float64(large)/float64(small))
	if large > 10*small {
		t.Errorf("4× the scenario took %.1f× as long to validate", float64(large)/float64(small))
	}
}

func BenchmarkValidate(b *testing.B) {
	for _, n := range []int{1000, 8000} {
		s := bigWorld(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if err := s.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
