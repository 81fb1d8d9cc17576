// Package imdstest runs the IBM Cloud VPC instance metadata service emulator on a loopback
// port for Go tests, in the manner of net/http/httptest.
//
// Code that runs on a VPC instance talks to http://api.metadata.cloud.ibm.com (or
// 169.254.169.254) to get an identity token, trade it for an IAM token, fetch an identity
// certificate or read the instance's metadata. In a test, point that code at a Server instead:
//
//	srv := imdstest.NewServer(t)
//	client := srv.Client() // reaches srv, also under the metadata service's own names
//	resp, err := client.Post(srv.URL+"/identity/v1/iam_tokens?version=2025-08-26", ...)
//
// # One world per server
//
// Every Server has its own emulator, its own scenario (scenario.Default unless WithScenario)
// and its own virtual clock, so parallel tests never see each other's changes. The clock stands
// still at DefaultTime until the test calls Advance, so token lifetimes, expiry and "version
// must not be in the future" are deterministic; pass WithClock(vclock.Following(nil)) for one
// that moves with real time.
//
// # Keys
//
// An emulator generates each RSA-2048 key the first time it needs it (the identity key for the
// first token, the IAM key for the first exchange, the two CA keys for the first certificate or
// TLS handshake), which costs tens of milliseconds each. A test binary with many servers can
// opt into sharing one key set with WithKeys(SharedKeys()); tokens from one server then verify
// against another's keys, which is why sharing is never the default.
//
// # Routing and protocols
//
// The server answers all of the emulated world on one port: the identity and metadata APIs,
// IAM's /identity/keys and /identity/token, the VPC API subset and the /_emulator/ endpoints,
// told apart by path. It accepts plain HTTP and TLS on that same port, and, as on IBM Cloud,
// the instance's metadata_service.protocol decides which of the two the metadata service
// answers; the other one has its connection closed. NewTLSServer (or SetProtocol("https"))
// turns secure access on. TLS uses a certificate from the emulator's CA for every name the
// emulated world answers to (api.metadata.cloud.ibm.com, 169.254.169.254, iam.cloud.ibm.com,
// the region's VPC API host) and for localhost, 127.0.0.1 and ::1, the same as `imds serve`.
//
// Client returns an *http.Client that trusts that CA and dials the server for
// api.metadata.cloud.ibm.com and 169.254.169.254 on ports 80 and 443, so code with the real
// metadata URL compiled in (the IBM SDK's default is http://169.254.169.254) runs unchanged.
// It verifies certificates at the server's virtual time.
//
// # Failures
//
// Constructors and helpers report failures with t.Fatal, so call them from the test's
// goroutine. A nil testing.TB is allowed (for Example functions): failures then panic, and the
// caller must Close the server.
package imdstest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/internal/endpoint"
)

// DefaultTime is where a Server's clock stands unless WithClock or WithTime says otherwise:
// 2026-01-01 12:00:00 UTC. Every API version date up to 2026-01-01 is valid at that time.
func DefaultTime() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }

// An Option configures a Server.
type Option func(*options)

type options struct {
	scenario *scenario.Scenario
	clock    *vclock.Clock
	keys     *imds.Keys
	rand     io.Reader
	instance string
}

// WithScenario makes the server emulate s instead of scenario.Default(). The server works on
// its own copy, so one scenario can seed many servers.
func WithScenario(s *scenario.Scenario) Option { return func(o *options) { o.scenario = s } }

// WithClock makes the server read time from c, which the test may share with other servers
// or code under test. Advance moves c.
func WithClock(c *vclock.Clock) Option { return func(o *options) { o.clock = c } }

// WithTime makes the server's clock stand still at t (instead of DefaultTime) until Advance.
func WithTime(t time.Time) Option { return func(o *options) { o.clock = vclock.Fixed(t) } }

// WithKeys makes the server sign with k instead of keys generated for it alone. Keys left nil
// in k are still generated on first use, for this server only.
func WithKeys(k *imds.Keys) Option { return func(o *options) { o.keys = k } }

// WithRand sets the source of randomness for token IDs, traces and serial numbers (nil:
// crypto/rand). The server reads it from its handler goroutines, so it must be safe for
// concurrent use.
func WithRand(r io.Reader) Option { return func(o *options) { o.rand = r } }

// WithInstance makes requests come from the instance with that ID or name instead of the
// scenario's first instance; the helpers then change that instance.
func WithInstance(idOrName string) Option { return func(o *options) { o.instance = idOrName } }

var (
	sharedOnce sync.Once
	sharedKeys *imds.Keys
	sharedErr  error
)

// SharedKeys returns one key set generated on first call and shared by the whole test
// binary, for use with WithKeys. Each call returns a new *imds.Keys holding the same keys.
func SharedKeys() *imds.Keys {
	sharedOnce.Do(func() { sharedKeys, sharedErr = imds.GenerateKeys(nil) })
	if sharedErr != nil {
		panic("imdstest: generating shared keys: " + sharedErr.Error())
	}
	k := *sharedKeys
	return &k
}

// A Server is the emulated metadata service, and the parts of IBM Cloud around it, listening
// on a loopback port.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port or https://127.0.0.1:port, without a
	// trailing slash. It is set by Start or StartTLS.
	URL string

	tb         testing.TB
	ts         *httptest.Server
	emu        *imds.Emulator
	port       *endpoint.Endpoint
	clock      *vclock.Clock
	instanceID string

	client    *http.Client
	closeOnce sync.Once
}

// NewServer starts and returns a Server for the default scenario (or the one WithScenario
// gives). It is closed when the test ends, through tb.Cleanup.
func NewServer(tb testing.TB, opts ...Option) *Server {
	if tb != nil {
		tb.Helper()
	}
	s := NewUnstartedServer(tb, opts...)
	s.Start()
	return s
}

// NewTLSServer is NewServer with secure access on: the instance's metadata service protocol
// is https and URL starts with https://.
func NewTLSServer(tb testing.TB, opts ...Option) *Server {
	if tb != nil {
		tb.Helper()
	}
	s := NewUnstartedServer(tb, opts...)
	s.StartTLS()
	return s
}

// NewUnstartedServer returns a Server that listens but does not answer yet, so the test can
// change the world (through Emulator or the helpers) before the first request. Call Start or
// StartTLS. It is closed when the test ends, through tb.Cleanup.
func NewUnstartedServer(tb testing.TB, opts ...Option) *Server {
	if tb != nil {
		tb.Helper()
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.clock == nil {
		o.clock = vclock.Fixed(DefaultTime())
	}
	s := &Server{tb: tb, clock: o.clock}
	emu, err := imds.New(imds.Config{Time: o.clock.Now, Rand: o.rand, Scenario: o.scenario, Keys: o.keys})
	if err != nil {
		s.fatalf("imdstest: %v", err)
		return nil
	}
	s.emu, s.port = emu, endpoint.New(emu)
	world := emu.Scenario()
	in := &world.Instances[0]
	if o.instance != "" {
		if in = world.Instance(o.instance); in == nil {
			s.fatalf("imdstest: WithInstance(%q): the scenario has no such instance", o.instance)
			return nil
		}
	}
	s.instanceID = in.ID
	s.ts = httptest.NewUnstartedServer(emu)
	s.port.Limits.Apply(s.ts.Config)
	s.ts.Config.BaseContext = func(net.Listener) context.Context {
		return imds.WithInstance(context.Background(), s.instanceID)
	}
	s.client = &http.Client{Transport: &http.Transport{
		DialContext:         s.dial,
		DialTLSContext:      s.dialTLS,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     time.Minute,
	}}
	if tb != nil {
		tb.Cleanup(s.Close)
	}
	return s
}

// Start starts a server from NewUnstartedServer, with the protocol the scenario gives.
func (s *Server) Start() {
	if s.tb != nil {
		s.tb.Helper()
	}
	if s.URL != "" {
		s.fatalf("imdstest: server already started")
		return
	}
	scheme := "http"
	if s.metadataService().Protocol == "https" {
		scheme = "https"
	}
	s.start(scheme)
}

// StartTLS turns secure access on (protocol https) and starts a server from
// NewUnstartedServer.
func (s *Server) StartTLS() {
	if s.tb != nil {
		s.tb.Helper()
	}
	if s.URL != "" {
		s.fatalf("imdstest: server already started")
		return
	}
	s.SetProtocol("https")
	// Make the certificate now, so that a CA failure is reported here rather than as a
	// handshake error in the middle of a test.
	if _, err := s.port.Certificate(); err != nil {
		s.fatalf("imdstest: %v", err)
		return
	}
	s.start("https")
}

func (s *Server) start(scheme string) {
	s.ts.Listener = s.port.Listener(s.ts.Listener)
	s.ts.Start()
	s.URL = scheme + "://" + s.ts.Listener.Addr().String()
}

// Close shuts the server down and waits for outstanding requests. It is safe to call more
// than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.ts.Close()
		s.client.CloseIdleConnections()
	})
}

// Client returns an HTTP client for the server. It trusts the emulator's CA (at the server's
// virtual time) and reaches the server at URL and under the metadata service's names,
// api.metadata.cloud.ibm.com and 169.254.169.254, on ports 80 and 443. Other names are
// dialled normally.
func (s *Server) Client() *http.Client { return s.client }

// Addr is the server's listening address, host:port.
func (s *Server) Addr() string { return s.ts.Listener.Addr().String() }

// dial reaches the server for the metadata service's names.
func (s *Server) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if host, port, err := net.SplitHostPort(addr); err == nil && (port == "80" || port == "443") {
		switch strings.ToLower(host) {
		case imds.MetadataHost, imds.MetadataIP:
			addr = s.Addr()
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// dialTLS is dial plus a TLS handshake that trusts the emulator's CA at virtual time.
func (s *Server) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	roots, err := s.port.Roots()
	if err != nil {
		return nil, err
	}
	raw, err := s.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, &tls.Config{
		RootCAs:    roots,
		ServerName: host,
		Time:       s.clock.Now,
		NextProtos: []string{"http/1.1"},
	})
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return c, nil
}

// Certificate returns the server's TLS certificate (made on first use, also for a plain
// server, which accepts TLS as soon as secure access is on).
func (s *Server) Certificate() *x509.Certificate {
	if s.tb != nil {
		s.tb.Helper()
	}
	leaf, err := s.port.Leaf()
	if err != nil {
		s.fatalf("imdstest: %v", err)
	}
	return leaf
}

// RootCAs returns a pool holding the emulator's root CA, for clients other than Client. It
// is also the root of identity certificates; GET /_emulator/ca.pem serves it as PEM.
func (s *Server) RootCAs() *x509.CertPool {
	if s.tb != nil {
		s.tb.Helper()
	}
	roots, err := s.port.Roots()
	if err != nil {
		s.fatalf("imdstest: %v", err)
	}
	return roots
}

// Emulator gives full access to the emulated world behind the server.
func (s *Server) Emulator() *imds.Emulator { return s.emu }

// Clock is the server's virtual clock.
func (s *Server) Clock() *vclock.Clock { return s.clock }

// InstanceID is the ID of the instance requests come from.
func (s *Server) InstanceID() string { return s.instanceID }

// Advance moves the server's clock forward by d, as if d passed: tokens expire, and
// created_at and exp of new tokens move.
func (s *Server) Advance(d time.Duration) { s.clock.Advance(d) }

// DisableService turns the instance's metadata service off: identity and metadata calls are
// then answered 403 with the code unauthorized, as on IBM Cloud.
func (s *Server) DisableService() {
	if s.tb != nil {
		s.tb.Helper()
	}
	s.updateService(func(m *scenario.MetadataService) { m.Enabled = false })
}

// EnableService turns the instance's metadata service on.
func (s *Server) EnableService() {
	if s.tb != nil {
		s.tb.Helper()
	}
	s.updateService(func(m *scenario.MetadataService) { m.Enabled = true })
}

// SetProtocol sets the metadata service protocol, "http" or "https" (secure access). The
// server keeps its URL; requests over the other protocol have their connection closed.
func (s *Server) SetProtocol(protocol string) {
	if s.tb != nil {
		s.tb.Helper()
	}
	s.updateService(func(m *scenario.MetadataService) { m.Protocol = protocol })
}

// SetHopLimit sets the instance's metadata_service.response_hop_limit (1 to 64). Over
// loopback every answer arrives whatever the limit; in-process clients made with
// Emulator().Transport, and `imds serve` on a real network, enforce it.
func (s *Server) SetHopLimit(hops int) {
	if s.tb != nil {
		s.tb.Helper()
	}
	s.updateService(func(m *scenario.MetadataService) { m.ResponseHopLimit = hops })
}

// LinkProfile links the trusted profile with that ID (or CRN) to the instance, so the IAM
// exchange may name it.
func (s *Server) LinkProfile(profileID string) {
	if s.tb != nil {
		s.tb.Helper()
	}
	if err := s.emu.LinkProfile(s.instanceID, profileID, true); err != nil {
		s.fatalf("imdstest: LinkProfile(%q): %v", profileID, err)
	}
}

// UnlinkProfile removes the link between the trusted profile with that ID (or CRN) and the
// instance; the IAM exchange then answers profile_not_linked for it.
func (s *Server) UnlinkProfile(profileID string) {
	if s.tb != nil {
		s.tb.Helper()
	}
	if err := s.emu.LinkProfile(s.instanceID, profileID, false); err != nil {
		s.fatalf("imdstest: UnlinkProfile(%q): %v", profileID, err)
	}
}

// Events returns the Activity Tracker events recorded so far, oldest first.
func (s *Server) Events() []imds.Event { return s.emu.Events() }

// UserToken returns an IAM access token for the scenario's operator, for calling the VPC API
// subset (Authorization: Bearer ...).
func (s *Server) UserToken() string {
	if s.tb != nil {
		s.tb.Helper()
	}
	tok, err := s.emu.UserToken()
	if err != nil {
		s.fatalf("imdstest: UserToken: %v", err)
	}
	return tok
}

// metadataService returns the instance's current metadata service setting.
func (s *Server) metadataService() scenario.MetadataService {
	m, _ := s.emu.MetadataService(s.instanceID)
	return m
}

func (s *Server) updateService(change func(*scenario.MetadataService)) {
	if s.tb != nil {
		s.tb.Helper()
	}
	err := s.emu.Update(func(w *scenario.Scenario) error {
		in := w.Instance(s.instanceID)
		if in == nil {
			return fmt.Errorf("the scenario has no instance %q any more", s.instanceID)
		}
		change(&in.MetadataService)
		return nil
	})
	if err != nil {
		s.fatalf("imdstest: metadata service: %v", err)
	}
}

// fatalf fails the test, or panics without one.
func (s *Server) fatalf(format string, args ...any) {
	if s.tb != nil {
		s.tb.Helper()
		s.tb.Fatalf(format, args...)
		return
	}
	panic(fmt.Sprintf(format, args...))
}
