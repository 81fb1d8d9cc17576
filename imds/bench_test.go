package imds_test

// Benchmarks of the four calls code on an instance makes, each beside its floor, measured in
// the same run so that the ratio means something on a shared machine. Each is named
// Benchmark<Call>/via=<path>/impl=<what>, so that benchstat compares the emulator with its
// floors of the same path (`benchstat -row .name,/via -col /impl`):
//
//	via=handler  in process: an http.Handler with an httptest.ResponseRecorder
//	  impl=emulator           the emulator's handler
//	  impl=emulator-full-log  the same once the Activity Tracker log holds its maximum number
//	                          of events, the steady state of a long-running `imds serve`
//	  impl=floor-sign         the bare cryptography of the same answer: an RS256 sign of the
//	                          same claims, or an x509 signature of the same certificate
//	  impl=floor-bytes        a handler that writes the same bytes (metadata read)
//	via=http     over loopback HTTP, b.RunParallel, the same client and parallelism
//	  impl=emulator           the emulator behind imdstest
//	  impl=floor-sign         a minimal net/http handler that only signs the same token
//	  impl=floor-bytes        a minimal net/http handler that writes the same bytes
//
// and, for the budget, a paired measurement that does not depend on a quiet machine:
//
//	via=http/impl=paired  the emulator over loopback HTTP and the floor-sign handler, in
//	                 alternating phases of 64 requests from 4×GOMAXPROCS goroutines, each phase
//	                 timed; it reports both costs per request and rate-ratio, the emulator's
//	                 rate as a fraction of the floor's. Neighbours' load, which swings from one
//	                 second to the next on a shared machine, falls on both sides alike.
//
// scripts/bench.sh runs them and prints benchstat's comparison; the budget
// (scripts/benchgate) is IdentityToken paired rate-ratio ≥ 0.9.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/imdstest"
	"github.com/imdsplay/imdsplay/imds/jwt"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/internal/testkeys"
)

// benchParallelism multiplies GOMAXPROCS into the number of client goroutines of the HTTP
// benchmarks, enough to keep the server busy while clients wait on the network.
const benchParallelism = 4

// benchClient is the one HTTP client every loopback benchmark uses, emulator and floors alike.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}

// benchCall is one request the benchmarks repeat.
type benchCall struct {
	method, path, body string
	header             http.Header
}

// request builds the call against base.
func (c benchCall) request(base string) *http.Request {
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		panic(err)
	}
	req.Header = c.header.Clone()
	return req
}

// benchFixture is an emulator behind imdstest with the fixed test keys, an identity token,
// and the exact answer of each call, captured once to feed the floors.
type benchFixture struct {
	srv      *imdstest.Server
	identity string
}

func newBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	srv := imdstest.NewServer(b, imdstest.WithKeys(fixture.Keys()))
	f := &benchFixture{srv: srv}
	var tok imds.TokenResponse
	f.capture(b, benchToken(), http.StatusOK, &tok)
	f.identity = tok.AccessToken
	return f
}

// capture runs call once through the emulator, checks the status and returns the body, also
// decoded into v when v is not nil.
func (f *benchFixture) capture(b *testing.B, c benchCall, status int, v any) []byte {
	b.Helper()
	rec := httptest.NewRecorder()
	f.srv.Emulator().ServeHTTP(rec, c.request("http://"+imds.MetadataHost))
	if rec.Code != status {
		b.Fatalf("%s %s: got %d; want %d: %s", c.method, c.path, rec.Code, status, rec.Body)
	}
	if v != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			b.Fatal(err)
		}
	}
	return rec.Body.Bytes()
}

// benchFullLog is the number of Activity Tracker events the core keeps (imds.maxEvents).
const benchFullLog = 10000

// fillEventLog makes the emulator record benchFullLog events with a cheap refused call (a token
// request without Metadata-Flavor), so that every further call finds the log full.
func (f *benchFixture) fillEventLog(b *testing.B) {
	b.Helper()
	refused := benchToken()
	refused.header = http.Header{}
	for range benchFullLog {
		rec := httptest.NewRecorder()
		f.srv.Emulator().ServeHTTP(rec, refused.request("http://"+imds.MetadataHost))
	}
	if n := len(f.srv.Events()); n < benchFullLog-1 {
		b.Fatalf("event log: got %d events; want %d", n, benchFullLog)
	}
}

func benchToken() benchCall {
	return benchCall{"PUT", "/identity/v1/token?version=2025-08-26", `{"expires_in": 300}`,
		http.Header{"Metadata-Flavor": {"ibm"}, "Content-Type": {"application/json"}}}
}

func (f *benchFixture) withBearer(c benchCall) benchCall {
	c.header = c.header.Clone()
	c.header.Set("Authorization", "Bearer "+f.identity)
	return c
}

func (f *benchFixture) iamExchange() benchCall {
	return f.withBearer(benchCall{"POST", "/identity/v1/iam_tokens?version=2025-08-26",
		`{"trusted_profile": {"id": "` + scenario.LinkedProfileID + `"}}`,
		http.Header{"Metadata-Flavor": {"ibm"}, "Content-Type": {"application/json"}}})
}

func (f *benchFixture) certificate(csrPEM string) benchCall {
	body, _ := json.Marshal(map[string]any{"csr": csrPEM, "expires_in": 3600})
	return f.withBearer(benchCall{"POST", "/identity/v1/certificates?version=2025-08-26", string(body),
		http.Header{"Metadata-Flavor": {"ibm"}, "Content-Type": {"application/json"}}})
}

func (f *benchFixture) metadataRead() benchCall {
	return f.withBearer(benchCall{"GET", "/metadata/v1/instance?version=2025-08-26", "",
		http.Header{"Accept": {"application/json"}}})
}

// inProcess benchmarks h answering c, serially.
func inProcess(b *testing.B, h http.Handler, c benchCall) {
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, c.request("http://"+imds.MetadataHost))
		if rec.Code >= 300 {
			b.Fatalf("got %d: %s", rec.Code, rec.Body)
		}
	}
}

// overHTTP benchmarks c against base with the shared client, from parallel goroutines.
func overHTTP(b *testing.B, base string, c benchCall) {
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := benchClient.Do(c.request(base))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				b.Errorf("got %d", resp.StatusCode)
				return
			}
		}
	})
}

// pairedPhase is the number of requests in one timed phase of paired.
const pairedPhase = 64

// paired sends c to emulator and floor in alternating phases of pairedPhase requests, each
// phase from 4×GOMAXPROCS goroutines, and times the phases. Each side's cost per request is
// its phases' total time over its requests, which makes rate-ratio = floor ÷ emulator.
func paired(b *testing.B, emulator, floor string, c benchCall) {
	b.ReportAllocs()
	workers := benchParallelism * runtime.GOMAXPROCS(0)
	var spent [2]time.Duration
	var sent [2]int
	b.ResetTimer()
	for done := 0; done < b.N; {
		for side, base := range [2]string{emulator, floor} {
			n := min(pairedPhase, b.N-done)
			if n == 0 {
				break
			}
			start := time.Now()
			if err := burst(base, c, n, workers); err != nil {
				b.Fatal(err)
			}
			spent[side] += time.Since(start)
			sent[side] += n
			done += n
		}
	}
	if sent[0] > 0 && sent[1] > 0 {
		e := float64(spent[0]) / float64(sent[0])
		f := float64(spent[1]) / float64(sent[1])
		b.ReportMetric(e, "emulator-ns/req")
		b.ReportMetric(f, "floor-ns/req")
		b.ReportMetric(f/e, "rate-ratio")
	}
}

// burst sends n requests from workers goroutines and waits for their answers.
func burst(base string, c benchCall, n, workers int) error {
	var next atomic.Int64
	errs := make(chan error, workers)
	for range min(workers, n) {
		go func() {
			for next.Add(1) <= int64(n) {
				resp, err := benchClient.Do(c.request(base))
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 300 {
					errs <- fmt.Errorf("%s %s: got %d", c.method, base, resp.StatusCode)
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range min(workers, n) {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// floorServer serves h on loopback, plain net/http, for the length of the benchmark.
func floorServer(b *testing.B, h http.HandlerFunc) string {
	ts := httptest.NewServer(h)
	b.Cleanup(ts.Close)
	return ts.URL
}

// bytesHandler writes body as the emulator did, after reading the request.
func bytesHandler(body []byte, status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		w.Write(body)
	}
}

// jwtSigner signs claims like the emulator's token of the same kind: RS256 with the same key
// and kid, through the same imds/jwt.Sign the emulator uses, so the floor pays the same signature.
type jwtSigner struct {
	key    *rsa.PrivateKey
	kid    string
	claims any
}

func newJWTSigner(b *testing.B, token string, key *rsa.PrivateKey, claims any) *jwtSigner {
	b.Helper()
	parsed, err := jwt.Parse(token)
	if err != nil {
		b.Fatal(err)
	}
	if err := parsed.Claims(&key.PublicKey, claims); err != nil {
		b.Fatal(err)
	}
	return &jwtSigner{key: key, kid: parsed.Header.Kid, claims: claims}
}

func (s *jwtSigner) sign() (string, error) { return jwt.Sign(s.key, s.kid, s.claims) }

// signHandler only signs the same token and writes it.
func (s *jwtSigner) handler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		tok, err := s.sign()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"`+tok+`"}`)
	}
}

func (s *jwtSigner) bench(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.sign(); err != nil {
			b.Fatal(err)
		}
	}
}

// Each sub-benchmark builds its own fixture, so that every measurement starts from a fresh
// emulator (an empty Activity Tracker log) and the floors answer exactly what that emulator
// answered.

func BenchmarkIdentityToken(b *testing.B) {
	call := benchToken()
	signer := func(b *testing.B) *jwtSigner {
		f := newBenchFixture(b)
		return newJWTSigner(b, f.identity, testkeys.Get().Identity, &imds.IdentityClaims{})
	}
	b.Run("via=handler/impl=emulator", func(b *testing.B) { inProcess(b, newBenchFixture(b).srv.Emulator(), call) })
	b.Run("via=handler/impl=floor-sign", func(b *testing.B) { signer(b).bench(b) })
	b.Run("via=http/impl=emulator", func(b *testing.B) { overHTTP(b, newBenchFixture(b).srv.URL, call) })
	b.Run("via=http/impl=floor-sign", func(b *testing.B) { overHTTP(b, floorServer(b, signer(b).handler()), call) })
	b.Run("via=http/impl=floor-bytes", func(b *testing.B) {
		body := newBenchFixture(b).capture(b, call, http.StatusOK, nil)
		overHTTP(b, floorServer(b, bytesHandler(body, http.StatusOK)), call)
	})
	b.Run("via=http/impl=paired", func(b *testing.B) {
		paired(b, newBenchFixture(b).srv.URL, floorServer(b, signer(b).handler()), call)
	})
}

func BenchmarkIAMExchange(b *testing.B) {
	answer := func(b *testing.B) (*benchFixture, benchCall, []byte, *jwtSigner) {
		f := newBenchFixture(b)
		call := f.iamExchange()
		var resp imds.IAMTokenResponse
		body := f.capture(b, call, http.StatusOK, &resp)
		return f, call, body, newJWTSigner(b, resp.AccessToken, testkeys.Get().IAM, &imds.IAMClaims{})
	}
	b.Run("via=handler/impl=emulator", func(b *testing.B) {
		f, call, _, _ := answer(b)
		inProcess(b, f.srv.Emulator(), call)
	})
	b.Run("via=handler/impl=floor-sign", func(b *testing.B) {
		_, _, _, s := answer(b)
		s.bench(b)
	})
	b.Run("via=http/impl=emulator", func(b *testing.B) {
		f, call, _, _ := answer(b)
		overHTTP(b, f.srv.URL, call)
	})
	b.Run("via=http/impl=floor-sign", func(b *testing.B) {
		_, call, _, s := answer(b)
		overHTTP(b, floorServer(b, s.handler()), call)
	})
	b.Run("via=http/impl=floor-bytes", func(b *testing.B) {
		_, call, body, _ := answer(b)
		overHTTP(b, floorServer(b, bytesHandler(body, http.StatusOK)), call)
	})
	b.Run("via=http/impl=paired", func(b *testing.B) {
		f, call, _, s := answer(b)
		paired(b, f.srv.URL, floorServer(b, s.handler()), call)
	})
}

// benchCSR is a P-256 CSR with only an organisation in its subject, as the CA requires.
func benchCSR(b *testing.B) (string, *ecdsa.PrivateKey) {
	b.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{Organization: []string{"imdsplay bench"}}}, key)
	if err != nil {
		b.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), key
}

func BenchmarkCertificate(b *testing.B) {
	csrPEM, key := benchCSR(b)
	answer := func(b *testing.B) (*benchFixture, benchCall, []byte) {
		f := newBenchFixture(b)
		call := f.certificate(csrPEM)
		return f, call, f.capture(b, call, http.StatusCreated, nil)
	}
	b.Run("via=handler/impl=emulator", func(b *testing.B) {
		f, call, _ := answer(b)
		inProcess(b, f.srv.Emulator(), call)
	})
	b.Run("via=handler/impl=floor-sign", func(b *testing.B) {
		// The floor signs the same leaf with the same intermediate, and does nothing else.
		f, _, _ := answer(b)
		authority, err := f.srv.Emulator().CA()
		if err != nil {
			b.Fatal(err)
		}
		block, _ := pem.Decode(authority.IntermediatePEM())
		inter, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			b.Fatal(err)
		}
		now := f.srv.Clock().Now()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"imdsplay bench"}, CommonName: f.srv.InstanceID()},
			NotBefore: now, NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
		}
		interKey := testkeys.Get().CAIntermediate
		b.ReportAllocs()
		for b.Loop() {
			if _, err := x509.CreateCertificate(rand.Reader, tmpl, inter, &key.PublicKey, interKey); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("via=http/impl=emulator", func(b *testing.B) {
		f, call, _ := answer(b)
		overHTTP(b, f.srv.URL, call)
	})
	b.Run("via=http/impl=floor-bytes", func(b *testing.B) {
		_, call, body := answer(b)
		overHTTP(b, floorServer(b, bytesHandler(body, http.StatusCreated)), call)
	})
}

func BenchmarkMetadataRead(b *testing.B) {
	answer := func(b *testing.B) (*benchFixture, benchCall, []byte) {
		f := newBenchFixture(b)
		call := f.metadataRead()
		body := f.capture(b, call, http.StatusOK, nil)
		if !bytes.Contains(body, []byte(`"metadata_service"`)) {
			b.Fatalf("GET /metadata/v1/instance: no metadata_service in %s", body)
		}
		return f, call, body
	}
	b.Run("via=handler/impl=emulator", func(b *testing.B) {
		f, call, _ := answer(b)
		inProcess(b, f.srv.Emulator(), call)
	})
	b.Run("via=handler/impl=emulator-full-log", func(b *testing.B) {
		f, call, _ := answer(b)
		f.fillEventLog(b)
		inProcess(b, f.srv.Emulator(), call)
	})
	b.Run("via=handler/impl=floor-bytes", func(b *testing.B) {
		_, call, body := answer(b)
		inProcess(b, bytesHandler(body, http.StatusOK), call)
	})
	b.Run("via=http/impl=emulator", func(b *testing.B) {
		f, call, _ := answer(b)
		overHTTP(b, f.srv.URL, call)
	})
	b.Run("via=http/impl=floor-bytes", func(b *testing.B) {
		_, call, body := answer(b)
		overHTTP(b, floorServer(b, bytesHandler(body, http.StatusOK)), call)
	})
}
