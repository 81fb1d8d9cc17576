package site

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// emulatorKeys makes the four RSA-2048 keys the playground's emulator signs with and encodes
// them as the runtime's prepared-key file: {identity, iam, caRoot, caIntermediate}, each a
// base64 PKCS #8 key.
//
// Why at build time: generating them in the page costs 0.5–1.5 s of a 2-core machine that is
// compiling the wasm at the same moment, and that alone broke the navigation → ready budget.
// Natively they take a fraction of a second, once per build.
//
// These private keys are public by design: the playground is a teaching emulator, every visitor
// downloads them, and they sign nothing outside it. Each build makes new ones, so tokens from
// one deployment do not verify on another.
func emulatorKeys() ([]byte, error) {
	out := map[string]string{}
	for _, name := range []string{"identity", "iam", "caRoot", "caIntermediate"} {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("site: emulator key %s: %w", name, err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		out[name] = base64.StdEncoding.EncodeToString(der)
	}
	return json.Marshal(out)
}
