package imds

import (
	"fmt"
	"net/http"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// MetadataService returns the metadata service setting of an instance ("" means the first
// instance). It is cheap: listeners call it for every request to apply the response hop limit.
func (e *Emulator) MetadataService(instanceID string) (scenario.MetadataService, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in := pickInstance(e.world, instanceID)
	if in == nil {
		return scenario.MetadataService{}, fmt.Errorf("imds: no instance %q", instanceID)
	}
	return in.MetadataService, nil
}

// Region returns the region of the emulated world, such as us-south.
func (e *Emulator) Region() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.world.Region
}

// HostNames are the names the emulated world answers to: the metadata service's
// (api.metadata.cloud.ibm.com, 169.254.169.254), IAM's and the VPC API's in the world's
// region. Listeners put them in their TLS certificate.
func (e *Emulator) HostNames() []string {
	return []string{MetadataHost, MetadataIP, IAMHost, e.Region() + vpcSuffix}
}

// IsMetadataRequest reports whether r is for the metadata service (the identity and metadata
// APIs), routing exactly as ServeHTTP does: by Host for IBM's names, by path on other hosts.
// Only the metadata service's answers carry the response hop limit.
func IsMetadataRequest(r *http.Request) bool { return classify(r) == svcMetadata }
