package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
)

// Rule names one of the checks a CSR must pass. The constants are listed in
// the order the checks run; the first failing check is the one reported.
type Rule int

const (
	// RuleMalformed: the CSR is not a PEM "CERTIFICATE REQUEST" block holding
	// one DER-encoded PKCS #10 request.
	RuleMalformed Rule = iota + 1
	// RuleKey: the public key is not RSA of 2048 to 8192 bits or ECDSA on
	// P-256, P-384 or P-521. Ed25519 and DSA keys are refused too.
	RuleKey
	// RuleSignatureAlgorithm: the CSR is signed with MD5, SHA-1 or an algorithm
	// other than RSA PKCS #1 v1.5, RSA-PSS or ECDSA with SHA-256/384/512.
	RuleSignatureAlgorithm
	// RuleSignature: the CSR's self-signature does not verify.
	RuleSignature
	// RuleCommonName: the subject holds a common name (CN).
	RuleCommonName
	// RuleSubjectAttribute: the subject holds an attribute other than C, ST,
	// L, O, OU and CN; Detail names it.
	RuleSubjectAttribute
	// RuleEmptySubject: the subject holds none of C, ST, L, O, OU.
	RuleEmptySubject
	// RuleExtension: the CSR requests extensions (subjectAltName included);
	// Detail names them.
	RuleExtension
)

var ruleNames = [...]string{
	RuleMalformed:          "malformed",
	RuleKey:                "key",
	RuleSignatureAlgorithm: "signature_algorithm",
	RuleSignature:          "signature",
	RuleCommonName:         "common_name",
	RuleSubjectAttribute:   "subject_attribute",
	RuleEmptySubject:       "empty_subject",
	RuleExtension:          "extension",
}

// String returns the rule's snake_case name, e.g. "common_name".
func (r Rule) String() string {
	if r > 0 && int(r) < len(ruleNames) {
		return ruleNames[r]
	}
	return fmt.Sprintf("Rule(%d)", int(r))
}

// RuleError reports the first rule a CSR breaks. Its message is a plain
// sentence meant for the API client (the core returns it as the message of
// an IBM "invalid_value" error).
type RuleError struct {
	Rule Rule
	// Detail is the specific fact behind the failure, worked into the
	// message: what is wrong with the PEM (RuleMalformed), the key
	// ("RSA, 1024 bits"), the signature algorithm ("SHA1-RSA"), the offending
	// attribute ("emailAddress") or the extensions ("subjectAltName").
	Detail string
	// Err is the underlying error from crypto/x509 or encoding/pem, if any.
	Err error
}

// Error returns one plain sentence naming the rule, such as "The CSR
// subject must not contain a common name (CN); the CA sets CN to the
// instance ID."
func (e *RuleError) Error() string {
	switch e.Rule {
	case RuleMalformed:
		return fmt.Sprintf("The CSR is not a PEM-encoded PKCS #10 certificate signing request: %s.", e.Detail)
	case RuleKey:
		return fmt.Sprintf("The CSR public key is not accepted (%s); use an RSA key of 2048 to 8192 bits or an ECDSA key on curve P-256, P-384 or P-521.", e.Detail)
	case RuleSignatureAlgorithm:
		return fmt.Sprintf("The CSR is signed with %s, which is not accepted; sign it with SHA-256, SHA-384 or SHA-512.", e.Detail)
	case RuleSignature:
		return "The CSR signature does not verify with the CSR public key; the request was altered or signed with another key."
	case RuleCommonName:
		return "The CSR subject must not contain a common name (CN); the CA sets CN to the instance ID."
	case RuleSubjectAttribute:
		return fmt.Sprintf("The CSR subject must not contain %s; only C, ST, L, O and OU are allowed.", e.Detail)
	case RuleEmptySubject:
		return "The CSR subject must contain at least one of C, ST, L, O and OU."
	case RuleExtension:
		return fmt.Sprintf("The CSR must not request extensions; it requests %s.", e.Detail)
	}
	return fmt.Sprintf("The CSR breaks rule %v: %s.", e.Rule, e.Detail)
}

// Unwrap returns the underlying error, if any.
func (e *RuleError) Unwrap() error { return e.Err }

// validator is one rule over a parsed CSR, in the manner of smallstep's
// CertificateRequestValidator.
type validator interface {
	Valid(*x509.CertificateRequest) error
}

// rules run in this order after parsing. Key and signature algorithm come
// before the signature because crypto/x509 refuses to verify RSA-512 or MD5
// requests at all, and reporting those as "signature does not verify" would
// mislead; they also keep an oversized key from costing a verification.
// The subject and extension rules then judge a request known to be genuine.
var rules = []validator{
	keyRule{},
	signatureAlgorithmRule{},
	signatureRule{},
	commonNameRule{},
	subjectAttributeRule{},
	emptySubjectRule{},
	extensionRule{},
}

// CheckCSR parses a PEM-encoded CSR and applies every rule in order. It
// returns the parsed request, or a *RuleError for the first rule broken.
func CheckCSR(csrPEM string) (*x509.CertificateRequest, error) {
	csr, err := parseCSR(csrPEM)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		if err := r.Valid(csr); err != nil {
			return nil, err
		}
	}
	return csr, nil
}

func parseCSR(csrPEM string) (*x509.CertificateRequest, error) {
	malformed := func(detail string, err error) error {
		return &RuleError{Rule: RuleMalformed, Detail: detail, Err: err}
	}
	block, rest := pem.Decode([]byte(csrPEM))
	switch {
	case block == nil:
		return nil, malformed("no PEM block found", nil)
	// RFC 7468 section 7: "NEW CERTIFICATE REQUEST" is an older label
	// still written by some tools (Windows certreq); parsers may accept it.
	case block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST":
		return nil, malformed(fmt.Sprintf("the PEM block is %q, not \"CERTIFICATE REQUEST\"", block.Type), nil)
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, malformed("unexpected data after the CERTIFICATE REQUEST block", nil)
	case len(block.Headers) > 0:
		// RFC 7468 section 2: the textual encoding has no headers. An old-style encrypted
		// block (Proc-Type: 4,ENCRYPTED) is not a request to take as it is.
		return nil, malformed("the CERTIFICATE REQUEST block has PEM headers ("+firstHeader(block.Headers)+")", nil)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		// crypto/x509 cannot parse EC keys on curves it does not implement;
		// such a request is well-formed, so report its key instead.
		if curve := unsupportedCurve(block.Bytes); curve != "" {
			return nil, &RuleError{Rule: RuleKey, Detail: "ECDSA, curve " + curve, Err: err}
		}
		return nil, malformed("the DER inside the PEM block does not parse", err)
	}
	return csr, nil
}

var (
	oidPublicKeyECDSA = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	curveNames        = map[string]string{
		"1.2.840.10045.3.1.1":   "P-192",
		"1.3.132.0.10":          "secp256k1",
		"1.3.36.3.3.2.8.1.1.7":  "brainpoolP256r1",
		"1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
		"1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
	}
)

// unsupportedCurve returns the name (or OID) of the named curve of an EC
// public key in a PKCS #10 request, or "" when der is not such a request.
func unsupportedCurve(der []byte) string {
	// encoding/asn1 allows trailing elements in a SEQUENCE, so this reads
	// only as far as the public key's algorithm identifier.
	var req struct {
		Info struct {
			Version int
			Subject asn1.RawValue
			SPKI    struct{ Algorithm pkix.AlgorithmIdentifier }
		}
	}
	var curve asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(der, &req); err != nil ||
		!req.Info.SPKI.Algorithm.Algorithm.Equal(oidPublicKeyECDSA) {
		return ""
	}
	if _, err := asn1.Unmarshal(req.Info.SPKI.Algorithm.Parameters.FullBytes, &curve); err != nil {
		return ""
	}
	if name, ok := curveNames[curve.String()]; ok {
		return name
	}
	return curve.String()
}

// keyRule accepts RSA keys of 2048 to 8192 bits and ECDSA keys on P-256,
// P-384 and P-521.
type keyRule struct{}

func (keyRule) Valid(csr *x509.CertificateRequest) error {
	var detail string
	switch k := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 8192 {
			detail = fmt.Sprintf("RSA, %d bits", n)
		}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			detail = "ECDSA, curve " + k.Curve.Params().Name
		}
	case ed25519.PublicKey:
		detail = "Ed25519"
	default:
		detail = "an unsupported algorithm"
		if csr.PublicKeyAlgorithm != x509.UnknownPublicKeyAlgorithm {
			detail = csr.PublicKeyAlgorithm.String()
		}
	}
	if detail != "" {
		return &RuleError{Rule: RuleKey, Detail: detail}
	}
	return nil
}

// signatureAlgorithmRule accepts SHA-2 signatures by RSA (PKCS #1 v1.5 or
// PSS) and ECDSA keys; the key rule has already excluded the rest.
type signatureAlgorithmRule struct{}

func (signatureAlgorithmRule) Valid(csr *x509.CertificateRequest) error {
	switch a := csr.SignatureAlgorithm; a {
	case x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA,
		x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS,
		x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512:
		return nil
	default:
		name := a.String()
		if name == strconv.Itoa(int(a)) { // crypto/x509 has no name for it
			name = "an unknown algorithm"
		}
		return &RuleError{Rule: RuleSignatureAlgorithm, Detail: name}
	}
}

// signatureRule checks the proof of possession: the request is signed by the
// private key of the public key it carries.
type signatureRule struct{}

func (signatureRule) Valid(csr *x509.CertificateRequest) error {
	if err := csr.CheckSignature(); err != nil {
		return &RuleError{Rule: RuleSignature, Err: err}
	}
	return nil
}

// Subject attribute types, by OID.
var (
	oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}
	allowedNames  = map[string]string{
		"2.5.4.6":  "C",
		"2.5.4.8":  "ST",
		"2.5.4.7":  "L",
		"2.5.4.10": "O",
		"2.5.4.11": "OU",
	}
	// otherNames gives the usual short names of attributes that are refused,
	// so the message can say "emailAddress" rather than an OID.
	otherNames = map[string]string{
		"2.5.4.4":                    "SN (surname)",
		"2.5.4.5":                    "serialNumber",
		"2.5.4.9":                    "street",
		"2.5.4.12":                   "title",
		"2.5.4.17":                   "postalCode",
		"2.5.4.41":                   "name",
		"2.5.4.42":                   "GN (given name)",
		"2.5.4.43":                   "initials",
		"2.5.4.44":                   "generationQualifier",
		"2.5.4.46":                   "dnQualifier",
		"2.5.4.65":                   "pseudonym",
		"2.5.4.97":                   "organizationIdentifier",
		"1.2.840.113549.1.9.1":       "emailAddress",
		"1.2.840.113549.1.9.2":       "unstructuredName",
		"0.9.2342.19200300.100.1.1":  "UID",
		"0.9.2342.19200300.100.1.25": "DC",
	}
)

// commonNameRule refuses a CN: the CA sets CN to the instance ID.
type commonNameRule struct{}

func (commonNameRule) Valid(csr *x509.CertificateRequest) error {
	for _, a := range csr.Subject.Names {
		if a.Type.Equal(oidCommonName) {
			return &RuleError{Rule: RuleCommonName, Detail: "CN"}
		}
	}
	return nil
}

// subjectAttributeRule refuses every subject attribute but C, ST, L, O, OU
// (and CN, which commonNameRule handles). It reads the raw attribute types,
// so attributes pkix.Name has no field for cannot slip through.
type subjectAttributeRule struct{}

func (subjectAttributeRule) Valid(csr *x509.CertificateRequest) error {
	for _, a := range csr.Subject.Names {
		oid := a.Type.String()
		if _, ok := allowedNames[oid]; ok || a.Type.Equal(oidCommonName) {
			continue
		}
		name, ok := otherNames[oid]
		if !ok {
			name = "the attribute " + oid
		}
		return &RuleError{Rule: RuleSubjectAttribute, Detail: name}
	}
	return nil
}

// emptySubjectRule requires at least one of C, ST, L, O, OU.
type emptySubjectRule struct{}

func (emptySubjectRule) Valid(csr *x509.CertificateRequest) error {
	for _, a := range csr.Subject.Names {
		if _, ok := allowedNames[a.Type.String()]; ok {
			return nil
		}
	}
	return &RuleError{Rule: RuleEmptySubject}
}

var extensionNames = map[string]string{
	"2.5.29.14":         "subjectKeyIdentifier",
	"2.5.29.15":         "keyUsage",
	"2.5.29.17":         "subjectAltName",
	"2.5.29.19":         "basicConstraints",
	"2.5.29.37":         "extendedKeyUsage",
	"1.3.6.1.5.5.7.1.1": "authorityInfoAccess",
}

// extensionRule refuses any requested extension (the PKCS #9
// extensionRequest attribute). Other CSR attributes, such as a
// challengePassword, do not reach the certificate and are ignored.
type extensionRule struct{}

func (extensionRule) Valid(csr *x509.CertificateRequest) error {
	if len(csr.Extensions) == 0 {
		return nil
	}
	names := make([]string, len(csr.Extensions))
	for i, e := range csr.Extensions {
		names[i] = e.Id.String()
		if n, ok := extensionNames[names[i]]; ok {
			names[i] = n
		}
	}
	return &RuleError{Rule: RuleExtension, Detail: strings.Join(names, ", ")}
}

// firstHeader names a PEM block's first header in order of name.
func firstHeader(h map[string]string) string {
	first := ""
	for k := range h {
		if first == "" || k < first {
			first = k
		}
	}
	return first
}
