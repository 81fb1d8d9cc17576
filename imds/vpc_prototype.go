package imds

import (
	"fmt"
	"net/http"
	"net/netip"
	"path"
	"regexp"
	"strings"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// The request bodies of POST /v1/instances and POST /v1/instance/templates: the subset of
// vpcv1.InstancePrototype and vpcv1.InstanceTemplatePrototype the emulator models. Properties
// outside it are answered with invalid_request_field rather than silently ignored.

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

type primaryIPBody struct {
	Address    *string `json:"address"`
	Name       *string `json:"name"`
	AutoDelete *bool   `json:"auto_delete"`
}

type networkInterfaceBody struct {
	Name            *string        `json:"name"`
	Subnet          *identityBody  `json:"subnet"`
	AllowIPSpoofing *bool          `json:"allow_ip_spoofing"`
	PrimaryIP       *primaryIPBody `json:"primary_ip"`
	SecurityGroups  []identityBody `json:"security_groups"`
}

type virtualNetworkInterfaceBody struct {
	Name                       *string        `json:"name"`
	Subnet                     *identityBody  `json:"subnet"`
	AllowIPSpoofing            *bool          `json:"allow_ip_spoofing"`
	AutoDelete                 *bool          `json:"auto_delete"`
	EnableInfrastructureNat    *bool          `json:"enable_infrastructure_nat"`
	ProtocolStateFilteringMode *string        `json:"protocol_state_filtering_mode"`
	PrimaryIP                  *primaryIPBody `json:"primary_ip"`
	SecurityGroups             []identityBody `json:"security_groups"`
	ResourceGroup              *identityBody  `json:"resource_group"`
}

type networkAttachmentBody struct {
	Name                    *string                      `json:"name"`
	VirtualNetworkInterface *virtualNetworkInterfaceBody `json:"virtual_network_interface"`
}

type bootVolumeBody struct {
	Name                         *string `json:"name"`
	DeleteVolumeOnInstanceDelete *bool   `json:"delete_volume_on_instance_delete"`
	Volume                       *struct {
		Name     *string       `json:"name"`
		Profile  *identityBody `json:"profile"`
		Capacity *int64        `json:"capacity"`
		UserTags []string      `json:"user_tags"`
	} `json:"volume"`
}

// prototypeBody is an instance or instance template prototype.
type prototypeBody struct {
	Name                     *string                `json:"name"`
	Zone                     *identityBody          `json:"zone"`
	Profile                  *identityBody          `json:"profile"`
	Image                    *identityBody          `json:"image"`
	VPC                      *identityBody          `json:"vpc"`
	PrimaryNetworkInterface  *networkInterfaceBody  `json:"primary_network_interface"`
	PrimaryNetworkAttachment *networkAttachmentBody `json:"primary_network_attachment"`
	Keys                     []identityBody         `json:"keys"`
	MetadataService          *metadataServiceBody   `json:"metadata_service"`
	DefaultTrustedProfile    *trustedProfileBody    `json:"default_trusted_profile"`
	UserData                 *string                `json:"user_data"`
	PlacementTarget          *identityBody          `json:"placement_target"`
	ResourceGroup            *identityBody          `json:"resource_group"`
	BootVolumeAttachment     *bootVolumeBody        `json:"boot_volume_attachment"`
	SourceTemplate           *identityBody          `json:"source_template"`
}

// protoSpec is a resolved prototype: every reference checked and turned into a scenario ID.
type protoSpec struct {
	name       string // "" means a generated name
	zone       string
	profile    string
	image      string
	vpc        string
	subnet     string
	subnetPath string // where the subnet was given, for error targets
	attachment bool   // the primary network is a network attachment
	nicName    string
	address    string // requested primary IPv4 address, "" to allocate one
	keys       []string
	ms         scenario.MetadataService
	dtp        *scenario.DefaultTrustedProfile
	userData   string
	placement  string
	template   string // source template ID
	bootName   string
	volumeName string
	bootDelete bool
}

// defaultMetadataService is the setting of an instance or template created without one.
var defaultMetadataService = scenario.MetadataService{Enabled: false, Protocol: "http", ResponseHopLimit: 1}

// specFromTemplate starts a protoSpec from a template's settings.
func specFromTemplate(t *scenario.Template) protoSpec {
	sp := protoSpec{
		zone: t.Zone, profile: t.Profile, image: t.Image, vpc: t.VPC, subnet: t.Subnet, subnetPath: "source_template",
		attachment: t.NetworkAttachment, keys: append([]string(nil), t.Keys...), ms: t.MetadataService,
		userData: t.UserData, placement: t.PlacementGroup, template: t.ID, bootDelete: true,
	}
	if t.DefaultProfile != nil {
		d := *t.DefaultProfile
		sp.dtp = &d
	}
	return sp
}

// resolve checks a prototype against world s. Properties the body gives replace those of the
// source template wholesale (a metadata_service override does not merge with the template's).
func resolvePrototype(s *scenario.Scenario, b *prototypeBody, local bool) (protoSpec, error) {
	sp := protoSpec{ms: defaultMetadataService, bootDelete: true}
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
	if b.Name != nil {
		if err := checkName("name", *b.Name); err != nil {
			return sp, err
		}
		sp.name = *b.Name
	}
	if b.Zone != nil {
		z, err := resolveIdentity("zone", "Zone", b.Zone, []string{"name", "href"}, func(_, v string) string {
			if local && zoneOf(s, v) {
				return v
			}
			return ""
		})
		if err != nil {
			return sp, err
		}
		sp.zone = z
	}
	if b.Profile != nil {
		p, err := resolveIdentity("profile", "Instance profile", b.Profile, []string{"name", "href"}, func(_, v string) string {
			if p := s.Profile(v); p != nil {
				return p.Name
			}
			return ""
		})
		if err != nil {
			return sp, err
		}
		sp.profile = p
	}
	var err error
	if b.Image != nil {
		if sp.image, err = resolveRef("image", "Image", b.Image, s.Images); err != nil {
			return sp, err
		}
	}
	if b.VPC != nil {
		if sp.vpc, err = resolveRef("vpc", "VPC", b.VPC, s.VPCs); err != nil {
			return sp, err
		}
	}
	if err := resolveNetwork(s, b, &sp); err != nil {
		return sp, err
	}
	if b.Keys != nil {
		sp.keys = nil
		for i := range b.Keys {
			f := fmt.Sprintf("keys[%d]", i)
			id, err := resolveIdentity(f, "Key", &b.Keys[i], []string{"id", "crn", "href", "fingerprint"}, func(kind, v string) string {
				for _, k := range s.Keys {
					if (kind == "crn" && k.CRN == v) || (kind == "fingerprint" && k.Fingerprint == v) || ((kind == "id" || kind == "href") && k.ID == v) {
						return k.ID
					}
				}
				return ""
			})
			if err != nil {
				return sp, err
			}
			sp.keys = append(sp.keys, id)
		}
	}
	if b.MetadataService != nil {
		if sp.ms, err = applyMetadataService("metadata_service", defaultMetadataService, b.MetadataService); err != nil {
			return sp, err
		}
	}
	if d := b.DefaultTrustedProfile; d != nil {
		var t scenario.TrustedProfileTarget
		kind, _, err := identityOf("default_trusted_profile.target", &d.Target, []string{"id", "crn"})
		if err != nil {
			return sp, err
		}
		if kind == "id" {
			t.ID = *d.Target.ID
		} else {
			t.CRN = *d.Target.CRN
		}
		if s.FindProfile(t) == nil {
			return sp, errf(CodeNotFound, withValue(field("default_trusted_profile.target."+kind), t.ID+t.CRN), "Trusted profile not found.")
		}
		autoLink := true // IBM's default when a default trusted profile is given
		if d.AutoLink != nil {
			autoLink = *d.AutoLink
		}
		sp.dtp = &scenario.DefaultTrustedProfile{AutoLink: autoLink, Target: t}
	}
	if b.UserData != nil {
		sp.userData = *b.UserData
	}
	if b.PlacementTarget != nil {
		sp.placement, err = resolveIdentity("placement_target", "Placement group", b.PlacementTarget, []string{"id", "crn", "href"}, func(kind, v string) string {
			for _, pg := range s.PlacementGroups {
				if (kind == "crn" && pg.CRN == v) || (kind != "crn" && pg.ID == v) {
					return pg.ID
				}
			}
			return ""
		})
		if err != nil {
			return sp, err
		}
	}
	if b.ResourceGroup != nil {
		if _, err := resolveIdentity("resource_group", "Resource group", b.ResourceGroup, []string{"id"}, func(_, v string) string {
			if v == s.ResourceGroup.ID {
				return v
			}
			return ""
		}); err != nil {
			return sp, err
		}
	}
	if bv := b.BootVolumeAttachment; bv != nil {
		if bv.Name != nil {
			if err := checkName("boot_volume_attachment.name", *bv.Name); err != nil {
				return sp, err
			}
			sp.bootName = *bv.Name
		}
		if bv.DeleteVolumeOnInstanceDelete != nil {
			sp.bootDelete = *bv.DeleteVolumeOnInstanceDelete
		}
		if bv.Volume != nil && bv.Volume.Name != nil {
			if err := checkName("boot_volume_attachment.volume.name", *bv.Volume.Name); err != nil {
				return sp, err
			}
			sp.volumeName = *bv.Volume.Name
		}
	}
	return sp, completeSpec(s, &sp)
}

// resolveNetwork reads the primary network interface or attachment.
func resolveNetwork(s *scenario.Scenario, b *prototypeBody, sp *protoSpec) error {
	if b.PrimaryNetworkInterface != nil && b.PrimaryNetworkAttachment != nil {
		return vpcError(http.StatusBadRequest, vpcOnlyOne, field("primary_network_attachment"),
			"Give either `primary_network_interface` or `primary_network_attachment`, not both.")
	}
	var subnet *identityBody
	var ip *primaryIPBody
	var name *string
	switch {
	case b.PrimaryNetworkInterface != nil:
		n := b.PrimaryNetworkInterface
		sp.attachment, sp.subnetPath, subnet, ip, name = false, "primary_network_interface.subnet", n.Subnet, n.PrimaryIP, n.Name
	case b.PrimaryNetworkAttachment != nil:
		a := b.PrimaryNetworkAttachment
		if a.VirtualNetworkInterface == nil {
			return vpcError(http.StatusBadRequest, vpcRequired, field("primary_network_attachment.virtual_network_interface"),
				"The `primary_network_attachment.virtual_network_interface` property is required.")
		}
		v := a.VirtualNetworkInterface
		sp.attachment, sp.subnetPath, subnet, ip, name = true, "primary_network_attachment.virtual_network_interface.subnet", v.Subnet, v.PrimaryIP, a.Name
	default:
		return nil
	}
	if subnet == nil {
		return vpcError(http.StatusBadRequest, vpcRequired, field(sp.subnetPath), "The `%s` property is required.", sp.subnetPath)
	}
	id, err := resolveIdentity(sp.subnetPath, "Subnet", subnet, []string{"id", "crn", "href"}, func(kind, v string) string {
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
	sp.subnet = id
	sp.address = ""
	if ip != nil && ip.Address != nil {
		sp.address = *ip.Address
	}
	sp.nicName = ""
	if name != nil {
		if err := checkName(strings.TrimSuffix(sp.subnetPath, ".subnet")+".name", *name); err != nil {
			return err
		}
		sp.nicName = *name
	}
	return nil
}

// complete fills defaults and checks that the parts fit together.
func completeSpec(s *scenario.Scenario, sp *protoSpec) error {
	if sp.profile == "" {
		// IBM's documented default profile, when the scenario has it.
		if s.Profile("bx2-2x8") != nil {
			sp.profile = "bx2-2x8"
		} else if len(s.Profiles) > 0 {
			sp.profile = s.Profiles[0].Name
		}
	}
	for _, req := range []struct{ name, v string }{
		{"zone", sp.zone}, {"image", sp.image}, {"primary_network_interface", sp.subnet}, {"profile", sp.profile},
	} {
		if req.v == "" {
			return vpcError(http.StatusBadRequest, vpcRequired, field(req.name), "The `%s` property is required.", req.name)
		}
	}
	// A template's references are not checked when a scenario loads; check them here.
	if s.Profile(sp.profile) == nil {
		return errf(CodeNotFound, withValue(field("profile.name"), sp.profile), "Instance profile not found.")
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
	sn := s.Subnet(sp.subnet)
	if sn == nil {
		return errf(CodeNotFound, withValue(field(sp.subnetPath), sp.subnet), "Subnet not found.")
	}
	if sn.Zone != sp.zone {
		return vpcError(http.StatusBadRequest, vpcInvalidZone, withValue(field(sp.subnetPath), sn.ID),
			"The subnet %s is in zone %s, not in zone %s.", sn.ID, sn.Zone, sp.zone)
	}
	if sp.vpc != "" && sp.vpc != sn.VPC {
		return vpcError(http.StatusBadRequest, vpcBadField, withValue(field("vpc"), sp.vpc),
			"The subnet %s is in VPC %s, not in VPC %s.", sn.ID, sn.VPC, sp.vpc)
	}
	sp.vpc = sn.VPC
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
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
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

// identify resolves a reference with find, which returns "" when nothing matches.
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
var vpcName = regexp.MustCompile(`^-?([a-z]|[a-z][-a-z0-9]*[a-z0-9]|[0-9][-a-z0-9]*([a-z]|[-a-z][-a-z0-9]*[a-z0-9]))$`)

func checkName(f, name string) error {
	if len(name) > 63 || !vpcName.MatchString(name) {
		return vpcError(http.StatusBadRequest, vpcInvalidName, withValue(field(f), name),
			"The `%s` property must be 1 to 63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen.", f)
	}
	return nil
}

// allocateIP picks the primary address of a new interface in subnet: want if given (it must be
// in the subnet and free), else the lowest free address after the four IBM reserves at the
// start of every subnet.
func allocateIP(s *scenario.Scenario, subnetID, want, f string) (string, error) {
	sn := s.Subnet(subnetID)
	prefix, err := netip.ParsePrefix(sn.CIDR)
	if err != nil || !prefix.Addr().Is4() {
		return "", fmt.Errorf("imds: subnet %s has no usable IPv4 CIDR %q", subnetID, sn.CIDR)
	}
	prefix = prefix.Masked()
	used := map[string]bool{}
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
