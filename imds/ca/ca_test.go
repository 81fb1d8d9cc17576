package ca

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/internal/testkeys"
)

const (
	testInstance = "0717_11111111-2222-3333-4444-555555555555"
	testTTL      = time.Hour
)

// testNow is the time of IBM's sample response, with a sub-second part to
// show that the CA truncates it.
var testNow = time.Date(2024, 11, 12, 13, 50, 14, 250e6, time.UTC)

// lockedReader makes a deterministic reader safe for concurrent use, as
// Config.Rand must be.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

func testRand() io.Reader {
	return &lockedReader{r: rand.NewChaCha8([32]byte{'i', 'm', 'd', 's'})}
}

// newTestCA returns a CA with the fixed test keys (internal/testkeys), a fixed clock and a
// deterministic reader.
func newTestCA(t testing.TB) *CA {
	t.Helper()
	c, err := New(Config{
		Time:         func() time.Time { return testNow },
		Rand:         testRand(),
		Root:         testkeys.Get().CARoot,
		Intermediate: testkeys.Get().CAIntermediate,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func parsePEM(t testing.TB, s string) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" || len(rest) != 0 {
		t.Fatalf("not one CERTIFICATE block: %q", s)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func parseLeaf(t testing.TB, iss *Issued) *x509.Certificate {
	t.Helper()
	return parsePEM(t, iss.Leaf)
}

func TestNewHierarchy(t *testing.T) {
	c := newTestCA(t)
	root, inter := parsePEM(t, string(c.RootPEM())), parsePEM(t, string(c.IntermediatePEM()))
	tests := []struct {
		name, got, want string
	}{
		{"ok/root subject", root.Subject.String(), "CN=" + RootName + ",OU=Emulated VPC,O=imdsplay"},
		{"ok/root self-signed", root.Issuer.String(), root.Subject.String()},
		{"ok/intermediate subject", inter.Subject.String(), "CN=" + IntermediateName + ",OU=Emulated VPC,O=imdsplay"},
		{"ok/intermediate issuer", inter.Issuer.String(), root.Subject.String()},
		{"ok/intermediate pathlen", strconv.Itoa(inter.MaxPathLen) + " " + strconv.FormatBool(inter.MaxPathLenZero), "0 true"},
		{"ok/intermediate AKI", string(inter.AuthorityKeyId), string(root.SubjectKeyId)},
		{"ok/root NotBefore", root.NotBefore.Format(time.RFC3339), "2023-11-12T13:50:14Z"},
		{"ok/root NotAfter", root.NotAfter.Format(time.RFC3339), "2044-11-12T13:50:14Z"},
		{"ok/intermediate NotAfter", inter.NotAfter.Format(time.RFC3339), "2034-11-12T13:50:14Z"},
		{"ok/signature", inter.SignatureAlgorithm.String(), "SHA256-RSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q; want %q", tt.got, tt.want)
			}
		})
	}
	if err := inter.CheckSignatureFrom(root); err != nil {
		t.Errorf("intermediate not signed by root: %v", err)
	}
	if !root.IsCA || !inter.IsCA || inter.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA flags: root IsCA %v, intermediate IsCA %v, key usage %b", root.IsCA, inter.IsCA, inter.KeyUsage)
	}
}

// TestNewGeneratesKeys uses the zero Config: real clock, real randomness,
// fresh keys.
func TestNewGeneratesKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("generating two RSA keys is slow in -short mode")
	}
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	iss, err := c.Sign(readCSR(t, "ibm-example"), testInstance, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	verifyChain(t, c, iss, time.Now())
}

// verifyChain checks the leaf against the root with crypto/x509, for client
// and for server use.
func verifyChain(t *testing.T, c *CA, iss *Issued, at time.Time) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(c.RootPEM())
	inters := x509.NewCertPool()
	if !inters.AppendCertsFromPEM([]byte(iss.Intermediate)) {
		t.Fatalf("no certificate in Intermediate %q", iss.Intermediate)
	}
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth} {
		_, err := parseLeaf(t, iss).Verify(x509.VerifyOptions{
			Roots:         roots,
			Intermediates: inters,
			CurrentTime:   at,
			KeyUsages:     []x509.ExtKeyUsage{usage},
		})
		if err != nil {
			t.Errorf("verify for usage %v: %v", usage, err)
		}
	}
}

func TestSign(t *testing.T) {
	c := newTestCA(t)
	csrPEM := readCSR(t, "ibm-example")
	iss, err := c.Sign(csrPEM, testInstance, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	verifyChain(t, c, iss, testNow.Add(30*time.Minute))

	leaf := parseLeaf(t, iss)
	inter := parsePEM(t, string(c.IntermediatePEM()))
	csr, err := CheckCSR(csrPEM)
	if err != nil {
		t.Fatal(err)
	}
	var csrSubject asn1.RawValue
	if _, err := asn1.Unmarshal(csr.RawSubject, &csrSubject); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, got, want string
	}{
		{"ok/ID is a v4 UUID", strconv.FormatBool(regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(iss.ID)), "true"},
		{"ok/NotBefore", iss.NotBefore.Format(time.RFC3339Nano), "2024-11-12T13:50:14Z"},
		{"ok/NotAfter", iss.NotAfter.Format(time.RFC3339Nano), "2024-11-12T14:50:14Z"},
		{"ok/leaf NotBefore", leaf.NotBefore.String(), iss.NotBefore.String()},
		{"ok/leaf NotAfter", leaf.NotAfter.String(), iss.NotAfter.String()},
		{"ok/Intermediate", iss.Intermediate, string(c.IntermediatePEM())},
		{"ok/Leaf ends in newline", iss.Leaf[len(iss.Leaf)-1:], "\n"},
		{"ok/CN", leaf.Subject.CommonName, testInstance},
		{"ok/CSR RDNs copied verbatim", strconv.FormatBool(bytes.Contains(leaf.RawSubject, csrSubject.Bytes)), "true"},
		{"ok/issuer", leaf.Issuer.String(), inter.Subject.String()},
		{"ok/AKI", string(leaf.AuthorityKeyId), string(inter.SubjectKeyId)},
		{"ok/SKI length", strconv.Itoa(len(leaf.SubjectKeyId)), "20"},
		{"ok/serial at most 128 bits", strconv.FormatBool(leaf.SerialNumber.Sign() > 0 && leaf.SerialNumber.BitLen() <= 128), "true"},
		{"ok/key usage", strconv.Itoa(int(leaf.KeyUsage)), strconv.Itoa(int(x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment))},
		{"ok/not a CA", strconv.FormatBool(leaf.BasicConstraintsValid && !leaf.IsCA), "true"},
		{"ok/signature", leaf.SignatureAlgorithm.String(), "SHA256-RSA"},
		{"ok/no SANs", strconv.Itoa(len(leaf.DNSNames) + len(leaf.IPAddresses) + len(leaf.EmailAddresses) + len(leaf.URIs)), "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q; want %q", tt.got, tt.want)
			}
		})
	}
	if got, want := leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ext key usage: got %v; want %v", got, want)
	}

	ec, err := c.Sign(readCSR(t, "ok-ecdsa-p256"), testInstance, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := parseLeaf(t, ec).KeyUsage, x509.KeyUsageDigitalSignature; got != want {
		t.Errorf("ECDSA key usage: got %v; want %v", got, want)
	}
}

// TestSignDeterministic: same keys, clock and reader, same bytes.
func TestSignDeterministic(t *testing.T) {
	a, b := newTestCA(t), newTestCA(t)
	if !bytes.Equal(a.RootPEM(), b.RootPEM()) || !bytes.Equal(a.IntermediatePEM(), b.IntermediatePEM()) {
		t.Fatal("CA certificates differ")
	}
	x, err := a.Sign(readCSR(t, "ibm-example"), testInstance, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	y, err := b.Sign(readCSR(t, "ibm-example"), testInstance, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	if *x != *y {
		t.Errorf("got %+v; want %+v", y, x)
	}
	z, err := a.Sign(readCSR(t, "ibm-example"), testInstance, testTTL)
	if err != nil {
		t.Fatal(err)
	}
	if z.ID == x.ID || z.Leaf == x.Leaf {
		t.Errorf("second certificate repeats the first's ID %q or serial", z.ID)
	}
}

func TestSignArguments(t *testing.T) {
	c := newTestCA(t)
	csr := readCSR(t, "ibm-example")
	tests := []struct {
		name string
		cn   string
		ttl  time.Duration
		ok   bool
	}{
		{"ok/64-byte CN", strings.Repeat("a", 64), time.Second, true},
		{"fail/empty CN", "", testTTL, false},
		{"fail/65-byte CN", strings.Repeat("a", 65), testTTL, false},
		{"fail/zero TTL", testInstance, 0, false},
		{"fail/negative TTL", testInstance, -time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Sign(csr, tt.cn, tt.ttl)
			if tt.ok != (err == nil) {
				t.Fatalf("got %v; want ok=%v", err, tt.ok)
			}
			// A bad argument is the caller's bug, never the client's.
			if re := (*RuleError)(nil); errors.As(err, &re) {
				t.Errorf("got a *RuleError %q; want a plain error", err)
			}
		})
	}
}

// TestOpenSSLVerify checks the chain with another implementation.
func TestOpenSSLVerify(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skipf("openssl not on PATH (%v): skipping the cross-check", err)
	}
	c := newTestCA(t)
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("root.pem", c.RootPEM())
	write("inter.pem", c.IntermediatePEM())
	attime := strconv.FormatInt(testNow.Add(time.Minute).Unix(), 10)
	tests := []struct {
		name, csr, purpose string
		at                 string
		want               string
	}{
		{"ok/IBM example as client", "ibm-example", "sslclient", attime, "leaf.pem: OK\n"},
		{"ok/IBM example as server", "ibm-example", "sslserver", attime, "leaf.pem: OK\n"},
		{"ok/ecdsa P-256", "ok-ecdsa-p256", "sslclient", attime, "leaf.pem: OK\n"},
		{"fail/after expiry", "ibm-example", "sslclient", strconv.FormatInt(testNow.Add(2*time.Hour).Unix(), 10), "certificate has expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss, err := c.Sign(readCSR(t, tt.csr), testInstance, testTTL)
			if err != nil {
				t.Fatal(err)
			}
			write("leaf.pem", []byte(iss.Leaf))
			cmd := exec.Command(openssl, "verify", "-attime", tt.at, "-purpose", tt.purpose,
				"-CAfile", "root.pem", "-untrusted", "inter.pem", "leaf.pem")
			cmd.Dir = dir
			out, _ := cmd.CombinedOutput()
			if got := string(out); !strings.Contains(got, tt.want) {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

// TestServerCertificate completes TLS handshakes over an in-memory pipe,
// as the emulator's in-process transport does.
func TestServerCertificate(t *testing.T) {
	c := newTestCA(t)
	cert, err := c.ServerCertificate("api.metadata.cloud.ibm.com", "169.254.169.254")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(c.RootPEM())
	clock := func() time.Time { return testNow.Add(24 * time.Hour) }
	tests := []struct {
		name, serverName string
		ok               bool
	}{
		{"ok/metadata host", "api.metadata.cloud.ibm.com", true},
		{"ok/metadata IP", "169.254.169.254", true},
		{"fail/other host", "iam.cloud.ibm.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, sc := net.Pipe()
			defer cc.Close()
			defer sc.Close()
			server := tls.Server(sc, &tls.Config{Certificates: []tls.Certificate{cert}, Time: clock})
			go server.HandshakeContext(context.Background())
			client := tls.Client(cc, &tls.Config{RootCAs: roots, ServerName: tt.serverName, Time: clock})
			err := client.HandshakeContext(context.Background())
			if tt.ok != (err == nil) {
				t.Fatalf("got %v; want ok=%v", err, tt.ok)
			}
		})
	}
	if _, err := c.ServerCertificate(); err == nil {
		t.Error("fail/no hosts: got no error")
	}
}

// BenchmarkSign measures an identity certificate: CSR rules (with the
// signature check) and an RSA-2048 signature.
func BenchmarkSign(b *testing.B) {
	c := newTestCA(b)
	csr := readCSR(b, "ibm-example")
	for b.Loop() {
		if _, err := c.Sign(csr, testInstance, testTTL); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckCSR measures the rules alone, the floor under Sign.
func BenchmarkCheckCSR(b *testing.B) {
	csr := readCSR(b, "ibm-example")
	for b.Loop() {
		if _, err := CheckCSR(csr); err != nil {
			b.Fatal(err)
		}
	}
}
