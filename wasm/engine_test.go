package main

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// newTestEngine returns an engine with the fixed test keys and a clock standing at t0.
func newTestEngine(t *testing.T) (*Engine, *vclock.Clock) {
	t.Helper()
	clock := vclock.Fixed(t0)
	e, err := NewEngine(EngineConfig{
		Keys:   *fixture.Keys(),
		NewKey: func(int) (*rsa.PrivateKey, error) { return nil, errors.New("no key should be made") },
		Clock:  clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, clock
}

// identityToken asks the engine's emulator for an instance identity token from the instance.
func identityToken(t *testing.T, e *Engine) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, "http://"+imds.MetadataHost+"/instance_identity/v1/token?version=2025-04-22", strings.NewReader(`{"expires_in": 300}`))
	req.Header.Set("Metadata-Flavor", "ibm")
	resp, err := e.Emulator().Transport(imds.Origin{Place: imds.OnInstance}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("got %d %s; want a token", resp.StatusCode, b)
	}
	return tok.AccessToken
}

func TestEngineVerifyJWT(t *testing.T) {
	e, clock := newTestEngine(t)
	tok := identityToken(t, e)
	info, err := e.VerifyJWT(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Valid || info.KeySet != "identity" || info.NowMs != t0.UnixMilli() {
		t.Errorf("got valid=%v set=%q now=%d (%s); want a valid identity token at t0", info.Valid, info.KeySet, info.NowMs, info.Reason)
	}
	clock.Advance(6 * time.Minute)
	if info, _ := e.VerifyJWT(tok); info.Valid || !info.SignatureValid || !strings.Contains(info.Reason, "expired") {
		t.Errorf("got valid=%v sig=%v reason=%q after 6 min; want expired", info.Valid, info.SignatureValid, info.Reason)
	}
	user, err := e.Emulator().UserToken()
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := e.VerifyJWT(user); !info.SignatureValid || info.KeySet != "IAM" {
		t.Errorf("got sig=%v set=%q for the operator's IAM token; want it verified by the IAM keys (%s)", info.SignatureValid, info.KeySet, info.Reason)
	}
}

func TestEngineParseChainRoot(t *testing.T) {
	e, _ := newTestEngine(t)
	pemRoot, err := e.get(imds.IAMHost, imds.EmulatorPrefix+"ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.ParseChain([]string{string(pemRoot)})
	if err != nil {
		t.Fatal(err)
	}
	if !info.Verified || len(info.Certificates) != 1 || !info.Certificates[0].SelfSigned {
		t.Errorf("got %+v; want the root to verify against itself", info)
	}
}

func TestEngineSessions(t *testing.T) {
	e, _ := newTestEngine(t)
	a, err := e.Session(imds.OnInstance)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.Session(imds.OnInstance)
	w, _ := e.Session(imds.OnWorkstation)
	if a != b || a == w {
		t.Error("got distinct sessions for one place or one session for two; want one per place")
	}
	if _, err := e.Session("mars"); err == nil {
		t.Error("got a session for an unknown place; want an error")
	}
}

func TestClassifyNetErr(t *testing.T) {
	for want, err := range map[string]error{
		"dns":      &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true},
		"refused":  &net.OpError{Op: "dial", Err: imds.ErrConnRefused},
		"noanswer": fmt.Errorf("read: %w", imds.ErrNoAnswer),
		"other":    errors.New("boom"),
	} {
		if got := classifyNetErr(err); got != want {
			t.Errorf("classifyNetErr(%v) = %q; want %q", err, got, want)
		}
	}
}

func TestSessionRun(t *testing.T) {
	e, _ := newTestEngine(t)
	inst, _ := e.Session(imds.OnInstance)
	ctx := t.Context()
	r, err := inst.Run(ctx, `tok=$(curl -s -X PUT "$vpc_metadata_api_endpoint/instance_identity/v1/token?version=2025-04-22" -H "Metadata-Flavor: ibm" -d '{}' | jq -r .access_token)`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Exit != 0 || len(r.Exchanges) != 1 || r.Exchanges[0].Status != 200 || r.Exchanges[0].Method != "PUT" {
		t.Fatalf("got exit %d, exchanges %+v, stderr %q; want one PUT answered 200", r.Exit, r.Exchanges, r.Stderr)
	}
	// The variable set by one run is there for the next, as between two blocks of a page.
	r, err = inst.Run(ctx, `echo "$tok" | cut -c1-3`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Stdout != "eyJ\n" || len(r.Exchanges) != 0 {
		t.Errorf("got stdout %q, %d exchanges; want eyJ and none", r.Stdout, len(r.Exchanges))
	}

	ws, _ := e.Session(imds.OnWorkstation)
	r, err = ws.Run(ctx, `curl -s -X PUT "http://api.metadata.cloud.ibm.com/instance_identity/v1/token?version=2025-04-22" -H "Metadata-Flavor: ibm"`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Exit != 6 || len(r.Exchanges) != 1 || r.Exchanges[0].ErrorKind != "dns" {
		t.Errorf("got exit %d, exchanges %+v; want curl's 6 and a dns failure", r.Exit, r.Exchanges)
	}
	r, err = ws.Run(ctx, `ibmcloud is instances >/dev/null && echo "$iam_token" | cut -c1-3`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Exit != 0 || r.Stdout != "eyJ\n" {
		t.Errorf("got exit %d, stdout %q, stderr %q; want the operator logged in with a preset iam_token", r.Exit, r.Stdout, r.Stderr)
	}
}

func TestWarm(t *testing.T) {
	warmShell()
	e, _ := newTestEngine(t)
	e.warm(0)
	if n := len(e.Emulator().Events()); n != 0 {
		t.Errorf("got %d events after warming up; want none in the page's emulator", n)
	}
	for _, p := range []imds.Place{imds.OnInstance, imds.OnWorkstation} {
		s, _ := e.Session(p)
		if s.sh == nil {
			t.Errorf("the %s session was not created by warm", p)
		}
	}
}

// TestWarmGivesWay checks when the warm-up may take the thread: not while a reader's run is
// under way, and only once the reader has been idle for the time asked.
func TestWarmGivesWay(t *testing.T) {
	var r readerRuns
	t0 := fixture.Time()
	r.ended = t0
	const idle = 200 * time.Millisecond
	if d := r.untilIdle(t0.Add(50*time.Millisecond), idle); d != 150*time.Millisecond {
		t.Errorf("50 ms after the engine was made: wait %v; want 150ms", d)
	}
	end := r.start()
	if d := r.untilIdle(t0.Add(time.Hour), idle); d == 0 {
		t.Error("a run under way: no wait; want the warm-up to wait for it")
	}
	second := r.start()
	end()
	if d := r.untilIdle(t0.Add(time.Hour), idle); d == 0 {
		t.Error("one of two runs ended: no wait; want the warm-up to wait for the other")
	}
	before := time.Now()
	second()
	if r.ended.Before(before) {
		t.Fatalf("the last run's end was not recorded: %v", r.ended)
	}
	if d := r.untilIdle(r.ended.Add(50*time.Millisecond), idle); d != 150*time.Millisecond {
		t.Errorf("50 ms after the last run: wait %v; want 150ms", d)
	}
	if d := r.untilIdle(r.ended.Add(idle), idle); d != 0 {
		t.Errorf("idle for %v: wait %v; want none", idle, d)
	}
}

// TestRunOutputOrder checks that a run's two streams come back interleaved in the order they
// were written, as a terminal shows them: curl's error before the echo that follows it.
func TestRunOutputOrder(t *testing.T) {
	e, _ := newTestEngine(t)
	ws, _ := e.Session(imds.OnWorkstation)
	r, err := ws.Run(t.Context(), `echo before; curl -sS "http://api.metadata.cloud.ibm.com/metadata/v1/instance?version=2025-08-26"; echo "exit code: $?"; echo again >&2`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Chunk{
		{1, "before\n"},
		{2, "curl: (6) Could not resolve host: api.metadata.cloud.ibm.com\n"},
		{1, "exit code: 6\n"},
		{2, "again\n"},
	}
	if !slices.Equal(r.Output, want) {
		t.Errorf("got output %+v; want %+v", r.Output, want)
	}
	if r.Stdout != "before\nexit code: 6\n" || r.Stderr != want[1].Text+"again\n" {
		t.Errorf("got stdout %q, stderr %q; want each stream whole too", r.Stdout, r.Stderr)
	}
}
