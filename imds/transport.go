package imds

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Place is where a client runs: the one name for it across imdsplay. Its values are the
// words the playground's pages use (data-on), `imds sh --on` takes and the shell's prompt
// shows; "" means OnInstance.
type Place string

const (
	// OnInstance is inside the virtual server instance: the metadata host resolves.
	OnInstance Place = "instance"
	// OnWorkstation is a laptop on the internet: IAM and the VPC API resolve, the metadata
	// host does not.
	OnWorkstation Place = "workstation"
)

// Known reports whether p is one of the places (or "", the instance).
func (p Place) Known() bool { return p == "" || p == OnInstance || p == OnWorkstation }

// Origin says where in-process requests come from.
type Origin struct {
	Place Place
	// InstanceID is the instance the client runs on ("" means the scenario's first instance).
	InstanceID string
	// Hops is the number of network hops between the client and the metadata service, 1 for a
	// process on the instance itself, 2 for a container behind a bridge, ... Zero means 1.
	Hops int
}

// Errors of the in-process network, for clients to translate into their own words (curl's
// exit codes, for instance). They arrive wrapped in a *net.OpError.
var (
	// ErrConnRefused: nothing listens on that host and port (for example plain http to a
	// metadata service that requires https).
	ErrConnRefused = errors.New("connection refused")
	// ErrNoAnswer: the request left, but no answer can ever arrive (the response hop limit is
	// lower than the number of hops back to the client). A real client would wait until its
	// timeout.
	ErrNoAnswer = errors.New("no answer: response packets dropped")
	// ErrInstanceStopped: the client is on an instance that is not running, so nothing it
	// sends leaves it. It wraps ErrConnRefused, which is what a client sees of it (curl: 7).
	ErrInstanceStopped = fmt.Errorf("instance not running: %w", ErrConnRefused)
)

// Transport returns an http.RoundTripper that delivers requests to the emulator in process, as
// if sent from the given origin. Names that do not resolve from there fail with a
// *net.DNSError; see ErrConnRefused and ErrNoAnswer for the other network failures.
func (e *Emulator) Transport(from Origin) http.RoundTripper {
	if from.Hops <= 0 {
		from.Hops = 1
	}
	if from.Place == "" {
		from.Place = OnInstance
	}
	return &transport{e: e, from: from}
}

type transport struct {
	e    *Emulator
	from Origin
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	host := req.URL.Hostname()
	port := req.URL.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[req.URL.Scheme]
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("unsupported protocol scheme %q", req.URL.Scheme)
	}
	addr := net.JoinHostPort(host, port)
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: fakeAddr(addr), Err: err}
	}
	if t.from.Place == OnInstance && !t.e.running(t.from.InstanceID) {
		return nil, opErr(ErrInstanceStopped)
	}
	svc := hostService(host)
	switch {
	case svc == svcUnknown:
		return nil, opErr(&net.DNSError{Err: "no such host", Name: host, IsNotFound: true})
	case svc == svcMetadata && t.from.Place != OnInstance:
		return nil, opErr(&net.DNSError{Err: "no such host", Name: host, IsNotFound: true})
	case svc != svcMetadata && req.URL.Scheme == "http":
		// IBM's public endpoints listen on https only.
		return nil, opErr(ErrConnRefused)
	}
	if svc == svcMetadata {
		t.e.mu.Lock()
		in := pickInstance(t.e.world, t.from.InstanceID)
		var ms = struct {
			on       bool
			protocol string
			hops     int
		}{}
		if in != nil {
			ms.on, ms.protocol, ms.hops = in.MetadataService.Enabled, in.MetadataService.Protocol, in.MetadataService.ResponseHopLimit
		}
		t.e.mu.Unlock()
		wantPort := map[string]string{"http": "80", "https": "443"}[ms.protocol]
		// A disabled service still answers (403 unauthorized), on its configured protocol.
		if req.URL.Scheme != ms.protocol || port != wantPort {
			return nil, opErr(ErrConnRefused)
		}
		if t.from.Hops > ms.hops {
			return nil, opErr(ErrNoAnswer)
		}
	}
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
	}
	in := req.Clone(WithInstance(req.Context(), t.from.InstanceID))
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.ContentLength = int64(len(body))
	in.RequestURI = req.URL.RequestURI()
	in.Host = req.URL.Host
	in.RemoteAddr = remoteAddr(t.from.Place)
	if req.URL.Scheme == "https" {
		in.TLS = &tls.ConnectionState{HandshakeComplete: true, ServerName: host, Version: tls.VersionTLS13}
	}
	rec := &recorder{header: http.Header{}}
	if err := serveRecover(t.e, rec, in); err != nil {
		return nil, err
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	// What a net/http server adds on the wire, so in-process clients see the same headers.
	if rec.header.Get("Date") == "" {
		rec.header.Set("Date", t.e.now().UTC().Format(http.TimeFormat))
	}
	rec.header.Set("Content-Length", strconv.Itoa(rec.body.Len()))
	if req.Method == http.MethodHead {
		rec.body.Reset()
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", rec.status, http.StatusText(rec.status)),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(&rec.body),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// running reports whether the instance is running: a stopped (or stopping, starting, ...)
// instance sends nothing, to the metadata service or anywhere else.
func (e *Emulator) running(instanceID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	in := pickInstance(e.world, instanceID)
	return in == nil || in.Status == "" || in.Status == "running"
}

// recorder is a minimal http.ResponseWriter for in-process delivery (net/http/httptest stays
// out of the WebAssembly build).
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// serveRecover runs the handler, turning an aborted handler into a closed connection.
func serveRecover(h http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				err = io.ErrUnexpectedEOF
				return
			}
			panic(v)
		}
	}()
	h.ServeHTTP(w, r)
	return nil
}

func hostService(host string) service {
	host = strings.ToLower(host)
	switch {
	case host == MetadataHost || host == MetadataIP:
		return svcMetadata
	case host == IAMHost:
		return svcIAM
	case strings.HasSuffix(host, vpcSuffix):
		return svcVPC
	}
	return svcUnknown
}

func remoteAddr(p Place) string {
	if p == OnWorkstation {
		return "203.0.113.10:50514" // documentation range: the operator's laptop
	}
	return "10.240.64.11:50514"
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }
