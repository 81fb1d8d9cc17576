package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// child is a server process this program started; it is stopped by its own PID only.
type child struct {
	name string
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	errs fixture.SyncBuffer // its stderr, for the message when it fails
}

// startChild runs path with args and waits for the line of its stdout that starts with
// banner, whose next field is the URL it serves. The URL must be a loopback one.
func startChild(ctx context.Context, name, path string, args []string, banner string) (*child, error) {
	c := &child{name: name, cmd: exec.CommandContext(ctx, path, args...), done: make(chan struct{})}
	c.cmd.Stderr = &c.errs
	c.cmd.Cancel = func() error { return c.cmd.Process.Signal(syscall.SIGTERM) }
	c.cmd.WaitDelay = 5 * time.Second
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if line := sc.Text(); !sent && strings.HasPrefix(line, banner) {
				found <- line
				sent = true
			}
		}
		if !sent {
			close(found)
		}
		io.Copy(io.Discard, out)
	}()
	go func() {
		c.cmd.Wait()
		close(c.done)
	}()
	select {
	case line, ok := <-found:
		if !ok {
			<-c.done
			return nil, fmt.Errorf("%s exited without its banner: %s", name, strings.TrimSpace(c.errs.String()))
		}
		fields := strings.Fields(strings.TrimPrefix(line, banner))
		if len(fields) == 0 {
			c.stop()
			return nil, fmt.Errorf("%s: banner without a URL: %q", name, line)
		}
		c.url = fields[0]
	case <-time.After(2 * time.Minute):
		c.stop()
		return nil, fmt.Errorf("%s: no banner after 2 minutes: %s", name, c.errs.String())
	case <-ctx.Done():
		c.stop()
		return nil, ctx.Err()
	}
	if err := checkLoopback(c.url); err != nil {
		c.stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// stop sends SIGTERM to the child and waits for it, killing it after five seconds.
func (c *child) stop() {
	if c.cmd.Process == nil {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
}

// checkLoopback refuses any URL whose host is not a loopback IP address.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", raw)
	}
	return nil
}

// buildIMDS builds ./cmd/imds of the module the working directory is in, into dir.
func buildIMDS(ctx context.Context, dir string) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", errors.New("not inside the imdsplay module (go env GOMOD is empty)")
	}
	bin := filepath.Join(dir, "imds")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/imds")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/imds: %v\n%s", err, out)
	}
	return bin, nil
}

// runCore is the fallback server: the core behind a plain net/http server on loopback, with
// a banner shaped like imds serve's.
func runCore(ctx context.Context, stdout io.Writer, cpuprofile string) error {
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	e, err := imds.New(imds.Config{})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "imds: serving http://%s (the core behind net/http, started by scripts/load)\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
