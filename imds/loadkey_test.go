package imds_test

import (
	"crypto/rsa"
	"errors"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// TestLoadKey checks that Config.LoadKey is asked for each key once, on its first use, and
// never for a key nothing has needed: the playground relies on it to parse no key before its
// page is ready.
func TestLoadKey(t *testing.T) {
	all := fixture.Keys()
	var mu sync.Mutex
	var asked []imds.KeyRole
	load := func(r imds.KeyRole) (*rsa.PrivateKey, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, r)
		return [...]*rsa.PrivateKey{all.Identity, all.IAM, all.CARoot, all.CAIntermediate}[r], nil
	}
	// The identity key is given; the others come from load.
	e, _ := fixture.NewEmulator(t, func(c *imds.Config) {
		c.Keys = &imds.Keys{Identity: all.Identity}
		c.LoadKey = load
	})
	want := func(step string, roles ...imds.KeyRole) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(asked, roles) {
			t.Fatalf("after %s: LoadKey asked for %v; want %v", step, asked, roles)
		}
	}
	_ = e.Scenario()
	_ = e.Access()
	tok := token(t, e)
	if status, _ := call(t, e, "GET", md+"/metadata/v1/instance?version=2025-08-26", "", "Authorization", "Bearer "+tok); status != 200 {
		t.Fatalf("metadata read: %d", status)
	}
	want("the world, a token and a metadata read")

	ws := imds.Origin{Place: imds.OnWorkstation}
	exchange := func() {
		t.Helper()
		form := url.Values{"grant_type": {imds.GrantAPIKey}, "apikey": {scenario.OperatorAPIKey}}
		if status, m := callFrom(t, e, ws, "POST", "https://iam.cloud.ibm.com/identity/token", form.Encode(), "Content-Type", "application/x-www-form-urlencoded"); status != 200 {
			t.Fatalf("IAM exchange: %d %v", status, m)
		}
	}
	exchange()
	exchange()
	want("two IAM exchanges", imds.KeyIAM)

	if _, err := e.CA(); err != nil {
		t.Fatal(err)
	}
	want("the CA", imds.KeyIAM, imds.KeyCARoot, imds.KeyCAIntermediate)
}

// TestLoadKeyError checks that a key that cannot be loaded is an internal error of the request
// that needed it, not a panic, and that the emulator's other keys still work.
func TestLoadKeyError(t *testing.T) {
	all := fixture.Keys()
	e, _ := fixture.NewEmulator(t, func(c *imds.Config) {
		c.Keys = &imds.Keys{IAM: all.IAM}
		c.LoadKey = func(imds.KeyRole) (*rsa.PrivateKey, error) { return nil, errors.New("corrupt key") }
	})
	status, m := call(t, e, "PUT", md+"/identity/v1/token?version=2025-08-26", `{}`, "Metadata-Flavor", "ibm")
	if status != 500 || errorCode(t, status, m) != string(imds.CodeServiceError) {
		t.Fatalf("token with a key that does not load: %d %v; want 500 %s", status, m, imds.CodeServiceError)
	}
	form := url.Values{"grant_type": {imds.GrantAPIKey}, "apikey": {scenario.OperatorAPIKey}}
	if status, m := callFrom(t, e, imds.Origin{Place: imds.OnWorkstation}, "POST", "https://iam.cloud.ibm.com/identity/token", form.Encode(), "Content-Type", "application/x-www-form-urlencoded"); status != 200 {
		t.Fatalf("IAM exchange with its key given: %d %v", status, m)
	}
}
