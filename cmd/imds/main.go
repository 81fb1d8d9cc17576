// Command imds runs the imdsplay emulator of the IBM Cloud VPC instance metadata service.
//
//	imds serve [--addr 127.0.0.1:8169] [--scenario FILE] [--tls] [-v]
//	imds scenario
//	imds sh [--on instance|workstation] [-c SCRIPT] [FILE]
//	imds site build [-o public]
//	imds site serve [--addr 127.0.0.1:8080]
//	imds help [COMMAND]
//
// `imds serve` answers the identity and metadata APIs, IAM's token endpoint and keys, the VPC
// API subset and the emulator's /_emulator/ endpoints on one loopback port, routed by path.
// It accepts plain HTTP and TLS on that port; the instance's metadata_service.protocol decides
// which one the metadata service answers, and --tls turns secure access on from the start.
// Answers of the metadata service leave with the instance's response_hop_limit as their IP
// TTL (IPv6 hop limit), as on IBM Cloud, so a client more hops away never sees them.
//
// Exit status: 0 on success, 1 when the work failed, 2 for bad flags, arguments or scenario
// files (with a message naming the flag or the field).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command, given its arguments (without the program name) and where to
// write; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	c := &cli{ctx: context.Background(), stdin: os.Stdin, stdout: stdout, stderr: stderr, exit: os.Exit}
	return c.run(args)
}

// cli is one invocation of the command: its context (cancelled to stop a server), its
// standard streams, and how it ends the process when a command will not stop (nil: it does
// not).
type cli struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	exit   func(int)
}

// command is a subcommand.
type command struct {
	name    string
	summary string
	usage   string // the full help text, starting with the usage line
	run     func(c *cli, args []string) int
}

// commands lists the subcommands in the order help shows them.
var commands []command

func init() {
	commands = []command{
		{"serve", "run the emulator on a local port", serveUsage, (*cli).serve},
		{"scenario", "print the default scenario as JSON", scenarioUsage, (*cli).scenario},
		{"sh", "run the playground's shell (curl, jq, ibmcloud, ...) against the emulator", shUsage, (*cli).sh},
		{"site", "build or serve the playground site", siteUsage, (*cli).site},
		{"help", "show help for a command", helpUsage, (*cli).help},
	}
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

const helpUsage = `Usage: imds help [COMMAND]

Shows what imds does, or the flags of one command.
`

// mainUsage is the top-level help.
func mainUsage() string {
	var b strings.Builder
	b.WriteString(`imds emulates the IBM Cloud VPC instance metadata service: identity tokens, the IAM
exchange, identity certificates, instance metadata, and the VPC API calls that configure them.

Usage:

	imds <command> [flags] [arguments]

Commands:

`)
	for _, cmd := range commands {
		fmt.Fprintf(&b, "\t%-9s %s\n", cmd.name, cmd.summary)
	}
	b.WriteString(`
Run "imds help <command>" for the flags of a command.
`)
	return b.String()
}

func (c *cli) run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, mainUsage())
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(c.stdout, mainUsage())
		return 0
	}
	cmd := lookup(args[0])
	if cmd == nil {
		fmt.Fprintf(c.stderr, "imds: unknown command %q\n\n%s", args[0], mainUsage())
		return 2
	}
	return cmd.run(c, args[1:])
}

func (c *cli) help(args []string) int {
	switch len(args) {
	case 0:
		fmt.Fprint(c.stdout, mainUsage())
		return 0
	case 1:
		if cmd := lookup(args[0]); cmd != nil {
			fmt.Fprint(c.stdout, cmd.usage)
			return 0
		}
		fmt.Fprintf(c.stderr, "imds help: unknown command %q\n\n%s", args[0], mainUsage())
		return 2
	}
	fmt.Fprint(c.stderr, helpUsage)
	return 2
}

// flags returns a flag set for a command that prints usage (and then its flags' defaults) to
// stderr on a bad flag, and to stdout for -h.
func (c *cli) flags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs. It returns -1 to go on, or the exit status: 0 after -h, 2 after
// a bad flag (flag has printed the error and the usage).
func (c *cli) parse(fs *flag.FlagSet, args []string) int {
	fs.SetOutput(c.stderr)
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(c.stdout)
			fs.Usage()
			return 0
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	return -1
}

// usageError reports a bad invocation of a command and returns status 2.
func (c *cli) usageError(cmd, format string, args ...any) int {
	fmt.Fprintf(c.stderr, "imds %s: %s\n", cmd, fmt.Sprintf(format, args...))
	fmt.Fprintf(c.stderr, "Run \"imds help %s\" for usage.\n", strings.Fields(cmd)[0])
	return 2
}
