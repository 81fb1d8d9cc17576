package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

// checks counts what was verified after the emulator's measurements, and what failed.
type checks struct {
	verified   [numKinds]int // answers checked: tokens verified, certificates chained, metadata identical
	bad        int           // answers that failed their check
	sent       int           // requests sent to the emulator, warm-up included
	events     int           // events the measurements added to the log
	eventsBad  int           // measurements whose events do not match their requests
	eventsFull bool          // a measurement filled the log (not with -events-cap)
	problems   []string      // the first few failures
}

func (c *checks) add(o checks) {
	for k := range numKinds {
		c.verified[k] += o.verified[k]
	}
	c.bad += o.bad
	c.sent += o.sent
	c.events += o.events
	c.eventsBad += o.eventsBad
	c.eventsFull = c.eventsFull || o.eventsFull
	for _, p := range o.problems {
		if len(c.problems) < 5 {
			c.problems = append(c.problems, p)
		}
	}
}

func (c *checks) problem(format string, args ...any) {
	c.bad++
	if len(c.problems) < 5 {
		c.problems = append(c.problems, fmt.Sprintf(format, args...))
	}
}

// ok reports whether every check passed.
func (c *checks) ok() bool { return c.bad == 0 && c.eventsBad == 0 }

// check verifies the answers m kept against the keys and the root the emulator at base
// publishes, and its Activity Tracker log against the requests m sent. before is the length
// of the log when the measurement started.
func check(ctx context.Context, base string, fx *fixtures, m *measurement, before int) checks {
	var c checks
	for k := range numKinds {
		c.sent += m.sent[k]
	}
	identityKeys, err1 := fetchJWKS(ctx, base+imds.EmulatorPrefix+"identity/keys")
	iamKeys, err2 := fetchJWKS(ctx, base+"/identity/keys")
	roots, err3 := fetchRoots(ctx, base+imds.EmulatorPrefix+"ca.pem")
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			c.problem("%v", err)
			return c
		}
	}
	for _, body := range m.bodies[kindToken] {
		if err := verifyToken(body, identityKeys, func(raw []byte) error {
			var cl imds.IdentityClaims
			if err := json.Unmarshal(raw, &cl); err != nil {
				return err
			}
			if cl.IaaS.InstanceID != fx.instanceID || cl.Expiry.Time().Sub(cl.IssuedAt.Time()) != 300*time.Second {
				return fmt.Errorf("claims: instance %q, lifetime %v", cl.IaaS.InstanceID, cl.Expiry.Time().Sub(cl.IssuedAt.Time()))
			}
			return nil
		}); err != nil {
			c.problem("identity token: %v", err)
			continue
		}
		c.verified[kindToken]++
	}
	for _, body := range m.bodies[kindIAM] {
		if err := verifyToken(body, iamKeys, func(raw []byte) error {
			var cl imds.IAMClaims
			if err := json.Unmarshal(raw, &cl); err != nil {
				return err
			}
			if cl.Issuer != imds.IAMIssuer || cl.Subject != scenario.LinkedProfileID || cl.GrantType != imds.GrantCRToken {
				return fmt.Errorf("claims: iss %q sub %q grant %q", cl.Issuer, cl.Subject, cl.GrantType)
			}
			return nil
		}); err != nil {
			c.problem("IAM token: %v", err)
			continue
		}
		c.verified[kindIAM]++
	}
	for _, body := range m.bodies[kindCert] {
		if err := verifyCertificate(body, roots, fx.instanceID); err != nil {
			c.problem("certificate: %v", err)
			continue
		}
		c.verified[kindCert]++
	}
	for _, body := range m.bodies[kindMetadata] {
		if !bytes.Equal(body, fx.metadata) {
			c.problem("metadata read: the answer differs from the first one")
			continue
		}
		c.verified[kindMetadata]++
	}
	checkEvents(ctx, &c, base, m, before)
	return c
}

// verifyToken checks the access_token of an answer: RS256, signed by the key its kid names
// in keys, with claims that satisfy claimsOK and times around now.
func verifyToken(body []byte, keys *jose.JSONWebKeySet, claimsOK func([]byte) error) error {
	var a struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return err
	}
	parsed, err := jwt.ParseSigned(a.AccessToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return err
	}
	found := keys.Key(parsed.Headers[0].KeyID)
	if len(found) != 1 {
		return fmt.Errorf("kid %q is not in the published keys", parsed.Headers[0].KeyID)
	}
	var std jwt.Claims
	var raw json.RawMessage
	if err := parsed.Claims(found[0].Key, &std, &raw); err != nil {
		return err
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Time: time.Now()}, time.Minute); err != nil {
		return err
	}
	return claimsOK(raw)
}

// verifyCertificate checks a certificates answer: [leaf, intermediate] chaining to roots, the
// leaf for the instance.
func verifyCertificate(body []byte, roots *x509.CertPool, instanceID string) error {
	var a imds.CertificateResponse
	if err := json.Unmarshal(body, &a); err != nil {
		return err
	}
	if len(a.Certificates) != 2 {
		return fmt.Errorf("%d certificates; want leaf and intermediate", len(a.Certificates))
	}
	var certs []*x509.Certificate
	for _, p := range a.Certificates {
		b, _ := pem.Decode([]byte(p))
		if b == nil {
			return fmt.Errorf("not PEM: %q", p)
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return err
		}
		certs = append(certs, cert)
	}
	inter := x509.NewCertPool()
	inter.AddCert(certs[1])
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return err
	}
	if certs[0].Subject.CommonName != instanceID {
		return fmt.Errorf("leaf CN %q; want %q", certs[0].Subject.CommonName, instanceID)
	}
	return nil
}

// loggedEvent is the part of an Activity Tracker event the check reads.
type loggedEvent struct {
	Action  string `json:"action"`
	Outcome string `json:"outcome"`
}

// checkEvents checks that the log grew by one successful event of the right action per
// request sent. When the log was full it can only check that its tail is this measurement's.
func checkEvents(ctx context.Context, c *checks, base string, m *measurement, before int) {
	evs, err := fetchEvents(ctx, base)
	if err != nil {
		c.problem("events: %v", err)
		c.eventsBad++
		return
	}
	sent := 0
	want := map[string]int{}
	for k := range numKinds {
		sent += m.sent[k]
		if m.sent[k] > 0 {
			want[actions[k]] = m.sent[k]
		}
	}
	tail := evs[min(before, len(evs)):]
	if before+sent > eventsCap {
		c.eventsFull = true
		tail = evs[max(0, len(evs)-min(sent, eventsCap)):]
	}
	c.events += len(tail)
	got := map[string]int{}
	for _, ev := range tail {
		if ev.Outcome != "success" {
			c.problem("event %s: outcome %s", ev.Action, ev.Outcome)
		}
		got[ev.Action]++
	}
	switch {
	case before+sent <= eventsCap && len(evs) != before+sent:
		c.eventsBad++
		c.problems = append(c.problems, fmt.Sprintf("events: the log has %d; want %d before + %d requests", len(evs), before, sent))
	case before+sent > eventsCap && len(evs) != eventsCap:
		c.eventsBad++
		c.problems = append(c.problems, fmt.Sprintf("events: the log has %d; want it full (%d)", len(evs), eventsCap))
	default:
		for action, n := range got {
			if n > want[action] || (!c.eventsFull && n != want[action]) {
				c.eventsBad++
				c.problems = append(c.problems, fmt.Sprintf("events: %d of %s; sent %d", n, action, want[action]))
			}
		}
	}
}

// fetchEvents reads the whole log, a page of 1,000 at a time, newest page first.
func fetchEvents(ctx context.Context, base string) ([]loggedEvent, error) {
	var all []loggedEvent
	next := imds.EmulatorPrefix + "events?limit=1000"
	for next != "" {
		var doc struct {
			Events   []loggedEvent `json:"events"`
			Previous *struct {
				Href string `json:"href"`
			} `json:"previous"`
		}
		if err := getJSON(ctx, base+next, &doc); err != nil {
			return nil, err
		}
		all = append(doc.Events, all...)
		next = ""
		if doc.Previous != nil {
			next = doc.Previous.Href
		}
	}
	return all, nil
}

func fetchJWKS(ctx context.Context, u string) (*jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := getJSON(ctx, u, &set); err != nil {
		return nil, err
	}
	return &set, nil
}

func fetchRoots(ctx context.Context, u string) (*x509.CertPool, error) {
	body, err := get(ctx, u)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(body) {
		return nil, fmt.Errorf("%s: no certificate", u)
	}
	return pool, nil
}

func getJSON(ctx context.Context, u string, v any) error {
	body, err := get(ctx, u)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}

func get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	return body, nil
}

// unverifiedClaims reads the claims of an identity token without checking it (the floors
// and the checks need its instance ID before they have keys).
func unverifiedClaims(tok string) (*imds.IdentityClaims, error) {
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	var c imds.IdentityClaims
	if err := parsed.UnsafeClaimsWithoutVerification(&c); err != nil {
		return nil, err
	}
	return &c, nil
}
