package imds

import (
	"fmt"
	"net/http"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// The request bodies of POST /v1/instances and POST /v1/instance/templates: every property of
// vpcv1.InstancePrototype and vpcv1.InstanceTemplatePrototype, with the variants of each (by
// image, by volume, by source snapshot, by catalog offering, by source template) folded into
// one body, as IBM's API takes them. Every property is accepted and checked; what the world
// keeps (scenario.Instance, scenario.Template) is what it can show afterwards, and a reference
// to something the world does not have (a volume, a snapshot, a reservation, a cluster network,
// a catalog offering) is not_found, as it would be in an account without one. Error targets
// name the property by its path from the body's root.

// identityBody is any of the VPC API's identity shapes ({id}, {crn}, {href}, {name},
// {fingerprint}); each resolver says which ones its resource accepts.
type identityBody struct {
	ID          *string `json:"id"`
	CRN         *string `json:"crn"`
	Href        *string `json:"href"`
	Name        *string `json:"name"`
	Fingerprint *string `json:"fingerprint"`
}

type metadataServiceBody struct {
	Enabled          *bool   `json:"enabled"`
	Protocol         *string `json:"protocol"`
	ResponseHopLimit *int64  `json:"response_hop_limit"`
}

type trustedProfileBody struct {
	AutoLink *bool        `json:"auto_link"`
	Target   identityBody `json:"target"`
}

// reservedIPBody is a primary IP: an existing reserved IP by identity, or a new one.
type reservedIPBody struct {
	ID         *string `json:"id"`
	Href       *string `json:"href"`
	Address    *string `json:"address"`
	Name       *string `json:"name"`
	AutoDelete *bool   `json:"auto_delete"`
}

type networkInterfaceBody struct {
	Name            *string         `json:"name"`
	Subnet          *identityBody   `json:"subnet"`
	AllowIPSpoofing *bool           `json:"allow_ip_spoofing"`
	PrimaryIP       *reservedIPBody `json:"primary_ip"`
	SecurityGroups  []identityBody  `json:"security_groups"`
}

// vniBody is a virtual network interface: an existing one by identity, or a new one.
type vniBody struct {
	ID                         *string          `json:"id"`
	CRN                        *string          `json:"crn"`
	Href                       *string          `json:"href"`
	Name                       *string          `json:"name"`
	Subnet                     *identityBody    `json:"subnet"`
	AllowIPSpoofing            *bool            `json:"allow_ip_spoofing"`
	AutoDelete                 *bool            `json:"auto_delete"`
	EnableInfrastructureNat    *bool            `json:"enable_infrastructure_nat"`
	ProtocolStateFilteringMode *string          `json:"protocol_state_filtering_mode"`
	PrimaryIP                  *reservedIPBody  `json:"primary_ip"`
	IPs                        []reservedIPBody `json:"ips"`
	SecurityGroups             []identityBody   `json:"security_groups"`
	ResourceGroup              *identityBody    `json:"resource_group"`
}

type networkAttachmentBody struct {
	Name                    *string  `json:"name"`
	VirtualNetworkInterface *vniBody `json:"virtual_network_interface"`
}

type allowedUseBody struct {
	APIVersion      *string `json:"api_version"`
	BareMetalServer *string `json:"bare_metal_server"`
	Instance        *string `json:"instance"`
}

// volumeBody is a volume: an existing one by identity (boot volume by volume), or a new one
// (by image, by source snapshot, or a data volume).
type volumeBody struct {
	ID             *string         `json:"id"`
	CRN            *string         `json:"crn"`
	Href           *string         `json:"href"`
	Name           *string         `json:"name"`
	Profile        *identityBody   `json:"profile"`
	Capacity       *int64          `json:"capacity"`
	IOPS           *int64          `json:"iops"`
	Bandwidth      *int64          `json:"bandwidth"`
	EncryptionKey  *identityBody   `json:"encryption_key"`
	ResourceGroup  *identityBody   `json:"resource_group"`
	UserTags       []string        `json:"user_tags"`
	AllowedUse     *allowedUseBody `json:"allowed_use"`
	SourceSnapshot *identityBody   `json:"source_snapshot"`
}

type volumeAttachmentBody struct {
	Name                         *string     `json:"name"`
	DeleteVolumeOnInstanceDelete *bool       `json:"delete_volume_on_instance_delete"`
	Volume                       *volumeBody `json:"volume"`
}

type availabilityPolicyBody struct {
	HostFailure *string `json:"host_failure"`
}

type reservationAffinityBody struct {
	Policy *string        `json:"policy"`
	Pool   []identityBody `json:"pool"`
}

type clusterNetworkInterfaceBody struct {
	ID         *string         `json:"id"`
	Href       *string         `json:"href"`
	Name       *string         `json:"name"`
	AutoDelete *bool           `json:"auto_delete"`
	PrimaryIP  *reservedIPBody `json:"primary_ip"`
	Subnet     *identityBody   `json:"subnet"`
}

type clusterNetworkAttachmentBody struct {
	Name                    *string                      `json:"name"`
	ClusterNetworkInterface *clusterNetworkInterfaceBody `json:"cluster_network_interface"`
}

type catalogOfferingBody struct {
	Offering *identityBody `json:"offering"`
	Version  *identityBody `json:"version"`
	Plan     *identityBody `json:"plan"`
}

// prototypeBody is an instance or instance template prototype, of any variant.
type prototypeBody struct {
	AvailabilityPolicy        *availabilityPolicyBody        `json:"availability_policy"`
	ClusterNetworkAttachments []clusterNetworkAttachmentBody `json:"cluster_network_attachments"`
	ConfidentialComputeMode   *string                        `json:"confidential_compute_mode"`
	DefaultTrustedProfile     *trustedProfileBody            `json:"default_trusted_profile"`
	EnableSecureBoot          *bool                          `json:"enable_secure_boot"`
	Keys                      []identityBody                 `json:"keys"`
	MetadataService           *metadataServiceBody           `json:"metadata_service"`
	Name                      *string                        `json:"name"`
	PlacementTarget           *identityBody                  `json:"placement_target"`
	Profile                   *identityBody                  `json:"profile"`
	ReservationAffinity       *reservationAffinityBody       `json:"reservation_affinity"`
	ResourceGroup             *identityBody                  `json:"resource_group"`
	TotalVolumeBandwidth      *int64                         `json:"total_volume_bandwidth"`
	UserData                  *string                        `json:"user_data"`
	VolumeAttachments         []volumeAttachmentBody         `json:"volume_attachments"`
	VPC                       *identityBody                  `json:"vpc"`
	BootVolumeAttachment      *volumeAttachmentBody          `json:"boot_volume_attachment"`
	Image                     *identityBody                  `json:"image"`
	Zone                      *identityBody                  `json:"zone"`
	NetworkAttachments        []networkAttachmentBody        `json:"network_attachments"`
	PrimaryNetworkAttachment  *networkAttachmentBody         `json:"primary_network_attachment"`
	NetworkInterfaces         []networkInterfaceBody         `json:"network_interfaces"`
	PrimaryNetworkInterface   *networkInterfaceBody          `json:"primary_network_interface"`
	CatalogOffering           *catalogOfferingBody           `json:"catalog_offering"`
	SourceTemplate            *identityBody                  `json:"source_template"`
}

// netSpec is a resolved network interface or attachment.
type netSpec struct {
	subnet  string
	path    string // where it was given, "primary_network_interface", for error targets
	name    string // "" generates one
	address string // requested primary IPv4 address, "" to allocate one
}

// protoSpec is a resolved prototype: every reference checked and turned into a scenario ID.
type protoSpec struct {
	name       string // "" means a generated name
	zone       string
	profile    string
	image      string
	vpc        string
	attachment bool // the networks are network attachments, not legacy interfaces
	primary    netSpec
	secondary  []netSpec
	keys       []string
	ms         scenario.MetadataService
	dtp        *scenario.DefaultTrustedProfile
	userData   string
	placement  string
	template   string // source template ID
	boot       scenario.BootVolume
	data       []scenario.DataVolume
	settings   scenario.Settings
}

// defaultMetadataService is the setting of an instance or template created without one.
var defaultMetadataService = scenario.MetadataService{Enabled: false, Protocol: "http", ResponseHopLimit: 1}

// specFromTemplate starts a protoSpec from a template's settings.
func specFromTemplate(t *scenario.Template) protoSpec {
	path := "source_template"
	sp := protoSpec{
		zone: t.Zone, profile: t.Profile, image: t.Image, vpc: t.VPC, attachment: t.NetworkAttachment,
		primary: netSpec{subnet: t.Subnet, path: path, name: t.NetworkName}, keys: append([]string(nil), t.Keys...),
		ms: t.MetadataService, userData: t.UserData, placement: t.PlacementGroup, template: t.ID,
		data: append([]scenario.DataVolume(nil), t.DataVolumes...), settings: t.Settings,
	}
	for _, n := range t.SecondaryNetworks {
		sp.secondary = append(sp.secondary, netSpec{subnet: n.Subnet, path: path, name: n.Name})
	}
	if t.BootVolume != nil {
		sp.boot = *t.BootVolume
	}
	if t.DefaultProfile != nil {
		d := *t.DefaultProfile
		sp.dtp = &d
	}
	return sp
}

// resolvePrototype checks a prototype against world s. With a source template, the body's
// properties override the template's property by property, and within an object (the
// metadata service, the primary network) field by field: IBM lets a body give the primary
// network attachment only when the template has one, which only makes sense if the two are
// merged (see the README's fidelity notes).
func resolvePrototype(s *scenario.Scenario, b *prototypeBody, local bool) (protoSpec, error) {
	sp := protoSpec{ms: defaultMetadataService}
	if b.SourceTemplate != nil {
		id, err := resolveIdentity("source_template", "Instance template", b.SourceTemplate, []string{"id", "crn", "href"}, func(kind, v string) string {
			for _, t := range s.Templates {
				if (kind == "crn" && t.CRN == v) || (kind != "crn" && t.ID == v) {
					return t.ID
				}
			}
			return ""
		})
		if err != nil {
			return sp, err
		}
		sp = specFromTemplate(s.Template(id))
	}
	// In the order earlier versions checked them, so that a body with several faults is
	// refused for the same one.
	steps := []func(*scenario.Scenario, *prototypeBody, *protoSpec, bool) error{
		resolveBasics, resolveImage, resolveVPC, resolveNetwork, resolveKeys, resolveMetadataService, resolveProfileLink,
		resolveUserData, resolvePlacement, resolveResourceGroup, resolveSettings, resolveBootVolume, resolveDataVolumes, resolveClusterNetworks,
	}
	for _, step := range steps {
		if err := step(s, b, &sp, local); err != nil {
			return sp, err
		}
	}
	return sp, completeSpec(s, &sp)
}

// resolveBasics reads the name, zone and profile.
func resolveBasics(s *scenario.Scenario, b *prototypeBody, sp *protoSpec, local bool) error {
	if b.Name != nil {
		if err := checkName("name", *b.Name); err != nil {
			return err
		}
		sp.name = *b.Name
	}
	var err error
	if b.Zone != nil {
		if sp.zone, err = resolveIdentity("zone", "Zone", b.Zone, []string{"name", "href"}, func(_, v string) string {
			if local && zoneOf(s, v) {
				return v
			}
			return ""
		}); err != nil {
			return err
		}
	}
	if b.Profile != nil {
		if sp.profile, err = resolveInstanceProfile(s, "profile", b.Profile); err != nil {
			return err
		}
	}
	return nil
}

func resolveVPC(s *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	var err error
	if b.VPC != nil {
		sp.vpc, err = resolveRef("vpc", "VPC", b.VPC, s.VPCs)
	}
	return err
}

func resolveMetadataService(_ *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	var err error
	if b.MetadataService != nil {
		sp.ms, err = applyMetadataService("metadata_service", sp.ms, b.MetadataService)
	}
	return err
}

func resolveUserData(_ *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	if b.UserData != nil {
		sp.userData = *b.UserData
	}
	return nil
}

func resolveResourceGroup(s *scenario.Scenario, b *prototypeBody, _ *protoSpec, _ bool) error {
	if b.ResourceGroup == nil {
		return nil
	}
	return checkResourceGroup(s, "resource_group", b.ResourceGroup)
}

// resolveInstanceProfile finds an instance profile by name or href.
func resolveInstanceProfile(s *scenario.Scenario, f string, b *identityBody) (string, error) {
	return resolveIdentity(f, "Instance profile", b, []string{"name", "href"}, func(_, v string) string {
		if p := s.Profile(v); p != nil {
			return p.Name
		}
		return ""
	})
}

// checkResourceGroup accepts the scenario's resource group only, by ID.
func checkResourceGroup(s *scenario.Scenario, f string, b *identityBody) error {
	_, err := resolveIdentity(f, "Resource group", b, []string{"id"}, func(_, v string) string {
		if v == s.ResourceGroup.ID {
			return v
		}
		return ""
	})
	return err
}

// resolveImage reads the image or the catalog offering, which exclude each other.
func resolveImage(s *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	var err error
	if b.Image != nil {
		if sp.image, err = resolveRef("image", "Image", b.Image, s.Images); err != nil {
			return err
		}
	}
	co := b.CatalogOffering
	if co == nil {
		return nil
	}
	if b.Image != nil || sp.image != "" && sp.template != "" {
		return vpcError(http.StatusBadRequest, vpcOnlyOne, field("catalog_offering"),
			"Give either `image` or `catalog_offering`, not both (a source template with an image counts as giving it).")
	}
	switch {
	case co.Offering != nil && co.Version != nil:
		return vpcError(http.StatusBadRequest, vpcOnlyOne, field("catalog_offering.version"), "Give either `catalog_offering.offering` or `catalog_offering.version`, not both.")
	case co.Offering == nil && co.Version == nil:
		return vpcError(http.StatusBadRequest, vpcRequired, field("catalog_offering.version"), "The `catalog_offering` needs its `version` or its `offering`.")
	}
	// The world has no catalog: every offering, version and plan is unknown.
	notInCatalog := func(f, noun string, b *identityBody) error {
		_, err := resolveIdentity(f, noun, b, []string{"crn"}, func(string, string) string { return "" })
		return err
	}
	if co.Plan != nil {
		if err := notInCatalog("catalog_offering.plan", "Catalog offering plan", co.Plan); err != nil {
			return err
		}
	}
	if co.Offering != nil {
		return notInCatalog("catalog_offering.offering", "Catalog offering", co.Offering)
	}
	return notInCatalog("catalog_offering.version", "Catalog offering version", co.Version)
}

// resolveNetwork reads the primary network interface or attachment and the others.
func resolveNetwork(s *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	byInterface := b.PrimaryNetworkInterface != nil || b.NetworkInterfaces != nil
	byAttachment := b.PrimaryNetworkAttachment != nil || b.NetworkAttachments != nil
	switch {
	case byInterface && byAttachment:
		f := "primary_network_attachment"
		if b.PrimaryNetworkAttachment == nil {
			f = "network_attachments"
		}
		return vpcError(http.StatusBadRequest, vpcOnlyOne, field(f), "Give either network interfaces or network attachments, not both.")
	case sp.template != "" && byAttachment && !sp.attachment:
		return vpcError(http.StatusBadRequest, vpcBadField, field("primary_network_attachment"),
			"The source template gives a `primary_network_interface`: network attachments cannot be added to it.")
	case sp.template != "" && byInterface && sp.attachment:
		return vpcError(http.StatusBadRequest, vpcBadField, field("primary_network_interface"),
			"The source template gives a `primary_network_attachment`: network interfaces cannot be added to it.")
	case b.NetworkAttachments != nil && b.PrimaryNetworkAttachment == nil && sp.template == "":
		return vpcError(http.StatusBadRequest, vpcRequired, field("primary_network_attachment"), "`network_attachments` need a `primary_network_attachment`.")
	case b.NetworkInterfaces != nil && b.PrimaryNetworkInterface == nil && sp.template == "":
		return vpcError(http.StatusBadRequest, vpcRequired, field("primary_network_interface"), "`network_interfaces` need a `primary_network_interface`.")
	}
	if byAttachment {
		sp.attachment = true
		if a := b.PrimaryNetworkAttachment; a != nil {
			if err := resolveAttachment(s, "primary_network_attachment", a, &sp.primary); err != nil {
				return err
			}
		}
		if b.NetworkAttachments != nil {
			sp.secondary = nil
			for i := range b.NetworkAttachments {
				n := netSpec{}
				if err := resolveAttachment(s, fmt.Sprintf("network_attachments[%d]", i), &b.NetworkAttachments[i], &n); err != nil {
					return err
				}
				sp.secondary = append(sp.secondary, n)
			}
		}
		return nil
	}
	if byInterface {
		sp.attachment = false
		if n := b.PrimaryNetworkInterface; n != nil {
			if err := resolveInterface(s, "primary_network_interface", n.Name, n.Subnet, n.PrimaryIP, n.SecurityGroups, &sp.primary); err != nil {
				return err
			}
		}
		if b.NetworkInterfaces != nil {
			sp.secondary = nil
			for i, n := range b.NetworkInterfaces {
				ns := netSpec{}
				if err := resolveInterface(s, fmt.Sprintf("network_interfaces[%d]", i), n.Name, n.Subnet, n.PrimaryIP, n.SecurityGroups, &ns); err != nil {
					return err
				}
				sp.secondary = append(sp.secondary, ns)
			}
		}
	}
	return nil
}

// resolveAttachment reads a network attachment: its virtual network interface must be a new
// one (the world has no detached ones).
func resolveAttachment(s *scenario.Scenario, f string, a *networkAttachmentBody, n *netSpec) error {
	if a.Name != nil {
		if err := checkName(f+".name", *a.Name); err != nil {
			return err
		}
		n.name = *a.Name
	}
	v := a.VirtualNetworkInterface
	vf := f + ".virtual_network_interface"
	if v == nil {
		if n.subnet != "" {
			return nil // from the source template
		}
		return vpcError(http.StatusBadRequest, vpcRequired, field(vf), "The `%s` property is required.", vf)
	}
	if v.ID != nil || v.CRN != nil || v.Href != nil {
		_, err := resolveIdentity(vf, "Virtual network interface", &identityBody{ID: v.ID, CRN: v.CRN, Href: v.Href}, []string{"id", "crn", "href"}, func(string, string) string { return "" })
		return err
	}
	if v.Name != nil {
		if err := checkName(vf+".name", *v.Name); err != nil {
			return err
		}
	}
	if m := v.ProtocolStateFilteringMode; m != nil && !slices.Contains([]string{"auto", "enabled", "disabled"}, *m) {
		return vpcError(http.StatusBadRequest, vpcEnum, withValue(field(vf+".protocol_state_filtering_mode"), *m), "The `%s.protocol_state_filtering_mode` property must be auto, enabled or disabled.", vf)
	}
	if v.ResourceGroup != nil {
		if err := checkResourceGroup(s, vf+".resource_group", v.ResourceGroup); err != nil {
			return err
		}
	}
	if err := resolveInterface(s, vf, nil, v.Subnet, v.PrimaryIP, v.SecurityGroups, n); err != nil {
		return err
	}
	for i := range v.IPs {
		ip := &v.IPs[i]
		if err := checkReservedIP(fmt.Sprintf("%s.ips[%d]", vf, i), ip); err != nil {
			return err
		}
		if ip.Address != nil {
			return vpcError(http.StatusBadRequest, vpcBadField, withValue(field(fmt.Sprintf("%s.ips[%d].address", vf, i)), *ip.Address),
				"The emulator gives a virtual network interface one IP only: secondary addresses are not modelled.")
		}
	}
	return nil
}

// resolveInterface reads the subnet, the primary IP, the security groups and the name of a
// network interface (or of a virtual network interface, whose name was read by the caller).
func resolveInterface(s *scenario.Scenario, f string, name *string, subnet *identityBody, ip *reservedIPBody, groups []identityBody, n *netSpec) error {
	n.path = f
	if name != nil {
		if err := checkName(f+".name", *name); err != nil {
			return err
		}
		n.name = *name
	}
	if subnet == nil && n.subnet == "" {
		return vpcError(http.StatusBadRequest, vpcRequired, field(f+".subnet"), "The `%s.subnet` property is required.", f)
	}
	if subnet != nil {
		id, err := resolveIdentity(f+".subnet", "Subnet", subnet, []string{"id", "crn", "href"}, func(kind, v string) string {
			for _, sn := range s.Subnets {
				if (kind == "crn" && sn.CRN == v) || (kind != "crn" && sn.ID == v) {
					return sn.ID
				}
			}
			return ""
		})
		if err != nil {
			return err
		}
		n.subnet = id
	}
	if ip != nil {
		if err := checkReservedIP(f+".primary_ip", ip); err != nil {
			return err
		}
		if ip.Address != nil {
			n.address = *ip.Address
		}
	}
	for i := range groups {
		gf := fmt.Sprintf("%s.security_groups[%d]", f, i)
		// Every interface is in its VPC's default security group, the one group the world has.
		if _, err := resolveIdentity(gf, "Security group", &groups[i], []string{"id", "crn", "href"}, func(_, v string) string {
			if sn := s.Subnet(n.subnet); sn != nil && vpcViewer(s).securityGroup(sn.VPC).ID == v {
				return v
			}
			return ""
		}); err != nil {
			return err
		}
	}
	return nil
}

// checkReservedIP reads a primary or secondary IP: a new one (address, name, auto_delete) or
// an existing reserved IP by identity, which the world does not keep unbound.
func checkReservedIP(f string, ip *reservedIPBody) error {
	if ip.ID != nil || ip.Href != nil {
		_, err := resolveIdentity(f, "Reserved IP", &identityBody{ID: ip.ID, Href: ip.Href}, []string{"id", "href"}, func(string, string) string { return "" })
		return err
	}
	if ip.Name != nil {
		return checkName(f+".name", *ip.Name)
	}
	return nil
}

// resolveKeys reads the SSH keys.
func resolveKeys(s *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	if b.Keys == nil {
		return nil
	}
	sp.keys = nil
	for i := range b.Keys {
		id, err := resolveIdentity(fmt.Sprintf("keys[%d]", i), "Key", &b.Keys[i], []string{"id", "crn", "href", "fingerprint"}, func(kind, v string) string {
			for _, k := range s.Keys {
				if (kind == "crn" && k.CRN == v) || (kind == "fingerprint" && k.Fingerprint == v) || ((kind == "id" || kind == "href") && k.ID == v) {
					return k.ID
				}
			}
			return ""
		})
		if err != nil {
			return err
		}
		sp.keys = append(sp.keys, id)
	}
	return nil
}

// resolveProfileLink reads the default trusted profile.
func resolveProfileLink(s *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	d := b.DefaultTrustedProfile
	if d == nil {
		return nil
	}
	var t scenario.TrustedProfileTarget
	kind, _, err := identityOf("default_trusted_profile.target", &d.Target, []string{"id", "crn"})
	if err != nil {
		return err
	}
	if kind == "id" {
		t.ID = *d.Target.ID
	} else {
		t.CRN = *d.Target.CRN
	}
	if s.FindProfile(t) == nil {
		return errf(CodeNotFound, withValue(field("default_trusted_profile.target."+kind), t.ID+t.CRN), "Trusted profile not found.")
	}
	autoLink := true // IBM's default when a default trusted profile is given
	if d.AutoLink != nil {
		autoLink = *d.AutoLink
	}
	sp.dtp = &scenario.DefaultTrustedProfile{AutoLink: autoLink, Target: t}
	return nil
}

// resolvePlacement reads the placement target: a placement group of the world (a dedicated
// host or host group, which the world has none of, is not found either).
func resolvePlacement(s *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	if b.PlacementTarget == nil {
		return nil
	}
	var err error
	sp.placement, err = resolvePlacementGroup(s, "placement_target", b.PlacementTarget)
	return err
}

func resolvePlacementGroup(s *scenario.Scenario, f string, b *identityBody) (string, error) {
	return resolveIdentity(f, "Placement group", b, []string{"id", "crn", "href"}, func(kind, v string) string {
		for _, pg := range s.PlacementGroups {
			if (kind == "crn" && pg.CRN == v) || (kind != "crn" && pg.ID == v) {
				return pg.ID
			}
		}
		return ""
	})
}

// settingsBody is what a prototype and an instance patch both say about scenario.Settings.
type settingsBody struct {
	availability *availabilityPolicyBody
	confidential *string
	secureBoot   *bool
	reservation  *reservationAffinityBody
	bandwidth    *int64
}

// resolveSettings reads the availability policy, the confidential compute mode, secure boot,
// the reservation affinity and the volume bandwidth.
func resolveSettings(_ *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	return applySettings(settingsBody{b.AvailabilityPolicy, b.ConfidentialComputeMode, b.EnableSecureBoot, b.ReservationAffinity, b.TotalVolumeBandwidth}, &sp.settings)
}

// applySettings checks sb and applies it to st. The volume bandwidth's range depends on the
// profile and is checked with it (checkVolumeBandwidth).
func applySettings(sb settingsBody, st *scenario.Settings) error {
	if a := sb.availability; a != nil && a.HostFailure != nil {
		if v := *a.HostFailure; v != "restart" && v != "stop" {
			return vpcError(http.StatusBadRequest, vpcEnum, withValue(field("availability_policy.host_failure"), v), "The `availability_policy.host_failure` property must be restart or stop.")
		}
		st.HostFailure = *a.HostFailure
		if st.HostFailure == "restart" {
			st.HostFailure = ""
		}
	}
	if m := sb.confidential; m != nil {
		switch *m {
		case "disabled":
		case "sgx", "tdx":
			return vpcError(http.StatusBadRequest, vpcBadField, withValue(field("confidential_compute_mode"), *m),
				"The instance profile does not support confidential compute mode %s: only the confidential computing profiles do, and the world has none.", *m)
		default:
			return vpcError(http.StatusBadRequest, vpcEnum, withValue(field("confidential_compute_mode"), *m), "The `confidential_compute_mode` property must be disabled, sgx or tdx.")
		}
	}
	if sb.secureBoot != nil {
		st.SecureBoot = *sb.secureBoot
	}
	if r := sb.reservation; r != nil {
		for i := range r.Pool {
			if _, err := resolveIdentity(fmt.Sprintf("reservation_affinity.pool[%d]", i), "Reservation", &r.Pool[i], []string{"id", "crn", "href"}, func(string, string) string { return "" }); err != nil {
				return err
			}
		}
		if r.Policy != nil {
			switch *r.Policy {
			case "automatic":
				st.ReservationPolicy = ""
			case "disabled":
				st.ReservationPolicy = "disabled"
			case "manual":
				return vpcError(http.StatusBadRequest, vpcRequired, field("reservation_affinity.pool"), "A `manual` reservation affinity needs a `pool` of one reservation.")
			default:
				return vpcError(http.StatusBadRequest, vpcEnum, withValue(field("reservation_affinity.policy"), *r.Policy), "The `reservation_affinity.policy` property must be automatic, disabled or manual.")
			}
		}
	}
	if sb.bandwidth != nil {
		st.VolumeBandwidth = int(*sb.bandwidth)
	}
	return nil
}

// checkVolumeBandwidth checks total_volume_bandwidth against the profile: at least 500 Mbps,
// and at least 500 left for the network (an assumption: IBM's profiles give the range).
func checkVolumeBandwidth(prof *scenario.InstanceProfile, st scenario.Settings) error {
	n := st.VolumeBandwidth
	if n == 0 {
		return nil
	}
	v := fmt.Sprint(n)
	switch {
	case n < 500:
		return vpcError(http.StatusBadRequest, vpcMinValue, withValue(field("total_volume_bandwidth"), v), "The `total_volume_bandwidth` property must be at least 500.")
	case n > prof.Bandwidth-500:
		return vpcError(http.StatusBadRequest, vpcMaxValue, withValue(field("total_volume_bandwidth"), v), "The `total_volume_bandwidth` property must be at most %d for profile %s.", prof.Bandwidth-500, prof.Name)
	}
	return nil
}

// volumeProfiles are the block storage profiles of the VPC, and the largest data volume each
// takes, in GB.
var volumeProfiles = map[string]int{"general-purpose": 16000, "5iops-tier": 16000, "10iops-tier": 16000, "custom": 16000, "sdp": 32000}

// resolveBootVolume reads the boot volume attachment: a new volume (by image or by source
// snapshot) or an existing one (by volume), which the world does not keep detached.
func resolveBootVolume(s *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	bv := b.BootVolumeAttachment
	if bv == nil {
		return nil
	}
	const f = "boot_volume_attachment"
	if bv.Name != nil {
		if err := checkName(f+".name", *bv.Name); err != nil {
			return err
		}
		sp.boot.AttachmentName = *bv.Name
	}
	if bv.DeleteVolumeOnInstanceDelete != nil {
		sp.boot.Keep = !*bv.DeleteVolumeOnInstanceDelete
	}
	if bv.Volume == nil {
		return nil
	}
	name, prof, capacity, err := resolveVolume(s, f+".volume", bv.Volume, 10, 250)
	if err != nil {
		return err
	}
	if name != "" {
		sp.boot.Name = name
	}
	if prof != "" {
		sp.boot.Profile = prof
	}
	if capacity != 0 {
		sp.boot.Capacity = capacity
	}
	return nil
}

// resolveDataVolumes reads the data volume attachments: each a new volume.
func resolveDataVolumes(s *scenario.Scenario, b *prototypeBody, sp *protoSpec, _ bool) error {
	if b.VolumeAttachments == nil {
		return nil
	}
	sp.data = []scenario.DataVolume{}
	for i, va := range b.VolumeAttachments {
		f := fmt.Sprintf("volume_attachments[%d]", i)
		dv := scenario.DataVolume{}
		if va.Name != nil {
			if err := checkName(f+".name", *va.Name); err != nil {
				return err
			}
			dv.AttachmentName = *va.Name
		}
		if va.DeleteVolumeOnInstanceDelete != nil {
			dv.Keep = !*va.DeleteVolumeOnInstanceDelete
		}
		if va.Volume == nil {
			return vpcError(http.StatusBadRequest, vpcRequired, field(f+".volume"), "The `%s.volume` property is required.", f)
		}
		var err error
		if dv.Name, dv.Profile, dv.Capacity, err = resolveVolume(s, f+".volume", va.Volume, 10, 0); err != nil {
			return err
		}
		if dv.Profile == "" {
			return vpcError(http.StatusBadRequest, vpcRequired, field(f+".volume.profile"), "The `%s.volume.profile` property is required.", f)
		}
		if dv.Capacity == 0 {
			return vpcError(http.StatusBadRequest, vpcRequired, field(f+".volume.capacity"), "The `%s.volume.capacity` property is required.", f)
		}
		sp.data = append(sp.data, dv)
	}
	return nil
}

// resolveVolume checks a volume prototype and returns its name, profile and capacity; an
// existing volume or a source snapshot is not found. The capacity is checked against minCap
// and against maxCap, or against the profile's largest when maxCap is 0.
func resolveVolume(s *scenario.Scenario, f string, v *volumeBody, minCap, maxCap int) (name, profile string, capacity int, err error) {
	if v.ID != nil || v.CRN != nil || v.Href != nil {
		_, err = resolveIdentity(f, "Volume", &identityBody{ID: v.ID, CRN: v.CRN, Href: v.Href}, []string{"id", "crn", "href"}, func(string, string) string { return "" })
		return
	}
	if v.SourceSnapshot != nil {
		_, err = resolveIdentity(f+".source_snapshot", "Snapshot", v.SourceSnapshot, []string{"id", "crn", "href"}, func(string, string) string { return "" })
		return
	}
	if v.Name != nil {
		if err = checkName(f+".name", *v.Name); err != nil {
			return
		}
		name = *v.Name
	}
	if v.Profile != nil {
		if profile, err = resolveIdentity(f+".profile", "Volume profile", v.Profile, []string{"name", "href"}, func(_, p string) string {
			if _, ok := volumeProfiles[p]; ok {
				return p
			}
			return ""
		}); err != nil {
			return
		}
	}
	if v.Capacity != nil {
		capacity = int(*v.Capacity)
		if maxCap == 0 {
			maxCap = volumeProfiles[profile]
			if maxCap == 0 {
				maxCap = 16000
			}
		}
		c := fmt.Sprint(capacity)
		switch {
		case capacity < minCap:
			return "", "", 0, vpcError(http.StatusBadRequest, vpcMinValue, withValue(field(f+".capacity"), c), "The `%s.capacity` property must be at least %d.", f, minCap)
		case capacity > maxCap:
			return "", "", 0, vpcError(http.StatusBadRequest, vpcMaxValue, withValue(field(f+".capacity"), c), "The `%s.capacity` property must be at most %d.", f, maxCap)
		}
	}
	for _, p := range []struct {
		name     string
		v        *int64
		profiles []string
	}{{"iops", v.IOPS, []string{"custom", "sdp"}}, {"bandwidth", v.Bandwidth, []string{"sdp"}}} {
		if p.v == nil {
			continue
		}
		if !slices.Contains(p.profiles, profile) {
			return "", "", 0, vpcError(http.StatusBadRequest, vpcBadField, withValue(field(f+"."+p.name), fmt.Sprint(*p.v)),
				"The `%s.%s` property applies only to volumes of profile %s.", f, p.name, strings.Join(p.profiles, " or "))
		}
		if *p.v < 1 {
			return "", "", 0, vpcError(http.StatusBadRequest, vpcMinValue, withValue(field(f+"."+p.name), fmt.Sprint(*p.v)), "The `%s.%s` property must be at least 1.", f, p.name)
		}
	}
	if v.EncryptionKey != nil {
		// Customer-managed keys live in Key Protect or Hyper Protect Crypto Services, which the
		// world does not have.
		if _, err = resolveIdentity(f+".encryption_key", "Encryption key", v.EncryptionKey, []string{"crn"}, func(string, string) string { return "" }); err != nil {
			return
		}
	}
	if v.ResourceGroup != nil {
		if err = checkResourceGroup(s, f+".resource_group", v.ResourceGroup); err != nil {
			return
		}
	}
	for i, tag := range v.UserTags {
		if tag == "" || len(tag) > 128 {
			return "", "", 0, vpcError(http.StatusBadRequest, vpcBadField, withValue(field(fmt.Sprintf("%s.user_tags[%d]", f, i)), tag), "A user tag must have 1 to 128 characters.")
		}
	}
	if au := v.AllowedUse; au != nil && au.APIVersion != nil && !validDate(*au.APIVersion) {
		return "", "", 0, vpcError(http.StatusBadRequest, vpcBadField, withValue(field(f+".allowed_use.api_version"), *au.APIVersion), "The `%s.allowed_use.api_version` property must be a date in the form YYYY-MM-DD.", f)
	}
	return name, profile, capacity, nil
}

// resolveClusterNetworks reads the cluster network attachments: each interface is an existing
// one or a new one in a cluster network subnet, and the world has no cluster networks.
func resolveClusterNetworks(_ *scenario.Scenario, b *prototypeBody, _ *protoSpec, _ bool) error {
	for i, ca := range b.ClusterNetworkAttachments {
		f := fmt.Sprintf("cluster_network_attachments[%d]", i)
		if ca.Name != nil {
			if err := checkName(f+".name", *ca.Name); err != nil {
				return err
			}
		}
		ci := ca.ClusterNetworkInterface
		cf := f + ".cluster_network_interface"
		switch {
		case ci == nil:
			return vpcError(http.StatusBadRequest, vpcRequired, field(cf), "The `%s` property is required.", cf)
		case ci.ID != nil || ci.Href != nil:
			_, err := resolveIdentity(cf, "Cluster network interface", &identityBody{ID: ci.ID, Href: ci.Href}, []string{"id", "href"}, func(string, string) string { return "" })
			return err
		case ci.Subnet == nil:
			return vpcError(http.StatusBadRequest, vpcRequired, field(cf+".subnet"), "The `%s.subnet` property is required.", cf)
		}
		_, err := resolveIdentity(cf+".subnet", "Cluster network subnet", ci.Subnet, []string{"id", "href"}, func(string, string) string { return "" })
		return err
	}
	return nil
}

// completeSpec fills defaults and checks that the parts fit together.
func completeSpec(s *scenario.Scenario, sp *protoSpec) error {
	if sp.profile == "" {
		// IBM's documented default profile, when the scenario has it.
		if s.Profile("bx2-2x8") != nil {
			sp.profile = "bx2-2x8"
		} else if len(s.Profiles) > 0 {
			sp.profile = s.Profiles[0].Name
		}
	}
	network := "primary_network_interface"
	if sp.attachment {
		network = "primary_network_attachment"
	}
	for _, req := range []struct{ name, v string }{
		{"zone", sp.zone}, {"image", sp.image}, {network, sp.primary.subnet}, {"profile", sp.profile},
	} {
		if req.v == "" {
			return vpcError(http.StatusBadRequest, vpcRequired, field(req.name), "The `%s` property is required.", req.name)
		}
	}
	// A template's references are not checked when a scenario loads; check them here.
	prof := s.Profile(sp.profile)
	if prof == nil {
		return errf(CodeNotFound, withValue(field("profile.name"), sp.profile), "Instance profile not found.")
	}
	if err := checkVolumeBandwidth(prof, sp.settings); err != nil {
		return err
	}
	if s.Image(sp.image) == nil {
		return errf(CodeNotFound, withValue(field("image.id"), sp.image), "Image not found.")
	}
	for i, k := range sp.keys {
		if s.Key(k) == nil {
			return errf(CodeNotFound, withValue(field(fmt.Sprintf("keys[%d].id", i)), k), "Key not found.")
		}
	}
	if sp.dtp != nil && s.FindProfile(sp.dtp.Target) == nil {
		return errf(CodeNotFound, withValue(field("default_trusted_profile.target"), sp.dtp.Target.ID+sp.dtp.Target.CRN), "Trusted profile not found.")
	}
	vpc := sp.vpc
	for _, n := range append([]netSpec{sp.primary}, sp.secondary...) {
		subnetPath := n.path
		if !strings.HasPrefix(subnetPath, "source_template") {
			subnetPath += ".subnet"
		}
		sn := s.Subnet(n.subnet)
		if sn == nil {
			return errf(CodeNotFound, withValue(field(subnetPath), n.subnet), "Subnet not found.")
		}
		if sn.Zone != sp.zone {
			return vpcError(http.StatusBadRequest, vpcInvalidZone, withValue(field(subnetPath), sn.ID),
				"The subnet %s is in zone %s, not in zone %s.", sn.ID, sn.Zone, sp.zone)
		}
		if vpc != "" && vpc != sn.VPC {
			return vpcError(http.StatusBadRequest, vpcBadField, withValue(field("vpc"), vpc),
				"The subnet %s is in VPC %s, not in VPC %s.", sn.ID, sn.VPC, vpc)
		}
		vpc = sn.VPC
	}
	sp.vpc = vpc
	return nil
}

// applyMetadataService applies a metadata_service body to cur: only the properties given
// change. Field prefixes error targets.
func applyMetadataService(f string, cur scenario.MetadataService, b *metadataServiceBody) (scenario.MetadataService, error) {
	if b.Enabled != nil {
		cur.Enabled = *b.Enabled
	}
	if b.Protocol != nil {
		if p := *b.Protocol; p != "http" && p != "https" {
			return cur, vpcError(http.StatusBadRequest, vpcEnum, withValue(field(f+".protocol"), p), "The `%s.protocol` property must be `http` or `https`.", f)
		}
		cur.Protocol = *b.Protocol
	}
	if b.ResponseHopLimit != nil {
		n := *b.ResponseHopLimit
		v := fmt.Sprint(n)
		switch {
		case n < 1:
			return cur, vpcError(http.StatusBadRequest, vpcMinValue, withValue(field(f+".response_hop_limit"), v), "The `%s.response_hop_limit` property must be at least 1.", f)
		case n > 64:
			return cur, vpcError(http.StatusBadRequest, vpcMaxValue, withValue(field(f+".response_hop_limit"), v), "The `%s.response_hop_limit` property must be at most 64.", f)
		}
		cur.ResponseHopLimit = int(n)
	}
	return cur, nil
}

// identityOf says which identity property b gives, among allowed.
func identityOf(f string, b *identityBody, allowed []string) (kind, value string, err error) {
	given := map[string]*string{"id": b.ID, "crn": b.CRN, "href": b.Href, "name": b.Name, "fingerprint": b.Fingerprint}
	for _, k := range []string{"id", "crn", "href", "name", "fingerprint"} {
		v := given[k]
		if v == nil {
			continue
		}
		if !slices.Contains(allowed, k) {
			return "", "", vpcError(http.StatusBadRequest, vpcInvalidField, field(f+"."+k),
				"The `%s` reference must be given by %s, not by %s.", f, strings.Join(allowed, " or "), k)
		}
		if k == "href" {
			return k, path.Base(strings.SplitN(*v, "?", 2)[0]), nil
		}
		return k, *v, nil
	}
	return "", "", vpcError(http.StatusBadRequest, vpcRequired, field(f+"."+allowed[0]), "The `%s` reference needs its %s.", f, strings.Join(allowed, " or "))
}

// resolveIdentity resolves a reference with find, which returns "" when nothing matches.
func resolveIdentity(f, noun string, b *identityBody, allowed []string, find func(kind, v string) string) (string, error) {
	kind, v, err := identityOf(f, b, allowed)
	if err != nil {
		return "", err
	}
	if id := find(kind, v); id != "" {
		return id, nil
	}
	return "", errf(CodeNotFound, withValue(field(f+"."+kind), v), "%s not found.", noun)
}

func resolveRef(f, noun string, b *identityBody, refs []scenario.Reference) (string, error) {
	return resolveIdentity(f, noun, b, []string{"id", "crn", "href"}, func(kind, v string) string {
		for _, r := range refs {
			if (kind == "crn" && r.CRN == v) || (kind != "crn" && r.ID == v) {
				return r.ID
			}
		}
		return ""
	})
}

// zoneOf reports whether zone is a zone of the scenario's region (<region>-1 to -3, or a zone
// a subnet of the scenario is in).
func zoneOf(s *scenario.Scenario, zone string) bool {
	for _, sn := range s.Subnets {
		if sn.Zone == zone {
			return true
		}
	}
	for _, n := range []string{"1", "2", "3"} {
		if zone == s.Region+"-"+n {
			return true
		}
	}
	return false
}

// vpcName is the VPC API's rule for user-defined names: lowercase letters, digits and hyphens,
// starting with a letter (or digits followed by a letter), not ending with a hyphen, at most 63.
var vpcName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^-?([a-z]|[a-z][-a-z0-9]*[a-z0-9]|[0-9][-a-z0-9]*([a-z]|[-a-z][-a-z0-9]*[a-z0-9]))$`)
})

func checkName(f, name string) error {
	if len(name) > 63 || !vpcName().MatchString(name) {
		return vpcError(http.StatusBadRequest, vpcInvalidName, withValue(field(f), name),
			"The `%s` property must be 1 to 63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen.", f)
	}
	return nil
}

// allocateIP picks the primary address of a new interface in subnet: want if given (it must be
// in the subnet and free), else the lowest free address after the four IBM reserves at the
// start of every subnet. taken are addresses already given out by the same request.
func allocateIP(s *scenario.Scenario, subnetID, want, f string, taken []string) (string, error) {
	sn := s.Subnet(subnetID)
	prefix, err := netip.ParsePrefix(sn.CIDR)
	if err != nil || !prefix.Addr().Is4() {
		return "", fmt.Errorf("imds: subnet %s has no usable IPv4 CIDR %q", subnetID, sn.CIDR)
	}
	prefix = prefix.Masked()
	used := map[string]bool{}
	for _, a := range taken {
		used[a] = true
	}
	for _, in := range s.Instances {
		for _, l := range [][]scenario.NetworkInterface{in.NetworkInterfaces, in.NetworkAttachments} {
			for _, n := range l {
				if n.Subnet == sn.ID || n.Subnet == sn.Name {
					used[n.PrimaryIPv4Address] = true
				}
			}
		}
	}
	if want != "" {
		a, err := netip.ParseAddr(want)
		if err != nil || !prefix.Contains(a) {
			return "", vpcError(http.StatusBadRequest, vpcInvalidAddress, withValue(field(f), want), "The address %s is not in subnet %s (%s).", want, sn.ID, prefix)
		}
		if used[want] {
			return "", vpcError(http.StatusConflict, vpcAddressReserved, withValue(field(f), want), "The address %s is already reserved in subnet %s.", want, sn.ID)
		}
		return want, nil
	}
	a := prefix.Addr()
	for range 4 {
		a = a.Next()
	}
	for ; prefix.Contains(a) && prefix.Contains(a.Next()); a = a.Next() {
		if !used[a.String()] {
			return a.String(), nil
		}
	}
	return "", vpcError(http.StatusBadRequest, vpcBadField, withValue(field(f), sn.ID), "The subnet %s has no free addresses.", sn.ID)
}
