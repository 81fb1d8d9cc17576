package main

import (
	"slices"

	"github.com/imdsplay/imdsplay/imds"
)

// The instance panel shows, beside the trusted profiles, what each holder of IAM tokens may do
// with the instance through the VPC API by its IAM role (imds.Emulator.Access, the same answer
// as GET /_emulator/access): "my-vsi-reader: Viewer, cannot change the metadata service".

// The two VPC API operations the panel names: reading the instance, and changing it (its
// metadata service among the rest), as imds's route table spells them.
const (
	opReadInstance   = "GET /v1/instances/{id}"
	opUpdateInstance = "PATCH /v1/instances/{id}"
)

// AccessState is one holder's access to the instance, as State.Access lists it.
type AccessState struct {
	// Kind is "operator" or "trusted_profile"; ID and Name name the holder.
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
	// Role is the highest platform role on VPC Infrastructure Services, "" for none.
	Role string `json:"role"`
	// Read and Update say whether the role allows reading the instance and changing it.
	Read   bool `json:"read"`
	Update bool `json:"update"`
}

// accessOf is the panel's view of access: the operator, then each trusted profile.
func accessOf(all []imds.Access) []AccessState {
	out := make([]AccessState, 0, len(all))
	for _, a := range all {
		out = append(out, AccessState{
			Kind: a.Kind, ID: a.ID, Name: a.Name, Role: a.Role,
			Read:   slices.Contains(a.Operations, opReadInstance),
			Update: slices.Contains(a.Operations, opUpdateInstance),
		})
	}
	return out
}
