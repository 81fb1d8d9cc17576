// Package netsim sits between the shell's network commands (curl, ibmcloud) and the emulator's
// in-process network. It buffers both bodies so every exchange can be reported whole, turns an
// answer that never arrives into virtual time (the clock jumps by however long the client would
// have waited; nobody waits for real), and classifies transport errors into the outcomes a
// client can tell apart: unknown host, refused connection, timeout.
package netsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Exchange is one HTTP exchange as the client saw it.
type Exchange struct {
	Method         string
	URL            string
	RequestHeader  http.Header
	RequestBody    []byte
	Status         int // 0 when no response arrived
	ResponseHeader http.Header
	ResponseBody   []byte
	Virtual        time.Duration // virtual time the exchange took (a timeout's wait)
	Real           time.Duration // wall-clock time spent in the emulator
	Err            error         // transport error, nil when a response arrived
}

type waitKey struct{}

// WithWait records on ctx how long the client gives an answer before it gives up.
func WithWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, waitKey{}, d)
}

// DefaultWait is how long a connection attempt lasts when nothing answers and the client set
// no timeout: Linux gives up after its SYN retries (tcp_syn_retries=6), a little over two minutes.
const DefaultWait = 130 * time.Second

func waitOf(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(waitKey{}).(time.Duration); ok && d > 0 {
		return d
	}
	return DefaultWait
}

// Kind classifies a transport error.
type Kind int

// The transport outcomes a client tells apart.
const (
	OK           Kind = iota
	NoHost            // the name does not resolve from here
	Refused           // nothing listens
	Timeout           // no answer within the client's wait
	Cancelled         // the command was interrupted
	OtherFailure      // anything else
)

// Classify tells what kind of failure err is.
func Classify(err error) Kind {
	var dns *net.DNSError
	switch {
	case err == nil:
		return OK
	case errors.Is(err, context.Canceled):
		return Cancelled
	case errors.As(err, &dns):
		return NoHost
	case errors.Is(err, ErrConnRefused):
		return Refused
	case errors.Is(err, ErrNoAnswer), errors.Is(err, context.DeadlineExceeded):
		return Timeout
	}
	return OtherFailure
}

// TimeoutError is returned when the answer never came: Waited is the virtual time that passed.
type TimeoutError struct {
	Waited time.Duration
	Err    error
}

func (e *TimeoutError) Error() string { return fmt.Sprintf("no answer after %v: %v", e.Waited, e.Err) }

// Unwrap returns the transport's error.
func (e *TimeoutError) Unwrap() error { return e.Err }

// MaxBody bounds a response body kept in memory.
const MaxBody = 32 << 20

// Transport is an http.RoundTripper over Base that records and times every exchange.
type Transport struct {
	Base    http.RoundTripper
	Now     func() time.Time    // the virtual clock
	Advance func(time.Duration) // moves the virtual clock
	Observe func(Exchange)      // optional
}

// RoundTrip performs one exchange. Bodies come back fully buffered.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	x := Exchange{Method: req.Method, URL: req.URL.String(), RequestHeader: req.Header.Clone(), RequestBody: reqBody}
	if x.Method == "" {
		x.Method = http.MethodGet
	}
	vstart, start := t.now(), time.Now()
	resp, err := t.Base.RoundTrip(req)
	if err == nil {
		var body []byte
		body, err = io.ReadAll(io.LimitReader(resp.Body, MaxBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		// What a server's HTTP stack adds on the wire when the handler does not.
		if resp.Header == nil {
			resp.Header = http.Header{}
		}
		if resp.Header.Get("Content-Length") == "" && req.Method != http.MethodHead {
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		if resp.Header.Get("Date") == "" {
			resp.Header.Set("Date", t.now().UTC().Format(http.TimeFormat))
		}
		if err != nil {
			resp = nil
		} else {
			x.Status, x.ResponseHeader, x.ResponseBody = resp.StatusCode, resp.Header.Clone(), body
		}
	}
	x.Real = time.Since(start)
	if err != nil && Classify(err) == Timeout && !errors.Is(err, context.DeadlineExceeded) {
		w := waitOf(req.Context())
		if t.Advance != nil {
			t.Advance(w)
		}
		err = &TimeoutError{Waited: w, Err: err}
	}
	x.Virtual = t.now().Sub(vstart)
	x.Err = err
	if t.Observe != nil {
		t.Observe(x)
	}
	return resp, err
}

func (t *Transport) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}
