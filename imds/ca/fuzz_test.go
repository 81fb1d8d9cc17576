package ca_test

// FuzzCheckCSR feeds arbitrary text, or arbitrary DER inside a CERTIFICATE REQUEST block, to
// CheckCSR and Sign. Seeds are the CSRs of testdata/ (as text and as DER) plus the corpus in
// testdata/fuzz/FuzzCheckCSR/; run it with
//
//	go test -run '^$' -fuzz '^FuzzCheckCSR$' -fuzztime 60s ./imds/ca/

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds/ca"
	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/internal/testkeys"
)

const fzInstance = "0727_ed12480a-40a4-41a0-98e3-6dfac8b25ad6"

// fzNow is the fixture's time to the second, as certificates carry it.
var fzNow = fixture.Time().Truncate(time.Second)

var (
	fzOnce sync.Once
	fzCA   *ca.CA
	fzRoot *x509.Certificate
)

// fzAuthority is one CA for the whole run, with the fixed test keys and clock.
func fzAuthority(t testing.TB) (*ca.CA, *x509.Certificate) {
	t.Helper()
	fzOnce.Do(func() {
		k := testkeys.Get()
		c, err := ca.New(ca.Config{Time: func() time.Time { return fzNow }, Root: k.CARoot, Intermediate: k.CAIntermediate})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(c.RootPEM())
		if fzRoot, err = x509.ParseCertificate(b.Bytes); err != nil {
			t.Fatal(err)
		}
		fzCA = c
	})
	if fzCA == nil {
		t.Fatal("no CA")
	}
	return fzCA, fzRoot
}

// Subject attribute and extension OIDs the rules and the CA deal in.
var (
	fzAllowed = map[string]bool{"2.5.4.6": true, "2.5.4.8": true, "2.5.4.7": true, "2.5.4.10": true, "2.5.4.11": true}
	fzCN      = asn1.ObjectIdentifier{2, 5, 4, 3}
	// fzLeafExtensions are the only extensions a leaf may carry: subject and authority key
	// identifiers, key usage, extended key usage, basic constraints.
	fzLeafExtensions = map[string]bool{"2.5.29.14": true, "2.5.29.35": true, "2.5.29.15": true, "2.5.29.37": true, "2.5.29.19": true}
)

// FuzzCheckCSR checks that CheckCSR and Sign never panic and fail only with a *RuleError, and
// that whatever they accept obeys every rule and becomes a leaf that chains to the root, with
// the CSR's key and subject, CN set to the instance and no extension of the requester's.
func FuzzCheckCSR(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.csr"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, data)
		if b, _ := pem.Decode(data); b != nil {
			f.Add(true, b.Bytes)
		}
	}
	f.Add(false, []byte("-----BEGIN NEW CERTIFICATE REQUEST-----\nMAA=\n-----END NEW CERTIFICATE REQUEST-----\n"))
	f.Add(false, []byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"))
	f.Add(true, []byte{0x30, 0x03, 0x30, 0x01, 0x00})
	f.Add(true, []byte{})
	authority, root := fzAuthority(f)
	f.Fuzz(func(t *testing.T, der bool, data []byte) {
		text := string(data)
		if der {
			text = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: data}))
		}
		csr, err := ca.CheckCSR(text)
		fzRuleError(t, "CheckCSR", err)
		if err != nil {
			return
		}
		fzObeysRules(t, csr)
		iss, err := authority.Sign(text, fzInstance, time.Hour)
		fzRuleError(t, "Sign", err)
		if err != nil {
			return
		}
		fzCheckLeaf(t, iss, csr, root)
	})
}

// fzRuleError fails t unless err is nil or a bare *RuleError with a rule of the list and a
// sentence for a message.
func fzRuleError(t *testing.T, op string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	re, ok := err.(*ca.RuleError)
	if !ok {
		t.Fatalf("%s: %T %v; want a *ca.RuleError", op, err, err)
	}
	msg := re.Error()
	if re.Rule < ca.RuleMalformed || re.Rule > ca.RuleExtension || strings.Contains(msg, "%!") || !strings.HasSuffix(msg, ".") {
		t.Fatalf("%s: rule %v, message %q", op, re.Rule, msg)
	}
	var again *ca.RuleError
	if !errors.As(err, &again) {
		t.Fatalf("%s: errors.As finds no *RuleError", op)
	}
}

// fzObeysRules re-checks an accepted CSR against the rules, written independently.
func fzObeysRules(t *testing.T, csr *x509.CertificateRequest) {
	t.Helper()
	switch k := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 8192 {
			t.Fatalf("accepted an RSA key of %d bits", n)
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() && k.Curve != elliptic.P521() {
			t.Fatalf("accepted curve %s", k.Curve.Params().Name)
		}
	default:
		t.Fatalf("accepted a %T key", k)
	}
	if err := csr.CheckSignature(); err != nil {
		t.Fatalf("accepted a CSR whose signature does not verify: %v", err)
	}
	switch csr.SignatureAlgorithm {
	case x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA, x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS,
		x509.SHA512WithRSAPSS, x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512:
	default:
		t.Fatalf("accepted signature algorithm %v", csr.SignatureAlgorithm)
	}
	if len(csr.Subject.Names) == 0 {
		t.Fatal("accepted an empty subject")
	}
	for _, a := range csr.Subject.Names {
		if !fzAllowed[a.Type.String()] {
			t.Fatalf("accepted subject attribute %v", a.Type)
		}
	}
	if len(csr.Extensions) > 0 {
		t.Fatalf("accepted %d requested extensions", len(csr.Extensions))
	}
}

// fzCheckLeaf checks an issued certificate against the CSR it answers.
func fzCheckLeaf(t *testing.T, iss *ca.Issued, csr *x509.CertificateRequest, root *x509.Certificate) {
	t.Helper()
	leaf, inter := fixture.ParseCert(t, iss.Leaf), fixture.ParseCert(t, iss.Intermediate)
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	inters.AddCert(inter)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: fzNow,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("the leaf does not chain to the root: %v", err)
	}
	if !leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(csr.PublicKey) {
		t.Fatal("the leaf's key is not the CSR's")
	}
	names := leaf.Subject.Names
	if len(names) != len(csr.Subject.Names)+1 || !names[len(names)-1].Type.Equal(fzCN) || names[len(names)-1].Value != fzInstance {
		t.Fatalf("leaf subject %v; want the CSR's %v then CN=%s", names, csr.Subject.Names, fzInstance)
	}
	for i, a := range csr.Subject.Names {
		if !names[i].Type.Equal(a.Type) || names[i].Value != a.Value {
			t.Fatalf("leaf subject attribute %d got %v; want %v", i, names[i], a)
		}
	}
	for _, e := range leaf.Extensions {
		if !fzLeafExtensions[e.Id.String()] {
			t.Fatalf("the leaf carries extension %v", e.Id)
		}
	}
	if leaf.IsCA || leaf.NotAfter.Sub(leaf.NotBefore) != time.Hour || !leaf.NotBefore.Equal(fzNow) {
		t.Fatalf("leaf CA %v, valid %v … %v", leaf.IsCA, leaf.NotBefore, leaf.NotAfter)
	}
}
