package imdstest_test

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/imdstest"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/internal/testkeys"
)

// fixedKeys spares each test server its RSA key generation.
func fixedKeys() imdstest.Option {
	return imdstest.WithKeys(fixture.Keys())
}

const v2 = "?version=2025-08-26"

// do sends one request and decodes a JSON answer.
func do(t *testing.T, c *http.Client, method, url, bearer, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Metadata-Flavor", "ibm")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp.StatusCode, m
}

func code(m map[string]any) string {
	errs, _ := m["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	c, _ := errs[0].(map[string]any)["code"].(string)
	return c
}

// identityToken gets a token from base (a URL or the metadata host) and fails the test
// otherwise.
func identityToken(t *testing.T, srv *imdstest.Server, base, body string) string {
	t.Helper()
	status, m := do(t, srv.Client(), "PUT", base+"/identity/v1/token"+v2, "", body)
	if status != 200 {
		t.Fatalf("token: got status %d (%v); want 200", status, m)
	}
	return m["access_token"].(string)
}

func TestParallelServersDoNotShareState(t *testing.T) {
	for _, name := range []string{"ok/disabled", "ok/enabled"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := imdstest.NewServer(t, fixedKeys())
			if name == "ok/disabled" {
				srv.DisableService()
				srv.Advance(time.Hour)
			}
			status, _ := do(t, srv.Client(), "PUT", srv.URL+"/identity/v1/token"+v2, "", "")
			want := map[string]int{"ok/disabled": 403, "ok/enabled": 200}[name]
			if status != want {
				t.Errorf("got %d; want %d", status, want)
			}
			if now := srv.Clock().Now(); name == "ok/enabled" && !now.Equal(imdstest.DefaultTime()) {
				t.Errorf("clock: got %v; want %v", now, imdstest.DefaultTime())
			}
		})
	}
}

func TestClientReachesMetadataNames(t *testing.T) {
	srv := imdstest.NewServer(t, fixedKeys())
	for _, base := range []string{srv.URL, "http://" + imds.MetadataHost, "http://" + imds.MetadataIP} {
		t.Run("ok/"+base, func(t *testing.T) { identityToken(t, srv, base, "") })
	}
	t.Run("fail/other-host", func(t *testing.T) {
		// Names other than the metadata service's are dialled as they are: nothing listens
		// on loopback port 1.
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://127.0.0.1:1/", nil)
		if _, err := srv.Client().Do(req); err == nil {
			t.Error("port 1 answered")
		}
	})
}

func TestSetProtocol(t *testing.T) {
	srv := imdstest.NewServer(t, fixedKeys())
	if !strings.HasPrefix(srv.URL, "http://") {
		t.Fatalf("URL got %q; want http://...", srv.URL)
	}
	identityToken(t, srv, "http://"+imds.MetadataHost, "")

	srv.SetProtocol("https")
	if _, err := srv.Client().Get("http://" + imds.MetadataHost + "/metadata/v1/instance" + v2); err == nil {
		t.Error("plain http with secure access on: got an answer; want the connection closed")
	}
	identityToken(t, srv, "https://"+imds.MetadataHost, "")
	identityToken(t, srv, "https://"+srv.Addr(), "")
	// The emulator's own endpoints and IAM stay reachable over both.
	for _, u := range []string{"http://" + srv.Addr(), "https://" + srv.Addr()} {
		if status, _ := do(t, srv.Client(), "GET", u+"/identity/keys", "", ""); status != 200 {
			t.Errorf("%s/identity/keys: got %d; want 200", u, status)
		}
	}

	srv.SetProtocol("http")
	if _, err := srv.Client().Get("https://" + imds.MetadataHost + "/metadata/v1/instance" + v2); err == nil {
		t.Error("https with secure access off: got an answer; want the connection closed")
	}
	identityToken(t, srv, srv.URL, "")
}

func TestTLSServer(t *testing.T) {
	srv := imdstest.NewTLSServer(t, fixedKeys())
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Fatalf("URL got %q; want https://127.0.0.1:...", srv.URL)
	}
	identityToken(t, srv, srv.URL, "")
	identityToken(t, srv, "https://"+imds.MetadataIP, "")

	leaf := srv.Certificate()
	// The same names as `imds serve`: every host of the emulated world, and loopback.
	for _, host := range []string{imds.MetadataHost, imds.MetadataIP, imds.IAMHost, "us-south.iaas.cloud.ibm.com", "127.0.0.1", "localhost", "::1"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("certificate: %v", err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: srv.RootCAs(), CurrentTime: srv.Clock().Now(), Intermediates: intermediates(t, srv)}); err != nil {
		t.Errorf("certificate does not chain to RootCAs: %v", err)
	}
	// /_emulator/ca.pem serves the same root.
	resp, err := srv.Client().Get(srv.URL + imds.EmulatorPrefix + "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("ca.pem: no PEM: %q", pemBytes)
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(root.RawSubject, leafIssuerRoot(t, srv).RawSubject) {
		t.Errorf("ca.pem subject %q is not the chain's root", root.Subject)
	}
}

func intermediates(t *testing.T, srv *imdstest.Server) *x509.CertPool {
	t.Helper()
	ca, err := srv.Emulator().CA()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.IntermediatePEM())
	return pool
}

func leafIssuerRoot(t *testing.T, srv *imdstest.Server) *x509.Certificate {
	t.Helper()
	chains, err := srv.Certificate().Verify(x509.VerifyOptions{Roots: srv.RootCAs(), CurrentTime: srv.Clock().Now(), Intermediates: intermediates(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	c := chains[0]
	return c[len(c)-1]
}

func TestUnstartedServer(t *testing.T) {
	srv := imdstest.NewUnstartedServer(t, fixedKeys())
	if srv.URL != "" {
		t.Fatalf("URL before Start: got %q; want empty", srv.URL)
	}
	srv.DisableService()
	srv.Start()
	if status, m := do(t, srv.Client(), "PUT", srv.URL+"/identity/v1/token"+v2, "", ""); status != 403 || code(m) != "unauthorized" {
		t.Errorf("got %d %q; want 403 unauthorized", status, code(m))
	}
	srv.EnableService()
	identityToken(t, srv, srv.URL, "")
}

func TestProfiles(t *testing.T) {
	srv := imdstest.NewServer(t, fixedKeys())
	tok := identityToken(t, srv, srv.URL, "")
	exchange := func(profileID string) (int, string) {
		status, m := do(t, srv.Client(), "POST", srv.URL+"/identity/v1/iam_tokens"+v2, tok, `{"trusted_profile": {"id": "`+profileID+`"}}`)
		return status, code(m)
	}
	if status, c := exchange(scenario.LinkedProfileID); status != 200 {
		t.Fatalf("linked: got %d %s; want 200", status, c)
	}
	srv.UnlinkProfile(scenario.LinkedProfileID)
	if status, c := exchange(scenario.LinkedProfileID); status != 400 || c != "profile_not_linked" {
		t.Errorf("unlinked: got %d %s; want 400 profile_not_linked", status, c)
	}
	if status, c := exchange(scenario.UnlinkedProfileID); status != 400 || c != "profile_not_linked" {
		t.Errorf("never linked: got %d %s; want 400 profile_not_linked", status, c)
	}
	srv.LinkProfile(scenario.UnlinkedProfileID)
	if status, c := exchange(scenario.UnlinkedProfileID); status != 200 {
		t.Errorf("linked now: got %d %s; want 200", status, c)
	}
}

func TestAdvanceExpiresTokens(t *testing.T) {
	srv := imdstest.NewServer(t, fixedKeys())
	tok := identityToken(t, srv, srv.URL, `{"expires_in": 5}`)
	url := srv.URL + "/identity/v1/iam_tokens" + v2
	srv.Advance(4 * time.Second)
	if status, m := do(t, srv.Client(), "POST", url, tok, ""); status != 200 {
		t.Fatalf("after 4s: got %d %s; want 200", status, code(m))
	}
	srv.Advance(time.Second)
	if status, m := do(t, srv.Client(), "POST", url, tok, ""); status != 401 || code(m) != "unauthenticated" {
		t.Errorf("after 5s: got %d %s; want 401 unauthenticated", status, code(m))
	}
}

func TestEventsAndUserToken(t *testing.T) {
	srv := imdstest.NewServer(t, fixedKeys())
	identityToken(t, srv, srv.URL, "")
	srv.DisableService()
	do(t, srv.Client(), "PUT", srv.URL+"/identity/v1/token"+v2, "", "")
	var got []string
	for _, ev := range srv.Events() {
		got = append(got, ev.Action+" "+ev.Outcome)
	}
	want := []string{"is.metadata.jwt-token.create success", "is.metadata.jwt-token.create failure"}
	if !slices.Equal(got, want) {
		t.Errorf("events: got %q; want %q", got, want)
	}
	claims, err := srv.Emulator().VerifyIAMToken(srv.UserToken())
	if err != nil {
		t.Fatal(err)
	}
	if claims.SubType != "User" || claims.GrantType != imds.GrantAPIKey {
		t.Errorf("user token: got %s/%s; want User/%s", claims.SubType, claims.GrantType, imds.GrantAPIKey)
	}
}

func TestSetHopLimit(t *testing.T) {
	srv := imdstest.NewServer(t, fixedKeys())
	srv.SetHopLimit(2)
	c := &http.Client{Transport: srv.Emulator().Transport(imds.Origin{Hops: 3})}
	_, err := c.Get("http://" + imds.MetadataHost + "/metadata/v1/instance" + v2)
	if !errors.Is(err, imds.ErrNoAnswer) {
		t.Errorf("3 hops, limit 2: got %v; want ErrNoAnswer", err)
	}
	if got := srv.Emulator().Scenario().Instance(srv.InstanceID()).MetadataService.ResponseHopLimit; got != 2 {
		t.Errorf("scenario hop limit: got %d; want 2", got)
	}
}

func TestWithInstanceAndClock(t *testing.T) {
	world := scenario.Default()
	other := world.Instances[0]
	other.ID, other.Name = "0727_00000000-0000-4000-8000-000000000002", "second"
	world.Instances = append(world.Instances, other)
	clock := vclock.Fixed(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC))
	srv := imdstest.NewServer(t, fixedKeys(), imdstest.WithScenario(world), imdstest.WithInstance("second"), imdstest.WithClock(clock))
	claims, err := srv.Emulator().VerifyIdentityToken(identityToken(t, srv, srv.URL, ""))
	if err != nil {
		t.Fatal(err)
	}
	if claims.IaaS.InstanceID != other.ID || srv.InstanceID() != other.ID {
		t.Errorf("instance: got %s (server %s); want %s", claims.IaaS.InstanceID, srv.InstanceID(), other.ID)
	}
	if !claims.IssuedAt.Time().Equal(clock.Now()) {
		t.Errorf("iat: got %v; want %v", claims.IssuedAt.Time(), clock.Now())
	}
	// The first instance is untouched by helpers aimed at the second one.
	srv.DisableService()
	if !srv.Emulator().Scenario().Instances[0].MetadataService.Enabled {
		t.Error("DisableService changed the first instance")
	}
}

func TestKeysAreSharedOnlyWhenAsked(t *testing.T) {
	a := imdstest.NewServer(t, fixedKeys())
	b := imdstest.NewServer(t, fixedKeys())
	c := imdstest.NewServer(t, imdstest.WithKeys(&imds.Keys{IAM: testkeys.Get().IAM})) // identity key of its own
	tok := identityToken(t, a, a.URL, "")
	if _, err := b.Emulator().VerifyIdentityToken(tok); err != nil {
		t.Errorf("same keys: %v", err)
	}
	if _, err := c.Emulator().VerifyIdentityToken(tok); err == nil {
		t.Error("own keys: a token of another server verified")
	}
}

func TestSharedKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: generates four RSA keys")
	}
	k1, k2 := imdstest.SharedKeys(), imdstest.SharedKeys()
	if k1 == k2 {
		t.Error("SharedKeys returned the same *Keys twice; callers could change each other's")
	}
	if !k1.Identity.Equal(k2.Identity) || !k1.CARoot.Equal(k2.CARoot) || k1.IAM.Equal(k1.Identity) {
		t.Error("SharedKeys: want the same four distinct keys on every call")
	}
}

func TestCleanupCloses(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		addr = imdstest.NewServer(t, fixedKeys()).Addr()
	})
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts after the test ended", addr)
	}
}

func TestNilTBPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewServer(nil) with an unknown instance: got no panic")
		}
	}()
	imdstest.NewServer(nil, fixedKeys(), imdstest.WithInstance("nope"))
}
