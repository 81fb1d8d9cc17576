package curl

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/netsim"
	"github.com/imdsplay/imdsplay/shell/internal/tooltest"
)

// TestRecorded runs curl beside recordings of Debian bookworm's curl (7.88) against a
// loopback server, for what loopback can show: answers, --fail, -i, -D, -o, -w, redirects, a
// refused connection and the command-line errors. The emulator's own network cannot serve the
// real curl, so the builtin talks to the same server through a plain http.Transport. Where
// curl 7.88 and 8.5 (the version imitated) differ, the case holds 8.5's answer. A timeout
// cannot be reproduced on loopback without waiting (a connection is accepted at once), so it is
// left to the emulator's own tests. See package tooltest; re-record with go test -update.
func TestRecorded(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("no loopback listener under js/wasm")
	}
	srv := httptest.NewServer(http.HandlerFunc(serve))
	defer srv.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + closed.Addr().String()
	closed.Close()
	subst := strings.NewReplacer("$URL", srv.URL, "$REFUSED", refused)
	withURLs := func(c tooltest.Case) tooltest.Case {
		c.Args = append([]string(nil), c.Args...)
		for i, a := range c.Args {
			c.Args[i] = subst.Replace(a)
		}
		return c
	}
	ports := regexp.MustCompile(`port \d+ after \d+ ms`)
	unsubst := strings.NewReplacer(srv.URL, "$URL", refused, "$REFUSED", srv.Listener.Addr().String(), "$ADDR")
	normalize := func(_ tooltest.Case, r tooltest.Result) tooltest.Result {
		for _, s := range []*string{&r.Stdout, &r.Stderr} {
			*s = ports.ReplaceAllString(unsubst.Replace(*s), "port $$PORT after N ms")
		}
		return r
	}
	client := &Client{Transport: loopback{}, Now: time.Now, Addr: func(string) string { return "127.0.0.1" }}
	tooltest.Suite{
		Run: func(t *testing.T, c tooltest.Case) tooltest.Result {
			return tooltest.Builtin(client.Run, withURLs(c), time.Now)
		},
		Real: func(c tooltest.Case, dir string) (tooltest.Result, error) {
			return tooltest.RunReal(withURLs(c), dir)
		},
		Normalize: normalize,
	}.Check(t, curlCases)
}

// serve is the loopback server: every header is set by the handler, so that both curls see
// them in the order Go writes a header map (sorted), and Date is fixed.
func serve(w http.ResponseWriter, r *http.Request) {
	reply := func(code int, ctype, body string, extra ...string) {
		h := w.Header()
		h.Set("Date", "Tue, 01 Sep 2026 10:00:00 GMT")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if ctype != "" {
			h.Set("Content-Type", ctype)
		}
		for i := 0; i+1 < len(extra); i += 2 {
			h.Set(extra[i], extra[i+1])
		}
		w.WriteHeader(code)
		if r.Method != http.MethodHead {
			io.WriteString(w, body)
		}
	}
	switch r.URL.Path {
	case "/json":
		reply(200, "application/json", `{"ok":true}`+"\n")
	case "/missing":
		reply(404, "application/json", `{"errors":[{"code":"not_found"}]}`+"\n")
	case "/redirect":
		reply(302, "", "", "Location", "/json")
	case "/echo":
		body, _ := io.ReadAll(r.Body)
		reply(200, "text/plain", r.Method+" "+r.URL.RequestURI()+"\nContent-Type: "+r.Header.Get("Content-Type")+
			"\nAccept: "+r.Header.Get("Accept")+"\nX-Test: "+r.Header.Get("X-Test")+"\nUser-Agent: "+
			strings.Split(r.Header.Get("User-Agent"), "/")[0]+"\n\n"+string(body)+"\n")
	default:
		reply(500, "text/plain", "unexpected path\n")
	}
}

// loopback is a real transport whose refused connection reads as the emulator's.
type loopback struct{}

func (loopback) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := (&http.Transport{DisableKeepAlives: true}).RoundTrip(r)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil, netsim.ErrConnRefused
	}
	return resp, err
}

func curl(args ...string) []string { return append([]string{"curl"}, args...) }

var curlCases = []tooltest.Case{
	{Name: "ok/get", Args: curl("-s", "$URL/json")},
	{Name: "ok/include", Args: curl("-si", "$URL/json")},
	{Name: "ok/head", Args: curl("-sI", "$URL/json")},
	{Name: "ok/write-out-code", Args: curl("-s", "-o", "out.json", "-w", `%{http_code} %{content_type} %{size_download}\n`, "$URL/json")},
	{Name: "ok/write-out-header", Args: curl("-s", "-o", "/dev/null", "-w", `%header{content-type}|%{method}|%{num_redirects}|%{exitcode}\n`, "$URL/json")},
	{Name: "ok/write-out-stderr", Args: curl("-s", "-o", "/dev/null", "-w", `%{stderr}%{http_code}%{stdout}done\n`, "$URL/json")},
	{Name: "ok/dump-header-to-stdout", Args: curl("-s", "-D", "-", "-o", "/dev/null", "$URL/json")},
	{Name: "ok/not-found-without-fail", Args: curl("-s", "$URL/missing")},
	{Name: "fail/not-found-with-fail", Args: curl("-sf", "$URL/missing")},
	{Name: "fail/not-found-with-fail-show-error", Args: curl("-sSf", "$URL/missing")},
	{Name: "fail/not-found-with-fail-with-body", Args: curl("-s", "--fail-with-body", "$URL/missing")},
	{Name: "fail/fail-write-out", Args: curl("-sf", "-w", `%{http_code} %{exitcode} %{errormsg}\n`, "$URL/missing")},
	{Name: "ok/redirect-not-followed", Args: curl("-s", "-w", `%{http_code} %{redirect_url}\n`, "$URL/redirect")},
	{Name: "ok/redirect-followed", Args: curl("-sL", "-w", `%{num_redirects} %{url_effective}\n`, "$URL/redirect")},
	{Name: "ok/post-data", Args: curl("-s", "-d", "a=1", "-d", "b=2", "$URL/echo")},
	{Name: "ok/post-data-file", Args: curl("-s", "-d", "@body.txt", "$URL/echo"), Files: map[string]string{"body.txt": "line1\nline2\n"}},
	{Name: "ok/put-json-header", Args: curl("-s", "-X", "PUT", "-H", "Content-Type: application/json", "-H", "X-Test: yes", "-d", `{"expires_in": 3600}`, "$URL/echo")},
	{Name: "ok/json-option", Args: curl("-s", "--json", `{"a":1}`, "$URL/echo")},
	{Name: "ok/get-with-data", Args: curl("-s", "-G", "-d", "version=2025-08-26", "$URL/echo")},
	{Name: "ok/urlencode", Args: curl("-s", "--data-urlencode", "q=a b&c", "$URL/echo")},
	{Name: "ok/remove-header", Args: curl("-s", "-H", "Accept:", "-H", "User-Agent: probe", "$URL/echo")},
	{Name: "fail/refused", Args: curl("$REFUSED/json"),
		Differs: "the meter is written as a terminal shows it in the end, without curl's \\r updates",
		Want: tooltest.Result{Stderr: "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n" +
			"                                 Dload  Upload   Total   Spent    Left  Speed\n" +
			"  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0\n" +
			"curl: (7) Failed to connect to 127.0.0.1 port $PORT after N ms: Couldn't connect to server\n", Status: 7}},
	{Name: "fail/refused-silent", Args: curl("-s", "$REFUSED/json")},
	{Name: "fail/refused-show-error", Args: curl("-sS", "$REFUSED/json")},
	{Name: "fail/refused-write-out", Args: curl("-s", "-w", `%{http_code} %{exitcode}\n`, "$REFUSED/json")},
	{Name: "fail/output-to-missing-directory", Args: curl("-s", "-o", "nope/out", "$URL/json")},
	{Name: "fail/output-to-missing-directory-show-error", Args: curl("-sS", "-o", "nope/out", "$URL/json")},
	{Name: "fail/no-url", Args: curl("-s")},
	{Name: "fail/bad-url", Args: curl("-sS", "http://")},
	{Name: "fail/unknown-option", Args: curl("--bogus", "$URL/json")},
	{Name: "fail/unknown-short-option", Args: curl("-sW", "$URL/json")},
	{Name: "fail/missing-parameter", Args: curl("$URL/json", "-H")},
	{Name: "fail/no-equals-form", Args: curl("--max-time=5", "$URL/json")},
	{Name: "fail/bad-number", Args: curl("-m", "abc", "$URL/json")},
	{Name: "fail/negated-value-option", Args: curl("--no-data", "x", "$URL/json")},
	{Name: "fail/unsupported-protocol", Args: curl("-sS", "ftp://example.com/"),
		Version: "curl 7.88 adds 'or disabled in libcurl'; 8.5 does not",
		Want:    tooltest.Result{Stderr: "curl: (1) Protocol \"ftp\" not supported\n", Status: 1}},
}
