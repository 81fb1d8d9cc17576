package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ChainInfo is the readable form of a certificate list: one entry per certificate in the order
// given (leaf first, as the certificates endpoint answers), and whether the list chains up to
// the emulator's root CA at the emulator's current time.
type ChainInfo struct {
	Certificates []CertInfo `json:"certificates"`
	// Verified reports that the first certificate chains to a trusted root through the others.
	Verified bool `json:"verified"`
	// Reason says in one line why the chain does not verify, or what it verified against.
	Reason string `json:"reason"`
}

// CertInfo is one certificate, with the fields a learner compares against the documentation.
type CertInfo struct {
	Subject            string   `json:"subject"`
	Issuer             string   `json:"issuer"`
	SerialNumber       string   `json:"serialNumber"`
	NotBefore          string   `json:"notBefore"`
	NotAfter           string   `json:"notAfter"`
	NotAfterMs         int64    `json:"notAfterMs"`
	IsCA               bool     `json:"isCA"`
	SelfSigned         bool     `json:"selfSigned"`
	PublicKey          string   `json:"publicKey"`
	SignatureAlgorithm string   `json:"signatureAlgorithm"`
	KeyUsage           []string `json:"keyUsage,omitempty"`
	ExtKeyUsage        []string `json:"extKeyUsage,omitempty"`
	DNSNames           []string `json:"dnsNames,omitempty"`
	URIs               []string `json:"uris,omitempty"`
	SHA256             string   `json:"sha256"`
}

// errNoCertificates is returned when the input holds no PEM CERTIFICATE block at all.
var errNoCertificates = errors.New("no PEM certificate found")

// ParseChain describes the certificates in pems (each element may hold several PEM blocks, and
// JSON-escaped "\n" sequences are accepted, as found when a response body is copied by hand)
// and verifies the first against roots with the others as intermediates.
func ParseChain(pems []string, roots *x509.CertPool, now time.Time) (ChainInfo, error) {
	var certs []*x509.Certificate
	for _, p := range pems {
		cs, err := parsePEMCertificates(p)
		if err != nil {
			return ChainInfo{}, err
		}
		certs = append(certs, cs...)
	}
	if len(certs) == 0 {
		return ChainInfo{}, errNoCertificates
	}
	info := ChainInfo{Certificates: make([]CertInfo, len(certs))}
	for i, c := range certs {
		info.Certificates[i] = describeCert(c)
	}
	if roots == nil {
		info.Reason = "not verified: the emulator's root CA is not available"
		return info, nil
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		info.Reason = "does not verify: " + err.Error()
		return info, nil
	}
	info.Verified = true
	info.Reason = "chains to the emulator's root CA"
	return info, nil
}

// parsePEMCertificates returns every CERTIFICATE block in s, skipping other block types.
func parsePEMCertificates(s string) ([]*x509.Certificate, error) {
	if !strings.Contains(s, "\n") && strings.Contains(s, `\n`) {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	var certs []*x509.Certificate
	rest := []byte(s)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return certs, nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
}

// describeCert extracts the readable fields of c.
func describeCert(c *x509.Certificate) CertInfo {
	sum := sha256.Sum256(c.Raw)
	ci := CertInfo{
		Subject:            c.Subject.String(),
		Issuer:             c.Issuer.String(),
		SerialNumber:       colonHex(c.SerialNumber.Bytes()),
		NotBefore:          c.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:           c.NotAfter.UTC().Format(time.RFC3339),
		NotAfterMs:         c.NotAfter.UnixMilli(),
		IsCA:               c.IsCA,
		SelfSigned:         c.CheckSignatureFrom(c) == nil,
		PublicKey:          describeKey(c.PublicKey),
		SignatureAlgorithm: c.SignatureAlgorithm.String(),
		KeyUsage:           keyUsages(c.KeyUsage),
		DNSNames:           c.DNSNames,
		SHA256:             colonHex(sum[:]),
	}
	for _, u := range c.URIs {
		ci.URIs = append(ci.URIs, u.String())
	}
	for _, u := range c.ExtKeyUsage {
		ci.ExtKeyUsage = append(ci.ExtKeyUsage, extKeyUsageNames[u])
	}
	return ci
}

// describeKey names a public key the way openssl's text output does, roughly.
func describeKey(k any) string {
	switch k := k.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bit", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	default:
		return fmt.Sprintf("%T", k)
	}
}

// keyUsageNames lists the KeyUsage bits in the order of RFC 5280.
var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"},
	{x509.KeyUsageContentCommitment, "contentCommitment"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
	{x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"},
	{x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"},
	{x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

// keyUsages names the bits set in u.
func keyUsages(u x509.KeyUsage) []string {
	var out []string
	for _, n := range keyUsageNames {
		if u&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// extKeyUsageNames names the extended key usages a certificate here can carry.
var extKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:             "any",
	x509.ExtKeyUsageServerAuth:      "serverAuth",
	x509.ExtKeyUsageClientAuth:      "clientAuth",
	x509.ExtKeyUsageCodeSigning:     "codeSigning",
	x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageTimeStamping:    "timeStamping",
	x509.ExtKeyUsageOCSPSigning:     "OCSPSigning",
}

// colonHex formats b as upper-case hex pairs separated by colons, as openssl prints serials and
// fingerprints.
func colonHex(b []byte) string {
	if len(b) == 0 {
		return "00"
	}
	var sb strings.Builder
	for i, x := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%02X", x)
	}
	return sb.String()
}
