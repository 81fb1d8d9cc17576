// Package scenario describes the emulated world: the account, the region, the trusted profiles,
// the VPC with its subnet, the SSH keys, the placement groups, the instances and the instance
// templates. A Scenario is a plain JSON document, so a user can print the default one
// (`imds scenario`), edit it and load it back (`imds serve --scenario FILE`).
//
// # Shapes
//
// Resource types carry the JSON field names of the VPC API (github.com/IBM/vpc-go-sdk, package
// vpcv1) so that the core can answer with them directly. A few fields exist only in the scenario
// and never appear in an API answer; they are marked "scenario only" in their doc comments
// (user data, the initial password, the operator's API key, profile links, IAM policies).
//
// # Identifiers
//
// Default returns a world whose identifiers are fixed and documented as constants in this
// package, so that examples, docs and tests can name them.
package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/internal/strictjson"
)

// Scenario is the whole emulated world.
type Scenario struct {
	// Name is a human label for the scenario, shown by the playground.
	Name string `json:"name,omitempty"`
	// AccountID is the IBM Cloud account that owns every resource.
	AccountID string `json:"account_id"`
	// Region is the VPC region, such as us-south; the VPC API host is <region>.iaas.cloud.ibm.com.
	Region string `json:"region"`
	// Operator is the human user who configures instances through the VPC API and the CLI.
	Operator Operator `json:"operator"`
	// ResourceGroup is the resource group every resource belongs to.
	ResourceGroup Reference `json:"resource_group"`
	// TrustedProfiles are the IAM trusted profiles of the account.
	TrustedProfiles []TrustedProfile `json:"trusted_profiles"`
	// VPCs, Subnets, Images, Keys, PlacementGroups and Profiles are referenced by instances.
	VPCs            []Reference       `json:"vpcs"`
	Subnets         []Subnet          `json:"subnets"`
	Images          []Reference       `json:"images"`
	Keys            []Key             `json:"keys"`
	PlacementGroups []PlacementGroup  `json:"placement_groups"`
	Profiles        []InstanceProfile `json:"instance_profiles"`
	// Instances are the virtual server instances. The first one is where "on the instance" runs.
	Instances []Instance `json:"instances"`
	// Templates are the instance templates.
	Templates []Template `json:"instance_templates"`
}

// Operator is the user of the VPC API.
type Operator struct {
	// IAMID is the operator's IAM identity, the `sub` of their IAM tokens.
	IAMID string `json:"iam_id"`
	// Email is shown by `ibmcloud` as "as user ...".
	Email string `json:"email"`
	// APIKey is accepted by IAM's apikey grant (scenario only; it is fake and public).
	APIKey string `json:"api_key"`
	// AccountName is shown by `ibmcloud` as "under account ...".
	AccountName string `json:"account_name"`
	// IMSUserID is the operator's classic infrastructure user ID, which IAM's apikey grant
	// returns as ims_user_id; 0 derives a stable one from IAMID.
	IMSUserID int64 `json:"ims_user_id,omitempty"`
	// Policies are the operator's IAM access policies (see Policy).
	Policies []Policy `json:"policies"`
}

// VPCService is the IAM service name of VPC Infrastructure Services, whose platform roles the
// VPC API checks.
const VPCService = "is"

// PlatformRoles are IAM's platform roles, each granting what the ones before it grant.
var PlatformRoles = []string{"Viewer", "Operator", "Editor", "Administrator"}

// Policy is an IAM access policy: roles on one service of the account. Only policies on
// VPCService change what the emulated world allows; others (cloud-object-storage Writer, say)
// are there for the reader and for the panel.
//
// The operator and trusted profiles hold a list of policies. A list that is absent (or null)
// is a scenario written before policies existed and allows everything, as those scenarios did:
// it counts as Administrator on VPCService. An empty list allows nothing.
type Policy struct {
	// Service is the IAM service name, such as "is" or "cloud-object-storage".
	Service string `json:"service"`
	// Roles are IAM role names; on VPCService, platform roles (PlatformRoles).
	Roles []string `json:"roles"`
}

// Reference is the common {crn, href, id, name, resource_type} shape of VPC references.
type Reference struct {
	CRN          string `json:"crn,omitempty"`
	Href         string `json:"href,omitempty"`
	ID           string `json:"id"`
	Name         string `json:"name"`
	ResourceType string `json:"resource_type,omitempty"`
}

// TrustedProfile is an IAM trusted profile for compute resources.
type TrustedProfile struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	CRN  string `json:"crn"`
	// LinkedInstances lists the IDs of instances linked to this profile (scenario only). A
	// default trusted profile with auto_link adds its instance here when the instance is created.
	LinkedInstances []string `json:"linked_instances,omitempty"`
	// Policies are the profile's IAM access policies (see Policy).
	Policies []Policy `json:"policies"`
}

// Subnet is a VPC subnet.
type Subnet struct {
	Reference
	Zone string `json:"zone"`
	CIDR string `json:"ipv4_cidr_block"`
	VPC  string `json:"vpc"`
}

// Key is a public SSH key.
type Key struct {
	CreatedAt   time.Time `json:"created_at"`
	CRN         string    `json:"crn"`
	Fingerprint string    `json:"fingerprint"`
	ID          string    `json:"id"`
	Length      int       `json:"length"`
	Name        string    `json:"name"`
	PublicKey   string    `json:"public_key"`
	Type        string    `json:"type"`
}

// PlacementGroup is a placement group.
type PlacementGroup struct {
	CreatedAt      time.Time `json:"created_at"`
	CRN            string    `json:"crn"`
	ID             string    `json:"id"`
	LifecycleState string    `json:"lifecycle_state"`
	Name           string    `json:"name"`
	ResourceType   string    `json:"resource_type"`
	Strategy       string    `json:"strategy"`
}

// InstanceProfile is a compute profile such as bx2-2x8.
type InstanceProfile struct {
	Name         string `json:"name"`
	VCPU         int    `json:"vcpu_count"`
	Architecture string `json:"vcpu_architecture"`
	Manufacturer string `json:"vcpu_manufacturer"`
	MemoryGiB    int    `json:"memory"`
	Bandwidth    int    `json:"bandwidth"`
	// VCPUPercentage is the share of vCPU time the instance gets (burstable profiles have
	// less than 100), VCPUBurstLimit the share it may burst to, ThreadsPerCore 1 or 2; 0 means
	// IBM's values for profiles that are not burstable: 100, 100 and 2.
	VCPUPercentage int `json:"vcpu_percentage,omitempty"`
	VCPUBurstLimit int `json:"vcpu_burst_limit,omitempty"`
	ThreadsPerCore int `json:"threads_per_core,omitempty"`
}

// MetadataService is the instance's metadata service configuration.
type MetadataService struct {
	// Enabled says whether the metadata service is reachable from the instance (default false).
	Enabled bool `json:"enabled"`
	// Protocol is http or https (default http).
	Protocol string `json:"protocol"`
	// ResponseHopLimit is the IP TTL of response packets, 1 to 64 (default 1).
	ResponseHopLimit int `json:"response_hop_limit"`
}

// TrustedProfileTarget names a trusted profile by id or crn.
type TrustedProfileTarget struct {
	ID  string `json:"id,omitempty"`
	CRN string `json:"crn,omitempty"`
}

// DefaultTrustedProfile is the profile the IAM exchange uses when the request names none.
type DefaultTrustedProfile struct {
	AutoLink bool                 `json:"auto_link"`
	Target   TrustedProfileTarget `json:"target"`
}

// NetworkInterface is an instance network interface (legacy) or network attachment.
type NetworkInterface struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	CreatedAt          time.Time `json:"created_at"`
	PrimaryIPv4Address string    `json:"primary_ipv4_address"`
	FloatingIP         string    `json:"floating_ip,omitempty"`
	Subnet             string    `json:"subnet"`
	// VNI is the virtual network interface ID, for network attachments.
	VNI string `json:"virtual_network_interface,omitempty"`
}

// ClusterNetworkAttachment attaches an instance to a cluster network through a cluster network
// interface.
type ClusterNetworkAttachment struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// Interface is the cluster network interface, with its primary IP in a cluster network
	// subnet.
	Interface   Reference `json:"cluster_network_interface"`
	Subnet      Reference `json:"cluster_network_subnet"`
	PrimaryIPv4 string    `json:"primary_ipv4_address"`
}

// Settings are the properties of an instance, or of the instances a template makes, that a
// prototype may give and that concern no other resource. Zero values are IBM's defaults.
type Settings struct {
	// HostFailure is availability_policy.host_failure: restart ("") or stop.
	HostFailure string `json:"host_failure,omitempty"`
	// SecureBoot is enable_secure_boot.
	SecureBoot bool `json:"enable_secure_boot,omitempty"`
	// ReservationPolicy is reservation_affinity.policy: automatic ("") or disabled.
	ReservationPolicy string `json:"reservation_affinity_policy,omitempty"`
	// VolumeBandwidth is total_volume_bandwidth in Mbps; 0 is a quarter of the profile's.
	VolumeBandwidth int `json:"total_volume_bandwidth,omitempty"`
}

// VolumeAttachment attaches a volume to an instance.
type VolumeAttachment struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	Type       string    `json:"type"` // boot or data
	Bandwidth  int       `json:"bandwidth"`
	DeviceID   string    `json:"device_id"`
	DeleteWith bool      `json:"delete_volume_on_instance_delete"`
	Volume     Reference `json:"volume"`
}

// SoftwareAttachment is a catalog software attachment.
type SoftwareAttachment struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	CreatedAt           time.Time `json:"created_at"`
	LifecycleState      string    `json:"lifecycle_state"`
	OfferingVersionCRN  string    `json:"catalog_offering_version_crn"`
	PlanCRN             string    `json:"catalog_offering_plan_crn"`
	OfferingInstanceCRN string    `json:"offering_instance_crn"`
	LicensedSoftwareSKU string    `json:"licensed_software_sku,omitempty"`
	LicensedSoftwareKey string    `json:"licensed_software_key,omitempty"`
}

// Instance is a virtual server instance.
type Instance struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CRN       string    `json:"crn"`
	CreatedAt time.Time `json:"created_at"`
	// Status is running, stopped, starting, stopping, ...
	Status          string                 `json:"status"`
	Zone            string                 `json:"zone"`
	Profile         string                 `json:"profile"`
	Image           string                 `json:"image"`
	VPC             string                 `json:"vpc"`
	MetadataService MetadataService        `json:"metadata_service"`
	DefaultProfile  *DefaultTrustedProfile `json:"default_trusted_profile,omitempty"`
	Keys            []string               `json:"keys"`
	PlacementGroup  string                 `json:"placement_group,omitempty"`
	// NetworkInterfaces, NetworkAttachments, VolumeAttachments and SoftwareAttachments belong to
	// the instance.
	NetworkInterfaces   []NetworkInterface   `json:"network_interfaces"`
	NetworkAttachments  []NetworkInterface   `json:"network_attachments"`
	VolumeAttachments   []VolumeAttachment   `json:"volume_attachments"`
	SoftwareAttachments []SoftwareAttachment `json:"software_attachments"`
	// UserData is the cloud-init user data given at creation (scenario only; served by
	// /metadata/v1/instance/initialization).
	UserData string `json:"user_data,omitempty"`
	// Template is the ID of the template the instance was created from, if any.
	Template string `json:"instance_template,omitempty"`
	// ClusterNetworkAttachments connect the instance to cluster networks.
	ClusterNetworkAttachments []ClusterNetworkAttachment `json:"cluster_network_attachments,omitempty"`
	Settings
}

// BootVolume is how a template makes the boot volume of its instances.
type BootVolume struct {
	AttachmentName string `json:"attachment_name,omitempty"`
	Name           string `json:"name,omitempty"`
	Profile        string `json:"profile,omitempty"`
	Capacity       int    `json:"capacity,omitempty"`
	// Keep is the opposite of delete_volume_on_instance_delete, so that false is IBM's default.
	Keep bool `json:"keep_on_instance_delete,omitempty"`
}

// DataVolume is a data volume a template makes and attaches to each of its instances.
type DataVolume struct {
	AttachmentName string `json:"attachment_name,omitempty"`
	Name           string `json:"name,omitempty"`
	Profile        string `json:"profile"`
	Capacity       int    `json:"capacity"`
	// Keep is the opposite of delete_volume_on_instance_delete.
	Keep bool `json:"keep_on_instance_delete,omitempty"`
}

// SecondaryNetwork is a network interface (or attachment, as the template's primary one is)
// that a template adds to each of its instances after the primary one.
type SecondaryNetwork struct {
	Name   string `json:"name,omitempty"`
	Subnet string `json:"subnet"`
}

// Template is an instance template. Its metadata service setting cannot change after creation.
type Template struct {
	ID              string                 `json:"id"`
	Name            string                 `json:"name"`
	CRN             string                 `json:"crn"`
	CreatedAt       time.Time              `json:"created_at"`
	Zone            string                 `json:"zone"`
	Profile         string                 `json:"profile"`
	Image           string                 `json:"image"`
	VPC             string                 `json:"vpc"`
	Subnet          string                 `json:"subnet"`
	Keys            []string               `json:"keys"`
	MetadataService MetadataService        `json:"metadata_service"`
	DefaultProfile  *DefaultTrustedProfile `json:"default_trusted_profile,omitempty"`
	UserData        string                 `json:"user_data,omitempty"`
	// PlacementGroup is the ID of the placement group instances made from the template join.
	PlacementGroup string `json:"placement_group,omitempty"`
	// NetworkAttachment says the template gives its subnet as a primary network attachment (a
	// virtual network interface) rather than as a legacy primary network interface.
	NetworkAttachment bool `json:"network_attachment,omitempty"`
	// NetworkName is the name of the primary network interface or attachment ("" generates one).
	NetworkName string `json:"network_name,omitempty"`
	// SecondaryNetworks, BootVolume and DataVolumes are what else the template makes.
	SecondaryNetworks []SecondaryNetwork `json:"secondary_networks,omitempty"`
	BootVolume        *BootVolume        `json:"boot_volume,omitempty"`
	DataVolumes       []DataVolume       `json:"data_volumes,omitempty"`
	Settings
}

// FieldError reports a problem in a scenario document, naming the field by its JSON path.
type FieldError struct {
	Field  string // for example "instances[0].metadata_service.response_hop_limit"
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// MaxDocument is the largest scenario document Load reads.
const MaxDocument = 8 << 20

// Load reads a scenario document. Unknown fields are errors, so a typo is not silently ignored;
// the returned error names the field.
func Load(r io.Reader) (*Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDocument {
		// Cut at the cap, a document could end in something valid: refuse it whole.
		return nil, &FieldError{Field: "(document)", Reason: "larger than 8 MiB"}
	}
	var s Scenario
	if err := strictjson.UnmarshalKnown(data, &s); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		var ue *strictjson.UnknownFieldError
		switch {
		case errors.As(err, &te) && te.Field == "":
			// The document itself is not an object (a number, an array, …).
			return nil, &FieldError{Field: "(document)", Reason: "must be a JSON object, not a JSON " + te.Value}
		case errors.As(err, &te):
			return nil, &FieldError{Field: te.Field, Reason: fmt.Sprintf("must be a %s, not a JSON %s", te.Type, te.Value)}
		case errors.As(err, &se):
			return nil, &FieldError{Field: "(document)", Reason: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)}
		case errors.As(err, &ue):
			name := ue.Path
			if ue.Name == "" {
				name = `""` // a property with an empty name
			}
			return nil, &FieldError{Field: name, Reason: "unknown field"}
		case errors.Is(err, strictjson.ErrTrailingData):
			return nil, &FieldError{Field: "(document)", Reason: "trailing data after the scenario object"}
		}
		return nil, &FieldError{Field: "(document)", Reason: err.Error()}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate checks the cross references and limits of a scenario.
func (s *Scenario) Validate() error {
	req := func(field, v string) error {
		if v == "" {
			return &FieldError{Field: field, Reason: "is required"}
		}
		return nil
	}
	if err := req("account_id", s.AccountID); err != nil {
		return err
	}
	if err := req("region", s.Region); err != nil {
		return err
	}
	if len(s.Instances) == 0 {
		return &FieldError{Field: "instances", Reason: "at least one instance is required"}
	}
	for i, n := range s.Subnets {
		if p, err := netip.ParsePrefix(n.CIDR); err != nil || !p.Addr().Is4() {
			return &FieldError{Field: fmt.Sprintf("subnets[%d].ipv4_cidr_block", i), Reason: fmt.Sprintf("must be an IPv4 CIDR block, not %q", n.CIDR)}
		}
	}
	// The references are checked against sets made once: looking each up in its list made
	// validation O(references × entries), 200 s for a scenario under the 8 MiB cap.
	ix := s.index()
	seen := map[string]bool{}
	for i, in := range s.Instances {
		f := fmt.Sprintf("instances[%d]", i)
		if err := req(f+".id", in.ID); err != nil {
			return err
		}
		if seen[in.ID] {
			return &FieldError{Field: f + ".id", Reason: "duplicate instance id " + in.ID}
		}
		seen[in.ID] = true
		if err := req(f+".name", in.Name); err != nil {
			return err
		}
		if err := ValidateMetadataService(f+".metadata_service", in.MetadataService); err != nil {
			return err
		}
		if in.DefaultProfile != nil && !ix.profile(in.DefaultProfile.Target) {
			return &FieldError{Field: f + ".default_trusted_profile.target", Reason: "names no trusted profile of the scenario"}
		}
		for k, key := range in.Keys {
			if !ix.keys[key] {
				return &FieldError{Field: fmt.Sprintf("%s.keys[%d]", f, k), Reason: "names no key of the scenario"}
			}
		}
		if in.PlacementGroup != "" && !ix.placementGroups[in.PlacementGroup] {
			return &FieldError{Field: f + ".placement_group", Reason: "names no placement group of the scenario"}
		}
		if len(in.NetworkInterfaces) == 0 {
			return &FieldError{Field: f + ".network_interfaces", Reason: "at least one network interface is required"}
		}
		for n, nic := range in.NetworkInterfaces {
			if !ix.subnets[nic.Subnet] {
				return &FieldError{Field: fmt.Sprintf("%s.network_interfaces[%d].subnet", f, n), Reason: "names no subnet of the scenario"}
			}
		}
	}
	for i, t := range s.Templates {
		f := fmt.Sprintf("instance_templates[%d]", i)
		if err := req(f+".id", t.ID); err != nil {
			return err
		}
		if err := ValidateMetadataService(f+".metadata_service", t.MetadataService); err != nil {
			return err
		}
		if t.PlacementGroup != "" && !ix.placementGroups[t.PlacementGroup] {
			return &FieldError{Field: f + ".placement_group", Reason: "names no placement group of the scenario"}
		}
	}
	for i, p := range s.TrustedProfiles {
		if p.ID == "" {
			return &FieldError{Field: fmt.Sprintf("trusted_profiles[%d].id", i), Reason: "is required"}
		}
		if err := validatePolicies(fmt.Sprintf("trusted_profiles[%d].policies", i), p.Policies); err != nil {
			return err
		}
	}
	return validatePolicies("operator.policies", s.Operator.Policies)
}

// refIndex holds the names references may use, as sets: what Key, Subnet, PlacementGroup
// and FindProfile would find.
type refIndex struct {
	keys, subnets, placementGroups, profileIDs, profileCRNs map[string]bool
}

func (s *Scenario) index() refIndex {
	ix := refIndex{keys: map[string]bool{}, subnets: map[string]bool{}, placementGroups: map[string]bool{}, profileIDs: map[string]bool{}, profileCRNs: map[string]bool{}}
	for _, k := range s.Keys {
		ix.keys[k.ID], ix.keys[k.Name] = true, true
	}
	for _, n := range s.Subnets {
		ix.subnets[n.ID], ix.subnets[n.Name] = true, true
	}
	for _, g := range s.PlacementGroups {
		ix.placementGroups[g.ID] = true
	}
	for _, p := range s.TrustedProfiles {
		ix.profileIDs[p.ID], ix.profileCRNs[p.CRN] = true, true
	}
	return ix
}

// profile reports whether t names a trusted profile, as FindProfile finds it.
func (ix refIndex) profile(t TrustedProfileTarget) bool {
	return (t.ID != "" && ix.profileIDs[t.ID]) || (t.CRN != "" && ix.profileCRNs[t.CRN])
}

// validatePolicies checks that policies name a service, and only platform roles on VPCService.
func validatePolicies(field string, policies []Policy) error {
	for i, p := range policies {
		f := fmt.Sprintf("%s[%d]", field, i)
		if p.Service == "" {
			return &FieldError{Field: f + ".service", Reason: "is required"}
		}
		if p.Service != VPCService {
			continue
		}
		for j, r := range p.Roles {
			if !slices.Contains(PlatformRoles, r) {
				return &FieldError{Field: fmt.Sprintf("%s.roles[%d]", f, j), Reason: fmt.Sprintf("must be one of %s on %q, not %q", strings.Join(PlatformRoles, ", "), VPCService, r)}
			}
		}
	}
	return nil
}

// VPCRole is the highest platform role that policies grant on VPCService: "" for none, and
// Administrator for absent (nil) policies (see Policy).
func VPCRole(policies []Policy) string {
	if policies == nil {
		return PlatformRoles[len(PlatformRoles)-1]
	}
	best := -1
	for _, p := range policies {
		if p.Service != VPCService {
			continue
		}
		for _, r := range p.Roles {
			best = max(best, slices.Index(PlatformRoles, r))
		}
	}
	if best < 0 {
		return ""
	}
	return PlatformRoles[best]
}

// ValidateMetadataService checks the limits of a metadata service setting; field prefixes the
// field names in the error.
func ValidateMetadataService(field string, m MetadataService) error {
	if m.Protocol != "http" && m.Protocol != "https" {
		return &FieldError{Field: field + ".protocol", Reason: fmt.Sprintf("must be http or https, not %q", m.Protocol)}
	}
	if m.ResponseHopLimit < 1 || m.ResponseHopLimit > 64 {
		return &FieldError{Field: field + ".response_hop_limit", Reason: fmt.Sprintf("must be between 1 and 64, not %d", m.ResponseHopLimit)}
	}
	return nil
}

// FindProfile returns the trusted profile a target names by id or crn, or nil.
func (s *Scenario) FindProfile(t TrustedProfileTarget) *TrustedProfile {
	for i := range s.TrustedProfiles {
		p := &s.TrustedProfiles[i]
		if (t.ID != "" && p.ID == t.ID) || (t.CRN != "" && p.CRN == t.CRN) {
			return p
		}
	}
	return nil
}

// ProfileByName returns the trusted profile with that name, or nil.
func (s *Scenario) ProfileByName(name string) *TrustedProfile {
	for i := range s.TrustedProfiles {
		if s.TrustedProfiles[i].Name == name {
			return &s.TrustedProfiles[i]
		}
	}
	return nil
}

// Instance returns the instance with that ID or name, or nil.
func (s *Scenario) Instance(idOrName string) *Instance {
	for i := range s.Instances {
		if s.Instances[i].ID == idOrName || s.Instances[i].Name == idOrName {
			return &s.Instances[i]
		}
	}
	return nil
}

// Template returns the template with that ID or name, or nil.
func (s *Scenario) Template(idOrName string) *Template {
	for i := range s.Templates {
		if s.Templates[i].ID == idOrName || s.Templates[i].Name == idOrName {
			return &s.Templates[i]
		}
	}
	return nil
}

// Key returns the SSH key with that ID or name, or nil: instances and templates may name
// their keys either way.
func (s *Scenario) Key(id string) *Key {
	for i := range s.Keys {
		if s.Keys[i].ID == id || s.Keys[i].Name == id {
			return &s.Keys[i]
		}
	}
	return nil
}

// PlacementGroup returns the placement group with that ID, or nil.
func (s *Scenario) PlacementGroup(id string) *PlacementGroup {
	for i := range s.PlacementGroups {
		if s.PlacementGroups[i].ID == id {
			return &s.PlacementGroups[i]
		}
	}
	return nil
}

// Subnet returns the subnet with that ID or name, or nil.
func (s *Scenario) Subnet(id string) *Subnet {
	for i := range s.Subnets {
		if s.Subnets[i].ID == id || s.Subnets[i].Name == id {
			return &s.Subnets[i]
		}
	}
	return nil
}

// VPC returns the VPC with that ID or name, or nil.
func (s *Scenario) VPC(id string) *Reference { return findRef(s.VPCs, id) }

// Image returns the image with that ID or name, or nil.
func (s *Scenario) Image(id string) *Reference { return findRef(s.Images, id) }

// Profile returns the instance profile with that name, or nil.
func (s *Scenario) Profile(name string) *InstanceProfile {
	for i := range s.Profiles {
		if s.Profiles[i].Name == name {
			return &s.Profiles[i]
		}
	}
	return nil
}

func findRef(refs []Reference, id string) *Reference {
	for i := range refs {
		if refs[i].ID == id || refs[i].Name == id {
			return &refs[i]
		}
	}
	return nil
}

// Clone returns a deep copy, so that a loaded scenario can be reused by several emulators.
func (s *Scenario) Clone() *Scenario {
	c := new(Scenario)
	deepCopy(reflect.ValueOf(c).Elem(), reflect.ValueOf(s).Elem())
	return c
}

// deepCopy sets dst to a copy of src that shares no slice, map or pointer with it; strings,
// immutable, are shared. Every update of the world clones it, so this is what an update
// costs: a walk over the world's objects, not over its bytes, as the JSON round trip that
// it replaces was (a world of 1,300 templates with 63 KB of user data each took 1.2 s a
// create). Empty slices of omitempty fields become nil, as they did through JSON.
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		c := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		if plain(src.Type().Elem()) {
			reflect.Copy(c, src)
		} else {
			for i := range src.Len() {
				deepCopy(c.Index(i), src.Index(i))
			}
		}
		dst.Set(c)
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		c := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, it.Value())
			c.SetMapIndex(it.Key(), v)
		}
		dst.Set(c)
	case reflect.Struct:
		dst.Set(src)
		t := src.Type()
		for i := range src.NumField() {
			f := t.Field(i)
			if !f.IsExported() || plain(f.Type) {
				continue
			}
			if f.Type.Kind() == reflect.Slice && src.Field(i).Len() == 0 && strings.Contains(f.Tag.Get("json"), ",omitempty") {
				dst.Field(i).SetZero()
				continue
			}
			deepCopy(dst.Field(i), src.Field(i))
		}
	case reflect.Interface:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		deepCopy(v, src.Elem())
		dst.Set(v)
	default:
		dst.Set(src)
	}
}

// plain reports whether values of t hold no slice, map, pointer or interface: copying them
// copies everything.
func plain(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return false
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return true // its location is shared, read-only
		}
		for i := range t.NumField() {
			if !plain(t.Field(i).Type) {
				return false
			}
		}
	case reflect.Array:
		return plain(t.Elem())
	}
	return true
}
