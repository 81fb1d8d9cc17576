//go:build !js

package shell

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/internal/testkeys"
)

// TestGenerateKey checks the keys of the cancellable generator with the standard library: the
// size asked for, a valid key, and a signature that verifies after a PKCS#1 round trip.
func TestGenerateKey(t *testing.T) {
	for _, bits := range []int{1024, 1031, 2048} {
		k, err := generateKey(context.Background(), bits)
		if err != nil {
			t.Fatal(err)
		}
		if k.N.BitLen() != bits || k.E != 65537 {
			t.Errorf("%d bits: got a %d-bit key with e=%d", bits, k.N.BitLen(), k.E)
		}
		k2, err := x509.ParsePKCS1PrivateKey(x509.MarshalPKCS1PrivateKey(k))
		if err != nil {
			t.Fatalf("%d bits: %v", bits, err)
		}
		sum := sha256.Sum256([]byte("imdsplay"))
		sig, err := rsa.SignPKCS1v15(rand.Reader, k2, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatalf("%d bits: %v", bits, err)
		}
		if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			t.Errorf("%d bits: %v", bits, err)
		}
	}
}

// TestGenerateKeyCancels checks that cancelling stops the prime search of a key that takes
// minutes to generate. rsa.GenerateKey, which the pool used before, cannot be stopped: it ran
// on after the command that asked for it was interrupted.
func TestGenerateKeyCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := generateKey(ctx, 16384)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the search start
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a 16384-bit key in 50ms: the search did not run")
		}
		t.Logf("stopped %v after the cancel", time.Since(start))
	case <-time.After(30 * time.Second):
		t.Fatal("the key generation went on 30s after it was cancelled")
	}
}

func BenchmarkGenerateKey(b *testing.B) {
	for _, bits := range []int{2048, 4096} {
		b.Run("ours/"+itoa(int64(bits)), func(b *testing.B) {
			for b.Loop() {
				if _, err := generateKey(context.Background(), bits); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("floor-rsa.GenerateKey/"+itoa(int64(bits)), func(b *testing.B) {
			for b.Loop() {
				if _, err := rsa.GenerateKey(rand.Reader, bits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMillerRabin2 checks the chunked base-2 test on the primes of the fixed test keys and on
// products of them.
func TestMillerRabin2(t *testing.T) {
	var primes []*big.Int
	for _, bits := range []int{2048, 4096} {
		primes = append(primes, testkeys.Client(bits).Primes...)
	}
	for i, p := range primes {
		if c, _ := millerRabin2(context.Background(), p); c {
			t.Errorf("prime %d reported composite", i)
		}
		n := new(big.Int).Mul(p, primes[(i+1)%len(primes)])
		if c, _ := millerRabin2(context.Background(), n); !c {
			t.Errorf("product %d reported prime", i)
		}
		if c, _ := millerRabin2(context.Background(), new(big.Int).Add(p, big.NewInt(2))); !c && new(big.Int).Add(p, big.NewInt(2)).ProbablyPrime(20) == false {
			t.Errorf("p+2 of prime %d reported prime", i)
		}
	}
}

// TestRunEndStopsKeyGeneration checks that no key generation outlives the run that asked for
// it: a 16384-bit key (minutes of work) stopped by the run-time limit, and one stopped by an
// interrupt. Before issue 14 the pool went on generating on its own goroutine for minutes
// after the command had returned.
func TestRunEndStopsKeyGeneration(t *testing.T) {
	generating := func() bool {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		return strings.Contains(stacks, "GenerateKey") || strings.Contains(stacks, "generateKey")
	}
	for _, stop := range []string{"limit", "interrupt"} {
		s := New(Config{Limits: Limits{RunTime: 200 * time.Millisecond}})
		if stop == "interrupt" {
			s = New(Config{})
			time.AfterFunc(200*time.Millisecond, s.Interrupt)
		}
		var out strings.Builder
		status := s.Run(context.Background(), `openssl genrsa 16384 > /dev/null`, &out, &out)
		ended := time.Now()
		if status == 0 {
			t.Fatalf("%s: a 16384-bit key in 200ms: %s", stop, out.String())
		}
		for generating() {
			if time.Since(ended) > time.Second {
				t.Fatalf("%s: a key is still being generated a second after the run ended", stop)
			}
			runtime.Gosched()
		}
		t.Logf("%s: no key generation %v after the run ended", stop, time.Since(ended))
	}
}
