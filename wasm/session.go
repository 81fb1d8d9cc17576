package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/internal/shvars"
	"github.com/imdsplay/imdsplay/shell"
)

// Session is the shell session of one place on the page. Runs are serialised: a reader who
// clicks three blocks quickly gets them run in click order, each seeing the variables of the
// one before.
type Session struct {
	engine *Engine
	place  imds.Place
	hops   int // 0: the page's setting

	mu    sync.Mutex // held for a whole run, so the exchanges collected belong to it
	sh    *shell.Session
	log   exchangeLog
	names varNames // the variables the session's scripts assign
}

// Run runs script and reports its output and HTTP exchanges. The engine's change listeners
// hear of it afterwards: a command may have changed the world (ibmcloud, a PATCH), and the run
// made events.
func (s *Session) Run(ctx context.Context, script string) (RunResult, error) {
	defer s.engine.readers.start()()
	r, err := s.run(ctx, script)
	if err == nil {
		s.engine.changed()
	}
	return r, err
}

// run is Run under the session's lock.
func (s *Session) run(ctx context.Context, script string) (RunResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensureLocked(); err != nil {
		return RunResult{}, err
	}
	var out output
	start, vstart := time.Now(), s.engine.clock.Now()
	s.log.take() // a background job of an earlier run may have left some behind
	assigned := s.names.addScript(script)
	stdout, stderr := out.writers()
	exit := s.sh.Run(ctx, script, stdout, stderr)
	r := RunResult{
		Exit:      exit,
		Exchanges: s.log.take(),
		Ms:        float64(time.Since(start).Microseconds()) / 1000,
		VirtualMs: s.engine.clock.Now().Sub(vstart).Milliseconds(),
		Place:     s.place,
		Set:       s.holding(assigned),
	}
	r.Stdout, r.Stderr, r.Output = out.result()
	// Copy as curl, with the variables as they stand after the run: the script's own (its
	// token, say) and the presets (the endpoints).
	vars := s.varsLocked(true)
	for i := range r.Exchanges {
		r.Exchanges[i].Curl = CurlCommand(r.Exchanges[i], nil)
		r.Exchanges[i].CurlVars = CurlCommand(r.Exchanges[i], vars)
	}
	return r, nil
}

// Vars returns the variables the session's scripts assigned, with their values now (empty
// ones left out): what a reload should give back. The presets are not among them unless a
// script assigned them: a new session has its own, fresh ones (a new $iam_token). It waits for
// a running Run to end.
func (s *Session) Vars() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sh == nil {
		return map[string]string{}
	}
	return s.varsLocked(false)
}

// varsLocked returns the assigned variables and, with presets, the place's presets too; s.mu
// is held and the shell exists.
func (s *Session) varsLocked(presets bool) map[string]string {
	names := s.names.list()
	if presets {
		names = append(names, shvars.Presets(s.place)...)
	}
	out := map[string]string{}
	for _, name := range names {
		if v := s.sh.Var(name); v != "" && len(v) <= maxVarBytes {
			out[name] = v
		}
	}
	return out
}

// holding returns those of names that hold a value the session would keep; s.mu is held.
func (s *Session) holding(names []string) []string {
	out := []string{}
	for _, name := range names {
		if v := s.sh.Var(name); v != "" && len(v) <= maxVarBytes {
			out = append(out, name)
		}
	}
	return out
}

// SetVars assigns variables in the session, as if a script had (restoring a saved page).
// Names that are not plain shell identifiers, or that the shell manages itself, are skipped.
func (s *Session) SetVars(ctx context.Context, vars map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensureLocked(); err != nil {
		return err
	}
	script := assignScript(vars)
	if script == "" {
		return nil
	}
	s.names.addScript(script)
	var stderr bytes.Buffer
	if exit := s.sh.Run(ctx, script, io.Discard, &stderr); exit != 0 {
		return fmt.Errorf("restoring variables: exit %d: %s", exit, stderr.String())
	}
	return nil
}

// ensure creates the shell session now rather than at the first Run.
func (s *Session) ensure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ensureLocked()
}

// ensureLocked creates the shell session if there is none yet; s.mu is held.
func (s *Session) ensureLocked() error {
	if s.sh != nil {
		return nil
	}
	sh, err := s.engine.newShell(s.place, s.hops, s.log.add)
	if err != nil {
		return err
	}
	s.sh = sh
	return nil
}

// newShell makes the shell session of place, on the emulator's network as seen from there.
// The workstation is logged in to ibmcloud as the scenario's operator.
func (e *Engine) newShell(place imds.Place, hops int, onExchange func(shell.Exchange)) (*shell.Session, error) {
	cfg := shell.Config{
		Transport:  placeTransport{e: e, place: place, hops: hops},
		Clock:      e.clock,
		KeySource:  func(_ context.Context, bits int) (*rsa.PrivateKey, error) { return e.newKey(bits) },
		Place:      imds.OnInstance,
		OnExchange: onExchange,
	}
	if place == imds.OnWorkstation {
		tok, err := e.emu.UserToken()
		if err != nil {
			return nil, err
		}
		cfg.Place, cfg.Login = imds.OnWorkstation, tok
	}
	return shell.New(cfg), nil
}
