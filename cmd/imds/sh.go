package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/shell"
)

const shUsage = `Usage: imds sh [--on instance|workstation] [--scenario FILE] [--hops N] [-i] [-c SCRIPT] [FILE]

Runs the playground's shell against an emulator in this process: curl, jq, awk, openssl,
base64, cut and, on the workstation, ibmcloud (logged in as the scenario's operator). Nothing
leaves the process: no socket, no real file, and time is virtual (sleep 300 returns at once and
moves the clock). On the instance, $vpc_metadata_api_endpoint is http://api.metadata.cloud.ibm.com;
on the workstation, $vpc_api_endpoint and $iam_token are set.

With -c, runs SCRIPT; with FILE, runs the file ("-" is standard input); otherwise reads
standard input as a script, or prompts for commands when it is a terminal (or with -i). At the
prompt, Ctrl-C cancels the running command, not the shell. The exit status is the shell's:
that of the last command, 2 when the script does not parse, 130 after Ctrl-C.

	imds sh -c 'curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" | jq .expires_in'
`

func (c *cli) sh(args []string) (status int) {
	fs := c.flags("sh", shUsage)
	on := fs.String("on", string(imds.OnInstance), "where the shell runs: `instance` or workstation")
	script := fs.String("c", "", "run `SCRIPT` and exit")
	file := fs.String("scenario", "", "scenario `FILE` to emulate instead of the default")
	hops := fs.Int("hops", 1, "network hops between the shell and the metadata service (`N` > response_hop_limit: no answer)")
	interactive := fs.Bool("i", false, "prompt for commands even when standard input is not a terminal")
	if st := c.parse(fs, args); st >= 0 {
		return st
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	place := imds.Place(*on)
	if place == "" || !place.Known() {
		return c.usageError("sh", "--on: want instance or workstation, not %q", *on)
	}
	if *hops < 1 {
		return c.usageError("sh", "--hops: want 1 or more, not %d", *hops)
	}
	if fs.NArg() > 1 || (fs.NArg() == 1 && given["c"]) {
		return c.usageError("sh", "want at most one of -c SCRIPT and FILE")
	}
	world, st := c.loadScenario("sh", *file)
	if st != 0 {
		return st
	}

	clock := vclock.Following(nil)
	emu, err := imds.New(imds.Config{Time: clock.Now, Scenario: world})
	if err != nil {
		fmt.Fprintf(c.stderr, "imds sh: %v\n", err)
		return 1
	}
	cfg := shell.Config{Transport: emu.Transport(imds.Origin{Place: place, Hops: *hops}), Clock: clock, Place: place}
	if place == imds.OnWorkstation {
		if cfg.Login, err = emu.UserToken(); err != nil {
			fmt.Fprintf(c.stderr, "imds sh: %v\n", err)
			return 1
		}
		cfg.Account = emu.Scenario().Operator.AccountName
	}
	sess := shell.New(cfg)

	// Ctrl-C interrupts the running command (at the prompt it abandons the line); SIGTERM, or
	// Ctrl-C when there is no prompt, ends the shell. A command that does not stop within
	// stopGrace of either (a bug: every command watches its run's context) ends the process.
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	prompting := given["i"] || (!given["c"] && fs.NArg() == 0 && isTerminal(c.stdin))
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	finished := make(chan struct{})
	defer close(finished)
	var terminated atomic.Bool
	defer func() {
		if terminated.Load() {
			status = StatusTerminated
		}
	}()
	go func() {
		for {
			select {
			case sig := <-sigs:
				status := StatusInterrupted
				if sig == syscall.SIGTERM {
					status = StatusTerminated
					terminated.Store(true)
				}
				ends := sig == syscall.SIGTERM || !prompting
				if ends {
					cancel()
				}
				busy := sess.Busy()
				sess.Interrupt()
				if ends || busy {
					grace := stopGrace
					if !busy {
						grace = 0 // waiting at the prompt, in a read nothing interrupts
					}
					go c.exitUnlessStopped(sess, finished, ends, status, grace)
				}
			case <-ctx.Done():
				return
			}
		}
	}()

	switch {
	case given["c"]:
		return sess.Run(ctx, *script, c.stdout, c.stderr)
	case fs.NArg() == 1 && fs.Arg(0) != "-":
		data, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(c.stderr, "imds sh: %v\n", err)
			return StatusCannotRead
		}
		return sess.Run(ctx, string(data), c.stdout, c.stderr)
	case *interactive || (fs.NArg() == 0 && isTerminal(c.stdin)):
		return sess.Interactive(ctx, c.stdin, c.stdout, c.stderr)
	}
	data, err := io.ReadAll(c.stdin)
	if err != nil {
		fmt.Fprintf(c.stderr, "imds sh: reading standard input: %v\n", err)
		return StatusCannotRead
	}
	return sess.Run(ctx, string(data), c.stdout, c.stderr)
}

// Exit statuses after a signal, as bash's: 128 + the signal's number.
const (
	StatusInterrupted = 130
	StatusTerminated  = 143
)

// stopGrace is how long a command has to stop after Ctrl-C or SIGTERM.
const stopGrace = 2 * time.Second

// exitUnlessStopped ends the process with status when, grace after a signal, the shell has
// not finished although it should end (ends: SIGTERM, or Ctrl-C without a prompt, which also
// covers a prompt waiting for a line that a read cannot be interrupted out of), or the
// interrupted command still runs.
func (c *cli) exitUnlessStopped(sess *shell.Session, finished <-chan struct{}, ends bool, status int, grace time.Duration) {
	select {
	case <-finished:
		return
	case <-time.After(grace):
	}
	if c.exit == nil || (!ends && !sess.Busy()) {
		return
	}
	if sess.Busy() {
		fmt.Fprintf(c.stderr, "\nimds sh: the command did not stop within %v; exiting\n", stopGrace)
	}
	c.exit(status)
}

// StatusCannotRead is the exit status when the script file cannot be read, as bash's 127 for
// a missing script.
const StatusCannotRead = 127

// isTerminal reports whether r is a character device, such as a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
