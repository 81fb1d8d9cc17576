package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
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
