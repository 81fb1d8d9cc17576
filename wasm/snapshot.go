package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
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
	// Sessions are the variables of the engine's other sessions: an embed's named groups of
	// blocks and the sessions that fix their hops. A restarted engine gets them back (the
	// page's client restores its worker from the latest snapshot); the page's memory keeps
	// only Vars, the sessions of the site's own blocks.
	Sessions []SessionVars `json:"sessions,omitempty"`
}

// SessionVars are one session's variables, with what names the session (see SessionKey).
type SessionVars struct {
	Group string            `json:"group,omitempty"`
	Place imds.Place        `json:"on"`
	Hops  int               `json:"hops,omitempty"`
	Vars  map[string]string `json:"vars"`
}

// byKey orders sessions by group, place and hops. It is a sort.Interface rather than a
// slices.SortFunc: a struct's instantiation of the generic sort costs the wasm ~19 KB of code,
// sort.Sort is there already.
type byKey []SessionVars

func (s byKey) Len() int      { return len(s) }
func (s byKey) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s byKey) Less(i, j int) bool {
	a, b := s[i], s[j]
	return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Place, b.Place), cmp.Compare(a.Hops, b.Hops)) < 0
}

// WorldSnapshot is the shared part: the scenario document, how far the virtual clock was
// moved (sleep, curl timeouts), and the page settings.
type WorldSnapshot struct {
	Scenario      json.RawMessage `json:"scenario"`
	ClockOffsetMs int64           `json:"clockOffsetMs"`
	Hops          int             `json:"hops"`
	Version       string          `json:"version"`
}

// Snapshot captures the world and every session's variables. It waits for running runs.
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
	for k, s := range e.allSessions() {
		vars := s.Vars()
		switch {
		case len(vars) == 0:
		case k.Group == "" && k.Hops == 0:
			snap.Vars[k.Place] = vars
		default:
			snap.Sessions = append(snap.Sessions, SessionVars{Group: k.Group, Place: k.Place, Hops: k.Hops, Vars: vars})
		}
	}
	sort.Sort(byKey(snap.Sessions))
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
	for i, sv := range snap.Sessions {
		if sv.Place != imds.OnInstance && sv.Place != imds.OnWorkstation {
			return snap, fmt.Errorf("restore: sessions[%d].on: unknown place %q", i, sv.Place)
		}
		if sv.Hops < 0 || sv.Hops > MaxHops {
			return snap, fmt.Errorf("restore: sessions[%d].hops: must be absent or between 1 and %d, not %d", i, MaxHops, sv.Hops)
		}
		if sv.Group == "" && sv.Hops == 0 {
			return snap, fmt.Errorf("restore: sessions[%d]: the page's own session goes in vars", i)
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
	for _, sv := range snap.Sessions {
		s, err := e.SessionFor(SessionKey{Group: sv.Group, Place: sv.Place, Hops: sv.Hops})
		if err == nil {
			err = s.SetVars(ctx, sv.Vars)
		}
		errs = append(errs, err)
	}
	e.changed()
	return e.State(), errors.Join(errs...)
}
