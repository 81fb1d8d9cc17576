// Package curl is the shell's curl: the command line of curl 8.5 (the version Ubuntu 24.04
// images ship) over the emulator's in-process network. It keeps what a learner sees from the real
// tool — the default method and headers (-d means POST with an urlencoded Content-Type), the
// progress meter on standard error when the body goes to a pipe, -i/-v/-w/-o/--fail output, and
// the exit codes and messages: 6 could not resolve host, 7 failed to connect, 28 timeout, 22
// --fail on an HTTP error, 3 malformed URL, 2 bad option.
package curl

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
	"github.com/imdsplay/imdsplay/shell/internal/netsim"
)

// Version is the curl release being imitated.
const Version = "8.5.0"

// Client runs curl command lines.
type Client struct {
	Transport http.RoundTripper // every request goes here; timeouts advance the virtual clock
	Now       func() time.Time  // the virtual clock
	// Addr returns the address a host resolves to, for -v and %{remote_ip} ("" if unknown).
	Addr func(host string) string
}

// Exit codes used by curl.
const (
	exitOK          = 0
	exitUnsupported = 1
	exitUsage       = 2
	exitBadURL      = 3
	exitNoHost      = 6
	exitConnect     = 7
	exitHTTPError   = 22
	exitWrite       = 23
	exitTimeout     = 28
	exitRedirects   = 47
	exitCACert      = 77
)

// transfer is the outcome of one URL.
type transfer struct {
	url      *url.URL
	method   string
	reqHdr   http.Header
	reqBody  []byte
	resp     *http.Response
	body     []byte
	code     int
	errMsg   string
	elapsed  time.Duration
	redirs   int
	headerSz int
}

// Run is the curl command.
func (c *Client) Run(e *builtin.Env) int {
	o, err := parse(e.Args[1:])
	if err != nil {
		fmt.Fprintf(e.Stderr, "curl: %v\n", err)
		fmt.Fprintln(e.Stderr, "curl: try 'curl --help' or 'curl --manual' for more information")
		return exitUsage
	}
	if o.help {
		fmt.Fprint(e.Stdout, helpText)
		return exitOK
	}
	if o.version {
		fmt.Fprintf(e.Stdout, "curl %s (x86_64-pc-linux-gnu) libcurl/%s OpenSSL/3.0.13 zlib/1.3\n", Version, Version)
		fmt.Fprintln(e.Stdout, "Release-Date: 2023-12-06")
		fmt.Fprintln(e.Stdout, "Protocols: http https")
		fmt.Fprintln(e.Stdout, "Features: alt-svc AsynchDNS HSTS HTTPS-proxy IPv6 Largefile libz NTLM SSL threadsafe TLS-SRP UnixSockets")
		return exitOK
	}
	if len(o.urls) == 0 {
		fmt.Fprintln(e.Stderr, "curl: no URL specified!")
		fmt.Fprintln(e.Stderr, "curl: try 'curl --help' or 'curl --manual' for more information")
		return exitUsage
	}
	body, ctype, warn := c.body(e, o)
	for _, w := range warn {
		fmt.Fprintln(e.Stderr, w)
	}
	if e.Fits(int64(len(body)), "curl's request body") != nil {
		return 130 // the run is stopped
	}
	status := exitOK
	for i, raw := range o.urls {
		if e.Cancelled() {
			return 130
		}
		var out string
		if i < len(o.output) {
			out = o.output[i]
		}
		if code := c.one(e, o, raw, body, ctype, out); code != exitOK {
			status = code
		}
	}
	return status
}

// body assembles the request body from the -d family, as curl does.
func (c *Client) body(e *builtin.Env, o *opts) (data []byte, ctype string, warnings []string) {
	var parts []string
	has := false
	for _, d := range o.data {
		has = true
		v := d.value
		switch d.kind {
		case dataASCII, dataBinary, dataJSON:
			if strings.HasPrefix(v, "@") {
				name := v[1:]
				b, err := e.ReadFile(name)
				if err != nil {
					warnings = append(warnings, fmt.Sprintf("Warning: Couldn't read data from file \"%s\", this makes an empty POST.", name))
					b = nil
				}
				if d.kind == dataASCII {
					b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
				}
				v = string(b)
			}
		case dataURLEncode:
			name, content, found := strings.Cut(v, "=")
			switch {
			case !found && strings.HasPrefix(v, "@"):
				b, _ := e.ReadFile(v[1:])
				v = url.QueryEscape(string(b))
			case !found:
				v = url.QueryEscape(v)
			case name == "":
				v = url.QueryEscape(content)
			default:
				v = name + "=" + url.QueryEscape(content)
			}
		}
		if d.kind == dataJSON {
			parts = append(parts, v)
			continue
		}
		parts = append(parts, v)
	}
	if !has {
		return nil, "", warnings
	}
	sep := "&"
	if o.jsonBody {
		sep = ""
		ctype = "application/json"
	} else {
		ctype = "application/x-www-form-urlencoded"
	}
	return []byte(strings.Join(parts, sep)), ctype, warnings
}

func (c *Client) fail(e *builtin.Env, o *opts, code int, msg string) int {
	if !o.silent || o.showErr {
		fmt.Fprintf(e.Stderr, "curl: (%d) %s\n", code, msg)
	}
	return code
}

// one runs the transfer of one URL and prints its results.
func (c *Client) one(e *builtin.Env, o *opts, raw string, body []byte, ctype, outName string) int {
	u, code, msg := parseURL(raw)
	if code != exitOK {
		c.meter(e, o, outName, nil, 0)
		return c.fail(e, o, code, msg)
	}
	if o.get && body != nil {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += string(body)
		body = nil
	}
	method := "GET"
	switch {
	case o.head:
		method = "HEAD"
	case body != nil:
		method = "POST"
	}
	if o.method != "" {
		method = o.method
	}
	if o.cacert != "" {
		if _, err := e.ReadFile(o.cacert); err != nil {
			c.meter(e, o, outName, nil, 0)
			return c.fail(e, o, exitCACert, "error setting certificate file: "+o.cacert)
		}
	}
	wait, userWait := netsim.DefaultWait, false
	if o.connTimeout > 0 {
		wait, userWait = o.connTimeout, true
	}
	if o.maxTime > 0 && (!userWait || o.maxTime < wait) {
		wait, userWait = o.maxTime, true
	}
	t := &transfer{url: u, method: method, reqBody: body}
	start, vstart := time.Now(), c.now()
	code, err := c.follow(e, o, t, ctype, wait, outName)
	if code >= 0 {
		return code
	}
	virtual := c.now().Sub(vstart)
	t.elapsed = time.Since(start) + virtual
	if err != nil {
		return c.transportError(e, o, t, outName, err, wait, userWait, virtual)
	}
	c.meter(e, o, outName, t, len(t.body))
	if o.fail > 0 && t.code >= 400 {
		t.errMsg = fmt.Sprintf("The requested URL returned error: %d", t.code)
		if o.fail == 2 {
			if code := c.deliver(e, o, t, outName); code != exitOK {
				return code
			}
		}
		return c.failTransfer(e, o, t, exitHTTPError)
	}
	if code := c.deliver(e, o, t, outName); code != exitOK {
		return code
	}
	if o.verbose {
		fmt.Fprintf(e.Stderr, "* Connection #0 to host %s left intact\n", u.Hostname())
	}
	c.writeOut(e, o, t, exitOK)
	return exitOK
}

// follow makes the transfer's requests, following redirects with -L. It returns an exit code
// (-1 when the transfer goes on to be reported) and the transport's error.
func (c *Client) follow(e *builtin.Env, o *opts, t *transfer, ctype string, wait time.Duration, outName string) (int, error) {
	for {
		if e.Cancelled() { // an endless chain of redirects with --max-redirs -1
			return 130, nil
		}
		err := c.roundTrip(e, o, t, ctype, wait)
		if err != nil || !o.follow || t.resp == nil {
			return -1, err
		}
		loc := t.resp.Header.Get("Location")
		if t.code < 300 || t.code > 399 || loc == "" {
			return -1, nil
		}
		if o.maxRedirs >= 0 && t.redirs >= o.maxRedirs {
			c.meter(e, o, outName, t, 0)
			return c.fail(e, o, exitRedirects, fmt.Sprintf("Maximum (%d) redirects followed", o.maxRedirs)), nil
		}
		next, perr := t.url.Parse(loc)
		if perr != nil {
			return -1, nil
		}
		if o.verbose {
			fmt.Fprintf(e.Stderr, "* Issue another request to this URL: '%s'\n", next)
		}
		c.writeHeaders(e, o, t, outName)
		t.redirs++
		t.url = next
		if (t.code == 303 || (t.code == 301 || t.code == 302) && t.method == "POST") && o.method == "" {
			t.method, t.reqBody, ctype = "GET", nil, ""
		}
	}
}

// transportError reports a transfer that got no answer: curl's message and exit code for an
// unknown host, a refused connection or a timeout.
func (c *Client) transportError(e *builtin.Env, o *opts, t *transfer, outName string, err error, wait time.Duration, userWait bool, virtual time.Duration) int {
	c.meter(e, o, outName, t, 0)
	host, port := t.url.Hostname(), portOf(t.url)
	code, msg := exitConnect, ""
	var te *netsim.TimeoutError
	switch netsim.Classify(err) {
	case netsim.NoHost:
		code, msg = exitNoHost, "Could not resolve host: "+host
	case netsim.Refused:
		// The time is virtual: the in-process network refuses at once, as a local port does.
		msg = fmt.Sprintf("Failed to connect to %s port %s after %d ms: Couldn't connect to server", host, port, virtual.Milliseconds())
	case netsim.Timeout:
		waited := wait
		if errors.As(err, &te) {
			waited = te.Waited
		}
		reason := "Couldn't connect to server"
		if userWait {
			reason = "Timeout was reached"
		}
		code, msg = exitTimeout, fmt.Sprintf("Failed to connect to %s port %s after %d ms: %s", host, port, waited.Milliseconds()+1, reason)
	case netsim.Cancelled:
		return 130
	default:
		msg = fmt.Sprintf("Failed to connect to %s port %s after %d ms: %v", host, port, virtual.Milliseconds(), err)
	}
	t.errMsg = msg
	return c.failTransfer(e, o, t, code)
}

// failTransfer ends a transfer that failed with code: -v's closing lines, curl's message and
// the -w output.
func (c *Client) failTransfer(e *builtin.Env, o *opts, t *transfer, code int) int {
	if o.verbose {
		fmt.Fprintf(e.Stderr, "* %s\n* Closing connection\n", t.errMsg)
	}
	status := c.fail(e, o, code, t.errMsg)
	c.writeOut(e, o, t, code)
	return status
}

// deliver writes headers (with -i) and the body to standard output or the -o file.
func (c *Client) deliver(e *builtin.Env, o *opts, t *transfer, outName string) int {
	var buf bytes.Buffer
	if o.include || o.head {
		buf.WriteString(headerBlock(t))
	}
	if !o.head {
		buf.Write(t.body)
	}
	if o.dumpHeader != "" {
		if err := e.WriteFile(o.dumpHeader, []byte(headerBlock(t)), 0o644); err != nil {
			return c.fail(e, o, exitWrite, "Failure writing output to destination")
		}
	}
	if outName == "" && o.remoteName {
		outName = path.Base(t.url.Path)
		if outName == "" || outName == "/" || outName == "." {
			fmt.Fprintln(e.Stderr, "curl: Remote file name has no length!")
			fmt.Fprintln(e.Stderr, "curl: try 'curl --help' or 'curl --manual' for more information")
			return exitWrite
		}
	}
	if outName != "" {
		if err := e.WriteFile(outName, buf.Bytes(), 0o644); err != nil {
			if !o.silent { // a warning: -S does not bring it back
				fmt.Fprintf(e.Stderr, "Warning: Failed to open the file %s: %s\n", outName, builtin.Reason(err))
			}
			return c.fail(e, o, exitWrite, "Failure writing output to destination")
		}
		return exitOK
	}
	if _, err := e.Stdout.Write(buf.Bytes()); err != nil {
		if errors.Is(err, context.Canceled) {
			return 130
		}
		return c.fail(e, o, exitWrite, "Failure writing output to destination")
	}
	return exitOK
}

// writeHeaders shows the headers of an intermediate redirect response with -i.
func (c *Client) writeHeaders(e *builtin.Env, o *opts, t *transfer, outName string) {
	if o.include && outName == "" {
		e.Stdout.Write([]byte(headerBlock(t)))
	}
}

func headerBlock(t *transfer) string {
	if t.resp == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", t.code, http.StatusText(t.code))
	for _, k := range sortedKeys(t.resp.Header) {
		for _, v := range t.resp.Header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *Client) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// parseURL accepts what curl accepts: a missing scheme means http, and only http(s) is spoken.
func parseURL(raw string) (*url.URL, int, string) {
	bad := "URL using bad/illegal format or missing URL"
	if raw == "" || strings.ContainsAny(raw, " \t\r\n") {
		return nil, exitBadURL, bad
	}
	s := raw
	scheme := ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme = strings.ToLower(s[:i])
	} else {
		s = "http://" + s
		scheme = "http"
	}
	if scheme != "http" && scheme != "https" {
		return nil, exitUnsupported, fmt.Sprintf("Protocol \"%s\" not supported", scheme)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, exitBadURL, bad
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n > 65535 {
			return nil, exitBadURL, "Port number was not a decimal number between 0 and 65535"
		}
	}
	u.Scheme = scheme
	if u.Path == "" {
		u.Path = "/"
	}
	return u, exitOK, ""
}

// header is one request header line as curl sends and shows it.
type header struct{ k, v string }

// requestHeaders are curl's default headers, then the user's: "Name:" removes one, "Name;"
// sends it empty.
func requestHeaders(o *opts, t *transfer, ctype string) []header {
	hdrs := []header{{"Host", t.url.Host}, {"User-Agent", "curl/" + Version}, {"Accept", "*/*"}}
	if o.userAgent != nil {
		hdrs[1].v = *o.userAgent
	}
	if o.user != "" {
		hdrs = append(hdrs, header{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(o.user))})
	}
	if o.referer != "" {
		hdrs = append(hdrs, header{"Referer", o.referer})
	}
	if o.jsonBody {
		hdrs = append(hdrs, header{"Accept", "application/json"})
		hdrs = slices.DeleteFunc(hdrs, func(x header) bool { return x.k == "Accept" && x.v == "*/*" })
	}
	is := func(canon string) func(header) bool {
		return func(x header) bool { return http.CanonicalHeaderKey(x.k) == canon }
	}
	for _, h := range o.headers {
		name, val, ok := strings.Cut(h, ":")
		empty := false
		if !ok {
			if name, empty = strings.CutSuffix(h, ";"); !empty {
				continue
			}
		}
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		canon := http.CanonicalHeaderKey(name)
		if val == "" && !empty {
			hdrs = slices.DeleteFunc(hdrs, is(canon))
			continue
		}
		if i := slices.IndexFunc(hdrs, is(canon)); i >= 0 && (canon == "Host" || canon == "User-Agent" || canon == "Accept") {
			hdrs[i] = header{name, val}
			continue
		}
		hdrs = append(hdrs, header{name, val})
	}
	if t.reqBody != nil {
		hdrs = append(hdrs, header{"Content-Length", strconv.Itoa(len(t.reqBody))})
		if !slices.ContainsFunc(hdrs, is("Content-Type")) && ctype != "" {
			hdrs = append(hdrs, header{"Content-Type", ctype})
		}
	}
	return hdrs
}

// roundTrip sends one request of the transfer and fills in the response.
func (c *Client) roundTrip(e *builtin.Env, o *opts, t *transfer, ctype string, wait time.Duration) error {
	var rd io.Reader
	if t.reqBody != nil {
		rd = bytes.NewReader(t.reqBody)
	}
	req, err := http.NewRequestWithContext(netsim.WithWait(e.Ctx, wait), t.method, t.url.String(), rd)
	if err != nil {
		return err
	}
	if t.reqBody != nil {
		req.ContentLength = int64(len(t.reqBody))
	}
	hdrs := requestHeaders(o, t, ctype)
	for _, h := range hdrs {
		switch http.CanonicalHeaderKey(h.k) {
		case "Host":
			req.Host = h.v
		case "Content-Length":
		default:
			req.Header.Add(h.k, h.v)
		}
	}
	t.reqHdr = req.Header.Clone()
	addr := ""
	if c.Addr != nil {
		addr = c.Addr(t.url.Hostname())
	}
	if o.verbose {
		fmt.Fprintf(e.Stderr, "*   Trying %s:%s...\n", cmp.Or(addr, t.url.Hostname()), portOf(t.url))
	}
	resp, err := c.Transport.RoundTrip(req)
	if err != nil {
		return err
	}
	if o.verbose {
		verboseExchange(e, o, t, addr, hdrs, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if e.Fits(int64(len(body)), "curl's response body") != nil {
		return context.Canceled // the run is stopped
	}
	t.resp, t.body, t.code = resp, body, resp.StatusCode
	t.headerSz = len(headerBlock(t))
	return nil
}

// verboseExchange is -v's account of a connection, the request sent and the response headers.
func verboseExchange(e *builtin.Env, o *opts, t *transfer, addr string, hdrs []header, resp *http.Response) {
	host, port := t.url.Hostname(), portOf(t.url)
	if addr != "" {
		fmt.Fprintf(e.Stderr, "* Connected to %s (%s) port %s\n", host, addr, port)
	} else {
		fmt.Fprintf(e.Stderr, "* Connected to %s port %s\n", host, port)
	}
	if t.url.Scheme == "https" {
		fmt.Fprintln(e.Stderr, "* ALPN: curl offers h2,http/1.1")
		fmt.Fprintln(e.Stderr, "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384 / X25519 / RSASSA-PSS")
		fmt.Fprintln(e.Stderr, "* ALPN: server accepted http/1.1")
		fmt.Fprintln(e.Stderr, "* Server certificate:")
		fmt.Fprintf(e.Stderr, "*  subject: CN=%s\n", host)
		if o.insecure {
			fmt.Fprintln(e.Stderr, "*  SSL certificate verify result: ok (0), continuing anyway.")
		} else {
			fmt.Fprintln(e.Stderr, "*  SSL certificate verify ok.")
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s HTTP/1.1\r\n", t.method, t.url.RequestURI())
	for _, h := range hdrs {
		fmt.Fprintf(&b, "> %s: %s\r\n", h.k, h.v)
	}
	b.WriteString("> \r\n")
	for _, l := range strings.SplitAfter(headerBlock(&transfer{resp: resp, code: resp.StatusCode}), "\r\n") {
		if l != "" {
			b.WriteString("< " + l)
		}
	}
	e.Stderr.Write([]byte(b.String()))
}

const helpText = `Usage: curl [options...] <url>
 -d, --data <data>          HTTP POST data
 -f, --fail                 Fail fast with no output on HTTP errors
 -h, --help <category>      Get help for commands
 -i, --include              Include protocol response headers in the output
 -o, --output <file>        Write to file instead of stdout
 -O, --remote-name          Write output to a file named as the remote file
 -s, --silent               Silent mode
 -T, --upload-file <file>   Transfer local FILE to destination
 -u, --user <user:password> Server user and password
 -A, --user-agent <name>    Send User-Agent <name> to server
 -v, --verbose              Make the operation more talkative
 -V, --version              Show version number and quit

This is not the full help, this menu is stripped into categories.
Use "--help category" to get an overview of all categories.
For all options use the manual or "--help all".
`
