package shell_test

// FuzzShell runs arbitrary scripts through a session wired to a real emulator, with small
// limits. The seed corpus lives in testdata/fuzz/FuzzShell/ and replays in every `go test`;
// fuzz it with
//
//	go test -run '^$' -fuzz '^FuzzShell$' -fuzztime 90s ./shell/
//
// Every input gets its own emulator (fixed keys, fixed clock) and session, so that a failure
// reproduces from its input alone.

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/shell"
)

// fuzzLimits keep each input short: a script that never ends costs the fuzzer RunTime.
var fuzzLimits = shell.Limits{RunTime: 50 * time.Millisecond, Output: 16 << 10, Memory: 8 << 20}

// fuzzSlack is how long past RunTime a run may go on: checkpoints are not preemption, and the
// fuzzer's workers share the machine.
const fuzzSlack = 2 * time.Second

// shellSeeds are the documentation's kinds of scripts and the shell's edges.
var shellSeeds = []string{
	`TOKEN=$(curl -s -X PUT "$vpc_metadata_api_endpoint/instance_identity/v1/token?version=2025-04-22" -H "Metadata-Flavor: ibm" -d '{"expires_in": 3600}' | jq -r .access_token)
curl -s -H "Authorization: Bearer $TOKEN" "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-04-22" | jq -r '.name'`,
	`curl -s "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-04-22" -w '%{http_code}\n'`,
	`openssl req -newkey rsa:2048 -nodes -keyout key.pem -subj "/CN=x" -out csr.pem && awk 'NF {sub(/\r/, ""); printf "%s\\n",$0;}' csr.pem | head -c 60`,
	`x=$(echo '{"a":[1,2,{"b":"c"}]}' | jq -c '.a[2]'); echo "$x" | base64 | base64 -d; echo ${#x}`,
	`for i in 1 2 3; do echo $i; done | sort -r | tr '\n' ' '; seq 5 | awk '{s+=$1} END {print s}'`,
	`f() { echo "$1"; return 3; }; f hi; echo $?; set -e; false; echo no`,
	"cat <<EOF > f.txt\nline $((1+2))\nEOF\ngrep -c line f.txt; sed 's/line/LINE/' f.txt; wc -l < f.txt; rm f.txt; ls",
	`while true; do :; done`,
	`awk 'BEGIN { while (1) {} }'`,
	`jq -n 'def f: f; f'`,
	`x=a; while true; do x=$x$x; done`,
	`yes | head -c 100000 | wc -c; yes > big`,
	`echo $((1/0)); echo ${x?unset}; echo after`,
	`diff <(echo a) <(echo b); sleep 10 &`,
	`if [ "$(uname -n)" = x ]; then echo; fi; case $0 in *) echo "$0";; esac; echo 'unterminated`,
	`bash -c 'echo $0 $1' a b; sh -c 'exit 7'; echo $?; ./missing.sh; printf '%d %s\n' 42 "x y"`,
}

func FuzzShell(f *testing.F) {
	for _, s := range shellSeeds {
		f.Add(s, false)
	}
	f.Add(`ibmcloud is instances --output json | jq -r '.[0].id'`, true)
	f.Add(`curl -s -H "Authorization: Bearer $iam_token" "$vpc_api_endpoint/v1/instances?version=2025-04-22&generation=2" | jq '.instances | length'`, true)
	f.Fuzz(func(t *testing.T, script string, workstation bool) {
		emu, clock := fixture.NewEmulator(t)
		cfg := shell.Config{Clock: clock, KeySource: fixtureKeys(t), Limits: fuzzLimits,
			Transport: emu.Transport(imds.Origin{Place: imds.OnInstance})}
		if workstation {
			tok, err := emu.UserToken()
			if err != nil {
				t.Fatal(err)
			}
			cfg.Place, cfg.Login = imds.OnWorkstation, tok
			cfg.Transport = emu.Transport(imds.Origin{Place: imds.OnWorkstation})
		}
		s := shell.New(cfg)
		var stdout, stderr bytes.Buffer
		start := time.Now()
		status := s.Run(context.Background(), script, &stdout, &stderr)
		took := time.Since(start)
		t.Logf("status %d after %v\n--- stdout\n%s\n--- stderr\n%s", status, took, stdout.String(), stderr.String())
		if status < 0 || status > 255 {
			t.Fatalf("status %d", status)
		}
		if strings.Contains(stderr.String(), "internal error") {
			t.Fatalf("a command panicked:\n%s", stderr.String())
		}
		if max := fuzzLimits.RunTime + fuzzSlack; took > max {
			t.Fatalf("the run took %v; its limit is %v (+%v)", took, fuzzLimits.RunTime, fuzzSlack)
		}
		// The session's own messages (a syntax error quotes the script) come on top of what
		// the script writes.
		if n, max := stdout.Len()+stderr.Len(), int(fuzzLimits.Output)+len(script)+1024; n > max {
			t.Fatalf("wrote %d bytes; the limit is %d", n, fuzzLimits.Output)
		}
		// No script can take the root directory away (`mv / /x` once did).
		if _, err := s.ReadFile("/"); errors.Is(err, fs.ErrNotExist) {
			t.Fatal("the session's root directory is gone")
		}
		// A limit the script hit leaves the session usable: the next run is not stopped. (What
		// the script itself did — set -n, a function named echo — may still change what the
		// next run does; that is bash's business. On a machine busy enough, even a tiny run
		// can overrun the short run time: that is tried again.)
		for try := 0; ; try++ {
			var out bytes.Buffer
			st := s.Run(context.Background(), `__fuzz_next=1`, &out, &out)
			if st != shell.StatusLimit {
				break
			}
			if !strings.Contains(out.String(), "it ran for more than") || try == 3 {
				t.Fatalf("the next run was stopped too: %q", out.String())
			}
		}
	})
}
