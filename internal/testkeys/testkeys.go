// Package testkeys holds fixed RSA keys for tests, so that test emulators start at once and
// their outputs are reproducible. The keys are public: never use them outside tests.
//
// They were made with `openssl genrsa -traditional -out NAME.pem 2048`.
package testkeys

import (
	"crypto/rsa"
	"crypto/x509"
	_ "embed"
	"encoding/pem"
	"sync"
)

var (
	//go:embed identity.pem
	identityPEM []byte
	//go:embed iam.pem
	iamPEM []byte
	//go:embed caroot.pem
	caRootPEM []byte
	//go:embed caintermediate.pem
	caIntermediatePEM []byte
)

// Set is the four keys an emulator needs, in the order of imds.Keys.
type Set struct {
	Identity, IAM, CARoot, CAIntermediate *rsa.PrivateKey
}

var (
	once sync.Once
	set  Set
)

// Get returns the fixed key set. The keys are parsed once and shared; treat them as read-only.
func Get() Set {
	once.Do(func() {
		set = Set{parse(identityPEM), parse(iamPEM), parse(caRootPEM), parse(caIntermediatePEM)}
	})
	return set
}

func parse(b []byte) *rsa.PrivateKey {
	block, _ := pem.Decode(b)
	if block == nil {
		panic("testkeys: no PEM block")
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		panic("testkeys: " + err.Error())
	}
	return k
}
