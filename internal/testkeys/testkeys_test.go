package testkeys

import (
	"crypto/rsa"
	"testing"
)

func TestGet(t *testing.T) {
	s := Get()
	seen := map[string]bool{}
	for _, k := range []*rsa.PrivateKey{s.Identity, s.IAM, s.CARoot, s.CAIntermediate} {
		if got := k.Size() * 8; got != 2048 {
			t.Fatalf("key size got %d; want 2048", got)
		}
		if err := k.Validate(); err != nil {
			t.Fatal(err)
		}
		if seen[k.N.String()] {
			t.Fatal("two fixture keys are the same")
		}
		seen[k.N.String()] = true
	}
	if Get().Identity != s.Identity {
		t.Fatal("Get parses the keys again")
	}
}

func TestClient(t *testing.T) {
	for _, bits := range []int{2048, 4096} {
		if got := Client(bits).Size() * 8; got != bits {
			t.Errorf("Client(%d) has %d bits", bits, got)
		}
	}
}
