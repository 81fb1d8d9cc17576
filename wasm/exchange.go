package main

import (
	"net/http"
	"net/url"
	"sort"
	"sync"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/shell"
)

// RunResult is what session.run resolves to: the shell's exit status and output, and every
// HTTP exchange the script made, in order.
type RunResult struct {
	Exit   int    `json:"exit"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	// Output is both streams interleaved in the order they were written, as a terminal shows
	// them (output.go).
	Output    []Chunk    `json:"output"`
	Exchanges []Exchange `json:"exchanges"`
	// Ms is the real time the run took; VirtualMs how far the emulator's clock moved (sleep,
	// curl timeouts), which can be far more.
	Ms        float64 `json:"ms"`
	VirtualMs int64   `json:"virtualMs"`
	// Place is where the run ran ("instance" or "workstation").
	Place imds.Place `json:"place"`
	// Set are the variables the script assigns that hold a value after the run, sorted: the
	// page shows the block as their setter. A branch that did not run still counts when the
	// name holds a value from before.
	Set []string `json:"set"`
}

// Exchange is one request the script sent and what came back, as the output panel shows it
// (the JSON form of shell.Exchange).
// Headers are ordered name/value pairs (sorted by name, values in order) so the page needs no
// map iteration rules.
type Exchange struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	ReqHeaders  [][2]string `json:"reqHeaders"`
	ReqBody     string      `json:"reqBody"`
	Status      int         `json:"status"` // 0 when no response arrived
	StatusText  string      `json:"statusText,omitempty"`
	RespHeaders [][2]string `json:"respHeaders"`
	RespBody    string      `json:"respBody"`
	Truncated   bool        `json:"truncated,omitempty"`
	Ms          float64     `json:"ms"`
	VirtualMs   int64       `json:"virtualMs"`
	// Error is the transport's failure when no response arrived, and ErrorKind its class:
	// "dns" (host does not resolve here), "refused" (nothing listens), "noanswer" (the answer
	// never comes back, e.g. the hop limit), "stopped" (the instance is not running) or "other".
	Error     string `json:"error,omitempty"`
	ErrorKind string `json:"errorKind,omitempty"`
	// Curl is the request as a curl command line, everything spelled out; CurlVars the same
	// with the session's variables in place of their values ("$instance_identity_token"), to
	// run again in the same session.
	Curl     string `json:"curl"`
	CurlVars string `json:"curlVars"`
}

// maxShownBody bounds how much of a body is copied to the page; the script itself still sees
// the whole body.
const maxShownBody = 256 << 10

// exchangeLog collects the shell's exchanges (shell.Config.OnExchange) for the run in progress.
type exchangeLog struct {
	mu   sync.Mutex
	list []Exchange
}

// add records x; curl calls it from the goroutine running the command, and a script can run
// curl in the background.
func (l *exchangeLog) add(x shell.Exchange) {
	e := fromShell(x)
	l.mu.Lock()
	l.list = append(l.list, e)
	l.mu.Unlock()
}

// take returns the exchanges recorded so far and starts a new list.
func (l *exchangeLog) take() []Exchange {
	l.mu.Lock()
	defer l.mu.Unlock()
	list := l.list
	l.list = nil
	if list == nil {
		list = []Exchange{}
	}
	return list
}

// fromShell converts the shell's record of an exchange into the page's.
func fromShell(x shell.Exchange) Exchange {
	e := Exchange{
		Method:      x.Method,
		URL:         x.URL,
		ReqHeaders:  headerPairs(x.RequestHeader, hostOf(x.URL)),
		Status:      x.Status,
		RespHeaders: headerPairs(x.ResponseHeader, ""),
		Ms:          float64(x.Real.Microseconds()) / 1000,
		VirtualMs:   x.Virtual.Milliseconds(),
	}
	var t1, t2 bool
	e.ReqBody, t1 = shown(x.RequestBody)
	e.RespBody, t2 = shown(x.ResponseBody)
	e.Truncated = t1 || t2
	if x.Status != 0 {
		e.StatusText = http.StatusText(x.Status)
	}
	if x.Err != nil {
		e.Error, e.ErrorKind = trimErr(x.Err), classifyNetErr(x.Err)
	}
	return e
}

// hostOf returns the host[:port] of a URL, or "" when it does not parse.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// headerPairs flattens h into sorted name/value pairs; host, when set, is shown first as the
// Host header that net/http keeps outside the map.
func headerPairs(h http.Header, host string) [][2]string {
	out := [][2]string{}
	if host != "" {
		out = append(out, [2]string{"Host", host})
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// shown returns the part of b the page displays and whether it was cut.
func shown(b []byte) (string, bool) {
	if len(b) > maxShownBody {
		return string(b[:maxShownBody]), true
	}
	return string(b), false
}
