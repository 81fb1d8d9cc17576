// Package endpoint puts an emulator on a real port, the same way for `imds serve` and for
// imdstest: one TLS certificate, from the emulator's own CA, for every name the emulated world
// answers to (imds.Emulator.HostNames) and for loopback, and a listener that accepts plain
// HTTP and TLS on the one port (internal/protomux), so that the instance's
// metadata_service.protocol, not the port, decides which one the metadata service answers.
//
// The endpoint also bounds what clients can hold of the server (Limits): a cap on open
// connections, answered past it (internal/connlimit), and timeouts on reading a request, its
// body, writing an answer and idling between requests, so that no client can keep descriptors
// for ever.
//
// The certificate is made on first use (a plain server that never sees a TLS handshake never
// pays for the CA's keys) and then kept; a CA failure is remembered and returned every time.
package endpoint

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/internal/connlimit"
	"github.com/imdsplay/imdsplay/internal/protomux"
)

// Limits bound what clients can hold of a server.
type Limits struct {
	// MaxConns is the most connections open at once; one past it is answered 503.
	MaxConns int
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout the whole request with
	// its body (a body that trickles in is cut off), WriteTimeout the answer (from the end of
	// the headers), IdleTimeout the wait for the next request on a kept-alive connection.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// DefaultLimits are the limits of `imds serve` and imdstest. The emulator's largest request
// body (a scenario, 8 MiB) takes well under a second on loopback; 512 connections are far more
// than a test suite or the SDK's pools open.
var DefaultLimits = Limits{
	MaxConns:          512,
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       60 * time.Second,
}

// Apply sets the timeouts of srv.
func (l Limits) Apply(srv *http.Server) {
	srv.ReadHeaderTimeout = l.ReadHeaderTimeout
	srv.ReadTimeout = l.ReadTimeout
	srv.WriteTimeout = l.WriteTimeout
	srv.IdleTimeout = l.IdleTimeout
}

// busy is the answer to a connection past the cap: IBM's error JSON, 503, and Retry-After.
func (l Limits) busy() []byte {
	var id [16]byte
	rand.Read(id[:])
	id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80
	body := fmt.Sprintf(`{"errors":[{"code":"service_unavailable","message":"The emulator has %d connections open, its limit. Try again when one has closed."}],"status_code":503,"trace":"%x-%x-%x-%x-%x"}`+"\n",
		l.MaxConns, id[0:4], id[4:6], id[6:8], id[8:10], id[10:])
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"+
		"X-Content-Type-Options: nosniff\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// loopback are the names a local listener is reached by.
var loopback = []string{"localhost", "127.0.0.1", "::1"}

// Endpoint is an emulator's port: its names, its certificate and its listener.
type Endpoint struct {
	emu *imds.Emulator

	// Limits are applied by Listener and Server; New sets DefaultLimits.
	Limits Limits

	once  sync.Once
	cert  tls.Certificate
	leaf  *x509.Certificate
	roots *x509.CertPool
	err   error
}

// New returns the endpoint of emu.
func New(emu *imds.Emulator) *Endpoint { return &Endpoint{emu: emu, Limits: DefaultLimits} }

// Names are the names the certificate is for: the emulated world's hosts, then loopback.
func (p *Endpoint) Names() []string { return append(p.emu.HostNames(), loopback...) }

// KnownHost reports whether a request's Host (with or without a port) is one of Names: the
// emulated services' names or loopback. A server on a loopback address answers only those, so
// that a web page whose own name resolves to 127.0.0.1 (DNS rebinding) cannot drive it.
func (p *Endpoint) KnownHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, n := range p.Names() {
		if strings.EqualFold(n, host) {
			return true
		}
	}
	return false
}

// Listener accepts plain HTTP and TLS on ln, TLS with the endpoint's certificate, at most
// Limits.MaxConns connections at once.
func (p *Endpoint) Listener(ln net.Listener) net.Listener {
	if p.Limits.MaxConns > 0 {
		ln = connlimit.New(ln, p.Limits.MaxConns, p.Limits.busy())
	}
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
