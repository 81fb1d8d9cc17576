package scenario_test

import (
	"fmt"
	"testing"

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

// BenchmarkValidate validates scenarios of 1,000 and 8,000 instances that each name two
// keys, among as many keys: the time per op should grow eightfold, not 64-fold. Before issue
// 14 each reference was looked up in its list (16,000 instances: 2.3 s; now about 10 ms). A
// unit test of the ratio proved too noisy on a shared machine (4.5× to 33× for the same code),
// so the ratio is read here: go test -run '^$' -bench Validate ./imds/scenario/
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
