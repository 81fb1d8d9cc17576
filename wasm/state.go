package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

// The state the instance panel shows and changes. Everything the panel (or an embed) changes
// goes through the core's Emulator.Update, so the CLI, the VPC API and the panel see and change
// one world. Two settings belong to the page rather than to the world: where the instance's
// commands run (Hops) and the API version date the version switch writes into blocks.

// State is what imds.state() returns and imds.onChange(cb) passes: the instance "we are on"
// (the scenario's first), the account's trusted profiles, and the page's two settings.
type State struct {
	Instance InstanceState  `json:"instance"`
	Profiles []ProfileState `json:"profiles"`
	// Hops is where the instance's commands run: 1 on the host itself, 2 in a container one
	// hop away, 3 two hops away. The metadata service's answers must survive that many hops.
	Hops int `json:"hops"`
	// Version is the API version date the version switch set (YYYY-MM-DD), or "" when blocks
	// keep the dates they were written with.
	Version string `json:"version"`
	// Instances is the number of instances in the world (the CLI can create more).
	Instances int `json:"instances"`
	// Access is what the operator and each trusted profile may do with the instance through
	// the VPC API, by IAM role (roles.go).
	Access []AccessState `json:"access"`
}

// InstanceState is the panel's view of the instance.
type InstanceState struct {
	ID              string                   `json:"id"`
	Name            string                   `json:"name"`
	CRN             string                   `json:"crn"`
	Status          string                   `json:"status"`
	MetadataService scenario.MetadataService `json:"metadata_service"`
	// DefaultTrustedProfile is always an object; its target is null when there is none.
	DefaultTrustedProfile DefaultProfileState `json:"default_trusted_profile"`
}

// DefaultProfileState is the instance's default trusted profile.
type DefaultProfileState struct {
	AutoLink bool        `json:"auto_link"`
	Target   *ProfileRef `json:"target"`
}

// ProfileRef names a trusted profile.
type ProfileRef struct {
	ID   string `json:"id"`
	CRN  string `json:"crn"`
	Name string `json:"name"`
}

// ProfileState is one trusted profile of the account and whether the instance is linked to it.
type ProfileState struct {
	ProfileRef
	Linked bool `json:"linked"`
}

// Patch is what imds.configure(patch) takes: every field is optional, and a patch is applied
// all or nothing. Unknown fields are errors, so that a typo is not silently ignored.
type Patch struct {
	Enabled  *bool   `json:"enabled,omitempty"`
	Protocol *string `json:"protocol,omitempty"` // "http" or "https"
	HopLimit *int    `json:"hopLimit,omitempty"` // the response hop limit, 1..64
	Status   *string `json:"status,omitempty"`   // "running" or "stopped"
	Hops     *int    `json:"hops,omitempty"`     // where commands run: 1..MaxHops
	// DefaultProfile names the default trusted profile by id, crn or name; "" removes it.
	DefaultProfile *string `json:"defaultProfile,omitempty"`
	// AutoLink sets the default profile's auto_link; turning it on links the default profile
	// to the instance, as creating the instance with auto_link would have.
	AutoLink *bool `json:"autoLink,omitempty"`
	// Link and Unlink link or unlink trusted profiles (id, crn or name; one or a list);
	// Linked sets the exact list of linked profiles. Linked is applied first.
	Link   stringList  `json:"link,omitempty"`
	Unlink stringList  `json:"unlink,omitempty"`
	Linked *stringList `json:"linked,omitempty"`
	// Version sets the version switch: a YYYY-MM-DD date, or "" for the blocks' own dates.
	Version *string `json:"version,omitempty"`
}

// MaxHops bounds Patch.Hops: the metadata service's hop limit cannot exceed 64 either.
const MaxHops = 64

// stringList is a JSON string or array of strings.
type stringList []string

// UnmarshalJSON accepts "id" as well as ["id", ...].
func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("must be a string or an array of strings")
	}
	*l = many
	return nil
}

// ParsePatch reads a configure patch, naming the field at fault.
func ParsePatch(b []byte) (Patch, error) {
	var p Patch
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return p, fmt.Errorf("configure: %s: must be a %s, not a JSON %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return p, fmt.Errorf("configure: %v", err)
	}
	return p, nil
}

// jsonKind says a Go kind in JSON's words.
func jsonKind(k string) string {
	switch k {
	case "bool":
		return "boolean"
	case "int", "int64":
		return "number"
	case "ptr":
		return "value"
	}
	return k
}

// dateRE is the shape of an API version date.
var dateRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`) })

// validVersion reports whether v is "" or a real YYYY-MM-DD date.
func validVersion(v string) error {
	if v == "" {
		return nil
	}
	if !dateRE().MatchString(v) {
		return fmt.Errorf("configure: version: must be a date YYYY-MM-DD or \"\", not %q", v)
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return fmt.Errorf("configure: version: %q is not a date", v)
	}
	return nil
}

// pageSettings are the engine's settings that are not part of the world.
type pageSettings struct {
	mu      sync.Mutex
	hops    int
	version string
}

// Hops returns where the instance's commands run (1 when never set).
func (e *Engine) Hops() int {
	e.page.mu.Lock()
	defer e.page.mu.Unlock()
	if e.page.hops < 1 {
		return 1
	}
	return e.page.hops
}

// Version returns the version switch's date, or "".
func (e *Engine) Version() string {
	e.page.mu.Lock()
	defer e.page.mu.Unlock()
	return e.page.version
}

// State returns the panel's view of the world now.
func (e *Engine) State() State {
	hops, version := e.Hops(), e.Version()
	var st State
	e.emu.View(func(s *scenario.Scenario) { st = stateOf(s, hops, version) })
	st.Access = accessOf(e.emu.Access())
	return st
}

// stateOf builds the State of a world. The State shares nothing with it but strings.
func stateOf(s *scenario.Scenario, hops int, version string) State {
	st := State{Hops: hops, Version: version, Instances: len(s.Instances), Profiles: []ProfileState{}}
	if len(s.Instances) == 0 {
		return st
	}
	in := &s.Instances[0]
	st.Instance = InstanceState{ID: in.ID, Name: in.Name, CRN: in.CRN, Status: in.Status, MetadataService: in.MetadataService}
	if d := in.DefaultProfile; d != nil {
		st.Instance.DefaultTrustedProfile.AutoLink = d.AutoLink
		if p := s.FindProfile(d.Target); p != nil {
			st.Instance.DefaultTrustedProfile.Target = &ProfileRef{ID: p.ID, CRN: p.CRN, Name: p.Name}
		} else {
			st.Instance.DefaultTrustedProfile.Target = &ProfileRef{ID: d.Target.ID, CRN: d.Target.CRN}
		}
	}
	for _, p := range s.TrustedProfiles {
		st.Profiles = append(st.Profiles, ProfileState{
			ProfileRef: ProfileRef{ID: p.ID, CRN: p.CRN, Name: p.Name},
			Linked:     slices.Contains(p.LinkedInstances, in.ID),
		})
	}
	return st
}

// findProfile finds a trusted profile by id, crn or name.
func findProfile(s *scenario.Scenario, ref string) *scenario.TrustedProfile {
	if ref == "" {
		return nil
	}
	if p := s.FindProfile(scenario.TrustedProfileTarget{ID: ref, CRN: ref}); p != nil {
		return p
	}
	return s.ProfileByName(ref)
}

// setLink links or unlinks profile p to the instance with that ID.
func setLink(p *scenario.TrustedProfile, instanceID string, link bool) {
	p.LinkedInstances = slices.DeleteFunc(slices.Clone(p.LinkedInstances), func(id string) bool { return id == instanceID })
	if link {
		p.LinkedInstances = append(p.LinkedInstances, instanceID)
	}
}

// Configure applies a patch, all or nothing, and notifies the change listeners.
func (e *Engine) Configure(p Patch) (State, error) {
	if p.Hops != nil && (*p.Hops < 1 || *p.Hops > MaxHops) {
		return State{}, fmt.Errorf("configure: hops: must be between 1 and %d, not %d", MaxHops, *p.Hops)
	}
	if p.Version != nil {
		if err := validVersion(*p.Version); err != nil {
			return State{}, err
		}
	}
	if p.Status != nil && *p.Status != "running" && *p.Status != "stopped" {
		return State{}, fmt.Errorf("configure: status: must be \"running\" or \"stopped\", not %q", *p.Status)
	}
	if p.Protocol != nil && *p.Protocol != "http" && *p.Protocol != "https" {
		return State{}, fmt.Errorf("configure: protocol: must be \"http\" or \"https\", not %q", *p.Protocol)
	}
	if p.HopLimit != nil && (*p.HopLimit < 1 || *p.HopLimit > 64) {
		return State{}, fmt.Errorf("configure: hopLimit: must be between 1 and 64, not %d", *p.HopLimit)
	}
	if p.touchesWorld() {
		err := e.emu.Update(func(s *scenario.Scenario) error { return applyPatch(s, p) })
		if err != nil {
			return State{}, err
		}
	}
	e.page.mu.Lock()
	if p.Hops != nil {
		e.page.hops = *p.Hops
	}
	if p.Version != nil {
		e.page.version = *p.Version
	}
	e.page.mu.Unlock()
	e.changed()
	return e.State(), nil
}

// touchesWorld reports whether p changes the scenario (not only page settings).
func (p Patch) touchesWorld() bool {
	return p.Enabled != nil || p.Protocol != nil || p.HopLimit != nil || p.Status != nil ||
		p.DefaultProfile != nil || p.AutoLink != nil || len(p.Link) > 0 || len(p.Unlink) > 0 || p.Linked != nil
}

// applyPatch changes the first instance of s as p says.
func applyPatch(s *scenario.Scenario, p Patch) error {
	if len(s.Instances) == 0 {
		return errors.New("configure: the world has no instance")
	}
	in := &s.Instances[0]
	ms := &in.MetadataService
	if p.Enabled != nil {
		ms.Enabled = *p.Enabled
	}
	if p.Protocol != nil {
		ms.Protocol = *p.Protocol
	}
	if p.HopLimit != nil {
		ms.ResponseHopLimit = *p.HopLimit
	}
	if p.Status != nil {
		in.Status = *p.Status
	}
	profile := func(field, ref string) (*scenario.TrustedProfile, error) {
		if pr := findProfile(s, ref); pr != nil {
			return pr, nil
		}
		return nil, fmt.Errorf("configure: %s: no trusted profile %q", field, ref)
	}
	// Auto link links the default profile when it is turned on, or when it is on and the
	// default profile changes, as creating the instance would; otherwise links stay as they are.
	before := scenario.DefaultTrustedProfile{}
	if in.DefaultProfile != nil {
		before = *in.DefaultProfile
	}
	if p.DefaultProfile != nil {
		if *p.DefaultProfile == "" {
			in.DefaultProfile = nil
		} else {
			pr, err := profile("defaultProfile", *p.DefaultProfile)
			if err != nil {
				return err
			}
			autoLink := in.DefaultProfile != nil && in.DefaultProfile.AutoLink
			in.DefaultProfile = &scenario.DefaultTrustedProfile{AutoLink: autoLink, Target: scenario.TrustedProfileTarget{ID: pr.ID, CRN: pr.CRN}}
		}
	}
	if p.AutoLink != nil {
		if in.DefaultProfile == nil {
			if *p.AutoLink {
				return errors.New("configure: autoLink: the instance has no default trusted profile")
			}
		} else {
			in.DefaultProfile.AutoLink = *p.AutoLink
		}
	}
	if p.Linked != nil {
		want := map[string]bool{}
		for _, ref := range *p.Linked {
			pr, err := profile("linked", ref)
			if err != nil {
				return err
			}
			want[pr.ID] = true
		}
		for i := range s.TrustedProfiles {
			setLink(&s.TrustedProfiles[i], in.ID, want[s.TrustedProfiles[i].ID])
		}
	}
	for _, ref := range p.Link {
		pr, err := profile("link", ref)
		if err != nil {
			return err
		}
		setLink(pr, in.ID, true)
	}
	for _, ref := range p.Unlink {
		pr, err := profile("unlink", ref)
		if err != nil {
			return err
		}
		setLink(pr, in.ID, false)
	}
	if d := in.DefaultProfile; d != nil && d.AutoLink && (!before.AutoLink || d.Target != before.Target) {
		if pr := s.FindProfile(d.Target); pr != nil {
			setLink(pr, in.ID, true)
		}
	}
	return nil
}

// EventsNewestFirst returns the Activity Tracker events, newest first: at most limit of them
// when limit > 0 (the log keeps up to 10,000, too many to hand to the page on every change).
func (e *Engine) EventsNewestFirst(limit int) []imds.Event {
	ev := e.emu.Events()
	if limit > 0 && len(ev) > limit {
		ev = ev[len(ev)-limit:]
	}
	slices.Reverse(ev)
	return ev
}

// listeners are the engine's change listeners.
type listeners struct {
	mu  sync.Mutex
	fns []*func()
}

// OnChange registers f to be called after every change of state: a run finished (a command
// may have changed the world, and the run made events), a configure, a restore. It returns a
// function that removes f. f is called from the goroutine that made the change.
func (e *Engine) OnChange(f func()) (remove func()) {
	p := &f
	e.subs.mu.Lock()
	e.subs.fns = append(e.subs.fns, p)
	e.subs.mu.Unlock()
	return func() {
		e.subs.mu.Lock()
		e.subs.fns = slices.DeleteFunc(e.subs.fns, func(q *func()) bool { return q == p })
		e.subs.mu.Unlock()
	}
}

// changed calls the change listeners, in registration order.
func (e *Engine) changed() {
	e.subs.mu.Lock()
	fns := slices.Clone(e.subs.fns)
	e.subs.mu.Unlock()
	for _, f := range fns {
		(*f)()
	}
}
