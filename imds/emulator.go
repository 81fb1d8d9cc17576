package imds

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/imdsplay/imdsplay/imds/ca"
	"github.com/imdsplay/imdsplay/imds/jwt"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

// Config configures an Emulator. Its zero value is ready to use: the real clock, crypto/rand,
// the default scenario and fresh keys.
type Config struct {
	// Time returns the current time. Nil means time.Now. Pass (*vclock.Clock).Now to let a
	// shell's sleep or a test move token expiry forward at once.
	Time func() time.Time
	// Rand is the source of randomness for token IDs, traces, resource IDs and certificate
	// serial numbers. Nil means crypto/rand.Reader. As for crypto/tls.Config.Rand, the emulator
	// reads it from concurrent requests, so it must be safe for concurrent use: a bare
	// math/rand/v2 ChaCha8 is not (guard it with a mutex). It must not fail either: a failing
	// Rand is a broken configuration, and the emulator panics, as crypto/rand does, rather
	// than make up identifiers. Keys do not come from Rand (see Keys).
	Rand io.Reader
	// Scenario is the world to emulate. Nil means scenario.Default(). The emulator works on its
	// own copy, so one scenario can seed many emulators.
	Scenario *scenario.Scenario
	// Keys are the signing keys. Nil (or a nil field) means a key from LoadKey when it is set,
	// else an RSA-2048 key generated the first time it is needed (a test that only reads
	// tokens never pays for the CA's keys), from the system's randomness: since Go 1.26
	// rsa.GenerateKey ignores the reader it is given. Pass Keys for reproducible tokens and
	// certificates.
	Keys *Keys
	// LoadKey, when set, supplies each key that Keys leaves nil instead of a generated one, the
	// first time the emulator needs it. Parsing and checking a stored RSA key costs milliseconds
	// (tens inside WebAssembly, where its code is compiled on first call) and most uses need
	// one or two of the four: the playground hands its prepared keys over this way, so that
	// none is parsed before its page is ready. An error is answered as an internal error by
	// whatever needed the key.
	LoadKey func(KeyRole) (*rsa.PrivateKey, error)
	// TokenSigner, when set, stands for the identity and IAM keys (KeyIdentity and KeyIAM) that
	// Keys leaves nil: it returns the key's public half and a function that signs a JWS signing
	// input with RS256 (RSASSA-PKCS1-v1_5 over SHA-256 of the input). The emulator then never
	// needs those private keys in Go. Parsing and checking a private key and signing with it
	// cost tens of milliseconds inside WebAssembly; the playground signs with the browser's
	// WebCrypto instead. PKCS #1 v1.5 signatures are deterministic, so a token is the same
	// bytes either way. It is called once per role, the first time that role's key is needed;
	// an error is answered as an internal error. The CA's keys always come from Keys or LoadKey.
	TokenSigner func(KeyRole) (*rsa.PublicKey, func(input []byte) ([]byte, error), error)
	// MaxBodyBytes bounds request bodies; a larger body is answered with invalid_request.
	// Zero means 64 KiB.
	MaxBodyBytes int64
}

// Keys are the emulator's private keys. Only their public halves are ever served.
type Keys struct {
	// Identity signs instance identity tokens (RS256); its JWKS is at /_emulator/identity/keys.
	Identity *rsa.PrivateKey
	// IAM signs IAM access tokens (RS256); its JWKS is at IAM's own path /identity/keys.
	IAM *rsa.PrivateKey
	// CARoot and CAIntermediate are the identity-certificate CA; the root is at /_emulator/ca.pem.
	CARoot, CAIntermediate *rsa.PrivateKey
}

// GenerateKeys makes a full set of RSA-2048 keys. random is handed to rsa.GenerateKey, which
// since Go 1.26 ignores it and uses the system's randomness (nil: crypto/rand.Reader). It is
// slow inside WebAssembly: browsers should prepare keys ahead, with WebCrypto.
func GenerateKeys(random io.Reader) (*Keys, error) {
	if random == nil {
		random = rand.Reader
	}
	var k Keys
	for _, p := range []**rsa.PrivateKey{&k.Identity, &k.IAM, &k.CARoot, &k.CAIntermediate} {
		key, err := rsa.GenerateKey(random, 2048)
		if err != nil {
			return nil, err
		}
		*p = key
	}
	return &k, nil
}

// Emulator is the emulated metadata service together with the parts of IBM Cloud around it:
// the VPC API subset that configures it and IAM. It is an http.Handler and is safe for
// concurrent use.
type Emulator struct {
	now      func() time.Time
	rand     io.Reader
	maxBody  int64
	keysOnce [4]sync.Once
	keys     Keys
	keyErr   [4]error
	loadKey  func(KeyRole) (*rsa.PrivateKey, error)
	signer   func(KeyRole) (*rsa.PublicKey, func([]byte) ([]byte, error), error)
	// tokenKeys are the identity (KeyIdentity) and IAM (KeyIAM) keys as tokens use them.
	tokenKeys [2]struct {
		once sync.Once
		k    tokenKey
		err  error
	}

	// verified caches the identity (KeyIdentity) and IAM (KeyIAM) tokens whose signatures
	// checked out.
	verified [2]verifiedTokens

	caOnce sync.Once
	ca     *ca.CA
	caErr  error

	mu    sync.Mutex // guards world, events and rendered
	world *scenario.Scenario
	// events is the Activity Tracker log, a ring of at most maxEvents: once it is full, each
	// new event overwrites the oldest, at eventsHead, so that recording costs the same at the
	// ten-thousandth event as at the first.
	events     []Event
	eventsHead int
	// rendered are the metadata answers of the current world, encoded.
	rendered renderedAnswers
}

// New returns an emulator for cfg. It fails only when the scenario is invalid.
func New(cfg Config) (*Emulator, error) {
	e := &Emulator{now: cfg.Time, rand: cfg.Rand, maxBody: cfg.MaxBodyBytes, loadKey: cfg.LoadKey, signer: cfg.TokenSigner}
	if e.now == nil {
		e.now = time.Now
	}
	if e.rand == nil {
		e.rand = rand.Reader
	}
	if e.maxBody <= 0 {
		e.maxBody = 64 << 10
	}
	if cfg.Scenario == nil {
		e.world = scenario.Default()
	} else {
		if err := cfg.Scenario.Validate(); err != nil {
			return nil, fmt.Errorf("imds: scenario: %w", err)
		}
		e.world = cfg.Scenario.Clone()
	}
	if cfg.Keys != nil {
		e.keys = *cfg.Keys
	}
	return e, nil
}

// KeyRole names one of the emulator's four keys, the fields of Keys in order.
type KeyRole int

// The emulator's keys.
const (
	KeyIdentity KeyRole = iota
	KeyIAM
	KeyCARoot
	KeyCAIntermediate
)

// tokenKey is a key that signs and checks tokens: its public half and how to sign with it.
type tokenKey struct {
	pub  *rsa.PublicKey
	sign func(input []byte) ([]byte, error)
}

// tokenKey returns the identity or IAM key as tokens use it (role is KeyIdentity or KeyIAM):
// from Config.TokenSigner when it is set and Keys has no such key, else the private key itself.
func (e *Emulator) tokenKey(role KeyRole) (*tokenKey, error) {
	slot := &e.tokenKeys[role]
	slot.once.Do(func() {
		if own := [...]*rsa.PrivateKey{e.keys.Identity, e.keys.IAM}[role]; own == nil && e.signer != nil {
			pub, sign, err := e.signer(role)
			if err == nil && (pub == nil || sign == nil) {
				err = fmt.Errorf("imds: no token signer for role %d", role)
			}
			if err != nil {
				slot.err = &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: err}
				return
			}
			slot.k = tokenKey{pub: pub, sign: sign}
			return
		}
		k, err := e.key(role)
		if err != nil {
			slot.err = err
			return
		}
		slot.k = tokenKey{pub: &k.PublicKey, sign: jwt.RS256(k)}
	})
	if slot.err != nil {
		return nil, slot.err
	}
	return &slot.k, nil
}

// key returns the private key in slot i, loading or generating it on first use when none was
// configured.
func (e *Emulator) key(i KeyRole) (*rsa.PrivateKey, error) {
	slot := [...]**rsa.PrivateKey{&e.keys.Identity, &e.keys.IAM, &e.keys.CARoot, &e.keys.CAIntermediate}[i]
	e.keysOnce[i].Do(func() {
		if *slot != nil {
			return
		}
		var k *rsa.PrivateKey
		var err error
		if e.loadKey != nil {
			k, err = e.loadKey(i)
			if err == nil && k == nil {
				err = fmt.Errorf("imds: no key loaded for role %d", i)
			}
		} else {
			// Not e.rand: rsa.GenerateKey ignores its reader (see Config.Keys).
			k, err = rsa.GenerateKey(rand.Reader, 2048)
		}
		if err != nil {
			e.keyErr[i] = err
			return
		}
		*slot = k
	})
	if e.keyErr[i] != nil {
		return nil, &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: e.keyErr[i]}
	}
	return *slot, nil
}

// authority returns the identity-certificate CA, creating it on first use.
func (e *Emulator) authority() (*ca.CA, error) {
	e.caOnce.Do(func() {
		root, err := e.key(KeyCARoot)
		if err != nil {
			e.caErr = err
			return
		}
		inter, err := e.key(KeyCAIntermediate)
		if err != nil {
			e.caErr = err
			return
		}
		e.ca, e.caErr = ca.New(ca.Config{Time: e.now, Rand: e.rand, Root: root, Intermediate: inter})
	})
	if e.caErr != nil {
		return nil, &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: e.caErr}
	}
	return e.ca, nil
}

// CA returns the identity-certificate authority (its root PEM is what clients trust).
func (e *Emulator) CA() (*ca.CA, error) { return e.authority() }

// kid names a public key the way IBM's kids look: issuer plus a short hash of the key.
func kid(prefix string, k *rsa.PublicKey) string {
	sum := sha256.Sum256(k.N.Bytes())
	return prefix + "_" + hex.EncodeToString(sum[:8])
}

// newID returns a random UUID-shaped identifier. It panics with a RandError when Config.Rand
// fails (see Config.Rand).
func (e *Emulator) newID() string {
	var b [16]byte
	if _, err := io.ReadFull(e.rand, b[:]); err != nil {
		panic(&RandError{Err: err})
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Scenario returns a copy of the current world, in the scenario document format.
func (e *Emulator) Scenario() *scenario.Scenario {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.world.Clone()
}

// View calls read with the current world under the emulator's lock, without copying it: a
// copy walks the whole world, and inside wasm the first walk also compiles it, which the
// page's engine would pay before it is ready. read must not change the world, keep any part
// of it but strings, or call the emulator.
func (e *Emulator) View(read func(*scenario.Scenario)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	read(e.world)
}

// Update changes the world under the emulator's lock. The change is validated; when it leaves
// the world invalid it is rolled back and the validation error returned.
func (e *Emulator) Update(change func(*scenario.Scenario) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	next := e.world.Clone()
	if err := change(next); err != nil {
		return err
	}
	if err := next.Validate(); err != nil {
		return err
	}
	e.world = next
	return nil
}

// SetMetadataService sets the metadata service of an instance ("" means the first instance).
func (e *Emulator) SetMetadataService(instanceID string, m scenario.MetadataService) error {
	return e.Update(func(s *scenario.Scenario) error {
		in := pickInstance(s, instanceID)
		if in == nil {
			return fmt.Errorf("imds: no instance %q", instanceID)
		}
		in.MetadataService = m
		return nil
	})
}

// LinkProfile links (or, with link false, unlinks) a trusted profile to an instance.
func (e *Emulator) LinkProfile(instanceID, profileID string, link bool) error {
	return e.Update(func(s *scenario.Scenario) error {
		in := pickInstance(s, instanceID)
		if in == nil {
			return fmt.Errorf("imds: no instance %q", instanceID)
		}
		p := s.FindProfile(scenario.TrustedProfileTarget{ID: profileID, CRN: profileID})
		if p == nil {
			return fmt.Errorf("imds: no trusted profile %q", profileID)
		}
		p.LinkedInstances = removeString(p.LinkedInstances, in.ID)
		if link {
			p.LinkedInstances = append(p.LinkedInstances, in.ID)
		}
		return nil
	})
}

// pickInstance returns the instance with that ID, or the first one for "".
func pickInstance(s *scenario.Scenario, id string) *scenario.Instance {
	if id == "" {
		if len(s.Instances) == 0 {
			return nil
		}
		return &s.Instances[0]
	}
	return s.Instance(id)
}

func removeString(list []string, v string) []string {
	out := list[:0:0]
	for _, s := range list {
		if s != v {
			out = append(out, s)
		}
	}
	return out
}

var errNoInstance = errors.New("imds: the scenario has no such instance")

// RandError is the panic value of an emulator whose Config.Rand failed. ServeHTTP lets it
// through rather than answer: no answer would be right.
type RandError struct{ Err error }

func (e *RandError) Error() string { return "imds: Config.Rand failed: " + e.Err.Error() }

// Unwrap returns the reader's error.
func (e *RandError) Unwrap() error { return e.Err }
