package shell_test

import (
	"context"
	"crypto/rsa"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/shell"
)

// TestFlowTimings runs each documented page end to end five times and reports the median wall
// time, twice: with Go's own RSA key generation (the default key source, whose pool generates
// the next key in the background) and with keys already at hand (the flow itself). The budget
// of issue 3 is the seed page's certificate flow (token, openssl req with rsa:4096, awk, POST)
// under 2 s median natively. It runs only with IMDS_TIMINGS=1 (it takes a while and burns CPU
// on key generation); IMDS_BUDGET=1 also fails it when the budget is exceeded (timings on a
// shared machine are too noisy to enforce by default).
func TestFlowTimings(t *testing.T) {
	if os.Getenv("IMDS_TIMINGS") == "" {
		t.Skip("set IMDS_TIMINGS=1 to measure the documented flows")
	}
	if runtime.GOOS == "js" {
		t.Skip("in the browser, keys come from WebCrypto; Go's RSA-4096 keygen in wasm is not the path to measure")
	}
	ref := referenceDir(t)
	const runs = 5
	measure := func(pr pageRun, keys func(context.Context, int) (*rsa.PrivateKey, error)) (median, lo, hi time.Duration) {
		var times []time.Duration
		for range runs {
			w := newWorld(t)
			tok, _ := w.emu.UserToken()
			w.inst = shell.New(shell.Config{Transport: w.emu.Transport(imds.Origin{Place: imds.OnInstance}), Clock: w.clock, KeySource: keys})
			w.ws = shell.New(shell.Config{Transport: w.emu.Transport(imds.Origin{Place: imds.OnWorkstation}), Clock: w.clock, Place: imds.OnWorkstation, Login: tok, KeySource: keys})
			start := time.Now()
			if pr.setup != nil {
				pr.setup(t, w)
			}
			for _, b := range readBlocks(t, filepath.Join(ref, pr.page)) {
				if b.cmd == "" {
					continue
				}
				s := w.inst
				if placeOf(b.cmd) == imds.OnWorkstation {
					s = w.ws
				}
				run(t, s, b.cmd)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		return times[runs/2], times[0], times[runs-1]
	}
	for _, pr := range pageRuns() {
		m, lo, hi := measure(pr, nil)
		f, _, _ := measure(pr, fixtureKeys(t))
		t.Logf("%-17s Go keygen: median %6v (min %v, max %v); keys at hand: median %v", pr.name,
			m.Round(time.Millisecond), lo.Round(time.Millisecond), hi.Round(time.Millisecond), f.Round(time.Millisecond))
		if pr.name == "seed/https" && m > 2*time.Second && os.Getenv("IMDS_BUDGET") != "" {
			t.Errorf("the seed page's certificate flow took %v median; the budget is 2s", m)
		}
	}
}
