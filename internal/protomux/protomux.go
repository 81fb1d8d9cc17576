// Package protomux accepts plain HTTP and TLS on one listener.
//
// The metadata service answers on exactly one protocol, chosen by the instance's
// metadata_service.protocol, and that choice can change while the server runs (a PATCH through
// the VPC API turns secure access on). Rather than opening and closing a second port, the
// emulator's servers accept both on one port and let the core refuse the wrong one, the way it
// refuses it in process. A connection whose first byte is a TLS handshake record (0x16) is
// wrapped in tls.Server; any other connection is handed over as it is.
//
// TLS connections are returned as *tls.Conn, so net/http fills in Request.TLS as usual. Plain
// connections are returned as a wrapper whose NetConn method gives the socket back, for
// packages that need it (see internal/hoplimit).
package protomux

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// PeekTimeout bounds how long a new connection may stay silent before its first byte decides
// its protocol; a silent connection is closed.
const PeekTimeout = 10 * time.Second

// tlsHandshake is the content type of a TLS handshake record, the first byte a TLS client sends.
const tlsHandshake = 0x16

// Listener accepts plain and TLS connections from one inner listener.
type Listener struct {
	inner net.Listener
	tls   *tls.Config

	conns chan accepted
	done  chan struct{}
	once  sync.Once
}

type accepted struct {
	c   net.Conn
	err error
}

// New returns a listener that hands out the connections of inner, with those that start a TLS
// handshake wrapped by tls.Server(c, config). A nil config refuses TLS: such connections are
// closed. New starts accepting at once; Close stops it.
func New(inner net.Listener, config *tls.Config) *Listener {
	l := &Listener{inner: inner, tls: config, conns: make(chan accepted), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

func (l *Listener) acceptLoop() {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			// The caller (http.Server.Serve) decides whether an error is worth retrying, and
			// backs off; a closed listener ends the loop.
			select {
			case l.conns <- accepted{err: err}:
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go l.classify(c)
	}
}

// classify reads the first byte of c and queues c as TLS or plain.
func (l *Listener) classify(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(PeekTimeout))
	br := bufio.NewReaderSize(c, 512)
	first, err := br.Peek(1)
	c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	var out net.Conn = &Conn{Conn: c, r: br}
	if first[0] == tlsHandshake {
		if l.tls == nil {
			c.Close()
			return
		}
		out = tls.Server(out, l.tls)
	}
	select {
	case l.conns <- accepted{c: out}:
	case <-l.done:
		c.Close()
	}
}

// Accept returns the next connection, plain or *tls.Conn.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case a := <-l.conns:
		return a.c, a.err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting and closes the inner listener. Connections already handed out stay
// open.
func (l *Listener) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		close(l.done)
		err = l.inner.Close()
	})
	return err
}

// Addr is the inner listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// Conn is an accepted connection whose first bytes were read to learn its protocol; reads
// replay them.
type Conn struct {
	net.Conn
	r *bufio.Reader
}

// Read reads from the connection, starting with the bytes read ahead.
func (c *Conn) Read(p []byte) (int, error) {
	if c.r != nil {
		if c.r.Buffered() > 0 {
			return c.r.Read(p)
		}
		c.r = nil
	}
	return c.Conn.Read(p)
}

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.Conn }
