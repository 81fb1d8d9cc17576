// Package endpoint puts an emulator on a real port, the same way for `imds serve` and for
// imdstest: one TLS certificate, from the emulator's own CA, for every name the emulated world
// answers to (imds.Emulator.HostNames) and for loopback, and a listener that accepts plain
// HTTP and TLS on the one port (internal/protomux), so that the instance's
// metadata_service.protocol, not the port, decides which one the metadata service answers.
//
// The certificate is made on first use (a plain server that never sees a TLS handshake never
// pays for the CA's keys) and then kept; a CA failure is remembered and returned every time.
package endpoint

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/internal/protomux"
)

// loopback are the names a local listener is reached by.
var loopback = []string{"localhost", "127.0.0.1", "::1"}

// Endpoint is an emulator's port: its names, its certificate and its listener.
type Endpoint struct {
	emu *imds.Emulator

	once  sync.Once
	cert  tls.Certificate
	leaf  *x509.Certificate
	roots *x509.CertPool
	err   error
}

// New returns the endpoint of emu.
func New(emu *imds.Emulator) *Endpoint { return &Endpoint{emu: emu} }

// Names are the names the certificate is for: the emulated world's hosts, then loopback.
func (p *Endpoint) Names() []string { return append(p.emu.HostNames(), loopback...) }

// Listener accepts plain HTTP and TLS on ln, TLS with the endpoint's certificate.
func (p *Endpoint) Listener(ln net.Listener) net.Listener {
	return protomux.New(ln, &tls.Config{
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			c, err := p.Certificate()
			if err != nil {
				return nil, err
			}
			return &c, nil
		},
		NextProtos: []string{"http/1.1"},
	})
}

// Certificate returns the server certificate, making it on first use.
func (p *Endpoint) Certificate() (tls.Certificate, error) {
	p.make()
	return p.cert, p.err
}

// Leaf returns the server certificate, parsed.
func (p *Endpoint) Leaf() (*x509.Certificate, error) {
	p.make()
	return p.leaf, p.err
}

// Roots returns a new pool holding the emulator's root CA, which the certificate chains to.
func (p *Endpoint) Roots() (*x509.CertPool, error) {
	p.make()
	if p.err != nil {
		return nil, p.err
	}
	return p.roots.Clone(), nil
}

func (p *Endpoint) make() {
	p.once.Do(func() {
		authority, err := p.emu.CA()
		if err != nil {
			p.err = fmt.Errorf("emulator CA: %w", err)
			return
		}
		p.roots = x509.NewCertPool()
		if !p.roots.AppendCertsFromPEM(authority.RootPEM()) {
			p.err = errors.New("emulator CA: the root is not PEM")
			return
		}
		if p.cert, p.err = authority.ServerCertificate(p.Names()...); p.err != nil {
			return
		}
		p.leaf, p.err = x509.ParseCertificate(p.cert.Certificate[0])
	})
}
