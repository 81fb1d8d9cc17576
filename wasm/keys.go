package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
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
