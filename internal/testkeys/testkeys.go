// Package testkeys holds the one set of fixed RSA keys of imdsplay's tests, so that test
// emulators start at once and their outputs are reproducible: the emulator's four keys and two
// client keys for the shell's `openssl req -newkey`. The keys are public: never use them
// outside tests.
//
// It imports nothing of imdsplay, so that every package's tests can use it, the imds/ca
// package's own tests included (internal/fixture, which builds emulators on these keys,
// imports imds and so cannot serve them).
//
// They were made with `openssl genrsa -traditional -out NAME.pem BITS`.
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
	//go:embed client2048.pem
	client2048PEM []byte
	//go:embed client4096.pem
	client4096PEM []byte
)

// Set is the four keys an emulator needs, in the order of imds.Keys.
type Set struct {
	Identity, IAM, CARoot, CAIntermediate *rsa.PrivateKey
}

var (
	once    sync.Once
	set     Set
	clients map[int]*rsa.PrivateKey
)

func load() {
	once.Do(func() {
		set = Set{parse(identityPEM), parse(iamPEM), parse(caRootPEM), parse(caIntermediatePEM)}
		clients = map[int]*rsa.PrivateKey{2048: parse(client2048PEM), 4096: parse(client4096PEM)}
	})
}

// Get returns the fixed key set. The keys are parsed once and shared; treat them as read-only.
func Get() Set {
	load()
	return set
}

// Client returns the fixed client key of that size, 2048 or 4096 bits (any other size gets
// the 2048-bit key), for tests where a program makes a key of its own.
func Client(bits int) *rsa.PrivateKey {
	load()
	if k, ok := clients[bits]; ok {
		return k
	}
	return clients[2048]
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
