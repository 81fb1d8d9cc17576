// Package connlimit caps the connections a server holds open at once, and answers those past
// the cap rather than leaving them waiting.
//
// A server without a cap can be starved of file descriptors: connections that send headers
// and then trickle a body, or simply stay open, each hold one until a timeout ends them, and
// the process runs out of descriptors before the timeouts catch up (issue 14 found ~21,000 of
// them stopping `imds serve` for 40 s). Timeouts bound how long each connection lives; the cap
// bounds how many live at once, so both together bound the descriptors.
//
// A connection past the cap is given a short while to send its request, is answered with a
// fixed HTTP response (503, Connection: close) and is closed. At most Overflow of them are
// being answered at a time; past that they are closed at once. A TLS client past the cap
// cannot read the plain answer: it sees its handshake fail.
package connlimit

import (
	"net"
	"sync"
	"time"
)

// Overflow is how many connections past the cap may be being answered at once.
const Overflow = 64

// answerWithin is how long a connection past the cap has to send its request, and then to
// take the answer.
const answerWithin = time.Second

// Listener hands out at most max connections of its inner listener at once.
type Listener struct {
	net.Listener
	slots    chan struct{}
	overflow chan struct{}
	busy     []byte
}

// New returns a listener that holds at most max connections of inner open at once; a
// connection past them is sent busy (a complete HTTP response) and closed.
func New(inner net.Listener, max int, busy []byte) *Listener {
	return &Listener{Listener: inner, slots: make(chan struct{}, max), overflow: make(chan struct{}, Overflow), busy: busy}
}

// Accept waits for a connection under the cap, answering those past it.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &conn{Conn: c, release: func() { <-l.slots }}, nil
		default:
		}
		select {
		case l.overflow <- struct{}{}:
			go l.refuse(c)
		default:
			c.Close()
		}
	}
}

// Open is how many connections are open under the cap.
func (l *Listener) Open() int { return len(l.slots) }

// refuse reads what the client sends at once (its request, as far as it fits), answers busy,
// and closes: answering before reading would make the close a reset that could lose the
// answer.
func (l *Listener) refuse(c net.Conn) {
	defer func() { <-l.overflow }()
	defer c.Close()
	c.SetDeadline(time.Now().Add(answerWithin))
	buf := make([]byte, 4096)
	var seen []byte
	for len(seen) < len(buf) {
		n, err := c.Read(buf[len(seen):])
		seen = buf[:len(seen)+n]
		if err != nil || endOfHeaders(seen) {
			break
		}
	}
	c.Write(l.busy)
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
	}
}

func endOfHeaders(b []byte) bool {
	for i := 3; i < len(b); i++ {
		if b[i-3] == '\r' && b[i-2] == '\n' && b[i-1] == '\r' && b[i] == '\n' {
			return true
		}
	}
	return false
}

// conn gives its slot back when it is closed (once, however often Close is called).
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// NetConn returns the underlying connection (for packages that reach the socket, such as
// internal/hoplimit).
func (c *conn) NetConn() net.Conn { return c.Conn }
