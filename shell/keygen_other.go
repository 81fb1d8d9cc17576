//go:build !js

package shell

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
)

// generateKey makes an RSA key of the given size (512 bits or more) with public exponent
// 65537, checking ctx before each prime candidate: rsa.GenerateKey cannot be stopped, and an
// `openssl genrsa 16384` that nobody waits for any more would otherwise keep a core busy for
// minutes. Each candidate is tested with Baillie-PSW (big.Int.ProbablyPrime(0)), for which no
// composite is known; so the longest step that cannot be interrupted is one such test, a few
// modular exponentiations of half the key's size. The key is checked with Validate.
func generateKey(ctx context.Context, bits int) (*rsa.PrivateKey, error) {
	e := big.NewInt(65537)
	one := big.NewInt(1)
	for {
		p, err := randomPrime(ctx, bits-bits/2)
		if err != nil {
			return nil, err
		}
		q, err := randomPrime(ctx, bits/2)
		if err != nil {
			return nil, err
		}
		n := new(big.Int).Mul(p, q)
		if p.Cmp(q) == 0 || n.BitLen() != bits {
			continue
		}
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		d := new(big.Int).ModInverse(e, phi)
		if d == nil {
			continue
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())}, D: d, Primes: []*big.Int{p, q}}
		k.Precompute()
		if err := k.Validate(); err != nil {
			return nil, err
		}
		return k, nil
	}
}

// randomPrime returns a prime of exactly bits bits whose two top bits are set (so that the
// product of two has twice as many). It searches upwards from a random odd start, sieving out
// the multiples of small primes before the costly test, as OpenSSL and Go do, and checks ctx
// before each test.
func randomPrime(ctx context.Context, bits int) (*big.Int, error) {
	b := make([]byte, (bits+7)/8)
	excess := uint(len(b)*8 - bits)
	base, cand, m := new(big.Int), new(big.Int), new(big.Int)
	rems := make([]uint64, len(sievePrimes))
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		b[0] &= byte(0xff >> excess)
		if excess < 7 {
			b[0] |= 0xc0 >> excess
		} else {
			b[0] |= 1
			b[1] |= 0x80
		}
		b[len(b)-1] |= 1
		base.SetBytes(b)
		for i, p := range sievePrimes {
			rems[i] = m.Mod(base, m.SetUint64(p)).Uint64()
		}
	search:
		for delta := uint64(0); delta < 1<<20; delta += 2 {
			for i, p := range sievePrimes {
				if (rems[i]+delta)%p == 0 {
					continue search
				}
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			cand.Add(base, m.SetUint64(delta))
			if cand.BitLen() != bits {
				break
			}
			if bits >= chunkedBits {
				composite, err := millerRabin2(ctx, cand)
				if err != nil {
					return nil, err
				}
				if composite {
					continue
				}
			}
			prime, err := probablyPrime(ctx, cand)
			if err != nil {
				return nil, err
			}
			if prime {
				return cand, nil
			}
		}
	}
}

// chunkedBits is the prime size from which a test of big.Int.ProbablyPrime takes long enough
// (some 50ms natively at 3072 bits) to be worth cutting into steps that check the context.
const chunkedBits = 3072

// probablyPrime is n.ProbablyPrime(0), given up when ctx is done: the test then finishes on its
// own goroutine, and its answer is dropped.
func probablyPrime(ctx context.Context, n *big.Int) (bool, error) {
	if n.BitLen() < chunkedBits {
		return n.ProbablyPrime(0), nil
	}
	c := new(big.Int).Set(n)
	res := make(chan bool, 1)
	go func() { res <- c.ProbablyPrime(0) }()
	select {
	case ok := <-res:
		return ok, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// millerRabin2 runs the Miller-Rabin test of odd n in base 2, eight bits of the exponent at a
// time, checking ctx every 512 bits, and reports whether n is composite. Most candidates fail
// it, so that only the few that pass pay for the full test.
func millerRabin2(ctx context.Context, n *big.Int) (composite bool, err error) {
	one := big.NewInt(1)
	nm1 := new(big.Int).Sub(n, one)
	s := nm1.TrailingZeroBits()
	d := new(big.Int).Rsh(nm1, s)
	x := big.NewInt(1)
	e256 := big.NewInt(256)
	for i := (d.BitLen() + 7) / 8 * 8; i > 0; i -= 8 {
		if i%512 == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
		var v uint
		for j := 1; j <= 8; j++ {
			v = v<<1 | d.Bit(i-j)
		}
		x.Exp(x, e256, n)
		x.Lsh(x, v).Mod(x, n)
	}
	if x.Cmp(one) == 0 || x.Cmp(nm1) == 0 {
		return false, nil
	}
	for range s - 1 {
		x.Mul(x, x).Mod(x, n)
		if x.Cmp(nm1) == 0 {
			return false, nil
		}
		if x.Cmp(one) == 0 {
			return true, nil
		}
	}
	return true, nil
}

// sievePrimes are the odd primes below 2^14.
var sievePrimes = func() []uint64 {
	const n = 1 << 14
	composite := make([]bool, n)
	var out []uint64
	for i := 3; i < n; i += 2 {
		if composite[i] {
			continue
		}
		out = append(out, uint64(i))
		for j := i * i; j < n; j += 2 * i {
			composite[j] = true
		}
	}
	return out
}()
