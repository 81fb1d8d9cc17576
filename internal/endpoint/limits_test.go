package endpoint_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/internal/endpoint"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// serve starts the emulator on loopback behind an endpoint with limits, the way imds serve
// and imdstest do, and returns its address.
func serve(t *testing.T, limits endpoint.Limits) string {
	t.Helper()
	emu, err := imds.New(imds.Config{Keys: fixture.Keys()})
	if err != nil {
		t.Fatal(err)
	}
	p := endpoint.New(emu)
	p.Limits = limits
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: emu}
	p.Limits.Apply(srv)
	go srv.Serve(p.Listener(ln))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads c until the server closes it, and fails if that takes longer than wait.
func closedWithin(t *testing.T, c net.Conn, wait time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	got, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server still held the connection %v later (read %q)", wait, got)
	}
	return string(got)
}

// TestTrickledBodyIsCutOff is issue 14's descriptor attack: headers that announce a body,
// then the body a byte at a time. Before the read timeout such a connection stayed open for
// ever; now the server closes it once the request has taken ReadTimeout.
func TestTrickledBodyIsCutOff(t *testing.T) {
	limits := endpoint.DefaultLimits
	limits.ReadTimeout = 300 * time.Millisecond
	addr := serve(t, limits)
	c := dial(t, addr)
	io.WriteString(c, "POST /identity/v1/token?version=2025-08-26 HTTP/1.1\r\nHost: 127.0.0.1\r\nMetadata-Flavor: ibm\r\nContent-Length: 100000\r\n\r\n{")
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a byte every 50ms, as the attack did
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := io.WriteString(c, " "); err != nil {
					return
				}
			}
		}
	}()
	closedWithin(t, c, 20*time.Second)
}

// TestSilentHeadersAreCutOff: a connection that sends half its headers and stops is closed
// after ReadHeaderTimeout, and a kept-alive one that sends nothing more after IdleTimeout.
func TestSilentHeadersAreCutOff(t *testing.T) {
	limits := endpoint.DefaultLimits
	limits.ReadHeaderTimeout, limits.IdleTimeout = 300*time.Millisecond, 300*time.Millisecond
	addr := serve(t, limits)
	half := dial(t, addr)
	io.WriteString(half, "GET /_emulator/ca.pem HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	closedWithin(t, half, 20*time.Second)

	idle := dial(t, addr)
	io.WriteString(idle, "GET /_emulator/identity/keys HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	closedWithin(t, idle, 20*time.Second)
}

// TestConnectionCap: past MaxConns open connections, a new one is answered 503 with IBM's
// error JSON and closed; once one of the open ones closes, requests are served again. Before
// the cap, every connection was held, and ~21,000 of them exhausted the descriptors.
func TestConnectionCap(t *testing.T) {
	limits := endpoint.DefaultLimits
	limits.MaxConns = 3
	addr := serve(t, limits)
	var held []net.Conn
	for range limits.MaxConns {
		c := dial(t, addr)
		io.WriteString(c, "GET /_emulator/ca.pem HTTP/1.1\r\nHost: 127.0.0.1\r\n") // and no more
		held = append(held, c)
	}
	// The held connections are accepted in turn; the next one past them is refused.
	var answer string
	for !strings.Contains(answer, " 503 ") {
		c := dial(t, addr)
		io.WriteString(c, "GET /_emulator/ca.pem HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		answer = closedWithin(t, c, 20*time.Second)
		c.Close()
		if !strings.Contains(answer, " 200 ") && !strings.Contains(answer, " 503 ") {
			t.Fatalf("got %q", answer)
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(answer)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Errors []struct {
			Code, Message string
		}
		StatusCode int    `json:"status_code"`
		Trace      string `json:"trace"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !resp.Close ||
		len(body.Errors) != 1 || body.Errors[0].Code != "service_unavailable" || body.StatusCode != 503 || len(body.Trace) != 36 {
		t.Errorf("answer past the cap: %q", answer)
	}
	for _, c := range held {
		c.Close()
	}
	for {
		c := dial(t, addr)
		io.WriteString(c, "GET /_emulator/ca.pem HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
		answer = closedWithin(t, c, 20*time.Second)
		if strings.HasPrefix(answer, "HTTP/1.1 200 ") {
			break
		}
		if !strings.HasPrefix(answer, "HTTP/1.1 503 ") {
			t.Fatalf("after the held connections closed: %q", answer)
		}
	}
}
