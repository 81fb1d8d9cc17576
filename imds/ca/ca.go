// Package ca is the certificate authority behind the emulator's instance
// identity certificates (POST /identity/v1/certificates and its older twin
// /instance_identity/v1/certificates). It is pure Go with no I/O, so it runs
// unchanged in the browser (GOOS=js); it knows nothing of HTTP, and the core
// turns its *RuleError values into IBM "invalid_value" errors.
//
// # Hierarchy
//
// New builds a self-signed root, "imdsplay Emulated VPC Root CA", and one
// intermediate it signs with path length 0. The intermediate signs every leaf,
// so a client is handed [leaf, intermediate], as IBM's API returns them, and
// trusts the root, which the core publishes. Both CA keys are RSA-2048 and
// every signature is SHA-256 with RSA, as in IBM's sample chain.
//
// # CSR rules
//
// A CSR is accepted only if it passes these checks, run in this order; the
// first failure is returned as a *RuleError whose message says which rule:
//
//  1. RuleMalformed: a PEM "CERTIFICATE REQUEST" block (or the legacy
//     "NEW CERTIFICATE REQUEST"), nothing but whitespace after it, holding a
//     DER PKCS #10 request that crypto/x509 parses.
//  2. RuleKey: RSA of 2048 to 8192 bits, or ECDSA on P-256, P-384 or P-521.
//     Ed25519, DSA and other curves are refused.
//  3. RuleSignatureAlgorithm: SHA-256, SHA-384 or SHA-512 with RSA PKCS #1
//     v1.5, RSA-PSS or ECDSA; MD5 and SHA-1 are refused.
//  4. RuleSignature: the self-signature verifies with the CSR's own key.
//  5. RuleCommonName: no CN in the subject; the CA sets CN itself.
//  6. RuleSubjectAttribute: no subject attribute other than C, ST, L, O, OU,
//     judged by the raw attribute OIDs, so emailAddress, serialNumber, street,
//     postalCode, DC, UID or any unnamed OID are all caught.
//  7. RuleEmptySubject: at least one of C, ST, L, O, OU.
//  8. RuleExtension: no requested extensions at all, subjectAltName included.
//     Other CSR attributes (a challengePassword, say) are ignored.
//
// IBM documents rules 5, 6 and 8 and lists C, ST, L, O, OU as the names to
// use; rule 7's "at least one", rules 1 to 4 (PEM form, key and algorithm
// limits, signature check) and the order are this emulator's choices.
//
// # Issued certificates
//
// A leaf's subject is the CSR's subject, byte for byte, followed by
// CN=<instance ID>. Its serial is 128 random bits, it is valid from the
// current second for the requested time to live, carries key usage
// digitalSignature (plus keyEncipherment for RSA keys), extended key usage
// clientAuth and serverAuth, CA:FALSE, and subject and authority key
// identifiers (RFC 7093 method 1: the first 160 bits of SHA-256 of the key).
//
// # Time and randomness
//
// All times come from Config.Time and all randomness from Config.Rand, as in
// crypto/tls.Config, so a fixed clock and a deterministic reader give
// byte-identical certificates. Key generation is the exception: since Go
// 1.26 crypto/rsa and crypto/ecdsa ignore the reader they are given, so pass
// Config.Root and Config.Intermediate for a reproducible hierarchy.
package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// Names of the emulated hierarchy. They say "imdsplay" so nobody mistakes
// them for IBM's.
const (
	RootName         = "imdsplay Emulated VPC Root CA"
	IntermediateName = "imdsplay Emulated VPC Intermediate CA"
)

// Config configures a CA. The zero value is ready to use.
type Config struct {
	// Time returns the current time; nil means time.Now. The CA's own
	// validity and every leaf's NotBefore and NotAfter derive from it.
	Time func() time.Time
	// Rand supplies serial numbers and certificate IDs; nil means
	// crypto/rand.Reader. If the CA is used from several goroutines, Rand
	// must be safe for concurrent use.
	Rand io.Reader
	// Root and Intermediate are the CA keys; nil means a fresh RSA-2048 key.
	Root, Intermediate *rsa.PrivateKey
}

// CA issues instance identity certificates and TLS server certificates. It
// is safe for concurrent use if its Config.Rand is.
type CA struct {
	now               func() time.Time
	rand              io.Reader
	root, inter       *x509.Certificate
	interKey          *rsa.PrivateKey
	rootPEM, interPEM []byte
}

// Validity of the CA certificates around the time New runs. The margin
// before it lets a virtual clock be set a little back without breaking the
// chain; the span after it outlasts any emulator session.
const (
	caBackdate           = 1  // years
	rootLifetime         = 20 // years
	intermediateLifetime = 10 // years
)

// Validity of a TLS server certificate: an hour of slack for client clocks,
// and the CA/Browser Forum's longest lifetime.
const (
	serverBackdate = time.Hour
	serverLifetime = 397 * 24 * time.Hour
)

// maxCommonName is ub-common-name from RFC 5280.
const maxCommonName = 64

// New builds the root and intermediate certificates.
func New(cfg Config) (*CA, error) {
	c := &CA{now: cfg.Time, rand: cfg.Rand}
	if c.now == nil {
		c.now = time.Now
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	rootKey, interKey := cfg.Root, cfg.Intermediate
	for _, k := range []**rsa.PrivateKey{&rootKey, &interKey} {
		if *k == nil {
			var err error
			if *k, err = rsa.GenerateKey(c.rand, 2048); err != nil {
				return nil, fmt.Errorf("ca: generating a CA key: %w", err)
			}
		}
	}
	c.interKey = interKey

	now := c.now().UTC().Truncate(time.Second)
	caCert := func(name string, years int, key *rsa.PrivateKey) (*x509.Certificate, error) {
		serial, err := c.serial()
		if err != nil {
			return nil, err
		}
		skid, err := keyID(&key.PublicKey)
		if err != nil {
			return nil, err
		}
		return &x509.Certificate{
			SerialNumber: serial,
			Subject: pkix.Name{
				Organization:       []string{"imdsplay"},
				OrganizationalUnit: []string{"Emulated VPC"},
				CommonName:         name,
			},
			NotBefore:             now.AddDate(-caBackdate, 0, 0),
			NotAfter:              now.AddDate(years, 0, 0),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
			SubjectKeyId:          skid,
			SignatureAlgorithm:    x509.SHA256WithRSA,
		}, nil
	}

	rootTmpl, err := caCert(RootName, rootLifetime, rootKey)
	if err != nil {
		return nil, err
	}
	if c.root, c.rootPEM, err = c.create(rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey); err != nil {
		return nil, err
	}
	interTmpl, err := caCert(IntermediateName, intermediateLifetime, interKey)
	if err != nil {
		return nil, err
	}
	interTmpl.MaxPathLenZero = true
	if c.inter, c.interPEM, err = c.create(interTmpl, c.root, &interKey.PublicKey, rootKey); err != nil {
		return nil, err
	}
	return c, nil
}

// RootPEM returns the root certificate, PEM-encoded: the trust anchor.
func (c *CA) RootPEM() []byte { return bytes.Clone(c.rootPEM) }

// IntermediatePEM returns the intermediate certificate, PEM-encoded.
func (c *CA) IntermediatePEM() []byte { return bytes.Clone(c.interPEM) }

// Issued is an identity certificate as the API returns it.
type Issued struct {
	// ID identifies the certificate; it is UUID-shaped, as IBM's are.
	ID string
	// Leaf and Intermediate are PEM-encoded, each ending in a newline.
	Leaf, Intermediate string
	// NotBefore and NotAfter are the leaf's validity, in UTC and whole
	// seconds, exactly as encoded in the certificate.
	NotBefore, NotAfter time.Time
}

// Sign checks csrPEM against the rules (see the package documentation) and
// issues a leaf for commonName, the instance ID, valid for ttl from now.
// A CSR the rules refuse yields a *RuleError; any other error is the
// caller's or the CA's fault, not the client's.
func (c *CA) Sign(csrPEM, commonName string, ttl time.Duration) (*Issued, error) {
	if commonName == "" || len(commonName) > maxCommonName {
		return nil, fmt.Errorf("ca: common name %q must be 1 to %d bytes", commonName, maxCommonName)
	}
	if ttl < time.Second {
		return nil, fmt.Errorf("ca: time to live %v is under a second", ttl)
	}
	csr, err := CheckCSR(csrPEM)
	if err != nil {
		return nil, err
	}
	id, err := c.uuid()
	if err != nil {
		return nil, err
	}
	serial, err := c.serial()
	if err != nil {
		return nil, err
	}
	subject, err := appendCommonName(csr.RawSubject, commonName)
	if err != nil {
		return nil, &RuleError{Rule: RuleMalformed, Detail: "the subject does not parse", Err: err}
	}
	skid, err := keyID(csr.PublicKey)
	if err != nil {
		return nil, err
	}
	usage := x509.KeyUsageDigitalSignature
	if _, ok := csr.PublicKey.(*rsa.PublicKey); ok {
		// RFC 5480 and 8813: keyEncipherment is for RSA keys only.
		usage |= x509.KeyUsageKeyEncipherment
	}
	now := c.now().UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		RawSubject:            subject,
		NotBefore:             now,
		NotAfter:              now.Add(ttl),
		KeyUsage:              usage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		SubjectKeyId:          skid,
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	leaf, leafPEM, err := c.create(tmpl, c.inter, csr.PublicKey, c.interKey)
	if err != nil {
		return nil, err
	}
	return &Issued{
		ID:           id,
		Leaf:         string(leafPEM),
		Intermediate: string(c.interPEM),
		NotBefore:    leaf.NotBefore,
		NotAfter:     leaf.NotAfter,
	}, nil
}

// ServerCertificate issues a TLS server certificate for hosts (DNS names or
// IP addresses, such as "api.metadata.cloud.ibm.com" and "169.254.169.254"),
// chained [leaf, intermediate] to the root. Its key is ECDSA P-256, which is
// quick to generate and to use in a wasm build. It is valid from an hour
// before now for 397 days.
func (c *CA) ServerCertificate(hosts ...string) (tls.Certificate, error) {
	if len(hosts) == 0 {
		return tls.Certificate{}, errors.New("ca: a server certificate needs at least one host")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), c.rand)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("ca: generating a server key: %w", err)
	}
	serial, err := c.serial()
	if err != nil {
		return tls.Certificate{}, err
	}
	skid, err := keyID(&key.PublicKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := c.now().UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0]},
		NotBefore:             now.Add(-serverBackdate),
		NotAfter:              now.Add(serverLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		SubjectKeyId:          skid,
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	leaf, _, err := c.create(tmpl, c.inter, &key.PublicKey, c.interKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{
		Certificate: [][]byte{leaf.Raw, c.inter.Raw},
		PrivateKey:  key,
		Leaf:        leaf,
	}, nil
}

// create signs tmpl with the parent's key and returns the certificate both
// parsed and PEM-encoded.
func (c *CA) create(tmpl, parent *x509.Certificate, pub, priv any) (*x509.Certificate, []byte, error) {
	der, err := x509.CreateCertificate(c.rand, tmpl, parent, pub, priv)
	if err != nil {
		return nil, nil, fmt.Errorf("ca: signing a certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("ca: parsing a certificate just signed: %w", err)
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// serial returns 128 random bits as a certificate serial number.
func (c *CA) serial() (*big.Int, error) {
	var b [16]byte
	if _, err := io.ReadFull(c.rand, b[:]); err != nil {
		return nil, fmt.Errorf("ca: reading randomness: %w", err)
	}
	return new(big.Int).SetBytes(b[:]), nil
}

// uuid returns a random (version 4) UUID in its canonical text form.
func (c *CA) uuid() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(c.rand, b[:]); err != nil {
		return "", fmt.Errorf("ca: reading randomness: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// keyID computes a key identifier by RFC 7093 section 2 method 1: the
// leftmost 160 bits of the SHA-256 hash of the subjectPublicKey bits. Go
// does the same for CA certificates it signs, but not for leaves.
func keyID(pub any) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("ca: encoding a public key: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("ca: decoding a public key: %w", err)
	}
	h := sha256.Sum256(spki.PublicKey.Bytes)
	return h[:20], nil
}

// appendCommonName returns the DER subject rawSubject with a final RDN
// CN=cn (a UTF8String). The CSR's own RDNs are copied verbatim, so their
// string types and order survive; empty RDNs, which X.501 forbids, are
// dropped.
func appendCommonName(rawSubject []byte, cn string) ([]byte, error) {
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(rawSubject, &seq); err != nil {
		return nil, err
	} else if len(rest) > 0 || seq.Tag != asn1.TagSequence {
		return nil, errors.New("subject is not a single SEQUENCE")
	}
	var rdns []byte
	for rest := seq.Bytes; len(rest) > 0; {
		var rdn asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &rdn); err != nil {
			return nil, err
		}
		if len(rdn.Bytes) > 0 {
			rdns = append(rdns, rdn.FullBytes...)
		}
	}
	type attributeTypeAndValue struct {
		Type  asn1.ObjectIdentifier
		Value string `asn1:"utf8"`
	}
	cnRDN, err := asn1.MarshalWithParams([]attributeTypeAndValue{{oidCommonName, cn}}, "set")
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(asn1.RawValue{
		Class:      asn1.ClassUniversal,
		Tag:        asn1.TagSequence,
		IsCompound: true,
		Bytes:      append(rdns, cnRDN...),
	})
}
