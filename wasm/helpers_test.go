package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/internal/testkeys"
)

// testKeys are three distinct fixed keys: generating RSA keys would make these tests slow,
// inside wasm above all.
func testKeys() [3]*rsa.PrivateKey {
	k := testkeys.Get()
	return [3]*rsa.PrivateKey{k.Identity, k.IAM, k.CARoot}
}

// t0 is the fixed "now" of the tests, the fixture's to the second (as tokens carry it): later
// than every API version date the shell sends.
var t0 = fixture.Time().Truncate(time.Second)

// testChain returns a root, an intermediate and a leaf certificate (leaf valid for one hour
// from t0) signed in that order, each as PEM.
func testChain(t *testing.T) (root, inter, leaf string) {
	t.Helper()
	ks := testKeys()
	mk := func(tmpl, parent *x509.Certificate, pub *rsa.PublicKey, signer *rsa.PrivateKey) (*x509.Certificate, string) {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	rootT := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Root CA"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	rootC, root := mk(rootT, rootT, &ks[0].PublicKey, ks[0])
	interT := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Test Intermediate CA"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	interC, inter := mk(interT, rootC, &ks[1].PublicKey, ks[0])
	leafT := &x509.Certificate{
		SerialNumber: big.NewInt(0x1234), Subject: pkix.Name{Country: []string{"US"}, CommonName: "0717_instance"},
		NotBefore: t0.Add(-time.Minute), NotAfter: t0.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	_, leaf = mk(leafT, interC, &ks[2].PublicKey, ks[1])
	return root, inter, leaf
}
