package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// eventsCap is how many Activity Tracker events the core keeps (imds.maxEvents). Each emulator
// measurement sends at most this many requests to a fresh emulator, so that every event can be
// counted.
const eventsCap = 10000

// env is what a run shares: the binaries, the floors' specification and the load's CSR.
type env struct {
	o        options
	self     string // this program, for the floors and the fallback core
	imds     string // the imds binary; "" means the fallback core
	csr      string
	specFile string // the floors' floorSpec
	log      io.Writer
	results  []result
}

// result is one scenario's measurements and checks.
type result struct {
	plan        plan
	emu, floor  *measurement
	checks      checks
	floorFailed bool
}

// run measures every scenario of o and prints the report to stdout; it reports false when an
// answer, a check or a budget failed.
func run(ctx context.Context, o options, stdout, stderr io.Writer) (bool, error) {
	self, err := os.Executable()
	if err != nil {
		return false, err
	}
	tmp, err := os.MkdirTemp("", "imds-load-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	e := &env{o: o, self: self, log: stderr}
	server := "imds serve (" + o.imdsBin + ")"
	switch {
	case o.core:
		server = "the core behind net/http in a child process (-core)"
	case o.imdsBin != "":
		e.imds = o.imdsBin
	default:
		logf(stderr, "building ./cmd/imds")
		if e.imds, err = buildIMDS(ctx, tmp); err != nil {
			logf(stderr, "cmd/imds does not build, serving the core with net/http in a child process instead: %v", err)
			server = "the core behind net/http in a child process (cmd/imds did not build)"
		} else {
			server = "imds serve (go build ./cmd/imds)"
		}
	}
	if e.csr, err = newCSR(); err != nil {
		return false, err
	}

	// The floors learn the emulator's answers from a first emulator.
	first, err := e.startEmulator(ctx)
	if err != nil {
		return false, err
	}
	fx, err := fixturesOf(ctx, first.url, e.csr)
	first.stop()
	if err != nil {
		return false, err
	}
	spec := floorSpec{IdentityToken: fx.identity, IAMToken: fx.iamToken, CSR: e.csr, InstanceID: fx.instanceID, Answers: fx.answers}
	e.specFile = filepath.Join(tmp, "floor.json")
	data, _ := json.Marshal(spec)
	if err := os.WriteFile(e.specFile, data, 0o600); err != nil {
		return false, err
	}

	for _, name := range o.scenarios {
		p := planFor(name, fx, e.csr)
		if o.concurrency > 0 {
			p.clients = o.concurrency
		}
		r, err := e.measure(ctx, p)
		if err != nil {
			return false, err
		}
		e.results = append(e.results, r)
	}
	return report(stdout, e.results, server, o), nil
}

// startEmulator starts a fresh emulator: imds serve, or the fallback core.
func (e *env) startEmulator(ctx context.Context) (*child, error) {
	if e.imds != "" {
		return startChild(ctx, "imds serve", e.imds, []string{"serve", "--addr", "127.0.0.1:0"}, "imds: serving ")
	}
	return startChild(ctx, "core", e.self, []string{"-serve-core", "-cpuprofile=" + e.o.cpuprofile}, "imds: serving ")
}

// measure runs a plan against the emulator and its floor, in segments that alternate between
// the two (emulator first, then floor first, and so on) until each has been timed for the
// duration: on a shared machine both then see the same background load. Every segment is a
// fresh process of at most -segment and eventsCap requests (the Activity Tracker log keeps
// that many events, and every event of the emulator's is counted).
func (e *env) measure(ctx context.Context, p plan) (result, error) {
	r := result{plan: p, emu: &measurement{}}
	emuLeft, floorLeft := e.o.duration, time.Duration(0)
	if p.floor != "" {
		r.floor = &measurement{}
		floorLeft = e.o.duration
	}
	logf(e.log, "%s: %d clients, %v against the emulator and %v against the floor (%s)", p.name, p.clients, emuLeft, floorLeft, cmpOr(p.floor, "none"))
	for i := 0; emuLeft > 0 || floorLeft > 0; i++ {
		for _, emu := range [2]bool{i%2 == 0, i%2 != 0} {
			switch {
			case emu && emuLeft > 0:
				m, c, err := e.segment(ctx, p, min(emuLeft, e.o.segment))
				if err != nil {
					return r, err
				}
				r.emu.add(m)
				r.checks.add(c)
				emuLeft -= m.elapsed
			case !emu && floorLeft > 0:
				m, err := e.floorSegment(ctx, p, min(floorLeft, e.o.segment))
				if err != nil {
					return r, err
				}
				r.floor.add(m)
				floorLeft -= m.elapsed
			}
			if ctx.Err() != nil {
				return r, ctx.Err()
			}
		}
	}
	sortLat(r.emu)
	if r.floor != nil {
		sortLat(r.floor)
	}
	return r, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// errWarmup is the answer to a segment whose warm-up used up its requests.
func errWarmup(p plan) error {
	return fmt.Errorf("%s: the warm-up used up the %d requests of a segment; shorten -warmup", p.name, eventsCap)
}

// floorSegment drives a fresh floor process for at most d or eventsCap requests, exactly as
// segment drives the emulator, so that both are measured alike.
func (e *env) floorSegment(ctx context.Context, p plan, d time.Duration) (*measurement, error) {
	f, err := startChild(ctx, "floor "+p.floor, e.self, []string{"-floor", p.floor, "-floor-spec", e.specFile}, "floor: serving ")
	if err != nil {
		return nil, err
	}
	defer f.stop()
	// The answers are kept, as the emulator's are for checking, so that the client does the
	// same work on both sides; they are dropped unread.
	m := drive(ctx, p, p.clients, f.url, e.o.warmup, d, eventsCap, true)
	m.bodies = [numKinds][][]byte{}
	if m.elapsed <= 0 {
		return nil, errWarmup(p)
	}
	return m, nil
}

// segment drives a fresh emulator for at most d or eventsCap requests, warm-up included, and
// checks what it answered.
func (e *env) segment(ctx context.Context, p plan, d time.Duration) (*measurement, checks, error) {
	srv, err := e.startEmulator(ctx)
	if err != nil {
		return nil, checks{}, err
	}
	defer srv.stop()
	fx, err := fixturesOf(ctx, srv.url, e.csr)
	if err != nil {
		return nil, checks{}, err
	}
	calls := planFor(p.name, fx, e.csr).calls
	p.calls = calls
	before, err := fetchEvents(ctx, srv.url)
	if err != nil {
		return nil, checks{}, err
	}
	m := drive(ctx, p, p.clients, srv.url, e.o.warmup, d, eventsCap-len(before), true)
	if m.elapsed <= 0 {
		return nil, checks{}, errWarmup(p)
	}
	c := check(ctx, srv.url, fx, m, len(before))
	// The bodies have served their purpose; drop them before the next measurement.
	m.bodies = [numKinds][][]byte{}
	return m, c, nil
}

// fixtures are what the calls of a scenario need from one emulator, and its answers.
type fixtures struct {
	identity   string // an identity token valid for an hour
	iamToken   string
	instanceID string
	metadata   []byte                 // the answer of a metadata read
	answers    map[string]floorAnswer // by "METHOD path", for the bytes floor
}

// fixturesOf gets an identity token from the emulator at base and records one answer of each
// call.
func fixturesOf(ctx context.Context, base, csr string) (*fixtures, error) {
	fx := &fixtures{answers: map[string]floorAnswer{}}
	client := &http.Client{Timeout: 2 * time.Minute}
	tok := tokenCall(3600)
	body, err := do(ctx, client, tok, base)
	if err != nil {
		return nil, fmt.Errorf("identity token: %w", err)
	}
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return nil, fmt.Errorf("identity token: %s", body)
	}
	fx.identity = t.AccessToken
	claims, err := unverifiedClaims(fx.identity)
	if err != nil {
		return nil, err
	}
	fx.instanceID = claims.IaaS.InstanceID
	for _, c := range []call{tokenCall(300), iamCall(fx.identity), certCall(fx.identity, csr), metadataCall(fx.identity)} {
		body, err := do(ctx, client, c, base)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", c.method, c.path, err)
		}
		fx.answers[c.method+" "+strings.SplitN(c.path, "?", 2)[0]] = floorAnswer{Status: c.status, Body: body}
		switch c.kind {
		case kindIAM:
			if err := json.Unmarshal(body, &t); err != nil {
				return nil, err
			}
			fx.iamToken = t.AccessToken
		case kindMetadata:
			fx.metadata = body
		}
	}
	return fx, nil
}

const version = "?version=2025-08-26"

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
}

func tokenCall(expiresIn int) call {
	h := jsonHeader()
	h.Set("Metadata-Flavor", "ibm")
	return call{kindToken, "PUT", pathToken + version, fmt.Appendf(nil, `{"expires_in": %d}`, expiresIn), h, http.StatusOK}
}

func iamCall(identity string) call {
	h := jsonHeader()
	h.Set("Authorization", "Bearer "+identity)
	return call{kindIAM, "POST", pathIAM + version, []byte(`{"trusted_profile": {"id": "` + scenario.LinkedProfileID + `"}}`), h, http.StatusOK}
}

func certCall(identity, csr string) call {
	h := jsonHeader()
	h.Set("Authorization", "Bearer "+identity)
	body, _ := json.Marshal(map[string]any{"csr": csr, "expires_in": 3600})
	return call{kindCert, "POST", pathCert + version, body, h, http.StatusCreated}
}

func metadataCall(identity string) call {
	h := http.Header{"Accept": {"application/json"}, "Authorization": {"Bearer " + identity}}
	return call{kindMetadata, "GET", pathMetadata + version, nil, h, http.StatusOK}
}

// planFor is the plan of a scenario against the emulator whose fixtures are fx.
func planFor(name string, fx *fixtures, csr string) plan {
	tok, iam, cert, md := tokenCall(300), iamCall(fx.identity), certCall(fx.identity, csr), metadataCall(fx.identity)
	switch name {
	case "tokens":
		return plan{name: name, clients: 64, calls: []call{tok}, floor: "sign"}
	case "iam":
		return plan{name: name, clients: 64, calls: []call{iam}, floor: "sign"}
	case "certs":
		return plan{name: name, clients: 64, calls: []call{cert}, floor: "sign"}
	case "metadata":
		return plan{name: name, clients: 32, calls: []call{md}, floor: "bytes"}
	}
	// mix: 6 metadata reads, 2 tokens, 1 IAM exchange, 1 certificate in every 10 requests.
	return plan{name: "mix", clients: 64, calls: []call{md, tok, md, iam, md, tok, md, cert, md, md}}
}

// newCSR makes the load's CSR: ECDSA P-256, O=imdsplay load.
func newCSR() (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{Organization: []string{"imdsplay load"}}}, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}
