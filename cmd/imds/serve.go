package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/internal/endpoint"
	"github.com/imdsplay/imdsplay/internal/hoplimit"
)

const serveUsage = `Usage: imds serve [--addr 127.0.0.1:8169] [--scenario FILE] [--tls] [-v]

Serves the emulated metadata service, IAM and the VPC API subset on one port, routed by path,
as the scenario's first instance sees them:

	PUT  /identity/v1/token                  identity token (Metadata-Flavor: ibm)
	POST /identity/v1/iam_tokens             identity token -> IAM token of a trusted profile
	POST /identity/v1/certificates           identity certificate for a CSR
	GET  /metadata/v1/instance, /keys, ...   instance metadata (bearer identity token)
	GET  /identity/keys                      IAM's public keys
	*    /v1/instances, /v1/instance/templates  VPC API (bearer: the operator's IAM token)
	GET  /_emulator/ca.pem, /identity/keys, /events, /scenario  the emulator's own endpoints

The port speaks plain HTTP and TLS; the instance's metadata_service.protocol decides which one
the metadata service answers, and --tls turns secure access on from the start. Answers of the
metadata service leave with the instance's response_hop_limit as their IP TTL, so a client
more hops away than the limit times out, as on IBM Cloud (Linux only).

SIGINT or SIGTERM stops the server after the requests under way.
`

func (c *cli) serve(args []string) int {
	fs := c.flags("serve", serveUsage)
	addr := fs.String("addr", "127.0.0.1:8169", "`address` to listen on (loopback unless you say otherwise)")
	file := fs.String("scenario", "", "scenario `FILE` to serve instead of the default (see imds scenario)")
	useTLS := fs.Bool("tls", false, "turn secure access on: the metadata service answers over TLS only")
	verbose := fs.Bool("v", false, "log every request to stderr")
	if st := c.parse(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() > 0 {
		return c.usageError("serve", "unexpected argument %q", fs.Arg(0))
	}
	world, st := c.loadScenario("serve", *file)
	if st != 0 {
		return st
	}
	cfg := serviceConfig{Scenario: world, TLS: *useTLS, Warn: c.stderr}
	if *verbose {
		cfg.Log = c.stderr
	}
	svc, err := newService(cfg)
	if err != nil {
		fmt.Fprintf(c.stderr, "imds serve: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(c.stderr, "imds serve: %v\n", err)
		return 1
	}
	if ip := listenIP(ln); ip != nil && !ip.IsLoopback() {
		fmt.Fprintf(c.stderr, "imds serve: warning: %s is not a loopback address; whoever reaches it can mint tokens\n", ln.Addr())
	}

	ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	svc.loopback = listenIP(ln) != nil && listenIP(ln).IsLoopback()
	srv := svc.httpServer()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(svc.port.Listener(ln)) }()
	fmt.Fprintln(c.stdout, svc.banner(ln.Addr()))

	select {
	case err := <-served:
		fmt.Fprintf(c.stderr, "imds serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	stop()
	fmt.Fprintln(c.stderr, "imds serve: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(c.stderr, "imds serve: %v\n", err)
		return 1
	}
	return 0
}

// listenIP is the IP address ln listens on, or nil.
func listenIP(ln net.Listener) net.IP {
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		return a.IP
	}
	return nil
}

// serviceConfig configures a service.
type serviceConfig struct {
	// Scenario is the world; nil means scenario.Default().
	Scenario *scenario.Scenario
	// TLS turns secure access on for the first instance before serving.
	TLS bool
	// Log, if set, receives a line per request.
	Log io.Writer
	// Clock is the time source; nil means a clock that follows real time (and that a shell's
	// sleep could advance).
	Clock *vclock.Clock
	// Keys are the signing keys; nil means keys generated on first use.
	Keys *imds.Keys
	// Warn receives warnings, such as a platform that cannot set hop limits; nil discards them.
	Warn io.Writer
}

// service is the emulator behind a real listener: it sets each answer's hop limit, logs, and
// serves TLS with a certificate from the emulator's CA.
type service struct {
	emu  *imds.Emulator
	port *endpoint.Endpoint
	log  *log.Logger // nil: no request log
	warn io.Writer
	// loopback is true when the server listens on a loopback address: it then answers only
	// requests for its own names (see endpoint.KnownHost).
	loopback bool

	hopWarn sync.Once
}

func newService(cfg serviceConfig) (*service, error) {
	if cfg.Clock == nil {
		cfg.Clock = vclock.Following(nil)
	}
	emu, err := imds.New(imds.Config{Time: cfg.Clock.Now, Scenario: cfg.Scenario, Keys: cfg.Keys})
	if err != nil {
		return nil, err
	}
	s := &service{emu: emu, port: endpoint.New(emu), warn: cfg.Warn}
	if s.warn == nil {
		s.warn = io.Discard
	}
	if cfg.Log != nil {
		s.log = log.New(cfg.Log, "", log.LstdFlags)
	}
	if cfg.TLS {
		err := emu.Update(func(w *scenario.Scenario) error {
			w.Instances[0].MetadataService.Protocol = "https"
			return nil
		})
		if err != nil {
			return nil, err
		}
		// Make the certificate now, so a CA failure stops the start rather than each handshake.
		if _, err := s.port.Certificate(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// httpServer is the http.Server for the service.
func (s *service) httpServer() *http.Server {
	srv := &http.Server{
		Handler:     s,
		ConnContext: hoplimit.ConnContext,
		ErrorLog:    log.New(io.Discard, "", 0),
	}
	s.port.Limits.Apply(srv)
	return srv
}

// banner is the startup line: where the server is and a curl to paste.
func (s *service) banner(addr net.Addr) string {
	host := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", fmt.Sprint(ta.Port))
	}
	token := func(scheme string) string {
		return `-X PUT "` + scheme + `://` + host + `/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{"expires_in": 3600}'`
	}
	if s.protocol() == "https" {
		return "imds: serving https://" + host + " (secure access on) - try: curl -s http://" + host + imds.EmulatorPrefix +
			"ca.pem -o imds-ca.pem && curl --cacert imds-ca.pem " + token("https")
	}
	return "imds: serving http://" + host + " - try: curl " + token("http")
}

// protocol is the first instance's metadata service protocol.
func (s *service) protocol() string {
	m, err := s.emu.MetadataService("")
	if err != nil {
		return "http"
	}
	return m.Protocol
}

// ServeHTTP answers r with the emulator, after giving the connection the hop limit the answer
// must leave with: the response hop limit for the metadata service, the system default for
// everything else.
func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.loopback && !s.port.KnownHost(r.Host) {
		misdirected(w, r.Host)
		return
	}
	hops := 0
	if imds.IsMetadataRequest(r) {
		if m, err := s.emu.MetadataService(""); err == nil {
			hops = m.ResponseHopLimit
		}
	}
	if err := hoplimit.Apply(r.Context(), hops); err != nil {
		s.hopWarn.Do(func() {
			fmt.Fprintf(s.warn, "imds serve: warning: answers leave without the response hop limit: %v\n", err)
		})
	}
	if s.log != nil {
		lw := &loggingWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			v := recover()
			status := fmt.Sprint(lw.status)
			if v != nil {
				status = "connection closed"
			}
			s.log.Printf("%s %s %s %s %s", r.RemoteAddr, r.Method, r.URL.RequestURI(), status, time.Since(start).Round(time.Microsecond))
			if v != nil {
				panic(v)
			}
		}()
		w = lw
	}
	s.emu.ServeHTTP(w, r)
}

// misdirected answers a request for a name the server is not (421, in IBM's error shape).
func misdirected(w http.ResponseWriter, host string) {
	body, _ := json.Marshal(map[string]any{
		"errors": []map[string]string{{"code": "misdirected_request", "message": fmt.Sprintf(
			"This emulator listens on loopback and answers only for localhost, 127.0.0.1, ::1 and the emulated services' names, not %q.", host)}},
		"status_code": http.StatusMisdirectedRequest,
	})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusMisdirectedRequest)
	w.Write(append(body, '\n'))
}

// loggingWriter remembers the status of an answer for the request log.
type loggingWriter struct {
	http.ResponseWriter
	status int
}

func (w *loggingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *loggingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *loggingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
