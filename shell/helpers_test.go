package shell_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"strconv"
	"sync"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/internal/testkeys"
	"github.com/imdsplay/imdsplay/shell"
)

// epoch is the fixture's time, where every test's virtual clock starts: after every version
// date the reference pages use, since the service rejects version dates in the future.
var epoch = fixture.Time()

// fixtureKeys is a KeySource that hands out the fixed client keys: generating keys in tests
// (4096 bits under wasm takes seconds) would make them slow and flaky.
func fixtureKeys(testing.TB) func(context.Context, int) (*rsa.PrivateKey, error) {
	return func(_ context.Context, bits int) (*rsa.PrivateKey, error) { return testkeys.Client(bits), nil }
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
	emu, clock := fixture.NewEmulator(t)
	w := &world{emu: emu, clock: clock}
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
