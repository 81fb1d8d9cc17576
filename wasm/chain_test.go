package main

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseChain(t *testing.T) {
	root, inter, leaf := testChain(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(root))
	otherRoot := x509.NewCertPool()
	otherRoot.AppendCertsFromPEM([]byte(inter)) // not a root for the intermediate itself

	tests := []struct {
		name     string
		pems     []string
		roots    *x509.CertPool
		now      time.Time
		verified bool
		reason   string
		n        int
	}{
		{"ok/list", []string{leaf, inter}, pool, t0, true, "root CA", 2},
		{"ok/one-string", []string{leaf + inter}, pool, t0, true, "root CA", 2},
		{"ok/json-escaped", []string{strings.ReplaceAll(leaf+inter, "\n", `\n`)}, pool, t0, true, "root CA", 2},
		{"fail/expired", []string{leaf, inter}, pool, t0.Add(2 * time.Hour), false, "expired", 2},
		{"fail/missing-intermediate", []string{leaf}, pool, t0, false, "unknown authority", 1},
		{"fail/no-roots", []string{leaf, inter}, nil, t0, false, "not available", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ParseChain(tt.pems, tt.roots, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if info.Verified != tt.verified || !strings.Contains(info.Reason, tt.reason) || len(info.Certificates) != tt.n {
				t.Errorf("got verified=%v reason=%q n=%d; want %v %q %d", info.Verified, info.Reason, len(info.Certificates), tt.verified, tt.reason, tt.n)
			}
		})
	}
	t.Run("ok/fields", func(t *testing.T) {
		info, err := ParseChain([]string{leaf, inter, root}, pool, t0)
		if err != nil {
			t.Fatal(err)
		}
		l := info.Certificates[0]
		if l.Subject != "CN=0717_instance,C=US" || l.Issuer != "CN=Test Intermediate CA" || l.SerialNumber != "12:34" ||
			l.PublicKey != "RSA 2048 bit" || l.IsCA || l.SelfSigned || len(l.ExtKeyUsage) != 1 || l.ExtKeyUsage[0] != "clientAuth" {
			t.Errorf("got leaf %+v", l)
		}
		if r := info.Certificates[2]; !r.SelfSigned || !r.IsCA {
			t.Errorf("got root selfSigned=%v isCA=%v; want both true", r.SelfSigned, r.IsCA)
		}
	})
	t.Run("fail/no-pem", func(t *testing.T) {
		if _, err := ParseChain([]string{"hello"}, pool, t0); !errors.Is(err, errNoCertificates) {
			t.Errorf("got %v; want errNoCertificates", err)
		}
	})
}
