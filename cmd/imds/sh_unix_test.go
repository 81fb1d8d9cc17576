//go:build unix

package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/internal/fixture"
)

// Ctrl-C at the prompt does not end the shell: it abandons the line and prompts again.
func TestShInterruptKeepsTheShell(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var stderr fixture.SyncBuffer
	c := &cli{ctx: context.Background(), stdin: inR, stdout: outW, stderr: &stderr}
	done := make(chan int, 1)
	go func() {
		done <- c.run([]string{"sh", "-i"})
		outW.Close()
	}()
	// Read the output as it comes, so the shell never blocks writing its prompt.
	chunks := make(chan string)
	go func() {
		defer close(chunks)
		buf := make([]byte, 512)
		for {
			n, err := outR.Read(buf)
			if n > 0 {
				chunks <- string(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	var seen string
	waitFor := func(want string) {
		t.Helper()
		for !strings.HasSuffix(seen, want) {
			chunk, ok := <-chunks
			if !ok {
				t.Fatalf("the output ended before %q: %q; stderr: %s", want, seen, stderr.String())
			}
			seen += chunk
		}
	}
	const prompt = "instance$ "
	waitFor(prompt)
	io.WriteString(inW, "echo one\n")
	// Once the next prompt is out, the shell waits at it, registered for SIGINT.
	waitFor("one\n" + prompt)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waitFor(prompt + "\n" + prompt)
	io.WriteString(inW, "echo two\n")
	waitFor("two\n" + prompt)
	io.WriteString(inW, "exit 5\n")
	inW.Close()
	for range chunks {
	}
	if status := <-done; status != 5 {
		t.Errorf("status: got %d; want 5 (the shell went on after Ctrl-C)", status)
	}
}

// SIGTERM ends imds sh, and so does Ctrl-C when there is no prompt, whatever the script is
// doing: a busy loop, a key generation that takes minutes, a refused process substitution
// followed by wait. Before issue 14 the last one hung for ever and SIGTERM was ignored.
func TestShSignalsEndTheShell(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		script string
		status int
	}{
		{"sigterm/loop", syscall.SIGTERM, `echo started; while :; do :; done`, StatusTerminated},
		{"sigterm/genrsa", syscall.SIGTERM, `echo started; openssl genrsa 16384 > /dev/null`, StatusTerminated},
		{"sigterm/eval-wait", syscall.SIGTERM, `eval "cat <(echo x)"; echo started; wait; while :; do :; done`, StatusTerminated},
		{"sigint/loop", syscall.SIGINT, `echo started; while :; do :; done`, StatusInterrupted},
		{"sigint/genrsa", syscall.SIGINT, `echo started; openssl genrsa 16384 > /dev/null`, StatusInterrupted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outR, outW := io.Pipe()
			var stderr fixture.SyncBuffer
			c := &cli{ctx: context.Background(), stdin: strings.NewReader(""), stdout: outW, stderr: &stderr}
			done := make(chan int, 1)
			go func() {
				done <- c.run([]string{"sh", "-c", tc.script})
				outW.Close()
			}()
			// The script is running, and the shell registered for signals before it started.
			line, err := bufio.NewReader(outR).ReadString('\n')
			if line != "started\n" {
				t.Fatalf("got %q, %v; stderr: %s", line, err, stderr.String())
			}
			go io.Copy(io.Discard, outR)
			start := time.Now()
			if err := syscall.Kill(os.Getpid(), tc.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case status := <-done:
				t.Logf("ended %v after the signal", time.Since(start))
				if status != tc.status {
					t.Errorf("status %d; want %d; stderr: %s", status, tc.status, stderr.String())
				}
				if strings.Contains(stderr.String(), "did not stop") {
					t.Errorf("the command had to be abandoned: %s", stderr.String())
				}
			case <-time.After(time.Minute):
				t.Fatalf("still running a minute after the signal; stderr: %s", stderr.String())
			}
		})
	}
}
