package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

// Memory: what the page saves so that a reload finds the world and the sessions' variables as
// they were. The page stores the two parts under different keys, both for the whole site (one
// instance, one shell session per place for the visit); see web/ts/memory.ts.

// SnapshotVersion is the version of the Snapshot format; Restore refuses any other.
const SnapshotVersion = 1

// Snapshot is what imds.snapshot() resolves to and imds.restore() takes. Either part may be
// absent from what is restored.
type Snapshot struct {
	V     int            `json:"v"`
	World *WorldSnapshot `json:"world,omitempty"`
	// Vars are the page sessions' variables, by place ("instance", "workstation").
	Vars map[imds.Place]map[string]string `json:"vars,omitempty"`
}

// WorldSnapshot is the shared part: the scenario document, how far the virtual clock was
// moved (sleep, curl timeouts), and the page settings.
type WorldSnapshot struct {
	Scenario      json.RawMessage `json:"scenario"`
	ClockOffsetMs int64           `json:"clockOffsetMs"`
	Hops          int             `json:"hops"`
	Version       string          `json:"version"`
}

// Snapshot captures the world and the page sessions' variables. It waits for running runs.
func (e *Engine) Snapshot() (Snapshot, error) {
	sc, err := json.Marshal(e.emu.Scenario())
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{
		V: SnapshotVersion,
		World: &WorldSnapshot{
			Scenario:      sc,
			ClockOffsetMs: e.clock.Offset().Milliseconds(),
			Hops:          e.Hops(),
			Version:       e.Version(),
		},
		Vars: map[imds.Place]map[string]string{},
	}
	for place, s := range e.pageSessions() {
		if vars := s.Vars(); len(vars) > 0 {
			snap.Vars[place] = vars
		}
	}
	return snap, nil
}

// ParseSnapshot reads a snapshot strictly: a saved entry from another version of the site,
// or one damaged in storage, is refused whole, with the reason.
func ParseSnapshot(b []byte) (Snapshot, error) {
	var snap Snapshot
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&snap); err != nil {
		return snap, fmt.Errorf("restore: %v", err)
	}
	if snap.V != SnapshotVersion {
		return snap, fmt.Errorf("restore: snapshot version %d; this playground reads version %d", snap.V, SnapshotVersion)
	}
	if w := snap.World; w != nil {
		if w.Hops < 0 || w.Hops > MaxHops {
			return snap, fmt.Errorf("restore: world.hops: must be between 1 and %d, not %d", MaxHops, w.Hops)
		}
		if w.ClockOffsetMs < 0 {
			return snap, errors.New("restore: world.clockOffsetMs: must not be negative")
		}
		if err := validVersion(w.Version); err != nil {
			return snap, fmt.Errorf("restore: world.%v", err)
		}
		if len(w.Scenario) == 0 {
			return snap, errors.New("restore: world.scenario: is required")
		}
	}
	for place := range snap.Vars {
		if place != imds.OnInstance && place != imds.OnWorkstation {
			return snap, fmt.Errorf("restore: vars: unknown place %q", place)
		}
	}
	return snap, nil
}

// Restore puts a snapshot back: the world all or nothing (an invalid scenario changes
// nothing), then the variables. The virtual clock only moves forward, so a clock that was
// moved further than the snapshot says stays where it is.
func (e *Engine) Restore(ctx context.Context, snap Snapshot) (State, error) {
	if w := snap.World; w != nil {
		sc, err := scenario.Load(bytes.NewReader(w.Scenario))
		if err != nil {
			return State{}, fmt.Errorf("restore: world.scenario: %w", err)
		}
		if err := e.emu.Update(func(s *scenario.Scenario) error { *s = *sc; return nil }); err != nil {
			return State{}, fmt.Errorf("restore: world.scenario: %w", err)
		}
		if d := time.Duration(w.ClockOffsetMs)*time.Millisecond - e.clock.Offset(); d > 0 {
			e.clock.Advance(d)
		}
		e.page.mu.Lock()
		e.page.hops, e.page.version = w.Hops, w.Version
		e.page.mu.Unlock()
	}
	var errs []error
	for place, vars := range snap.Vars {
		s, err := e.Session(place)
		if err == nil {
			err = s.SetVars(ctx, vars)
		}
		errs = append(errs, err)
	}
	e.changed()
	return e.State(), errors.Join(errs...)
}
