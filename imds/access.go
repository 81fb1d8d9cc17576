package imds

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// The access model of the VPC API: every holder of an IAM access token (the operator, or a
// trusted profile whose token an instance obtained) has the IAM platform role its policies
// grant on VPC Infrastructure Services (scenario.VPCRole), and every VPC route names the least
// role it needs (route.role). The roles come from IBM's table of minimum IAM roles for VPC
// actions ("Required permissions"): View and List need Viewer; Create, Update and Delete of
// instances and templates need Editor; instance actions need Operator, and Editor too by the
// known issue "Extra authorizations beyond the authorizations defined in the API
// specification". A refusal is 403 not_authorized, as IBM's CLI prints it.

// vpcCaller is the holder of an IAM token on the VPC API.
type vpcCaller struct {
	who  EventInitiator
	role string // the highest platform role on VPCService, "" for none
}

// vpcAuth verifies the IAM token, names its holder for events and finds the role the holder's
// policies grant now (a scenario change takes effect on the next call, as IAM's do within
// minutes).
func (e *Emulator) vpcAuth(r *http.Request) (vpcCaller, error) {
	tok, err := bearer(r)
	if err != nil {
		return vpcCaller{}, vpcError(http.StatusUnauthorized, vpcNotAuthorized, nil, "The request is not authorized: it carries no IAM access token in an `Authorization: Bearer` header.")
	}
	c, err := e.iamClaimsOf(tok)
	if err != nil {
		return vpcCaller{}, &Error{Code: vpcNotAuthorized, Status: http.StatusUnauthorized, Err: err,
			Message: "The request is not authorized: the IAM access token is invalid or expired."}
	}
	caller := vpcCaller{who: EventInitiator{ID: c.IAMID, Name: c.Email, TypeURI: vpcTypeUser}}
	if c.SubType == "Profile" {
		caller.who.Name, caller.who.TypeURI = c.Name, vpcTypeTrustedProfile
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if c.SubType == "Profile" {
		if p := e.world.FindProfile(scenario.TrustedProfileTarget{ID: c.Identifier}); p != nil {
			caller.role = scenario.VPCRole(p.Policies)
		}
	} else if c.IAMID == e.world.Operator.IAMID {
		caller.role = scenario.VPCRole(e.world.Operator.Policies)
	}
	return caller, nil
}

// roleRank orders platform roles: -1 for none.
func roleRank(role string) int { return slices.Index(scenario.PlatformRoles, role) }

// authorize refuses a caller whose role is below the route's, in the words of IBM's CLI
// ("the provided token is not authorized to <verb> the specified <resource>").
func (e *Emulator) authorize(c vpcCaller, rt *route, id string) error {
	if rt.role == "" || roleRank(c.role) >= roleRank(rt.role) {
		return nil
	}
	// The action names the resource and the verb: is.instance.instance-template.delete.
	parts := strings.Split(rt.action, ".")
	resource, verb := "resource", "access"
	if len(parts) == 4 {
		resource, verb = strings.ReplaceAll(parts[2], "-", " "), parts[3]
	}
	if id == "" && rt.method == http.MethodPost {
		id = "NEWRESOURCE"
	}
	what := fmt.Sprintf("the specified %s (ID:%s)", resource, id)
	if id == "" {
		what = "the " + resource + " collection"
	}
	return vpcError(http.StatusForbidden, vpcNotAuthorized, nil,
		"the provided token is not authorized to %s %s in this account: it needs the %s role on VPC Infrastructure Services", verb, what, rt.role)
}

// Access is what one holder of IAM tokens may do with the VPC API: the operator, or a trusted
// profile (as the instances linked to it act). The playground's panel shows it.
type Access struct {
	// Kind is "operator" or "trusted_profile"; ID and Name name the holder.
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
	// LinkedInstances are the instances that can act as this trusted profile.
	LinkedInstances []string `json:"linked_instances,omitempty"`
	// Role is the highest platform role on VPC Infrastructure Services, "" for none.
	Role string `json:"role"`
	// Policies are the holder's policies as the scenario gives them; nil is the default of
	// scenarios without policies (see scenario.Policy).
	Policies []scenario.Policy `json:"policies"`
	// Operations are the VPC API operations the role allows ("GET /v1/instances", ...).
	Operations []string `json:"operations"`
	// Denied are the VPC API operations it does not allow.
	Denied []string `json:"denied"`
}

// Access returns who may do what with the VPC API in the current world: the operator first,
// then each trusted profile.
func (e *Emulator) Access() []Access {
	e.mu.Lock()
	s := e.world
	out := []Access{{Kind: "operator", ID: s.Operator.IAMID, Name: s.Operator.Email, Role: scenario.VPCRole(s.Operator.Policies), Policies: s.Operator.Policies}}
	for _, p := range s.TrustedProfiles {
		out = append(out, Access{Kind: "trusted_profile", ID: p.ID, Name: p.Name, LinkedInstances: append([]string(nil), p.LinkedInstances...),
			Role: scenario.VPCRole(p.Policies), Policies: p.Policies})
	}
	e.mu.Unlock()
	for i := range out {
		a := &out[i]
		a.Operations, a.Denied = []string{}, []string{}
		for _, rt := range vpcHost.routes {
			op := rt.method + " " + rt.pattern
			if rt.role == "" || roleRank(a.Role) >= roleRank(rt.role) {
				a.Operations = append(a.Operations, op)
			} else {
				a.Denied = append(a.Denied, op)
			}
		}
	}
	return out
}

// accessDocument is GET /_emulator/access: Access as JSON.
func (e *Emulator) accessDocument(*call) (int, any, error) {
	return http.StatusOK, struct {
		Access []Access `json:"access"`
	}{e.Access()}, nil
}
