//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// The response hop limit, natively: a server namespace and a client namespace joined through a
// router namespace, so that answers travel two hops back to the client:
//
//	srv 192.0.2.1  2001:db8:1::1 ── rtr 192.0.2.2/198.51.100.2 ── cli 198.51.100.1  2001:db8:2::1
//
// `imds serve`'s service listens in srv. With response_hop_limit 1 the router drops every
// answer of the metadata service (TTL 1 reaches 0 there) and the client times out, while IAM's
// answers, which carry the system default, still arrive; at 2 and beyond the answers arrive.
// The limit is changed through the VPC API, from the client, on the same keep-alive connection,
// so the test also shows it re-applied per request. All addresses are documentation ranges
// inside namespaces the test creates and deletes.

// noAnswerWait is how long the client waits for an answer that must never come. Any positive
// value works: a dropped answer never arrives, however long one waits.
const noAnswerWait = 300 * time.Millisecond

// netnsLab is the three namespaces.
type netnsLab struct {
	srv, rtr, cli string
}

// ipCmd runs ip with args and fails the test with its output on error.
func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newNetnsLab builds the topology, or skips the test saying why it cannot.
func newNetnsLab(t *testing.T) *netnsLab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: network namespaces need root (run the test as root, as CI does)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: the ip command (iproute2) is not installed")
	}
	id := fmt.Sprintf("imdst%d", os.Getpid()%100000)
	lab := &netnsLab{srv: id + "-srv", rtr: id + "-rtr", cli: id + "-cli"}
	for _, ns := range []string{lab.srv, lab.rtr, lab.cli} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Skipf("skipped: cannot create network namespaces here: ip netns add: %v: %s", err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	ipCmd(t, "netns", "exec", lab.rtr, "sh", "-c",
		"echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding")
	// Fixed MAC addresses and static neighbour entries: no ARP or neighbour discovery, whose
	// first exchange on fresh links can cost a one-second retransmission.
	type end struct{ ns, dev, mac, v4, v6 string }
	srvEnd := end{lab.srv, "s0", "02:00:5e:10:00:01", "192.0.2.1", "2001:db8:1::1"}
	rtrSrv := end{lab.rtr, "r0", "02:00:5e:10:00:02", "192.0.2.2", "2001:db8:1::2"}
	rtrCli := end{lab.rtr, "r1", "02:00:5e:10:00:03", "198.51.100.2", "2001:db8:2::2"}
	cliEnd := end{lab.cli, "c0", "02:00:5e:10:00:04", "198.51.100.1", "2001:db8:2::1"}
	for _, link := range [][2]end{{srvEnd, rtrSrv}, {cliEnd, rtrCli}} {
		a, b := link[0], link[1]
		ipCmd(t, "link", "add", a.dev, "address", a.mac, "netns", a.ns, "type", "veth", "peer", "name", b.dev, "address", b.mac, "netns", b.ns)
		for _, x := range []struct{ self, peer end }{{a, b}, {b, a}} {
			ipCmd(t, "-n", x.self.ns, "addr", "add", x.self.v4+"/24", "dev", x.self.dev)
			ipCmd(t, "-n", x.self.ns, "addr", "add", x.self.v6+"/64", "dev", x.self.dev, "nodad")
			ipCmd(t, "-n", x.self.ns, "neigh", "replace", x.peer.v4, "lladdr", x.peer.mac, "dev", x.self.dev, "nud", "permanent")
			ipCmd(t, "-n", x.self.ns, "neigh", "replace", x.peer.v6, "lladdr", x.peer.mac, "dev", x.self.dev, "nud", "permanent")
		}
		ipCmd(t, "-n", a.ns, "link", "set", a.dev, "up")
		ipCmd(t, "-n", b.ns, "link", "set", b.dev, "up")
	}
	ipCmd(t, "-n", lab.srv, "route", "add", "default", "via", "192.0.2.2")
	ipCmd(t, "-n", lab.srv, "-6", "route", "add", "default", "via", "2001:db8:1::2")
	ipCmd(t, "-n", lab.cli, "route", "add", "default", "via", "198.51.100.2")
	ipCmd(t, "-n", lab.cli, "-6", "route", "add", "default", "via", "2001:db8:2::2")
	return lab
}

// inNetns runs fn on an OS thread moved into the named namespace. Sockets fn creates stay in
// that namespace for good. If the thread cannot move back, it is not reused: the goroutine
// exits locked and the runtime discards the thread.
func inNetns(name string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		target, err := os.Open("/run/netns/" + name)
		if err != nil {
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", name, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// clientIn returns an HTTP client whose connections start in the named namespace.
func clientIn(ns string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			err = inNetns(ns, func() error {
				var d net.Dialer
				c, err = d.DialContext(ctx, network, addr)
				return err
			})
			return c, err
		},
		MaxIdleConnsPerHost: 4,
	}}
}

// hopsDo sends one request with a deadline and returns the status, or the error.
func hopsDo(c *http.Client, wait time.Duration, method, url, body string, header ...string) (int, error) {
	return hopsDoCtx(context.Background(), c, wait, method, url, body, header...)
}

func hopsDoCtx(ctx context.Context, c *http.Client, wait time.Duration, method, url, body string, header ...string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func TestResponseHopLimitAcrossNamespaces(t *testing.T) {
	lab := newNetnsLab(t)
	svc, err := newService(serviceConfig{Keys: fixture.Keys()})
	if err != nil {
		t.Fatal(err)
	}
	srv := svc.httpServer()
	t.Cleanup(func() { srv.Close() })
	userToken, err := svc.emu.UserToken()
	if err != nil {
		t.Fatal(err)
	}

	for _, fam := range []struct{ name, listen string }{{"ipv4", "192.0.2.1:0"}, {"ipv6", "[2001:db8:1::1]:0"}} {
		t.Run(fam.name, func(t *testing.T) {
			var ln net.Listener
			if err := inNetns(lab.srv, func() (err error) { ln, err = net.Listen("tcp", fam.listen); return err }); err != nil {
				t.Fatalf("listen in %s: %v", lab.srv, err)
			}
			go srv.Serve(svc.port.Listener(ln))
			base := "http://" + ln.Addr().String()
			cli, neighbour := clientIn(lab.cli), clientIn(lab.rtr)
			defer cli.CloseIdleConnections()
			defer neighbour.CloseIdleConnections()

			setHops := func(n int) {
				t.Helper()
				status, err := hopsDo(cli, 10*time.Second, "PATCH",
					base+"/v1/instances/"+scenario.DefaultInstanceID+"?version=2025-08-26&generation=2",
					fmt.Sprintf(`{"metadata_service": {"response_hop_limit": %d}}`, n),
					"Authorization", "Bearer "+userToken, "Content-Type", "application/merge-patch+json")
				if err != nil || status != 200 {
					t.Fatalf("PATCH response_hop_limit %d through the VPC API: got %d, %v; want 200", n, status, err)
				}
			}
			// reused tells whether the last token request went over a kept-alive connection.
			var reused bool
			token := func(c *http.Client, wait time.Duration) (int, error) {
				ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
					GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
				})
				return hopsDoCtx(ctx, c, wait, "PUT", base+"/identity/v1/token?version=2025-08-26", "", "Metadata-Flavor", "ibm")
			}
			answered := func(what string, c *http.Client) {
				t.Helper()
				if status, err := token(c, 10*time.Second); err != nil || status != 200 {
					t.Errorf("%s: got %d, %v; want 200", what, status, err)
				}
			}
			timesOut := func(what string) {
				t.Helper()
				status, err := token(cli, noAnswerWait)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%s: got %d, %v; want no answer (a timeout)", what, status, err)
				}
			}

			setHops(1)
			timesOut("hop limit 1, client 2 hops away")
			answered("hop limit 1, client 1 hop away", neighbour)
			if status, err := hopsDo(cli, 10*time.Second, "GET", base+"/identity/keys", ""); err != nil || status != 200 {
				t.Errorf("IAM keys, 2 hops away: got %d, %v; want 200 (only the metadata service's answers carry the limit)", status, err)
			}
			setHops(2)
			answered("hop limit 2, client 2 hops away", cli)
			// The same keep-alive connection: the next answer must carry the new limit.
			setHops(1)
			timesOut("hop limit back to 1 on a kept-alive connection")
			if !reused {
				t.Error("the request after the PATCH used a new connection; want the kept-alive one")
			}
			setHops(64)
			answered("hop limit 64, client 2 hops away", cli)
		})
	}
}
