package shell_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/shell"
)

// epoch is the fixed virtual time every test starts at: after every version date the
// reference pages use, since the service rejects version dates in the future.
var epoch = time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)

var (
	keyOnce sync.Once
	keys    map[string]*rsa.PrivateKey
)

// fixtureKey loads a pre-generated RSA key from testdata: generating keys in tests (4096 bits
// under wasm takes seconds) would make them slow and flaky.
func fixtureKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		keys = map[string]*rsa.PrivateKey{}
		for _, n := range []string{"identity", "iam", "ca-root", "ca-intermediate", "client-2048", "client-4096"} {
			b, err := os.ReadFile(filepath.Join("testdata", n+".key"))
			if err != nil {
				panic(err)
			}
			blk, _ := pem.Decode(b)
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				panic(err)
			}
			keys[n] = k.(*rsa.PrivateKey)
		}
	})
	return keys[name]
}

// fixtureKeys is a KeySource that hands out the fixture keys.
func fixtureKeys(t testing.TB) func(context.Context, int) (*rsa.PrivateKey, error) {
	return func(_ context.Context, bits int) (*rsa.PrivateKey, error) {
		if bits == 4096 {
			return fixtureKey(t, "client-4096"), nil
		}
		return fixtureKey(t, "client-2048"), nil
	}
}

// world is an emulator with the default scenario and a fixed clock, plus a session on the
// instance and one on the workstation.
type world struct {
	emu       *imds.Emulator
	clock     *vclock.Clock
	inst, ws  *shell.Session
	exchanges []shell.Exchange
	mu        sync.Mutex
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{clock: vclock.Fixed(epoch)}
	emu, err := imds.New(imds.Config{Time: w.clock.Now, Keys: &imds.Keys{
		Identity: fixtureKey(t, "identity"), IAM: fixtureKey(t, "iam"),
		CARoot: fixtureKey(t, "ca-root"), CAIntermediate: fixtureKey(t, "ca-intermediate"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	w.emu = emu
	tok, err := emu.UserToken()
	if err != nil {
		t.Fatal(err)
	}
	record := func(x shell.Exchange) {
		w.mu.Lock()
		w.exchanges = append(w.exchanges, x)
		w.mu.Unlock()
	}
	w.inst = shell.New(shell.Config{
		Transport: emu.Transport(imds.Origin{Place: imds.OnInstance}), Clock: w.clock,
		KeySource: fixtureKeys(t), OnExchange: record,
	})
	w.ws = shell.New(shell.Config{
		Transport: emu.Transport(imds.Origin{Place: imds.OnWorkstation}), Clock: w.clock,
		KeySource: fixtureKeys(t), Place: imds.OnWorkstation, Login: tok, Account: "Test Account", OnExchange: record,
	})
	return w
}

// result is the outcome of one Run.
type result struct {
	status         int
	stdout, stderr string
}

func run(t testing.TB, s *shell.Session, script string) result {
	t.Helper()
	var out, errb bytes.Buffer
	st := s.Run(context.Background(), script, &out, &errb)
	return result{st, out.String(), errb.String()}
}

func (r result) String() string {
	return "status " + strconv.Itoa(r.status) + "\n--- stdout\n" + r.stdout + "\n--- stderr\n" + r.stderr
}
