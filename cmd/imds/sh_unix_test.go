//go:build unix

package main

import (
	"context"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

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
