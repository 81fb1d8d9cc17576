package shell_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/shell"
)

func TestCurl(t *testing.T) {
	dns := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: imds.ErrConnRefused}
	noAnswer := &net.OpError{Op: "dial", Net: "tcp", Err: imds.ErrNoAnswer}
	cases := []struct {
		name    string
		net     *fakeNet
		script  string
		status  int
		stdout  string
		stderr  string                // substring ("" means empty)
		req     func(*fakeNet) string // returns a problem with the request, or ""
		advance time.Duration         // virtual time the command must take
	}{
		{name: "ok/get", net: &fakeNet{status: 200, body: `{"a":1}`}, script: `curl http://api.metadata.cloud.ibm.com/x`, stdout: `{"a":1}`,
			req: func(f *fakeNet) string {
				if f.last.Method != "GET" || f.last.Header.Get("User-Agent") != "curl/8.5.0" || f.last.Header.Get("Accept") != "*/*" {
					return "want GET with curl's default headers, got " + f.last.Method + " " + f.last.Header.Get("User-Agent")
				}
				return ""
			}},
		{name: "ok/d-implies-post-urlencoded", net: &fakeNet{status: 200}, script: `curl -s -d '{"x":1}' http://h.cloud.ibm.com/`,
			req: func(f *fakeNet) string {
				if f.last.Method != "POST" || f.last.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || f.body0 != `{"x":1}` || f.last.ContentLength != 7 {
					return "got " + f.last.Method + " " + f.last.Header.Get("Content-Type") + " " + f.body0
				}
				return ""
			}},
		{name: "ok/X-overrides-method", net: &fakeNet{status: 200}, script: `curl -s -X PUT -d '{}' -H "Metadata-Flavor: ibm" http://h/`,
			req: func(f *fakeNet) string {
				if f.last.Method != "PUT" || f.last.Header.Get("Metadata-Flavor") != "ibm" {
					return "got " + f.last.Method
				}
				return ""
			}},
		{name: "ok/header-overrides-and-removal", net: &fakeNet{status: 200}, script: `curl -s -d x -H 'Content-Type: application/json' -H 'Accept:' -H 'X-Empty;' http://h/`,
			req: func(f *fakeNet) string {
				if f.last.Header.Get("Content-Type") != "application/json" || f.last.Header["Accept"] != nil || f.last.Header["X-Empty"] == nil {
					return "headers: " + strings.Join(headerNames(f.last.Header), ",")
				}
				return ""
			}},
		{name: "ok/data-joined-and-files", net: &fakeNet{status: 200}, script: "printf 'a\\nb\\n' > f; curl -s -d @f -d c http://h/; curl -s --data-binary @f http://h/",
			req: func(f *fakeNet) string {
				if f.body0 != "a\nb\n" {
					return "--data-binary kept " + f.body0
				}
				return ""
			}},
		{name: "ok/data-file-newlines-stripped", net: &fakeNet{status: 200}, script: "printf 'a\\r\\nb\\n' > f; curl -s -d @f -d c http://h/",
			req: func(f *fakeNet) string {
				if f.body0 != "ab&c" {
					return "-d @f -d c sent " + f.body0
				}
				return ""
			}},
		{name: "ok/data-missing-file-warns", net: &fakeNet{status: 200}, script: `curl -s -d @nope http://h/`,
			stderr: `Warning: Couldn't read data from file "nope", this makes an empty POST.`},
		{name: "ok/data-raw-keeps-at", net: &fakeNet{status: 200}, script: `curl -s --data-raw @x http://h/`,
			req: func(f *fakeNet) string {
				if f.body0 != "@x" {
					return f.body0
				}
				return ""
			}},
		{name: "ok/G-moves-data-to-query", net: &fakeNet{status: 200}, script: `curl -s -G -d a=1 -d b=2 'http://h/p?v=1'`,
			req: func(f *fakeNet) string {
				if f.last.Method != "GET" || f.last.URL.RawQuery != "v=1&a=1&b=2" {
					return f.last.Method + " " + f.last.URL.RawQuery
				}
				return ""
			}},
		{name: "ok/no-scheme-means-http", net: &fakeNet{status: 200}, script: `curl -s api.metadata.cloud.ibm.com/metadata`,
			req: func(f *fakeNet) string {
				if f.last.URL.String() != "http://api.metadata.cloud.ibm.com/metadata" {
					return f.last.URL.String()
				}
				return ""
			}},
		{name: "ok/basic-auth", net: &fakeNet{status: 200}, script: `curl -s -u u:p http://h/`,
			req: func(f *fakeNet) string {
				if u, p, ok := f.last.BasicAuth(); !ok || u != "u" || p != "p" {
					return "no basic auth"
				}
				return ""
			}},
		{name: "ok/json-flag", net: &fakeNet{status: 200}, script: `curl -s --json '{"a":1}' http://h/`,
			req: func(f *fakeNet) string {
				if f.last.Method != "POST" || f.last.Header.Get("Content-Type") != "application/json" || f.last.Header.Get("Accept") != "application/json" {
					return f.last.Method + " " + f.last.Header.Get("Content-Type")
				}
				return ""
			}},
		{name: "ok/include-headers", net: &fakeNet{status: 201, body: "hi", header: http.Header{"X-Trace": {"t1"}}}, script: `curl -si http://h/`,
			stdout: "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nDate: Thu, 12 Mar 2026 12:34:56 GMT\r\nX-Trace: t1\r\n\r\nhi"},
		{name: "ok/head", net: &fakeNet{status: 200, body: ""}, script: `curl -sI http://h/`, stdout: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Thu, 12 Mar 2026 12:34:56 GMT\r\n\r\n",
			req: func(f *fakeNet) string {
				if f.last.Method != "HEAD" {
					return f.last.Method
				}
				return ""
			}},
		{name: "ok/write-out", net: &fakeNet{status: 404, body: "nf"}, script: `curl -s -o /dev/null -w '%{http_code} %{method} %{url_effective}\n' http://h/x`, stdout: "404 GET http://h/x\n"},
		{name: "ok/write-out-on-failure", net: &fakeNet{err: dns}, script: `curl -s -w '[%{http_code}] %{exitcode}' http://h/`, status: 6, stdout: "[000] 6"},
		{name: "ok/output-file", net: &fakeNet{status: 200, body: "data"}, script: `curl -s -o out.txt http://h/; cat out.txt`, stdout: "data"},
		{name: "ok/meter-when-piped", net: &fakeNet{status: 200, body: "abc"}, script: `curl http://h/ | cat`, stdout: "abc",
			stderr: "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n100     3  100     3    0     0"},
		{name: "ok/no-meter-to-terminal", net: &fakeNet{status: 200, body: "abc"}, script: `curl http://h/`, stdout: "abc"},
		{name: "ok/verbose", net: &fakeNet{status: 200, body: "{}"}, script: `curl -sv -X PUT -H 'Metadata-Flavor: ibm' http://api.metadata.cloud.ibm.com/t`, stdout: "{}",
			stderr: "*   Trying 169.254.169.254:80...\n* Connected to api.metadata.cloud.ibm.com (169.254.169.254) port 80\n> PUT /t HTTP/1.1\r\n> Host: api.metadata.cloud.ibm.com\r\n> User-Agent: curl/8.5.0\r\n> Accept: */*\r\n> Metadata-Flavor: ibm\r\n> \r\n< HTTP/1.1 200 OK\r\n"},
		{name: "ok/follow-redirect", net: &fakeNet{status: 302, header: http.Header{"Location": {"http://h/other"}}}, script: `curl -s -L --max-redirs 2 http://h/`, status: 47, stderr: ""},
		{name: "fail/http-error-with-fail", net: &fakeNet{status: 404, body: `{"errors":[]}`}, script: `curl --fail http://h/`, status: 22, stdout: "",
			stderr: "curl: (22) The requested URL returned error: 404\n"},
		{name: "fail/silent-fail-says-nothing", net: &fakeNet{status: 500}, script: `curl -sf http://h/`, status: 22},
		{name: "fail/sSf-shows-error", net: &fakeNet{status: 401}, script: `curl -sSf http://h/`, status: 22, stderr: "curl: (22) The requested URL returned error: 401"},
		{name: "fail/fail-with-body", net: &fakeNet{status: 400, body: "why"}, script: `curl -s --fail-with-body http://h/`, status: 22, stdout: "why"},
		{name: "ok/http-error-without-fail", net: &fakeNet{status: 401, body: "denied"}, script: `curl -s http://h/; echo " $?"`, stdout: "denied 0\n"},
		{name: "fail/could-not-resolve", net: &fakeNet{err: dns}, script: `curl -X PUT http://api.metadata.cloud.ibm.com/x`, status: 6,
			stderr: "curl: (6) Could not resolve host: api.metadata.cloud.ibm.com\n"},
		{name: "fail/could-not-resolve-silent", net: &fakeNet{err: dns}, script: `curl -s http://h/`, status: 6},
		{name: "fail/connection-refused", net: &fakeNet{err: refused}, script: `curl https://api.metadata.cloud.ibm.com/x`, status: 7,
			stderr: "curl: (7) Failed to connect to api.metadata.cloud.ibm.com port 443 after 0 ms: Couldn't connect to server\n"},
		{name: "fail/timeout-connect-timeout", net: &fakeNet{err: noAnswer}, script: `curl --connect-timeout 5 http://api.metadata.cloud.ibm.com/x`, status: 28,
			stderr: "curl: (28) Failed to connect to api.metadata.cloud.ibm.com port 80 after 5001 ms: Timeout was reached\n", advance: 5 * time.Second},
		{name: "fail/timeout-max-time", net: &fakeNet{err: noAnswer}, script: `curl -sS -m 2.5 http://h:8080/x`, status: 28,
			stderr: "curl: (28) Failed to connect to h port 8080 after 2501 ms: Timeout was reached\n", advance: 2500 * time.Millisecond},
		{name: "fail/timeout-default", net: &fakeNet{err: noAnswer}, script: `curl -sS http://h/x`, status: 28,
			stderr: "curl: (28) Failed to connect to h port 80 after 130001 ms: Couldn't connect to server\n", advance: 130 * time.Second},
		{name: "fail/malformed-url", net: &fakeNet{status: 200}, script: `curl "http://a b/"`, status: 3, stderr: "curl: (3) URL using bad/illegal format or missing URL\n"},
		{name: "fail/empty-host", net: &fakeNet{status: 200}, script: `curl "$unset/v1/instances"`, status: 3, stderr: "curl: (3) URL using bad/illegal format or missing URL\n"},
		{name: "fail/unsupported-protocol", net: &fakeNet{status: 200}, script: `curl ftp://h/`, status: 1, stderr: "curl: (1) Protocol \"ftp\" not supported\n"},
		{name: "fail/unknown-option", net: &fakeNet{status: 200}, script: `curl --bogus http://h/`, status: 2,
			stderr: "curl: option --bogus: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n"},
		{name: "fail/equals-form-is-unknown", net: &fakeNet{status: 200}, script: `curl --max-time=5 http://h/`, status: 2, stderr: "curl: option --max-time=5: is unknown"},
		{name: "fail/missing-parameter", net: &fakeNet{status: 200}, script: `curl http://h/ -H`, status: 2, stderr: "curl: option -H: requires parameter"},
		{name: "fail/no-url", net: &fakeNet{status: 200}, script: `curl -s`, status: 2, stderr: "curl: no URL specified!"},
		{name: "fail/cacert-missing", net: &fakeNet{status: 200}, script: `curl -s --cacert nope.pem https://h/`, status: 77},
		{name: "ok/cacert-present", net: &fakeNet{status: 200, body: "ok"}, script: `touch ca.pem; curl -s --cacert ca.pem https://h/`, stdout: "ok"},
		{name: "ok/last-failure-wins", net: &fakeNet{status: 200, body: "x"}, script: `curl -s http://h/ ftp://h/`, status: 1, stdout: "x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := vclock.Fixed(epoch)
			s := shell.New(shell.Config{Transport: c.net, Clock: clock})
			r := run(t, s, c.script)
			if r.status != c.status {
				t.Errorf("status %d; want %d\n%v", r.status, c.status, r)
			}
			if c.stdout != "" && r.stdout != c.stdout || c.stdout == "" && c.status == 0 && r.stdout != "" && c.req == nil && c.stderr == "" {
				t.Errorf("stdout %q; want %q", r.stdout, c.stdout)
			}
			switch {
			case c.stderr == "" && r.stderr != "":
				t.Errorf("stderr %q; want none", r.stderr)
			case !strings.Contains(r.stderr, c.stderr):
				t.Errorf("stderr %q; want %q", r.stderr, c.stderr)
			}
			if c.req != nil {
				if c.net.last == nil {
					t.Fatal("no request was sent")
				}
				if p := c.req(c.net); p != "" {
					t.Error(p)
				}
			}
			if got := clock.Offset(); got != c.advance && !(c.advance > 0 && got == c.advance+time.Millisecond) {
				t.Errorf("virtual clock moved %v; want %v", got, c.advance)
			}
		})
	}
}

func headerNames(h http.Header) []string {
	var out []string
	for k := range h {
		out = append(out, k)
	}
	return out
}

// TestHopLimitTimesOut runs against the emulator from a container two hops away from the
// metadata service, whose response hop limit is 1: the answer never arrives, curl gives up
// after its timeout, and the virtual clock (so token expiry) moves by exactly that.
func TestHopLimitTimesOut(t *testing.T) {
	w := newWorld(t)
	s := shell.New(shell.Config{Transport: w.emu.Transport(imds.Origin{Place: imds.OnInstance, Hops: 2}), Clock: w.clock})
	before := w.clock.Now()
	r := run(t, s, `curl -X PUT -m 10 "$vpc_metadata_api_endpoint/instance_identity/v1/token?version=2025-04-22" -H "Metadata-Flavor: ibm" -d '{}'`)
	if r.status != 28 || r.stderr != "curl: (28) Failed to connect to api.metadata.cloud.ibm.com port 80 after 10001 ms: Timeout was reached\n" {
		t.Errorf("%v", r)
	}
	if d := w.clock.Now().Sub(before); d != 10*time.Second {
		t.Errorf("clock moved %v; want 10s", d)
	}
	// Raising the hop limit from the workstation lets the answer through.
	if r := run(t, w.ws, `ibmcloud is instance-update my-virtual-server-2 --metadata-service-response-hop-limit 2 -q > /dev/null`); r.status != 0 {
		t.Fatal(r)
	}
	r = run(t, s, `curl -s -X PUT -m 10 "$vpc_metadata_api_endpoint/instance_identity/v1/token?version=2025-04-22" -H "Metadata-Flavor: ibm" -d '{}' | jq -r .expires_in`)
	if r.status != 0 || r.stdout != "300\n" {
		t.Errorf("after raising the hop limit: %v", r)
	}
}

// TestExchanges checks what the playground's network panel receives.
func TestExchanges(t *testing.T) {
	w := newWorld(t)
	run(t, w.inst, `curl -s -X PUT "$vpc_metadata_api_endpoint/instance_identity/v1/token?version=2025-04-22" -H "Metadata-Flavor: ibm" -d '{"expires_in": 60}' > /dev/null; curl -s http://nowhere.example/`)
	if len(w.exchanges) != 2 {
		t.Fatalf("%d exchanges", len(w.exchanges))
	}
	x := w.exchanges[0]
	if x.Method != "PUT" || x.Status != 200 || string(x.RequestBody) != `{"expires_in": 60}` || x.RequestHeader.Get("Metadata-Flavor") != "ibm" ||
		!strings.Contains(string(x.ResponseBody), "access_token") || x.Err != nil {
		t.Errorf("token exchange: %+v", x)
	}
	if x := w.exchanges[1]; x.Status != 0 || x.Err == nil {
		t.Errorf("failed exchange: %+v", x)
	}
}
