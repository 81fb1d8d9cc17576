package endpoint_test

import (
	"crypto/x509"
	"slices"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/internal/endpoint"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

func TestCertificateCoversEveryName(t *testing.T) {
	emu, err := imds.New(imds.Config{Keys: fixture.Keys()})
	if err != nil {
		t.Fatal(err)
	}
	p := endpoint.New(emu)
	names := p.Names()
	for _, want := range []string{imds.MetadataHost, imds.MetadataIP, imds.IAMHost, "us-south.iaas.cloud.ibm.com", "localhost", "127.0.0.1", "::1"} {
		if !slices.Contains(names, want) {
			t.Errorf("names %v lack %s", names, want)
		}
	}
	leaf, err := p.Leaf()
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := p.Certificate()
	inter := x509.NewCertPool()
	for _, der := range cert.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		inter.AddCert(c)
	}
	roots, err := p.Roots()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: inter}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
