package imds_test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

func csrFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("ca/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func certBody(csr string, extra string) string {
	b, _ := json.Marshal(csr)
	return `{"csr": ` + string(b) + extra + `}`
}

func TestCertificates(t *testing.T) {
	tests := []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"ok/ibm-example", "/identity/v1/certificates?version=2025-08-26", certBody(csrFixture(t, "ibm-example.csr"), ""), 201, ""},
		{"ok/legacy", "/instance_identity/v1/certificates?version=2024-11-12", certBody(csrFixture(t, "ok-rsa4096-c.csr"), `, "expires_in": 7200`), 201, ""},
		{"fail/legacy-new-date", "/instance_identity/v1/certificates?version=2025-08-26", certBody(csrFixture(t, "ibm-example.csr"), ""), 404, "not_found"},
		{"fail/cn", "/identity/v1/certificates?version=2025-08-26", certBody(csrFixture(t, "fail-cn.csr"), ""), 400, "invalid_value"},
		{"fail/extension", "/identity/v1/certificates?version=2025-08-26", certBody(csrFixture(t, "fail-san.csr"), ""), 400, "invalid_value"},
		{"fail/weak-key", "/identity/v1/certificates?version=2025-08-26", certBody(csrFixture(t, "fail-rsa1024.csr"), ""), 400, "invalid_value"},
		{"fail/email", "/identity/v1/certificates?version=2025-08-26", certBody(csrFixture(t, "fail-email.csr"), ""), 400, "invalid_value"},
		{"fail/garbage", "/identity/v1/certificates?version=2025-08-26", certBody("hello", ""), 400, "invalid_value"},
		{"fail/no-csr", "/identity/v1/certificates?version=2025-08-26", `{}`, 400, "missing_field"},
		{"fail/expiry", "/identity/v1/certificates?version=2025-08-26", certBody(csrFixture(t, "ibm-example.csr"), `, "expires_in": 10`), 400, "invalid_value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEmu(t, nil)
			status, m := call(t, e, "POST", md+tt.path, tt.body, "Authorization", "Bearer "+token(t, e))
			if status != tt.status {
				t.Fatalf("status got %d; want %d (%v)", status, tt.status, m)
			}
			if tt.code != "" {
				if got := errorCode(t, status, m); got != tt.code {
					t.Fatalf("code got %q; want %q", got, tt.code)
				}
				return
			}
			certs := m["certificates"].([]any)
			if len(certs) != 2 {
				t.Fatalf("got %d certificates; want 2", len(certs))
			}
			leaf := parseCert(t, certs[0].(string))
			inter := parseCert(t, certs[1].(string))
			if leaf.Subject.CommonName != scenario.DefaultInstanceID {
				t.Errorf("CN got %q; want %q", leaf.Subject.CommonName, scenario.DefaultInstanceID)
			}
			roots := x509.NewCertPool()
			if !roots.AppendCertsFromPEM(get(t, e, md+"/_emulator/ca.pem")) {
				t.Fatal("root PEM does not parse")
			}
			inters := x509.NewCertPool()
			inters.AddCert(inter)
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: fixture.Time().Add(time.Minute),
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Fatalf("chain does not verify: %v", err)
			}
			want := time.Duration(m["expires_in"].(float64)) * time.Second
			if got := leaf.NotAfter.Sub(leaf.NotBefore); got != want {
				t.Errorf("validity got %v; want %v", got, want)
			}
			if id, _ := m["id"].(string); len(id) != 36 || !strings.HasSuffix(m["expires_at"].(string), "Z") {
				t.Errorf("id/expires_at got %v", m)
			}
		})
	}
}

func parseCert(t testing.TB, p string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		t.Fatalf("not PEM: %q", p)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
