package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readCSR returns testdata/name.csr.
func readCSR(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".csr"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tamper returns the PEM CSR with old replaced by new inside its DER, which
// keeps it parseable but breaks its signature.
func tamper(t testing.TB, csrPEM, old, new string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(csrPEM))
	if !bytes.Contains(block.Bytes, []byte(old)) {
		t.Fatalf("tamper: %q not in the CSR", old)
	}
	block.Bytes = bytes.Replace(block.Bytes, []byte(old), []byte(new), 1)
	return string(pem.EncodeToMemory(block))
}

// flipLastByte flips a bit in the last byte of the CSR, which is in the signature.
func flipLastByte(t testing.TB, csrPEM string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(csrPEM))
	block.Bytes[len(block.Bytes)-1] ^= 1
	return string(pem.EncodeToMemory(block))
}

func relabel(t testing.TB, csrPEM, label string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(csrPEM))
	block.Type = label
	return string(pem.EncodeToMemory(block))
}

const (
	msgMalformed = "The CSR is not a PEM-encoded PKCS #10 certificate signing request: "
	msgKey       = "; use an RSA key of 2048 to 8192 bits or an ECDSA key on curve P-256, P-384 or P-521."
	msgSigAlg    = ", which is not accepted; sign it with SHA-256, SHA-384 or SHA-512."
	msgCN        = "The CSR subject must not contain a common name (CN); the CA sets CN to the instance ID."
	msgEmpty     = "The CSR subject must contain at least one of C, ST, L, O and OU."
	msgSignature = "The CSR signature does not verify with the CSR public key; the request was altered or signed with another key."
)

func attrMsg(name string) string {
	return "The CSR subject must not contain " + name + "; only C, ST, L, O and OU are allowed."
}

// TestCheckCSR runs every fixture through the rules. The ok cases are signed
// too, and the leaf's subject checked.
func TestCheckCSR(t *testing.T) {
	ibm := readCSR(t, "ibm-example")
	tests := []struct {
		name    string
		csr     string
		rule    Rule   // 0: accepted
		msg     string // the error message when refused
		subject string // the leaf subject when accepted
	}{
		// Accepted.
		{name: "ok/IBM docs example", csr: ibm,
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,O=Internet Widgits Pty Ltd,L=Rochester,ST=Minnesota,C=US"},
		{name: "ok/IBM docs command rsa4096 C only", csr: readCSR(t, "ok-rsa4096-c"),
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,C=US"},
		{name: "ok/all five attributes", csr: readCSR(t, "ok-rsa2048-all"),
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,OU=Storage,O=Example Corp,L=Rochester,ST=Minnesota,C=US"},
		{name: "ok/two OUs and UTF-8", csr: readCSR(t, "ok-multi-ou-utf8"),
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,OU=Backup,OU=Storage,O=Example AG,L=Zürich,C=CH"},
		{name: "ok/ecdsa P-256", csr: readCSR(t, "ok-ecdsa-p256"),
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,O=Example Corp"},
		{name: "ok/ecdsa P-384", csr: readCSR(t, "ok-ecdsa-p384"),
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,O=Example Corp"},
		{name: "ok/rsa-pss signature", csr: readCSR(t, "ok-rsa-pss"),
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,O=Example Corp"},
		{name: "ok/challengePassword attribute is ignored", csr: readCSR(t, "ok-challenge-password"),
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,O=Example Corp"},
		{name: "ok/legacy NEW CERTIFICATE REQUEST label", csr: relabel(t, ibm, "NEW CERTIFICATE REQUEST"),
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,O=Internet Widgits Pty Ltd,L=Rochester,ST=Minnesota,C=US"},
		{name: "ok/CRLF line endings", csr: strings.ReplaceAll(ibm, "\n", "\r\n"),
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,O=Internet Widgits Pty Ltd,L=Rochester,ST=Minnesota,C=US"},
		{name: "ok/text before the block", csr: "Certificate Request:\n    Data: ...\n" + ibm,
			subject: "CN=0717_11111111-2222-3333-4444-555555555555,O=Internet Widgits Pty Ltd,L=Rochester,ST=Minnesota,C=US"},

		// RuleMalformed.
		{name: "fail/empty", csr: "", rule: RuleMalformed,
			msg: msgMalformed + "no PEM block found."},
		{name: "fail/not PEM", csr: "MIICnTCCAYUCAQAwWDEL", rule: RuleMalformed,
			msg: msgMalformed + "no PEM block found."},
		{name: "fail/newlines still escaped", csr: strings.ReplaceAll(ibm, "\n", `\n`), rule: RuleMalformed,
			msg: msgMalformed + "no PEM block found."},
		{name: "fail/CERTIFICATE block", csr: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", rule: RuleMalformed,
			msg: msgMalformed + `the PEM block is "CERTIFICATE", not "CERTIFICATE REQUEST".`},
		{name: "fail/garbage DER", csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", rule: RuleMalformed,
			msg: msgMalformed + "the DER inside the PEM block does not parse."},
		{name: "fail/private key after the block", csr: ibm + "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", rule: RuleMalformed,
			msg: msgMalformed + "unexpected data after the CERTIFICATE REQUEST block."},
		// Issue 14: an encrypted-looking block was taken as a plain request.
		{name: "fail/encrypted PEM", csr: strings.Replace(ibm, "REQUEST-----\n", "REQUEST-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n", 1), rule: RuleMalformed,
			msg: msgMalformed + "the CERTIFICATE REQUEST block has PEM headers (DEK-Info)."},

		// RuleKey.
		{name: "fail/rsa 1024", csr: readCSR(t, "fail-rsa1024"), rule: RuleKey,
			msg: "The CSR public key is not accepted (RSA, 1024 bits)" + msgKey},
		{name: "fail/rsa 512", csr: readCSR(t, "fail-rsa512"), rule: RuleKey,
			msg: "The CSR public key is not accepted (RSA, 512 bits)" + msgKey},
		{name: "fail/ecdsa P-224", csr: readCSR(t, "fail-ecdsa-p224"), rule: RuleKey,
			msg: "The CSR public key is not accepted (ECDSA, curve P-224)" + msgKey},
		{name: "fail/ecdsa secp256k1", csr: readCSR(t, "fail-ecdsa-secp256k1"), rule: RuleKey,
			msg: "The CSR public key is not accepted (ECDSA, curve secp256k1)" + msgKey},
		{name: "fail/ed25519", csr: readCSR(t, "fail-ed25519"), rule: RuleKey,
			msg: "The CSR public key is not accepted (Ed25519)" + msgKey},
		{name: "fail/dsa", csr: readCSR(t, "fail-dsa"), rule: RuleKey,
			msg: "The CSR public key is not accepted (DSA)" + msgKey},

		// RuleSignatureAlgorithm.
		{name: "fail/sha1", csr: readCSR(t, "fail-sha1"), rule: RuleSignatureAlgorithm,
			msg: "The CSR is signed with SHA1-RSA" + msgSigAlg},
		{name: "fail/md5", csr: readCSR(t, "fail-md5"), rule: RuleSignatureAlgorithm,
			msg: "The CSR is signed with MD5-RSA" + msgSigAlg},

		// RuleSignature.
		{name: "fail/subject altered after signing", csr: tamper(t, ibm, "Rochester", "Rochestor"), rule: RuleSignature,
			msg: msgSignature},
		{name: "fail/signature altered", csr: flipLastByte(t, readCSR(t, "ok-ecdsa-p256")), rule: RuleSignature,
			msg: msgSignature},

		// RuleCommonName.
		{name: "fail/CN only", csr: readCSR(t, "fail-cn"), rule: RuleCommonName, msg: msgCN},
		{name: "fail/O and CN", csr: readCSR(t, "fail-o-cn"), rule: RuleCommonName, msg: msgCN},

		// RuleSubjectAttribute.
		{name: "fail/emailAddress", csr: readCSR(t, "fail-email"), rule: RuleSubjectAttribute, msg: attrMsg("emailAddress")},
		{name: "fail/serialNumber", csr: readCSR(t, "fail-serialnumber"), rule: RuleSubjectAttribute, msg: attrMsg("serialNumber")},
		{name: "fail/street", csr: readCSR(t, "fail-street"), rule: RuleSubjectAttribute, msg: attrMsg("street")},
		{name: "fail/postalCode", csr: readCSR(t, "fail-postalcode"), rule: RuleSubjectAttribute, msg: attrMsg("postalCode")},
		{name: "fail/DC", csr: readCSR(t, "fail-dc"), rule: RuleSubjectAttribute, msg: attrMsg("DC")},
		{name: "fail/UID", csr: readCSR(t, "fail-uid"), rule: RuleSubjectAttribute, msg: attrMsg("UID")},

		// RuleEmptySubject.
		{name: "fail/empty subject", csr: readCSR(t, "fail-empty-subject"), rule: RuleEmptySubject, msg: msgEmpty},

		// RuleExtension.
		{name: "fail/subjectAltName", csr: readCSR(t, "fail-san"), rule: RuleExtension,
			msg: "The CSR must not request extensions; it requests subjectAltName."},
		{name: "fail/keyUsage", csr: readCSR(t, "fail-keyusage"), rule: RuleExtension,
			msg: "The CSR must not request extensions; it requests keyUsage."},
	}
	c := newTestCA(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss, err := c.Sign(tt.csr, testInstance, testTTL)
			if tt.rule == 0 {
				if err != nil {
					t.Fatalf("got %q; want no error", err)
				}
				leaf := parseLeaf(t, iss)
				if got := rdnString(t, leaf.RawSubject); got != tt.subject {
					t.Errorf("subject: got %q; want %q", got, tt.subject)
				}
				return
			}
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("got %v (%T); want a *RuleError", err, err)
			}
			if re.Rule != tt.rule {
				t.Errorf("rule: got %q; want %q", re.Rule, tt.rule)
			}
			if got := err.Error(); got != tt.msg {
				t.Errorf("message: got %q; want %q", got, tt.msg)
			}
			if iss != nil {
				t.Errorf("got a certificate with the error")
			}
		})
	}
}

// rdnString renders a DER subject RDN by RDN; pkix.Name.String would
// merge attributes of one type into one multi-valued RDN.
func rdnString(t testing.TB, raw []byte) string {
	t.Helper()
	var rdns pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &rdns); err != nil {
		t.Fatal(err)
	}
	return rdns.String()
}

func TestRuleErrorUnwrap(t *testing.T) {
	_, err := CheckCSR(tamper(t, readCSR(t, "ibm-example"), "Rochester", "Rochestor"))
	var re *RuleError
	if !errors.As(err, &re) || re.Err == nil || !errors.Is(err, re.Err) {
		t.Fatalf("got %#v; want a *RuleError wrapping the verification error", err)
	}
}

func rsaKey(bits int) *rsa.PublicKey {
	return &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), uint(bits-1)), E: 65537}
}

// TestKeyRule covers the bounds the fixtures do not.
func TestKeyRule(t *testing.T) {
	tests := []struct {
		name   string
		key    any
		detail string // "" when accepted
	}{
		{"ok/rsa 2048", rsaKey(2048), ""},
		{"ok/rsa 3072", rsaKey(3072), ""},
		{"ok/rsa 8192", rsaKey(8192), ""},
		{"ok/ecdsa P-521", &ecdsa.PublicKey{Curve: elliptic.P521()}, ""},
		{"fail/rsa 2047", rsaKey(2047), "RSA, 2047 bits"},
		{"fail/rsa 8193", rsaKey(8193), "RSA, 8193 bits"},
		{"fail/no key", nil, "an unsupported algorithm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := keyRule{}.Valid(&x509.CertificateRequest{PublicKey: tt.key})
			var got string
			if re := (*RuleError)(nil); errors.As(err, &re) {
				got = re.Detail
			} else if err != nil {
				t.Fatalf("got %v (%T); want a *RuleError", err, err)
			}
			if got != tt.detail {
				t.Errorf("got %q; want %q", got, tt.detail)
			}
		})
	}
}

func TestSignatureAlgorithmRule(t *testing.T) {
	tests := []struct {
		name   string
		alg    x509.SignatureAlgorithm
		detail string // "" when accepted
	}{
		{"ok/SHA256-RSA", x509.SHA256WithRSA, ""},
		{"ok/SHA512-RSA", x509.SHA512WithRSA, ""},
		{"ok/SHA384-RSAPSS", x509.SHA384WithRSAPSS, ""},
		{"ok/ECDSA-SHA256", x509.ECDSAWithSHA256, ""},
		{"ok/ECDSA-SHA512", x509.ECDSAWithSHA512, ""},
		{"fail/ECDSA-SHA1", x509.ECDSAWithSHA1, "ECDSA-SHA1"},
		{"fail/MD2-RSA (no name in crypto/x509)", x509.MD2WithRSA, "an unknown algorithm"},
		{"fail/DSA-SHA256", x509.DSAWithSHA256, "DSA-SHA256"},
		{"fail/unknown", x509.UnknownSignatureAlgorithm, "an unknown algorithm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := signatureAlgorithmRule{}.Valid(&x509.CertificateRequest{SignatureAlgorithm: tt.alg})
			var got string
			if re := (*RuleError)(nil); errors.As(err, &re) {
				got = re.Detail
			}
			if got != tt.detail {
				t.Errorf("got %q; want %q", got, tt.detail)
			}
		})
	}
}

func TestRuleString(t *testing.T) {
	tests := []struct {
		rule Rule
		want string
	}{
		{RuleMalformed, "malformed"},
		{RuleKey, "key"},
		{RuleSignatureAlgorithm, "signature_algorithm"},
		{RuleSignature, "signature"},
		{RuleCommonName, "common_name"},
		{RuleSubjectAttribute, "subject_attribute"},
		{RuleEmptySubject, "empty_subject"},
		{RuleExtension, "extension"},
		{0, "Rule(0)"},
		{99, "Rule(99)"},
	}
	for _, tt := range tests {
		if got := tt.rule.String(); got != tt.want {
			t.Errorf("got %q; want %q", got, tt.want)
		}
	}
}
