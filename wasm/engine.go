package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/jwt"
	"github.com/imdsplay/imdsplay/imds/vclock"
)

// KeyFunc makes an RSA private key of the given size. In the browser it is backed by WebCrypto,
// because Go's own RSA key generation takes seconds inside wasm.
type KeyFunc func(bits int) (*rsa.PrivateKey, error)

// EngineConfig configures NewEngine. Zero values mean: keys made with NewKey, a clock that follows
// real time, the default scenario.
type EngineConfig struct {
	// Keys are the emulator's keys. A nil slot is taken from Stored, else filled with
	// NewKey(2048).
	Keys imds.Keys
	// Stored are keys as PKCS #8 DER, each parsed the first time the emulator needs it: parsing
	// and checking all four was most of the engine's start inside wasm (25–65 ms on two cores),
	// and a visit may never need the CA's.
	Stored StoredKeys
	// Signer, when set, signs the identity and IAM tokens with the Stored keys outside Go (the
	// browser's WebCrypto), which then never parses those private keys (see SignerFunc). Nil
	// means Go signs with the parsed keys.
	Signer SignerFunc
	// NewKey makes keys: the emulator's missing ones, and the shell's (openssl req -newkey).
	// Nil means crypto/rsa, which is fine natively and slow in a browser.
	NewKey KeyFunc
	// Clock is the emulator's virtual clock; nil means one that follows time.Now.
	Clock *vclock.Clock
}

// Engine is the page's one emulator and the shell sessions of its live blocks, one per place.
// It is safe for concurrent use.
type Engine struct {
	clock  *vclock.Clock
	emu    *imds.Emulator
	emuCfg imds.Config // what emu was made with: its clock and keys, for the warm-up's emulator
	newKey KeyFunc

	page pageSettings // where commands run, the version switch
	subs listeners    // imds.onChange

	mu       sync.Mutex
	sessions map[SessionKey]*Session

	readers readerRuns // the reader's runs, which the warm-up gives way to
}

// NewEngine creates the emulator. Missing keys are made concurrently: with WebCrypto each one
// runs on the browser's own threads.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if cfg.NewKey == nil {
		cfg.NewKey = goRSAKey
	}
	if cfg.Clock == nil {
		cfg.Clock = vclock.Following(nil)
	}
	keys := cfg.Keys
	slots := []**rsa.PrivateKey{&keys.Identity, &keys.IAM, &keys.CARoot, &keys.CAIntermediate}
	errs := make([]error, len(slots))
	var wg sync.WaitGroup
	for i, slot := range slots {
		if *slot != nil || cfg.Stored[i] != nil {
			continue
		}
		wg.Go(func() { *slot, errs[i] = cfg.NewKey(2048) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("making the emulator's keys: %w", err)
	}
	emuCfg := imds.Config{Time: cfg.Clock.Now, Keys: &keys, LoadKey: cfg.Stored.loader(), TokenSigner: cfg.Stored.tokenSigner(cfg.Signer)}
	emu, err := imds.New(emuCfg)
	if err != nil {
		return nil, err
	}
	e := &Engine{clock: cfg.Clock, emu: emu, emuCfg: emuCfg, newKey: cfg.NewKey, sessions: map[SessionKey]*Session{}}
	e.readers.ended = time.Now()
	return e, nil
}

// Emulator returns the engine's emulator.
func (e *Engine) Emulator() *imds.Emulator { return e.emu }

// Now is the emulator's current (virtual) time.
func (e *Engine) Now() time.Time { return e.clock.Now() }

// SessionKey names a shell session: the page's blocks share the zero Group, and an embed
// may keep groups of blocks apart. Hops 0 means the session follows the page's "where commands
// run" setting; 1..MaxHops fixes it for this session.
type SessionKey struct {
	Group string
	Place imds.Place
	Hops  int
}

// Session returns the page's session for place ("instance" or "workstation"), creating it on
// first use.
func (e *Engine) Session(place imds.Place) (*Session, error) {
	return e.SessionFor(SessionKey{Place: place})
}

// SessionFor returns the session k names, creating it on first use.
func (e *Engine) SessionFor(k SessionKey) (*Session, error) {
	if k.Place != imds.OnInstance && k.Place != imds.OnWorkstation {
		return nil, fmt.Errorf("unknown place %q: want %q or %q", k.Place, imds.OnInstance, imds.OnWorkstation)
	}
	if k.Hops < 0 || k.Hops > MaxHops {
		return nil, fmt.Errorf("hops: must be between 1 and %d, not %d", MaxHops, k.Hops)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.sessions[k]; ok {
		return s, nil
	}
	s := &Session{engine: e, place: k.Place, hops: k.Hops}
	e.sessions[k] = s
	return s, nil
}

// allSessions returns a copy of the engine's sessions by key.
func (e *Engine) allSessions() map[SessionKey]*Session {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.sessions)
}

// get performs a GET on the emulator's handler directly (not through a place's network, so that
// the page can read the emulator's published keys whatever the instance's settings are).
func (e *Engine) get(host, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+host+path, nil)
	if err != nil {
		return nil, err
	}
	w := &memResponse{header: http.Header{}}
	e.emu.ServeHTTP(w, req)
	if w.status != 0 && w.status != http.StatusOK {
		return nil, fmt.Errorf("GET %s%s: status %d", host, path, w.status)
	}
	return w.body.Bytes(), nil
}

// keySets returns the JWKS of identity tokens and of IAM tokens, as the emulator publishes them.
func (e *Engine) keySets() ([]KeySet, error) {
	var sets []KeySet
	for _, src := range []struct{ name, host, path string }{
		{"identity", imds.MetadataHost, imds.EmulatorPrefix + "identity/keys"},
		{"IAM", imds.IAMHost, "/identity/keys"},
	} {
		b, err := e.get(src.host, src.path)
		if err != nil {
			return nil, err
		}
		var set jwt.JWKSet
		if err := json.Unmarshal(b, &set); err != nil {
			return nil, fmt.Errorf("%s keys: %w", src.name, err)
		}
		sets = append(sets, KeySet{Name: src.name, Set: set})
	}
	return sets, nil
}

// VerifyJWT decodes token and checks it against the emulator's published keys at its current time.
func (e *Engine) VerifyJWT(token string) (JWTInfo, error) {
	sets, err := e.keySets()
	if err != nil {
		return JWTInfo{}, err
	}
	return VerifyJWT(token, sets, e.Now())
}

// ParseChain describes certificates and verifies them against the emulator's root CA.
func (e *Engine) ParseChain(pems []string) (ChainInfo, error) {
	var roots *x509.CertPool
	if b, err := e.get(imds.IAMHost, imds.EmulatorPrefix+"ca.pem"); err == nil {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(b) {
			roots = nil
		}
	}
	return ParseChain(pems, roots, e.Now())
}

// classifyNetErr names the kind of an in-process network failure (see Exchange.ErrorKind).
func classifyNetErr(err error) string {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return "dns"
	case errors.Is(err, imds.ErrInstanceStopped):
		return "stopped"
	case errors.Is(err, imds.ErrConnRefused):
		return "refused"
	case errors.Is(err, imds.ErrNoAnswer):
		return "noanswer"
	}
	return "other"
}

// memResponse is the smallest http.ResponseWriter that keeps what the handler wrote.
type memResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// Header implements http.ResponseWriter.
func (w *memResponse) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter.
func (w *memResponse) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// Write implements http.ResponseWriter.
func (w *memResponse) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// placeTransport is a session's network: the emulator as seen from its place, at the hops the
// session fixes or, when it fixes none, at the page's current setting, read for every request
// so that the panel's "where commands run" applies to the next command.
type placeTransport struct {
	e     *Engine
	place imds.Place
	hops  int
}

// RoundTrip implements http.RoundTripper.
func (t placeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	o := imds.Origin{Place: t.place}
	if o.Place == imds.OnInstance {
		o.Hops = t.hops
		if o.Hops == 0 {
			o.Hops = t.e.Hops()
		}
	}
	return t.e.emu.Transport(o).RoundTrip(r)
}

// trimErr keeps the first line of an error for the page.
func trimErr(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
