// Package hoplimit sets the unicast hop limit of the packets a TCP connection sends: the IPv4
// time to live (IP_TTL) or the IPv6 hop limit (IPV6_UNICAST_HOPS).
//
// The metadata service's response_hop_limit works exactly this way on IBM Cloud: answers leave
// the service with that TTL, so a client more hops away than the limit (a container behind a
// bridge, a pod, a forwarding router) never sees them and times out. `imds serve` does the
// same on its accepted sockets.
//
// The setting can change while a connection stays open (a PATCH through the VPC API), so a
// server installs ConnContext on its http.Server and calls Apply at the start of each request
// with the limit that request's answer must carry; Apply only makes a system call when the
// value differs from the one already on the socket.
//
// Linux is supported; elsewhere Set and Get return an error wrapping errors.ErrUnsupported and
// Apply does nothing, so the server still works, without the native behaviour.
package hoplimit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
)

// Max is the largest hop limit IP allows.
const Max = 255

// Set sets the hop limit of packets sent on c. c may be a *tls.Conn or any connection whose
// NetConn method leads to a socket; on an IPv6 socket both the IPv6 hop limit and, for
// IPv4-mapped peers, the IPv4 TTL are set.
func Set(c net.Conn, hops int) error {
	if hops < 1 || hops > Max {
		return fmt.Errorf("hoplimit: %d is outside 1..%d", hops, Max)
	}
	rc, v6, err := rawConn(c)
	if err != nil {
		return err
	}
	return set(rc, v6, hops)
}

// Get returns the hop limit of packets sent on c (the IPv6 hop limit on an IPv6 socket).
func Get(c net.Conn) (int, error) {
	rc, v6, err := rawConn(c)
	if err != nil {
		return 0, err
	}
	return get(rc, v6)
}

// rawConn finds the socket under c, unwrapping TLS and other wrappers that expose NetConn, and
// says whether it is an IPv6 socket.
func rawConn(c net.Conn) (syscall.RawConn, bool, error) {
	orig := c
	for range 16 {
		switch x := c.(type) {
		case syscall.Conn:
			rc, err := x.SyscallConn()
			if err != nil {
				return nil, false, fmt.Errorf("hoplimit: %w", err)
			}
			return rc, isIPv6(c.LocalAddr()), nil
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return nil, false, fmt.Errorf("hoplimit: %T has no socket: %w", orig, errors.ErrUnsupported)
		}
	}
	return nil, false, fmt.Errorf("hoplimit: %T wraps too deeply", orig)
}

// isIPv6 reports whether the local address is an IPv6 one (IPv4-mapped addresses count as
// IPv4 here, but their socket is still AF_INET6, see set).
func isIPv6(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.To4() == nil
}

// Tracker remembers the hop limit a connection's socket carries, so Apply can skip the system
// call when nothing changed. It is safe for concurrent use.
type Tracker struct {
	conn net.Conn

	mu      sync.Mutex
	initial int // the system default, restored by Apply(ctx, 0)
	current int
	err     error // the first failure; later Apply calls do nothing
}

// NewTracker reads c's current hop limit (normally the system default) and tracks it.
func NewTracker(c net.Conn) *Tracker {
	t := &Tracker{conn: c}
	t.initial, t.err = Get(c)
	t.current = t.initial
	return t
}

// Apply sets the hop limit to hops, or back to the connection's initial value when hops is 0.
// It returns the first error the connection ever had; once a socket refused, Apply stops
// trying.
func (t *Tracker) Apply(hops int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	if hops == 0 {
		hops = t.initial
	}
	if hops == t.current {
		return nil
	}
	if err := Set(t.conn, hops); err != nil {
		t.err = err
		return err
	}
	t.current = hops
	return nil
}

type ctxKey struct{}

// ConnContext is meant for http.Server.ConnContext: it attaches a Tracker for c to ctx.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, ctxKey{}, NewTracker(c))
}

// FromContext returns the Tracker ConnContext attached, or nil.
func FromContext(ctx context.Context) *Tracker {
	t, _ := ctx.Value(ctxKey{}).(*Tracker)
	return t
}

// Apply sets the hop limit of the connection that carries a request (see Tracker.Apply). A
// context without a Tracker is not an error: the request did not come through a server that
// installed ConnContext.
func Apply(ctx context.Context, hops int) error {
	if t := FromContext(ctx); t != nil {
		return t.Apply(hops)
	}
	return nil
}
