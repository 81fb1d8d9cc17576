package hoplimit_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"

	"github.com/imdsplay/imdsplay/internal/hoplimit"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T, network, addr string) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s loopback: %v", network, err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return server, client
}

func TestSetGet(t *testing.T) {
	if !hoplimit.Supported {
		t.Skip("hop limits are not supported on this platform")
	}
	for _, tc := range []struct{ name, network, addr string }{
		{"ok/ipv4", "tcp4", "127.0.0.1:0"},
		{"ok/ipv6", "tcp6", "[::1]:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := pair(t, tc.network, tc.addr)
			for _, want := range []int{1, 2, 64, 255} {
				if err := hoplimit.Set(srv, want); err != nil {
					t.Fatal(err)
				}
				got, err := hoplimit.Get(srv)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("got %d; want %d", got, want)
				}
			}
		})
	}
}

func TestSetRejects(t *testing.T) {
	srv, _ := pair(t, "tcp4", "127.0.0.1:0")
	for _, n := range []int{0, -1, 256} {
		if err := hoplimit.Set(srv, n); err == nil {
			t.Errorf("fail/%d: got nil error", n)
		}
	}
	var notASocket net.Conn = &struct{ net.Conn }{srv}
	if err := hoplimit.Set(notASocket, 3); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("fail/no-socket: got %v; want ErrUnsupported", err)
	}
}

func TestTrackerThroughTLS(t *testing.T) {
	if !hoplimit.Supported {
		t.Skip("hop limits are not supported on this platform")
	}
	srv, _ := pair(t, "tcp4", "127.0.0.1:0")
	// tls.Server does no I/O until the handshake, so it can wrap the socket here; the
	// tracker must find the socket through NetConn.
	wrapped := tls.Server(srv, &tls.Config{})
	ctx := hoplimit.ConnContext(context.Background(), wrapped)
	initial, err := hoplimit.Get(srv)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		apply, want int
	}{{1, 1}, {1, 1}, {7, 7}, {0, initial}} {
		if err := hoplimit.Apply(ctx, tc.apply); err != nil {
			t.Fatal(err)
		}
		if got, _ := hoplimit.Get(srv); got != tc.want {
			t.Errorf("Apply(%d): got %d; want %d", tc.apply, got, tc.want)
		}
	}
	if err := hoplimit.Apply(context.Background(), 3); err != nil {
		t.Errorf("Apply without a tracker: %v", err)
	}
}
