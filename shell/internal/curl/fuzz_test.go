package curl

// FuzzCurlArgs feeds curl arbitrary command lines. The seed corpus lives in
// testdata/fuzz/FuzzCurlArgs/ and replays in every `go test`; fuzz it with
//
//	go test -run '^$' -fuzz '^FuzzCurlArgs$' -fuzztime 60s ./shell/internal/curl/

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/shell/internal/builtin"
	"github.com/imdsplay/imdsplay/shell/internal/memfs"
	"github.com/imdsplay/imdsplay/shell/internal/netsim"
)

// exitCodes are the exit statuses curl documents that this curl can produce (curl(1), EXIT
// CODES): none other may come out of any command line.
var exitCodes = []int{exitOK, exitUnsupported, exitUsage, exitBadURL, exitNoHost, exitConnect,
	exitHTTPError, exitWrite, exitTimeout, exitRedirects, exitCACert}

// fuzzNet answers by host name, so that a fuzzed URL can reach every outcome curl tells apart.
type fuzzNet struct{}

func (fuzzNet) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
	}
	resp := func(code int, h http.Header, body string) (*http.Response, error) {
		if h == nil {
			h = http.Header{}
		}
		h.Set("Content-Type", "application/json")
		return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	}
	switch r.URL.Hostname() {
	case "ok.test", "169.254.169.254":
		return resp(200, nil, `{"ok":true}`)
	case "loop.test":
		return resp(302, http.Header{"Location": {"/again"}}, "")
	case "away.test":
		return resp(301, http.Header{"Location": {"http://ok.test/moved"}}, "")
	case "missing.test":
		return resp(404, nil, `{"errors":[{"code":"not_found"}]}`)
	case "refused.test":
		return nil, netsim.ErrConnRefused
	case "slow.test":
		return nil, netsim.ErrNoAnswer
	}
	return nil, &net.DNSError{Err: "no such host", Name: r.URL.Hostname(), IsNotFound: true}
}

// curlSeeds are command lines from the documentation and around curl's edges.
var curlSeeds = [][]string{
	{"-X", "PUT", "http://169.254.169.254/instance_identity/v1/token?version=2025-04-22", "-H", "Metadata-Flavor: ibm", "-d", `{"expires_in": 3600}`},
	{"-s", "-f", "-H", "Authorization: Bearer x", "http://ok.test/metadata/v1/instance?version=2025-04-22"},
	{"-sSL", "-o", "out.json", "-w", "%{http_code} %{size_download}\n", "http://away.test/"},
	{"-L", "--max-redirs", "3", "http://loop.test/"},
	{"-L", "--max-redirs", "-1", "http://loop.test/"},
	{"-m", "1e300", "--connect-timeout", "9e9", "http://slow.test/"},
	{"-i", "-v", "https://ok.test/"},
	{"--fail-with-body", "http://missing.test/x"},
	{"-m", "5", "http://slow.test/"},
	{"--connect-timeout", "2.5", "http://refused.test:8080/"},
	{"-G", "--data-urlencode", "a=b c", "-d", "@data.json", "ok.test"},
	{"--json", `{"a":1}`, "http://ok.test/"},
	{"-D", "-", "-I", "http://ok.test/"},
	{"-O", "http://ok.test/"},
	{"--cacert", "missing.pem", "https://ok.test/"},
	{"ftp://ok.test/"},
	{"http://ok.test:99999/"},
	{"-w", "%{stderr}%{exitcode} %header{content-type} %{nope}", "http://nowhere.test/"},
	{"--no-verbose", "--no-such-option"},
	{"-H"},
	{"-Z"},
	{"--max-time", "NaN", "http://ok.test/"},
	{},
}

func FuzzCurlArgs(f *testing.F) {
	for _, args := range curlSeeds {
		f.Add(strings.Join(args, "\x00"))
	}
	f.Fuzz(func(t *testing.T, line string) {
		var args []string
		if line != "" {
			args = strings.Split(line, "\x00")
		}
		if len(args) > 64 {
			args = args[:64]
		}
		// The parser alone: a command line it refuses is a usage error that names the option.
		o, perr := parse(args)
		if perr != nil {
			msg := perr.Error()
			if _, ok := perr.(usageError); !ok || !strings.HasPrefix(msg, "option -") {
				t.Fatalf("parse(%q): %T %q; want a usageError naming the option", args, perr, msg)
			}
		}

		start := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
		clock := vclock.Fixed(start)
		fs := memfs.New(clock.Now)
		fs.MkdirAll("/root", 0o755)
		fs.WriteFile("/root/data.json", []byte(`{"a":"b"}`+"\n"), 0o644)
		var stdout, stderr bytes.Buffer
		c := &Client{
			Transport: &netsim.Transport{Base: fuzzNet{}, Now: clock.Now, Advance: clock.Advance},
			Now:       clock.Now,
			Addr:      func(string) string { return "192.0.2.1" },
		}
		// A chain of redirects without end (-L --max-redirs -1 to loop.test) ends only when
		// the command is cancelled, with the shell's status for that. Other command lines get
		// time enough for wasm on a busy machine (200ms was missed by a plain GET there).
		endless := o != nil && o.follow && o.maxRedirs == -1
		wait := 30 * time.Second
		if endless {
			wait = 200 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		e := &builtin.Env{
			Ctx: ctx, Args: append([]string{"curl"}, args...),
			Stdin: strings.NewReader("from stdin"), Stdout: &stdout, Stderr: &stderr,
			Dir: "/root", FS: fs, Getenv: func(string) string { return "" },
		}
		code := c.Run(e)
		if code == 130 && ctx.Err() != nil && endless {
			return
		}
		if !slices.Contains(exitCodes, code) {
			t.Fatalf("curl %q: exit %d, not one of curl's\nstderr: %s", args, code, stderr.String())
		}
		if clock.Now().Before(start) || strings.Contains(stderr.String(), " after -") {
			t.Fatalf("curl %q: the virtual clock went back to %v\nstderr: %s", args, clock.Now(), stderr.String())
		}
		if perr != nil {
			// curl: option -Z: is unknown
			// curl: try 'curl --help' or 'curl --manual' for more information
			want := "curl: " + perr.Error() + "\ncurl: try 'curl --help' or 'curl --manual' for more information\n"
			if code != exitUsage || stderr.String() != want {
				t.Fatalf("curl %q: exit %d, stderr %q; want %d and %q", args, code, stderr.String(), exitUsage, want)
			}
		}
		if code == exitUsage && !strings.HasSuffix(stderr.String(), "curl: try 'curl --help' or 'curl --manual' for more information\n") {
			t.Fatalf("curl %q: usage error without curl's hint: %q", args, stderr.String())
		}
		if perr == nil && len(o.urls) == 1 && code != exitOK && code != exitWrite && strings.Contains(stderr.String(), "curl: (") {
			// The message of a failed transfer carries the exit code curl ends with.
			if !strings.Contains(stderr.String(), "curl: ("+strconv.Itoa(code)+") ") {
				t.Fatalf("curl %q: exit %d but stderr says %q", args, code, stderr.String())
			}
		}
	})
}
