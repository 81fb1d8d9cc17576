package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"sync"
	"time"

	"github.com/imdsplay/imdsplay/shell"
)

// Session is the shell session of one place on the page. Runs are serialised: a reader who
// clicks three blocks quickly gets them run in click order, each seeing the variables of the
// one before.
type Session struct {
	engine *Engine
	place  string

	mu  sync.Mutex // held for a whole run, so the exchanges collected belong to it
	sh  *shell.Session
	log exchangeLog
}

// Run runs script and reports its output and HTTP exchanges.
func (s *Session) Run(ctx context.Context, script string) (RunResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensureLocked(); err != nil {
		return RunResult{}, err
	}
	var stdout, stderr bytes.Buffer
	start, vstart := time.Now(), s.engine.clock.Now()
	s.log.take() // a background job of an earlier run may have left some behind
	exit := s.sh.Run(ctx, script, &stdout, &stderr)
	return RunResult{
		Exit:      exit,
		Stdout:    stdout.String(),
		Stderr:    stderr.String(),
		Exchanges: s.log.take(),
		Ms:        float64(time.Since(start).Microseconds()) / 1000,
		VirtualMs: s.engine.clock.Now().Sub(vstart).Milliseconds(),
	}, nil
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
	sh, err := s.engine.newShell(s.place, s.log.add)
	if err != nil {
		return err
	}
	s.sh = sh
	return nil
}

// newShell makes the shell session of place, on the emulator's network as seen from there.
// The workstation is logged in to ibmcloud as the scenario's operator.
func (e *Engine) newShell(place string, onExchange func(shell.Exchange)) (*shell.Session, error) {
	cfg := shell.Config{
		Transport:  e.emu.Transport(placeOrigin(place)),
		Clock:      e.clock,
		KeySource:  func(_ context.Context, bits int) (*rsa.PrivateKey, error) { return e.newKey(bits) },
		Place:      shell.Instance,
		OnExchange: onExchange,
	}
	if place == PlaceWorkstation {
		tok, err := e.emu.UserToken()
		if err != nil {
			return nil, err
		}
		cfg.Place, cfg.Login = shell.Workstation, tok
	}
	return shell.New(cfg), nil
}
