// Command load drives `imds serve` on loopback with bounded concurrency and duration, beside
// the floors the issue measures it against, and checks every answer it gets.
//
//	go run ./scripts/load                          # every scenario, 10s per server
//	go run ./scripts/load -scenario tokens -d 20s  # one scenario
//	go run ./scripts/load -c 16 -segment 1s
//
// # What it does
//
// It builds ./cmd/imds into a temporary directory and starts `imds serve --addr 127.0.0.1:0`,
// reading the URL from its banner. (With -core, or when cmd/imds does not build, it serves the
// core with net/http in a child process of its own instead, and says so.) The floors are
// minimal net/http servers, each in a process of its own (this program re-executed with a
// hidden flag): "sign" only signs the same RS256 tokens and the same certificate, "bytes"
// answers the same bytes as a metadata read. Each scenario is measured against the emulator and its floor with
// the same client, concurrency and duration, in short segments that alternate between the two:
//
//	tokens    PUT /identity/v1/token                    64 clients   floor: sign
//	iam       POST /identity/v1/iam_tokens              64 clients   floor: sign
//	certs     POST /identity/v1/certificates (one CSR)  64 clients   floor: sign
//	metadata  GET /metadata/v1/instance, valid token    32 clients   floor: bytes
//	mix       6 metadata : 2 tokens : 1 iam : 1 certs   64 clients   no floor
//
// It prints a markdown table of throughput, p50 and p99 latency and the ratios to the floor,
// with the budgets of issue 6 (tokens ≥ 0.9× the floor's throughput; metadata ≥ 0.8× and p99
// ≤ 1.5× the floor's p99). Only ratios mean something: on a small machine the client, the
// emulator and the floor share the cores.
//
// # Correctness under load
//
// Every answer must be 2xx. After each emulator segment (outside the timed window) every
// identity token is verified against /_emulator/identity/keys, every IAM token against
// /identity/keys, every certificate chain against /_emulator/ca.pem, and every metadata answer
// is compared with the first one. The Activity Tracker log (/_emulator/events) must have grown
// by exactly the number of requests sent, each event a success of the right action. The core
// keeps the latest 10000 events only, so each segment sends at most 10000 requests, warm-up
// included, to a fresh `imds serve` (fresh keys, fresh fixtures, an empty log). The floors are
// measured in the same kind of segments, each a fresh process, so that both sides pay the same
// start-up and warm-up. The exit status is 1 when an answer failed, a check failed or a budget
// was missed.
//
// Only loopback addresses are used.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	segment     time.Duration
	scenarios   []string
	imdsBin     string
	core        bool
	cpuprofile  string
}

var allScenarios = []string{"tokens", "iam", "certs", "metadata", "mix"}

func main() {
	// Hidden roles of the re-executed program.
	floorMode := flag.String("floor", "", "run as a floor server: sign or bytes (internal)")
	floorSpec := flag.String("floor-spec", "", "floor specification file (internal)")
	serveCore := flag.Bool("serve-core", false, "serve the core with net/http on loopback (internal)")

	var o options
	flag.IntVar(&o.concurrency, "c", 0, "concurrent clients (0: each scenario's own: 64, or 32 for metadata)")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "timed duration per scenario, for the emulator and for the floor each")
	flag.DurationVar(&o.warmup, "warmup", 250*time.Millisecond, "untimed warm-up before each measurement")
	flag.DurationVar(&o.segment, "segment", 2*time.Second, "longest timed segment; emulator and floor segments alternate")
	scenario := flag.String("scenario", "all", "tokens, iam, certs, metadata, mix, all, or a comma-separated list")
	flag.StringVar(&o.imdsBin, "imds", "", "an imds binary to run (default: go build ./cmd/imds)")
	flag.BoolVar(&o.core, "core", false, "serve the core with net/http in a child process instead of imds serve")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "with -core: write the core's CPU profile to `file` (each emulator segment overwrites it)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./scripts/load [flags]\n\n")
		flag.VisitAll(func(f *flag.Flag) {
			if f.Name == "floor" || f.Name == "floor-spec" || f.Name == "serve-core" {
				return
			}
			fmt.Fprintf(flag.CommandLine.Output(), "  -%s %s (default %q)\n", f.Name, f.Usage, f.DefValue)
		})
	}
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case *floorMode != "":
		if err := runFloor(ctx, *floorMode, *floorSpec, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "load: floor:", err)
			os.Exit(1)
		}
		return
	case *serveCore:
		if err := runCore(ctx, os.Stdout, o.cpuprofile); err != nil {
			fmt.Fprintln(os.Stderr, "load: core:", err)
			os.Exit(1)
		}
		return
	}

	if *scenario == "all" {
		o.scenarios = allScenarios
	} else {
		for _, s := range strings.Split(*scenario, ",") {
			if !contains(allScenarios, s) {
				fmt.Fprintf(os.Stderr, "load: unknown scenario %q (want %s or all)\n", s, strings.Join(allScenarios, ", "))
				os.Exit(2)
			}
			o.scenarios = append(o.scenarios, s)
		}
	}
	if o.segment <= 0 || o.duration <= 0 || o.concurrency < 0 {
		fmt.Fprintln(os.Stderr, "load: -segment and -d must be > 0, -c ≥ 0")
		os.Exit(2)
	}
	ok, err := run(ctx, o, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// logf writes a progress line to w.
func logf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "load: "+format+"\n", args...)
}
