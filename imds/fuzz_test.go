package imds_test

// Fuzz targets of the core, run through its HTTP layer (ServeHTTP), so that decoding, routing,
// validation and error rendering are exercised together. Each checks the same contract on
// every answer (fzCheck): no 5xx (a recovered panic is a 500), and either a 2xx JSON document
// or IBM's error JSON whose status_code, where the host sends one, is the HTTP status and
// whose trace is set. Each then adds what its 2xx answers must satisfy.
//
// The seed corpora live in testdata/fuzz/<FuzzName>/ and replay in every `go test`; run one
// target for a while with
//
//	go test -run '^$' -fuzz '^FuzzIdentityToken$' -fuzztime 60s ./imds/
//
// or all of them with scripts/fuzz.sh. Every emulator here has the fixed test keys and a
// fixed clock; tokens are minted once per process, since an RS256 signature per input would
// slow fuzzing tenfold, and stay valid because the clock never moves.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/internal/testkeys"
)

// fzCSR is a valid ECDSA P-256 CSR (O=Example Corp), from imds/ca/testdata/ok-ecdsa-p256.csr.
const fzCSR = `-----BEGIN CERTIFICATE REQUEST-----
MIHSMHkCAQAwFzEVMBMGA1UECgwMRXhhbXBsZSBDb3JwMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEQsZC77WCFvyIGDURWfHcLuIvJk+ede3vj5VSmq40DIa4gkVW
KSg1nehyZOdj3JC2b3BQ3EVkfGqBB69luGW8TqAAMAoGCCqGSM49BAMCA0kAMEYC
IQCmGZLj4CGE96EoSvn8ceXlGXLNlV7bwh7dAwdjFtWDUAIhAM91Nd4O1MQaqNEm
Zbnkh4BlBGoJ30aOyv6iClX6Izzk
-----END CERTIFICATE REQUEST-----
`

// Hosts the fuzzed requests are addressed to.
const (
	fzMD  = "http://" + imds.MetadataHost
	fzVPC = "https://us-south.iaas.cloud.ibm.com"
	fzIAM = "https://" + imds.IAMHost
)

// fzTokenKind says what a token of the fixture is, so that a target knows where it is valid.
type fzTokenKind int

const (
	fzIdentity       fzTokenKind = iota // an identity token of the default instance
	fzProfile                           // an IAM token of the default trusted profile
	fzUser                              // the operator's IAM token
	fzForgedIdentity                    // identity claims signed with the IAM key
	fzForgedIAM                         // IAM claims signed with the identity key
	fzKinds
)

// fzFixture is what the targets share: an emulator for the targets that do not change the
// world, and one token of each kind.
type fzFixture struct {
	emu    *imds.Emulator
	tokens [fzKinds]string
	root   *x509.CertPool
}

var (
	fzOnce sync.Once
	fzFix  *fzFixture
)

// fzNewEmu returns a fresh emulator of the fixture, seeded for fuzzing.
func fzNewEmu(t testing.TB, s *scenario.Scenario) *imds.Emulator {
	t.Helper()
	e, _ := fixture.NewEmulator(t, fixture.WithScenario(s), fixture.WithSeed(2))
	return e
}

// fzFixtureFor builds the shared fixture once per process.
func fzFixtureFor(t testing.TB) *fzFixture {
	t.Helper()
	fzOnce.Do(func() {
		e := fzNewEmu(t, nil)
		f := &fzFixture{emu: e}
		rec := fzServe(e, fzRequest(t, "PUT", fzMD+"/identity/v1/token?version=2025-08-26", `{"expires_in": 3600}`, "Metadata-Flavor", "ibm"))
		f.tokens[fzIdentity] = fzField(t, rec, "access_token")
		rec = fzServe(e, fzRequest(t, "POST", fzMD+"/identity/v1/iam_tokens?version=2025-08-26", ``, "Authorization", "Bearer "+f.tokens[fzIdentity]))
		f.tokens[fzProfile] = fzField(t, rec, "access_token")
		user, err := e.UserToken()
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[fzUser] = user
		k := testkeys.Get()
		f.tokens[fzForgedIdentity] = resign(t, f.tokens[fzIdentity], k.IAM, kidOf(t, f.tokens[fzIdentity]), nil)
		f.tokens[fzForgedIAM] = resign(t, f.tokens[fzProfile], k.Identity, kidOf(t, f.tokens[fzProfile]), nil)
		authority, err := e.CA()
		if err != nil {
			t.Fatal(err)
		}
		f.root = x509.NewCertPool()
		f.root.AppendCertsFromPEM(authority.RootPEM())
		fzFix = f
	})
	if fzFix == nil {
		t.Fatal("fuzz fixture failed to build")
	}
	return fzFix
}

// fzRequest builds a request; it returns nil when the URL does not parse.
func fzRequest(t testing.TB, method, rawURL, body string, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		return nil
	}
	req.RequestURI = req.URL.RequestURI()
	req.RemoteAddr = "10.240.64.11:50514"
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// fzServe runs one request through the emulator. A handler that aborts (the metadata service
// reached over the protocol it does not listen on) yields a recorder with status 0.
func fzServe(e *imds.Emulator, req *http.Request) (rec *httptest.ResponseRecorder) {
	rec = httptest.NewRecorder()
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			rec = httptest.NewRecorder()
			rec.Code = 0
		}
	}()
	e.ServeHTTP(rec, req)
	return rec
}

// fzField returns a string property of a 2xx answer, failing t otherwise.
func fzField(t testing.TB, rec *httptest.ResponseRecorder, name string) string {
	t.Helper()
	var m map[string]any
	if rec.Code/100 != 2 || json.Unmarshal(rec.Body.Bytes(), &m) != nil {
		t.Fatalf("fixture call: %d %s", rec.Code, rec.Body)
	}
	s, _ := m[name].(string)
	return s
}

// fzIAMError is IAM's own error JSON.
type fzIAMError struct {
	ErrorCode    string            `json:"errorCode"`
	ErrorMessage string            `json:"errorMessage"`
	Context      map[string]string `json:"context"`
}

// fzCheck fails t unless rec is an answer the emulator may give to any input: 2xx with a JSON
// document, or 4xx with IBM's error JSON (IAM's own, for the IAM host) that agrees with the
// HTTP status. It returns the decoded 2xx document, or nil.
func fzCheck(t *testing.T, rec *httptest.ResponseRecorder, iam bool) map[string]any {
	t.Helper()
	body := rec.Body.Bytes()
	switch {
	case rec.Code == 0:
		t.Fatalf("connection dropped where an answer was due")
	case rec.Code >= 500:
		t.Fatalf("status %d: %s", rec.Code, body)
	case rec.Code < 200 || (rec.Code >= 300 && rec.Code < 400):
		t.Fatalf("unexpected status %d: %s", rec.Code, body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("status %d: Content-Type %q: %s", rec.Code, ct, body)
	}
	if rec.Code/100 == 2 {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("status %d: answer is not a JSON object: %v: %s", rec.Code, err, body)
		}
		return m
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if iam && bytes.Contains(body, []byte(`"errorCode"`)) {
		var ie fzIAMError
		if err := dec.Decode(&ie); err != nil || ie.ErrorCode == "" || ie.ErrorMessage == "" || ie.Context["requestId"] == "" {
			t.Fatalf("status %d: not IAM's error shape (%v): %s", rec.Code, err, body)
		}
		fzMessage(t, ie.ErrorMessage)
		return nil
	}
	var eb ibmError
	if err := dec.Decode(&eb); err != nil {
		t.Fatalf("status %d: not IBM's error shape: %v: %s", rec.Code, err, body)
	}
	if len(eb.Errors) == 0 || (eb.StatusCode != 0 && eb.StatusCode != rec.Code) || eb.Trace == "" {
		t.Fatalf("status %d: error body disagrees (status_code %d, trace %q, %d errors): %s", rec.Code, eb.StatusCode, eb.Trace, len(eb.Errors), body)
	}
	if got := rec.Header().Get("X-Request-Id"); got != eb.Trace {
		t.Fatalf("X-Request-Id got %q; want the trace %q", got, eb.Trace)
	}
	for _, e := range eb.Errors {
		if e.Code == "" || e.Message == "" {
			t.Fatalf("status %d: error without code or message: %s", rec.Code, body)
		}
		fzMessage(t, e.Message)
	}
	return nil
}

// fzMessage fails t on a message with the marks of a bad fmt call.
func fzMessage(t *testing.T, msg string) {
	t.Helper()
	if strings.Contains(msg, "%!") {
		t.Fatalf("badly formatted message: %q", msg)
	}
}

// fzVersionOK is the version rule, written independently of the emulator: a YYYY-MM-DD date
// from min up to today by the fixed clock.
func fzVersionOK(q url.Values, min time.Time) (time.Time, bool) {
	if !q.Has("version") {
		return time.Time{}, false
	}
	v, err := time.Parse(time.DateOnly, q.Get("version"))
	if err != nil || v.Before(min) || v.After(time.Date(fixture.Time().Year(), fixture.Time().Month(), fixture.Time().Day(), 0, 0, 0, 0, time.UTC)) {
		return time.Time{}, false
	}
	return v, true
}

var (
	fzMinIdentity = time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC)
	fzPathChange  = time.Date(2025, 8, 26, 0, 0, 0, 0, time.UTC)
	fzMinVPC      = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
)

// fzLoose decodes a request body the way a reader that cares only for some fields would; ok
// is false when the body is not a JSON object.
func fzLoose(body []byte, v any) bool {
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	return json.Unmarshal(body, v) == nil
}

// FuzzIdentityToken sends PUT …/token with any query, Metadata-Flavor and body. A 200 needs a
// valid version (and, on the old path, one before 2025-08-26), the ibm flavor, an expires_in
// in 5…3600 (default 300) and gives a token that verifies, carries the nonce and lives exactly
// expires_in seconds.
func FuzzIdentityToken(f *testing.F) {
	f.Add(false, "version=2025-08-26", "ibm", []byte(`{"expires_in": 3600, "nonce": "n-1"}`))
	f.Add(true, "version=2025-08-25", "ibm", []byte(`{"expires_in": 5}`))
	f.Add(false, "version=2022-03-01", "ibm", []byte(``))
	f.Add(false, "version=2026-03-13", "ibm", []byte(`{}`))
	f.Add(true, "version=2025-08-26", "ibm", []byte(`{}`))
	f.Add(false, "version=2025-8-26", "IBM", []byte(`{"expires_in": "300"}`))
	f.Add(false, "version=2025-08-26&version=2020-01-01", "", []byte(`{"expires_in": 3601}`))
	f.Add(false, "version=2025-08-26", "ibm", []byte(`{"expires_in": 1e3, "nonce": null}`))
	f.Add(false, "version=2025-08-26", "ibm", []byte(`{"expires_in": 300} {}`))
	f.Add(false, "version=%zz", "ibm", []byte(`{"nonce": "\ud800"}`))
	f.Add(false, "version=2025-08-26", "ibm", []byte(`{"expires_in": -9223372036854775808, "extra": 1}`))
	f.Add(false, "version=2025-08-26", "ibm", []byte(`[{"expires_in": 300}]`))
	fix := fzFixtureFor(f)
	f.Fuzz(func(t *testing.T, legacy bool, rawQuery, flavor string, body []byte) {
		path := "/identity/v1/token"
		if legacy {
			path = "/instance_identity/v1/token"
		}
		req := fzRequest(t, "PUT", fzMD+path+"?"+rawQuery, string(body))
		if req == nil {
			return
		}
		if flavor != "" {
			req.Header["Metadata-Flavor"] = []string{flavor}
		}
		m := fzCheck(t, fzServe(fix.emu, req), false)
		if m == nil {
			return
		}
		v, ok := fzVersionOK(req.URL.Query(), fzMinIdentity)
		if !ok || (legacy && !v.Before(fzPathChange)) {
			t.Fatalf("200 for version %q on %s", req.URL.Query().Get("version"), path)
		}
		if flavor != "ibm" {
			t.Fatalf("200 with Metadata-Flavor %q", flavor)
		}
		var want struct {
			ExpiresIn *int64  `json:"expires_in"`
			Nonce     *string `json:"nonce"`
		}
		if !fzLoose(body, &want) {
			t.Fatalf("200 for a body that is not a JSON object: %q", body)
		}
		exp := int64(300)
		if want.ExpiresIn != nil {
			exp = *want.ExpiresIn
		}
		got, _ := m["expires_in"].(float64)
		if int64(got) != exp || exp < 5 || exp > 3600 {
			t.Fatalf("expires_in got %v; asked %d", m["expires_in"], exp)
		}
		tok, _ := m["access_token"].(string)
		c, err := fix.emu.VerifyIdentityToken(tok)
		if err != nil {
			t.Fatalf("the token does not verify: %v", err)
		}
		if c.Expiry.Time().Sub(c.IssuedAt.Time()) != time.Duration(exp)*time.Second {
			t.Fatalf("token lives %v; want %ds", c.Expiry.Time().Sub(c.IssuedAt.Time()), exp)
		}
		if want.Nonce != nil && (c.Nonce != *want.Nonce || m["nonce"] != nonEmpty(*want.Nonce)) {
			t.Fatalf("nonce got %q (claim) %v (answer); want %q", c.Nonce, m["nonce"], *want.Nonce)
		}
		created, err1 := time.Parse(time.RFC3339, m["created_at"].(string))
		expires, err2 := time.Parse(time.RFC3339, m["expires_at"].(string))
		if err1 != nil || err2 != nil || expires.Sub(created) != time.Duration(exp)*time.Second {
			t.Fatalf("times got %v … %v", m["created_at"], m["expires_at"])
		}
	})
}

// nonEmpty is s as the answer carries it: an empty nonce is omitted.
func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// FuzzIAMExchange sends POST …/iam_tokens with a valid identity token and any query and body.
// A 200 gives an IAM token that verifies, for a profile linked to the instance: the one the
// body names, or the default.
func FuzzIAMExchange(f *testing.F) {
	f.Add(false, "version=2025-08-26", []byte(``))
	f.Add(false, "version=2025-08-26", []byte(`{"trusted_profile": {"id": "`+scenario.LinkedProfileID+`"}}`))
	f.Add(false, "version=2025-08-26", []byte(`{"trusted_profile": {"name": "`+scenario.LinkedProfileName+`"}}`))
	f.Add(false, "version=2025-08-26", []byte(`{"trusted_profile": {"crn": "crn:v1:bluemix:public:iam-identity::a/`+scenario.DefaultAccountID+`::profile:`+scenario.LinkedProfileID+`"}}`))
	f.Add(true, "version=2024-11-12", []byte(`{"trusted_profile": {"id": "`+scenario.UnlinkedProfileID+`"}}`))
	f.Add(false, "version=2025-08-26", []byte(`{"trusted_profile": {}}`))
	f.Add(false, "version=2025-08-26", []byte(`{"trusted_profile": null}`))
	f.Add(false, "version=2025-08-26", []byte(`{"trusted_profile": {"id": "a", "name": "b"}}`))
	f.Add(false, "version=2025-08-26", []byte(`{"trusted_profile": {"id": 7}}`))
	f.Add(false, "version=2025-08-26", []byte(`{"trusted_profile": "x"}`))
	f.Add(false, "version=2025-08-26", []byte(`{"trusted_profile": {"uuid": "x"}}`))
	fix := fzFixtureFor(f)
	f.Fuzz(func(t *testing.T, legacy bool, rawQuery string, body []byte) {
		path := "/identity/v1/iam_tokens"
		if legacy {
			path = "/instance_identity/v1/iam_token"
		}
		req := fzRequest(t, "POST", fzMD+path+"?"+rawQuery, string(body), "Authorization", "Bearer "+fix.tokens[fzIdentity])
		if req == nil {
			return
		}
		m := fzCheck(t, fzServe(fix.emu, req), false)
		if m == nil {
			return
		}
		if v, ok := fzVersionOK(req.URL.Query(), fzMinIdentity); !ok || (legacy && !v.Before(fzPathChange)) {
			t.Fatalf("200 for version %q on %s", req.URL.Query().Get("version"), path)
		}
		c, err := fix.emu.VerifyIAMToken(m["access_token"].(string))
		if err != nil {
			t.Fatalf("the IAM token does not verify: %v", err)
		}
		var want struct {
			TrustedProfile *struct{ ID, CRN, Name *string } `json:"trusted_profile"`
		}
		if !fzLoose(body, &want) {
			t.Fatalf("200 for a body that is not a JSON object: %q", body)
		}
		s := fix.emu.Scenario()
		p := s.FindProfile(scenario.TrustedProfileTarget{ID: c.Subject})
		if p == nil || !slices.Contains(p.LinkedInstances, scenario.DefaultInstanceID) {
			t.Fatalf("token for %q, which is not a profile linked to the instance", c.Subject)
		}
		if tp := want.TrustedProfile; tp != nil {
			switch {
			case tp.ID != nil && *tp.ID != p.ID, tp.ID == nil && tp.CRN != nil && *tp.CRN != p.CRN,
				tp.ID == nil && tp.CRN == nil && tp.Name != nil && *tp.Name != p.Name:
				t.Fatalf("token for %q; the body asked for %s", p.ID, body)
			}
		} else if p.ID != scenario.DefaultProfileID {
			t.Fatalf("token for %q; want the default profile", p.ID)
		}
	})
}

// FuzzCertificate sends POST …/certificates with a valid identity token and any query and
// body. A 201 gives [leaf, intermediate] that chain to the emulator's root, for the instance.
func FuzzCertificate(f *testing.F) {
	csr, _ := json.Marshal(fzCSR)
	f.Add(false, "version=2025-08-26", []byte(`{"csr": `+string(csr)+`}`))
	f.Add(true, "version=2025-04-22", []byte(`{"csr": `+string(csr)+`, "expires_in": 300}`))
	f.Add(false, "version=2025-08-26", []byte(`{"csr": `+string(csr)+`, "expires_in": 86401}`))
	f.Add(false, "version=2025-08-26", []byte(`{"csr": "", "expires_in": 3600}`))
	f.Add(false, "version=2025-08-26", []byte(`{}`))
	f.Add(false, "version=2025-08-26", []byte(`{"csr": "-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n"}`))
	f.Add(false, "version=2025-08-26", []byte(`{"csr": 1}`))
	fix := fzFixtureFor(f)
	f.Fuzz(func(t *testing.T, legacy bool, rawQuery string, body []byte) {
		path := "/identity/v1/certificates"
		if legacy {
			path = "/instance_identity/v1/certificates"
		}
		req := fzRequest(t, "POST", fzMD+path+"?"+rawQuery, string(body), "Authorization", "Bearer "+fix.tokens[fzIdentity])
		if req == nil {
			return
		}
		rec := fzServe(fix.emu, req)
		m := fzCheck(t, rec, false)
		if m == nil {
			return
		}
		if rec.Code != http.StatusCreated {
			t.Fatalf("status %d; want 201", rec.Code)
		}
		if !fzLoose(body, new(any)) {
			t.Fatalf("201 for a body that is not JSON: %q", body)
		}
		if v, ok := fzVersionOK(req.URL.Query(), fzMinIdentity); !ok || (legacy && !v.Before(fzPathChange)) {
			t.Fatalf("201 for version %q on %s", req.URL.Query().Get("version"), path)
		}
		var resp imds.CertificateResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Certificates) != 2 {
			t.Fatalf("answer got %s", rec.Body)
		}
		if resp.ExpiresIn < imds.MinCertExpiry || resp.ExpiresIn > imds.MaxCertExpiry {
			t.Fatalf("expires_in %d out of bounds", resp.ExpiresIn)
		}
		leaf := fixture.ParseCert(t, resp.Certificates[0])
		inter := x509.NewCertPool()
		inter.AddCert(fixture.ParseCert(t, resp.Certificates[1]))
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: fix.root, Intermediates: inter, CurrentTime: fixture.Time(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Fatalf("the leaf does not chain to the root: %v", err)
		}
		if leaf.Subject.CommonName != scenario.DefaultInstanceID {
			t.Fatalf("leaf CN got %q; want the instance ID", leaf.Subject.CommonName)
		}
	})
}

// fzVPCOps are the VPC API calls with a JSON body.
var fzVPCOps = []struct{ method, path string }{
	{"PATCH", "/v1/instances/" + scenario.DefaultInstanceID},
	{"POST", "/v1/instances"},
	{"POST", "/v1/instance/templates"},
	{"PATCH", "/v1/instance/templates/" + scenario.DefaultTemplateID},
	{"POST", "/v1/instances/" + scenario.DefaultInstanceID + "/actions"},
}

// FuzzVPCBody sends one of the VPC API's JSON bodies (PATCH and POST of instances and
// templates, instance actions) to a fresh emulator, authorised by the operator. After a 2xx
// the world must still be a scenario document that loads, and the instance's metadata must
// still be served; a template's metadata_service must not have changed.
func FuzzVPCBody(f *testing.F) {
	for _, s := range []struct {
		op   uint8
		body string
	}{
		{0, `{"name": "renamed"}`},
		{0, `{"metadata_service": {"enabled": false, "protocol": "https", "response_hop_limit": 64}}`},
		{0, `{"metadata_service": {"response_hop_limit": 65}}`},
		{0, `{"profile": {"name": "bx2-4x16"}}`},
		{0, `{"default_trusted_profile": {"auto_link": true}}`},
		{0, `{"name": "-a"}`},
		{1, `{"name": "vm-2", "zone": {"name": "us-south-2"}, "image": {"id": "` + scenario.DefaultImageID + `"}, "primary_network_interface": {"subnet": {"id": "` + scenario.DefaultSubnetID + `"}}, "metadata_service": {"enabled": true}}`},
		{1, `{"source_template": {"id": "` + scenario.DefaultTemplateID + `"}, "name": "from-template", "metadata_service": {"enabled": true, "protocol": "https"}}`},
		{1, `{"source_template": {"id": "` + scenario.DefaultTemplateID + `"}, "primary_network_attachment": {"virtual_network_interface": {"subnet": {"href": "https://x/v1/subnets/` + scenario.DefaultSubnetID + `?x=1"}, "primary_ip": {"address": "10.240.64.200"}}}}`},
		{1, `{"source_template": {"id": "` + scenario.DefaultTemplateID + `"}, "default_trusted_profile": {"target": {"crn": "x"}}, "keys": [{"fingerprint": "x"}]}`},
		{1, `{"zone": {"name": "us-south-1"}, "image": {"id": "x"}}`},
		{2, `{"name": "tpl-2", "zone": {"name": "us-south-2"}, "image": {"id": "` + scenario.DefaultImageID + `"}, "primary_network_interface": {"subnet": {"id": "` + scenario.DefaultSubnetID + `"}}}`},
		{2, `{"source_template": {"id": "` + scenario.DefaultTemplateID + `"}, "boot_volume_attachment": {}}`},
		{3, `{"name": "tpl-renamed"}`},
		{3, `{"metadata_service": {"enabled": true}}`},
		{3, `{"name": null}`},
		{4, `{"type": "stop"}`},
		{4, `{"type": "start", "force": true}`},
		{4, `{"type": "shutdown"}`},
	} {
		f.Add(s.op, []byte(s.body))
	}
	fix := fzFixtureFor(f)
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		call := fzVPCOps[int(op)%len(fzVPCOps)]
		e := fzNewEmu(t, nil)
		before := e.Scenario()
		req := fzRequest(t, call.method, fzVPC+call.path+"?version=2025-05-13&generation=2", string(body), "Authorization", "Bearer "+fix.tokens[fzUser])
		if fzCheck(t, fzServe(e, req), false) == nil {
			return
		}
		if !fzLoose(body, new(any)) {
			t.Fatalf("2xx for a body that is not JSON: %q", body)
		}
		// The world is still a document that loads, and its first instance is still served.
		doc := fzServe(e, fzRequest(t, "GET", fzVPC+"/_emulator/scenario", ""))
		if doc.Code != 200 {
			t.Fatalf("scenario after %s %s: %d %s", call.method, call.path, doc.Code, doc.Body)
		}
		if _, err := scenario.Load(bytes.NewReader(doc.Body.Bytes())); err != nil {
			t.Fatalf("the world after %s %s does not load: %v", call.method, call.path, err)
		}
		after := e.Scenario()
		if call.path == fzVPCOps[3].path && after.Template(scenario.DefaultTemplateID).MetadataService != before.Template(scenario.DefaultTemplateID).MetadataService {
			t.Fatalf("a template's metadata_service changed: %s", body)
		}
		in := after.Instance(scenario.DefaultInstanceID)
		read := fzRequest(t, "GET", fzMD+"/metadata/v1/instance?version=2025-08-26", "", "Authorization", "Bearer "+fix.tokens[fzIdentity])
		if in.MetadataService.Protocol == "https" {
			read.TLS = &tls.ConnectionState{HandshakeComplete: true}
		}
		rec := fzServe(e, read)
		fzCheck(t, rec, false)
		if want := map[bool]int{true: 200, false: 403}[in.MetadataService.Enabled]; rec.Code != want {
			t.Fatalf("metadata read after %s: %d; want %d: %s", body, rec.Code, want, rec.Body)
		}
	})
}

// fzBearerTargets are the calls that need a bearer token, and the kinds of token each
// accepts.
var fzBearerTargets = []struct {
	method, url, body string
	valid             []fzTokenKind
}{
	{"GET", fzMD + "/metadata/v1/instance?version=2025-08-26", "", []fzTokenKind{fzIdentity}},
	{"POST", fzMD + "/identity/v1/iam_tokens?version=2025-08-26", "", []fzTokenKind{fzIdentity}},
	{"POST", fzMD + "/instance_identity/v1/certificates?version=2025-04-22", `{"csr": ` + strconv.Quote(fzCSR) + `}`, []fzTokenKind{fzIdentity}},
	{"GET", fzVPC + "/v1/instances/" + scenario.DefaultInstanceID + "?version=2025-05-13&generation=2", "", []fzTokenKind{fzProfile, fzUser}},
	// IAM's cr-token grant: the token travels in the form, not in a header.
	{"POST", fzIAM + "/identity/token", "", []fzTokenKind{fzIdentity}},
}

// FuzzBearer sends any Authorization header, or a token made by editing one of the fixture's
// tokens (delete del%8 bytes at pos and insert ins; "{tok}" in auth stands for the result), to
// every call that needs a token. An answer is either 401 or, only for an unaltered token of a
// kind the call accepts, 2xx: never 2xx for a token the emulator did not sign.
func FuzzBearer(f *testing.F) {
	for target := range uint8(len(fzBearerTargets)) {
		for kind := range uint8(fzKinds) {
			f.Add(target, "Bearer {tok}", kind, uint16(0), uint8(0), "")
		}
		f.Add(target, "bearer  {tok} ", uint8(fzIdentity), uint16(0), uint8(0), "")
		f.Add(target, "Bearer {tok}", uint8(fzIdentity), uint16(65535), uint8(1), "B")
		f.Add(target, "Bearer {tok}", uint8(fzUser), uint16(65535), uint8(0), "=")
		f.Add(target, "Bearer {tok}", uint8(fzProfile), uint16(10), uint8(3), "")
		f.Add(target, "Basic {tok}", uint8(fzIdentity), uint16(0), uint8(0), "")
		f.Add(target, "Bearer eyJhbGciOiJub25lIn0.e30.", uint8(0), uint16(0), uint8(0), "")
		f.Add(target, "", uint8(0), uint16(0), uint8(0), "")
	}
	fix := fzFixtureFor(f)
	f.Fuzz(func(t *testing.T, target uint8, auth string, kind uint8, pos uint16, del uint8, ins string) {
		tt := fzBearerTargets[int(target)%len(fzBearerTargets)]
		base := fix.tokens[int(kind)%int(fzKinds)]
		tok := base
		if pos > 0 {
			at := int(pos) % (len(tok) + 1)
			end := min(at+int(del%8), len(tok))
			tok = tok[:at] + ins + tok[end:]
		}
		auth = strings.ReplaceAll(auth, "{tok}", tok)
		var req *http.Request
		presented := tok
		if strings.HasSuffix(tt.url, "/identity/token") {
			form := url.Values{"grant_type": {imds.GrantCRToken}, "cr_token": {tok}}
			req = fzRequest(t, tt.method, tt.url, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = fzRequest(t, tt.method, tt.url, tt.body)
			if auth != "" {
				req.Header["Authorization"] = []string{auth}
			}
			presented = ""
			if fields := strings.Fields(auth); len(fields) == 2 && strings.EqualFold(fields[0], "Bearer") {
				presented = fields[1]
			}
		}
		rec := fzServe(fix.emu, req)
		fzCheck(t, rec, strings.HasPrefix(tt.url, fzIAM))
		if rec.Code/100 == 2 {
			for _, k := range tt.valid {
				if presented == fix.tokens[k] {
					return
				}
			}
			t.Fatalf("%s %s answered %d to a token the emulator did not sign for it: %q", tt.method, tt.url, rec.Code, auth)
		}
		want := map[bool]int{true: 400, false: 401}[strings.HasPrefix(tt.url, fzIAM)]
		if strings.TrimSpace(auth) == "" && strings.HasPrefix(tt.url, "http://api.metadata") {
			want = 400 // no Authorization at all is missing_field on the metadata host
		}
		if rec.Code != want {
			t.Fatalf("%s %s answered %d to %q; want %d: %s", tt.method, tt.url, rec.Code, auth, want, rec.Body)
		}
	})
}

// fzQueryTargets are calls whose only input here is the query string.
var fzQueryTargets = []struct {
	method, path, body string
	min                time.Time
	legacy             bool // an /instance_identity path, gone from 2025-08-26
}{
	{"PUT", fzMD + "/identity/v1/token", "", fzMinIdentity, false},
	{"PUT", fzMD + "/instance_identity/v1/token", "", fzMinIdentity, true},
	{"GET", fzMD + "/metadata/v1/instance", "", fzMinIdentity, false},
	{"GET", fzMD + "/metadata/v1/keys", "", fzMinIdentity, false},
	{"GET", fzVPC + "/v1/instances", "", fzMinVPC, false},
	{"GET", fzVPC + "/v1/instance/templates", "", fzMinVPC, false},
}

// FuzzQuery sends any query string (version, generation, limit, start, …) to calls that read
// one. A 2xx needs a version the rules allow and, on the VPC API, generation 2 if given and a
// limit of 1…100 if given, which bounds the page.
func FuzzQuery(f *testing.F) {
	for target := range uint8(len(fzQueryTargets)) {
		for _, q := range []string{
			"version=2025-08-26", "version=2025-08-25", "version=2022-02-28", "version=2026-03-12", "version=2026-03-13",
			"", "version=", "version=2025-02-30", "version=+2025-08-26", "version=2025-08-26T00:00:00Z", "version=%32025-08-26",
			"version=2025-05-13&generation=2&limit=1", "version=2025-05-13&generation=1", "version=2025-05-13&limit=0",
			"version=2025-05-13&limit=101", "version=2025-05-13&limit=+5", "version=2025-05-13&limit=1&start=nope",
			"version=2025-05-13;generation=2", "version=2018-12-31",
		} {
			f.Add(target, q)
		}
	}
	fix := fzFixtureFor(f)
	f.Fuzz(func(t *testing.T, target uint8, rawQuery string) {
		tt := fzQueryTargets[int(target)%len(fzQueryTargets)]
		req := fzRequest(t, tt.method, tt.path+"?"+rawQuery, tt.body)
		if req == nil {
			return
		}
		switch {
		case strings.HasPrefix(tt.path, fzVPC):
			req.Header.Set("Authorization", "Bearer "+fix.tokens[fzUser])
		case tt.method == "PUT":
			req.Header.Set("Metadata-Flavor", "ibm")
		default:
			req.Header.Set("Authorization", "Bearer "+fix.tokens[fzIdentity])
		}
		m := fzCheck(t, fzServe(fix.emu, req), false)
		if m == nil {
			return
		}
		q := req.URL.Query()
		v, ok := fzVersionOK(q, tt.min)
		if !ok || (tt.legacy && !v.Before(fzPathChange)) {
			t.Fatalf("2xx for version %q on %s", q.Get("version"), tt.path)
		}
		if !strings.HasPrefix(tt.path, fzVPC) {
			return
		}
		if q.Has("generation") && q.Get("generation") != "2" {
			t.Fatalf("2xx for generation %q", q.Get("generation"))
		}
		if q.Has("limit") {
			n, err := strconv.Atoi(q.Get("limit"))
			if err != nil || n < 1 || n > 100 || strconv.Itoa(n) != q.Get("limit") {
				t.Fatalf("2xx for limit %q", q.Get("limit"))
			}
			for _, list := range []string{"instances", "templates"} {
				if items, ok := m[list].([]any); ok && len(items) > n {
					t.Fatalf("%d %s for limit %d", len(items), list, n)
				}
			}
		}
	})
}

// FuzzIAMTokenForm sends any form to IAM's POST /identity/token. Only the operator's API key
// and a valid cr_token may be answered 200, with an IAM token that verifies.
func FuzzIAMTokenForm(f *testing.F) {
	f.Add("grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=" + scenario.OperatorAPIKey)
	f.Add("grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=wrong")
	f.Add("grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Acr-token&cr_token=x&profile_id=" + scenario.LinkedProfileID)
	f.Add("grant_type=password&username=a&password=b")
	f.Add("grant_type=%zz")
	f.Add("")
	fix := fzFixtureFor(f)
	f.Fuzz(func(t *testing.T, form string) {
		req := fzRequest(t, "POST", fzIAM+"/identity/token", form, "Content-Type", "application/x-www-form-urlencoded")
		m := fzCheck(t, fzServe(fix.emu, req), true)
		if m == nil {
			return
		}
		values, _ := url.ParseQuery(form)
		switch values.Get("grant_type") {
		case imds.GrantAPIKey:
			if values.Get("apikey") != scenario.OperatorAPIKey {
				t.Fatalf("200 for API key %q", values.Get("apikey"))
			}
		case imds.GrantCRToken:
			if values.Get("cr_token") != fix.tokens[fzIdentity] {
				t.Fatalf("200 for cr_token %q", values.Get("cr_token"))
			}
		default:
			t.Fatalf("200 for grant type %q", values.Get("grant_type"))
		}
		if _, err := fix.emu.VerifyIAMToken(m["access_token"].(string)); err != nil {
			t.Fatalf("the IAM token does not verify: %v", err)
		}
	})
}
