// Package jwt signs and reads the emulator's JSON Web Tokens: compact JWS (RFC 7515) signed
// with RS256 and nothing else, the registered claims of RFC 7519, and RSA public keys as JSON
// Web Keys.
//
// It is deliberately narrow. The emulator issues one kind of token and must accept exactly that
// kind: a parser that knows no other algorithm cannot be talked into "none" or into HMAC with a
// public key, and one that never reads key material from a header cannot be handed an
// attacker's key. Each token has a single spelling: Parse rejects padding, line breaks and
// unused low bits that lenient base64 decoders skip, and a header or claims set with anything
// after its JSON object (see internal/strictjson).
//
// # A measured exception
//
// The project's habit is a well-kept library over hand-written code, and for JOSE that library
// is go-jose. This package is the measured exception: go-jose in the playground's WebAssembly
// costs 69–73 KB brotli-compressed, for algorithms and key types the emulator must refuse,
// while this package is a few calls into crypto/rsa, encoding/base64 and encoding/json. go-jose
// stays the oracle: the tests check that go-jose verifies every token made here and that every
// input go-jose refuses, this package refuses too.
package jwt

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/internal/strictjson"
)

// Algorithm is the only signature algorithm the package signs or accepts.
const Algorithm = "RS256"

// Errors of Parse and Verify. Every error Parse returns wraps ErrMalformed.
var (
	ErrMalformed = errors.New("jwt: malformed token")
	ErrAlgorithm = errors.New("jwt: the signature algorithm is not RS256")
	ErrSignature = errors.New("jwt: the signature does not verify")
)

// Errors of Claims.Validate.
var (
	ErrExpired           = errors.New("jwt: token is expired (exp)")
	ErrNotValidYet       = errors.New("jwt: token is not valid yet (nbf)")
	ErrIssuedInTheFuture = errors.New("jwt: token issued in the future (iat)")
	ErrIssuer            = errors.New("jwt: unexpected issuer (iss)")
)

// Header is the protected header of a token. Sign writes alg, kid and typ, in that order.
type Header struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid,omitempty"`
	Typ  string   `json:"typ,omitempty"`
	Crit []string `json:"crit,omitempty"`
}

// Sign returns the compact JWS of claims (marshalled with encoding/json) signed by key with
// RS256, with kid and typ "JWT" in its header.
func Sign(key *rsa.PrivateKey, kid string, claims any) (string, error) {
	return SignWith(RS256(key), kid, claims)
}

// RS256 returns a function that signs a JWS signing input with key: RSASSA-PKCS1-v1_5 over
// its SHA-256.
func RS256(key *rsa.PrivateKey) func(input []byte) ([]byte, error) {
	return func(input []byte) ([]byte, error) {
		digest := sha256.Sum256(input)
		return rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	}
}

// SignWith is Sign with the signature made by sign, which gets the JWS signing input (the
// encoded header and payload with their dot) and returns its RS256 signature: for a key kept
// outside Go, such as the browser's WebCrypto.
func SignWith(sign func(input []byte) ([]byte, error), kid string, claims any) (string, error) {
	header, err := json.Marshal(Header{Alg: Algorithm, Kid: kid, Typ: "JWT"})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("jwt: claims: %w", err)
	}
	enc := base64.RawURLEncoding
	// Room for the signature too: sign does not say its key's size, and 512 bytes is RSA-4096's.
	input := make([]byte, 0, enc.EncodedLen(len(header))+1+enc.EncodedLen(len(payload))+1+enc.EncodedLen(512))
	input = enc.AppendEncode(input, header)
	input = append(input, '.')
	input = enc.AppendEncode(input, payload)
	sig, err := sign(input)
	if err != nil {
		return "", fmt.Errorf("jwt: sign: %w", err)
	}
	input = append(input, '.')
	return string(enc.AppendEncode(input, sig)), nil
}

// Token is a parsed token whose signature has not been checked yet.
type Token struct {
	Header    Header
	payload   []byte
	input     string // the signing input: header and payload segments with their dot
	signature []byte
}

// strict decodes unpadded base64url and nothing else: no padding, no line breaks, no unused
// bits set (the Go decoder skips CR and LF even in strict mode, so those are refused first).
var strict = base64.RawURLEncoding.Strict()

// decodeStrict decodes s with strict, refusing the line breaks it would skip.
func decodeStrict(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64url")
	}
	return strict.DecodeString(s)
}

// decodeSegment decodes one segment of a compact token.
func decodeSegment(seg, what string) ([]byte, error) {
	b, err := decodeStrict(seg)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not base64url", ErrMalformed, what)
	}
	return b, nil
}

// Parse reads a compact JWS: three segments of canonical unpadded base64url separated by dots,
// a header that is a JSON object naming RS256 and no critical extension. It does not check the
// signature: call Verify or Claims.
func Parse(token string) (*Token, error) {
	h, rest, ok1 := strings.Cut(token, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s, ".") {
		return nil, fmt.Errorf("%w: want three segments separated by dots", ErrMalformed)
	}
	rawHeader, err := decodeSegment(h, "the header")
	if err != nil {
		return nil, err
	}
	t := &Token{input: token[:len(h)+1+len(p)]}
	if t.payload, err = decodeSegment(p, "the payload"); err != nil {
		return nil, err
	}
	if t.signature, err = decodeSegment(s, "the signature"); err != nil {
		return nil, err
	}
	if err := decodeObject(rawHeader, &t.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if t.Header.Alg != Algorithm {
		return nil, fmt.Errorf("%w (%q)", ErrAlgorithm, t.Header.Alg)
	}
	if t.Header.Crit != nil {
		// RFC 7515 §4.1.11: a recipient must refuse critical extensions it does not know.
		return nil, fmt.Errorf("%w: header: unsupported critical extensions %q", ErrMalformed, t.Header.Crit)
	}
	return t, nil
}

// decodeObject decodes a JSON object into v, with nothing after it.
func decodeObject(b []byte, v any) error {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return errors.New("not a JSON object")
	}
	return strictjson.Unmarshal(b, v)
}

// Verify checks the signature with key and returns the payload.
func (t *Token) Verify(key *rsa.PublicKey) ([]byte, error) {
	if key == nil {
		return nil, ErrSignature
	}
	digest := sha256.Sum256([]byte(t.input))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], t.signature) != nil {
		return nil, ErrSignature
	}
	return t.payload, nil
}

// Claims checks the signature with key and decodes the payload, a JSON object, into out.
func (t *Token) Claims(key *rsa.PublicKey, out any) error {
	payload, err := t.Verify(key)
	if err != nil {
		return err
	}
	if err := decodeObject(payload, out); err != nil {
		return fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	return nil
}

// UnverifiedPayload returns the payload without checking the signature, for showing a token.
func (t *Token) UnverifiedPayload() []byte { return t.payload }

// Claims are the registered claims (RFC 7519 §4.1), in the order Sign writes them. The
// emulator's token types embed them.
type Claims struct {
	Issuer    string       `json:"iss,omitempty"`
	Subject   string       `json:"sub,omitempty"`
	Audience  Audience     `json:"aud,omitempty"`
	Expiry    *NumericDate `json:"exp,omitempty"`
	NotBefore *NumericDate `json:"nbf,omitempty"`
	IssuedAt  *NumericDate `json:"iat,omitempty"`
	ID        string       `json:"jti,omitempty"`
}

// Validate checks the claims at now, with no leeway: a token is expired from the second its
// exp names, not valid before nbf and not acceptable before iat. issuer, when not empty, must
// equal iss. Missing times are not checked.
func (c *Claims) Validate(issuer string, now time.Time) error {
	if issuer != "" && c.Issuer != issuer {
		return ErrIssuer
	}
	if c.NotBefore != nil && now.Before(c.NotBefore.Time()) {
		return ErrNotValidYet
	}
	if c.IssuedAt != nil && now.Before(c.IssuedAt.Time()) {
		return ErrIssuedInTheFuture
	}
	if c.Expiry != nil && !now.Before(c.Expiry.Time()) {
		return ErrExpired
	}
	return nil
}

// NumericDate is a JWT time: whole seconds since the Unix epoch.
type NumericDate int64

// maxNumericDate bounds what UnmarshalJSON accepts, far beyond any real time and below where
// the conversions to int64 and time.Time overflow (an overflowed nbf would read as the past).
const maxNumericDate = 1 << 62

// NewNumericDate returns t to the second (rounded down), or nil for the zero time.
func NewNumericDate(t time.Time) *NumericDate {
	if t.IsZero() {
		return nil
	}
	n := NumericDate(t.Unix())
	return &n
}

// Time returns the date as a time.Time; the zero time for nil.
func (n *NumericDate) Time() time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(int64(*n), 0)
}

// MarshalJSON writes the seconds as a JSON integer.
func (n NumericDate) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(n), 10), nil
}

// UnmarshalJSON reads a JSON number of seconds; a fraction is dropped.
func (n *NumericDate) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f >= maxNumericDate || f <= -maxNumericDate {
		return fmt.Errorf("jwt: %q is not a NumericDate", b)
	}
	*n = NumericDate(f)
	return nil
}

// Audience is the aud claim: one string or an array of strings in JSON.
type Audience []string

// MarshalJSON writes a single audience as a string and several as an array.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON reads a string or an array of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = Audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("jwt: aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

// Contains reports whether v is one of the audiences.
func (a Audience) Contains(v string) bool {
	for _, s := range a {
		if s == v {
			return true
		}
	}
	return false
}

// JWK is an RSA public key as a JSON Web Key (RFC 7517, RFC 7518 §6.3), with the members in
// the order the emulator publishes them.
type JWK struct {
	Use string `json:"use,omitempty"`
	Kty string `json:"kty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// NewJWK describes key as an RS256 signing key named kid.
func NewJWK(key *rsa.PublicKey, kid string) JWK {
	return JWK{
		Use: "sig", Kty: "RSA", Kid: kid, Alg: Algorithm,
		N: base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}
}

// PublicKey returns the RSA key the JWK describes. It refuses other key types, keys for other
// algorithms or uses, and moduli or exponents no RS256 signer would use.
func (k JWK) PublicKey() (*rsa.PublicKey, error) {
	if k.Kty != "RSA" {
		return nil, fmt.Errorf("jwt: key %q: kty %q is not RSA", k.Kid, k.Kty)
	}
	if k.Alg != "" && k.Alg != Algorithm {
		return nil, fmt.Errorf("jwt: key %q: alg %q is not RS256", k.Kid, k.Alg)
	}
	if k.Use != "" && k.Use != "sig" {
		return nil, fmt.Errorf("jwt: key %q: use %q is not sig", k.Kid, k.Use)
	}
	n, err1 := decodeStrict(k.N)
	e, err2 := decodeStrict(k.E)
	if err1 != nil || err2 != nil || len(n) == 0 || n[0] == 0 || len(e) == 0 || len(e) > 4 || e[0] == 0 {
		return nil, fmt.Errorf("jwt: key %q: n or e is not a canonical base64url integer", k.Kid)
	}
	key := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if bits := key.N.BitLen(); bits < 1024 || bits > 16384 || key.E < 3 || key.E%2 == 0 {
		return nil, fmt.Errorf("jwt: key %q: not a usable RSA public key", k.Kid)
	}
	return key, nil
}

// JWKSet is a JSON Web Key Set.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// Find returns the keys named kid.
func (s JWKSet) Find(kid string) []JWK {
	var out []JWK
	for _, k := range s.Keys {
		if k.Kid == kid {
			out = append(out, k)
		}
	}
	return out
}
