package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/imdsplay/imdsplay/imds"
)

// goRSAKey makes a key with crypto/rsa: the fallback when no faster source exists.
func goRSAKey(bits int) (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, bits) }

// parsePKCS8RSA parses a PKCS #8 DER private key (what WebCrypto exports) that must be RSA.
func parsePKCS8RSA(der []byte) (*rsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("got a %T key; want RSA", k)
	}
	return rk, nil
}

// StoredKeys are the emulator's keys as PKCS #8 DER, indexed by imds.KeyRole; nil entries are
// absent.
type StoredKeys [4][]byte

// keyNames name the keys as the page's start call and the site's key file do, by imds.KeyRole.
var keyNames = [...]string{"identity", "iam", "caRoot", "caIntermediate"}

// loader returns an imds.Config.LoadKey that parses each stored key once, on its first use,
// however many emulators share it (the page's and the warm-up's).
func (s StoredKeys) loader() func(imds.KeyRole) (*rsa.PrivateKey, error) {
	var parse [len(s)]func() (*rsa.PrivateKey, error)
	for i, der := range s {
		parse[i] = sync.OnceValues(func() (*rsa.PrivateKey, error) {
			if der == nil {
				return nil, fmt.Errorf("no %s key stored", keyNames[i])
			}
			k, err := parsePKCS8RSA(der)
			if err != nil {
				return nil, fmt.Errorf("key %s: %w", keyNames[i], err)
			}
			return k, nil
		})
	}
	return func(r imds.KeyRole) (*rsa.PrivateKey, error) { return parse[r]() }
}

// SignerFunc prepares a key kept outside Go for signing: given a PKCS #8 DER RSA private key, it
// returns a function that signs a JWS signing input with RS256. In the browser it is WebCrypto
// (webcrypto_js.go), whose key import and signatures run in native code on the browser's
// threads: the first token then costs no private-key parsing and no big-number arithmetic in
// wasm (where their code is also compiled on first call).
type SignerFunc func(der []byte) (func(input []byte) ([]byte, error), error)

// tokenSigner returns an imds.Config.TokenSigner over the stored identity and IAM keys, each
// prepared by prepare once however many emulators share it (the page's and the warm-up's); nil
// when prepare is nil. The public keys are read from the DER without the private half being
// parsed or checked (publicKeyOf).
func (s StoredKeys) tokenSigner(prepare SignerFunc) func(imds.KeyRole) (*rsa.PublicKey, func([]byte) ([]byte, error), error) {
	if prepare == nil {
		return nil
	}
	type prepared struct {
		pub  *rsa.PublicKey
		sign func([]byte) ([]byte, error)
	}
	var roles [2]func() (prepared, error)
	for i := range roles {
		der := s[i]
		roles[i] = sync.OnceValues(func() (prepared, error) {
			if der == nil {
				return prepared{}, fmt.Errorf("no %s key stored", keyNames[i])
			}
			pub, err := publicKeyOf(der)
			if err != nil {
				return prepared{}, fmt.Errorf("key %s: %w", keyNames[i], err)
			}
			sign, err := prepare(der)
			if err != nil {
				return prepared{}, fmt.Errorf("key %s: %w", keyNames[i], err)
			}
			return prepared{pub, sign}, nil
		})
	}
	return func(r imds.KeyRole) (*rsa.PublicKey, func([]byte) ([]byte, error), error) {
		if r != imds.KeyIdentity && r != imds.KeyIAM {
			return nil, nil, fmt.Errorf("key role %d signs no tokens", r)
		}
		p, err := roles[r]()
		return p.pub, p.sign, err
	}
}

// rsaEncryption is the algorithm identifier of an RSA key in PKCS #8 (RFC 8017).
var rsaEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}

// publicKeyOf reads the modulus and public exponent of a PKCS #8 DER RSA private key. Unlike
// x509.ParsePKCS8PrivateKey it neither checks nor precomputes the private half, which inside
// wasm costs more than the signature it serves; whoever signs with the key checks it.
func publicKeyOf(der []byte) (*rsa.PublicKey, error) {
	var p8 struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	if rest, err := asn1.Unmarshal(der, &p8); err != nil || len(rest) > 0 {
		return nil, errors.New("not a PKCS #8 private key")
	}
	if !p8.Algo.Algorithm.Equal(rsaEncryption) {
		return nil, fmt.Errorf("got a key of algorithm %v; want RSA", p8.Algo.Algorithm)
	}
	// RSAPrivateKey (RFC 8017, A.1.2) starts with its version, n and e; the rest is not read.
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(p8.PrivateKey, &seq); err != nil || len(rest) > 0 || seq.Tag != asn1.TagSequence {
		return nil, errors.New("not a PKCS #1 RSA private key")
	}
	var version, e int
	n := new(big.Int)
	body, err := asn1.Unmarshal(seq.Bytes, &version)
	if err == nil {
		body, err = asn1.Unmarshal(body, &n)
	}
	if err == nil {
		_, err = asn1.Unmarshal(body, &e)
	}
	if err != nil || n.Sign() <= 0 || e < 3 || e&1 == 0 {
		return nil, errors.New("not a PKCS #1 RSA private key")
	}
	return &rsa.PublicKey{N: n, E: e}, nil
}
