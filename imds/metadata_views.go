package imds

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// This file renders scenario resources in the JSON shapes of the VPC API (the property names of
// github.com/IBM/vpc-go-sdk's vpcv1 models). The metadata service answers the same shapes
// without `href` properties, so one viewer serves both: with an empty base it renders the
// metadata variant.
//
// Resources the scenario does not model one by one (reserved IPs, security groups, floating
// IPs, virtual network interfaces' names) get identifiers derived from what they belong to, so
// the same world always renders the same document.

// viewer renders resources of world s.
type viewer struct {
	s *scenario.Scenario
	// base is the VPC API root, such as https://us-south.iaas.cloud.ibm.com/v1; "" renders the
	// metadata service's shapes, which carry no hrefs.
	base string
	// metaScheme is http or https: the protocol the metadata service answered on (metadata
	// variant only; software attachments are the one metadata resource with an href).
	metaScheme string
}

func metadataViewer(s *scenario.Scenario, scheme string) viewer {
	return viewer{s: s, metaScheme: scheme}
}

func vpcViewer(s *scenario.Scenario) viewer {
	return viewer{s: s, base: "https://" + s.Region + vpcSuffix + "/v1"}
}

func (v viewer) metadata() bool { return v.base == "" }

// href joins path segments under the API root; it is "" for the metadata variant.
func (v viewer) href(parts ...string) string {
	if v.metadata() {
		return ""
	}
	return v.base + "/" + strings.Join(parts, "/")
}

// time renders a timestamp the way each API's documented samples do: the VPC API with
// milliseconds, the metadata service with whole seconds.
func (v viewer) time(t time.Time) string {
	if v.metadata() {
		return t.UTC().Format(seconds)
	}
	return t.UTC().Format(millis)
}

func (v viewer) crn(scope, typ, id string) string {
	return "crn:v1:bluemix:public:is:" + scope + ":a/" + v.s.AccountID + "::" + typ + ":" + id
}

// refView is the common reference shape; each use sets the properties its model has.
type refView struct {
	Address      string `json:"address,omitempty"`
	CRN          string `json:"crn,omitempty"`
	Href         string `json:"href,omitempty"`
	ID           string `json:"id,omitempty"`
	Name         string `json:"name,omitempty"`
	ResourceType string `json:"resource_type,omitempty"`
}

type reasonView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type metadataServiceView struct {
	Enabled          bool   `json:"enabled"`
	Protocol         string `json:"protocol"`
	ResponseHopLimit int    `json:"response_hop_limit"`
}

func msView(m scenario.MetadataService) metadataServiceView {
	return metadataServiceView{Enabled: m.Enabled, Protocol: m.Protocol, ResponseHopLimit: m.ResponseHopLimit}
}

// vcpuView is vpcv1.InstanceVcpu; the metadata service adds burst and percentage (change log
// of 16 December 2025, for every version date).
type vcpuView struct {
	Architecture string         `json:"architecture"`
	Burst        *vcpuBurstView `json:"burst,omitempty"`
	Count        int            `json:"count"`
	Manufacturer string         `json:"manufacturer"`
	Percentage   int            `json:"percentage,omitempty"`
}

type vcpuBurstView struct {
	Limit int `json:"limit"`
}

type deviceView struct {
	ID string `json:"id"`
}

type catalogOfferingView struct {
	Plan    *crnView `json:"plan,omitempty"`
	Version crnView  `json:"version"`
}

type crnView struct {
	CRN string `json:"crn"`
}

// instanceView is vpcv1.Instance.
type instanceView struct {
	AvailabilityPolicy        availabilityPolicyView  `json:"availability_policy"`
	Bandwidth                 int                     `json:"bandwidth"`
	BootVolumeAttachment      *volumeAttachmentRef    `json:"boot_volume_attachment,omitempty"`
	CatalogOffering           *catalogOfferingView    `json:"catalog_offering,omitempty"`
	ClusterNetworkAttachments []refView               `json:"cluster_network_attachments"`
	ConfidentialComputeMode   string                  `json:"confidential_compute_mode"`
	CreatedAt                 string                  `json:"created_at"`
	CRN                       string                  `json:"crn"`
	Disks                     []refView               `json:"disks"`
	EnableSecureBoot          bool                    `json:"enable_secure_boot"`
	HealthReasons             []reasonView            `json:"health_reasons"`
	HealthState               string                  `json:"health_state"`
	Href                      string                  `json:"href,omitempty"`
	ID                        string                  `json:"id"`
	Image                     *refView                `json:"image,omitempty"`
	LifecycleReasons          []reasonView            `json:"lifecycle_reasons"`
	LifecycleState            string                  `json:"lifecycle_state"`
	Memory                    int                     `json:"memory"`
	MetadataService           metadataServiceView     `json:"metadata_service"`
	Name                      string                  `json:"name"`
	NetworkAttachments        []networkAttachmentRef  `json:"network_attachments"`
	NetworkInterfaces         []networkInterfaceRef   `json:"network_interfaces"`
	NumaCount                 int                     `json:"numa_count"`
	PlacementTarget           *refView                `json:"placement_target,omitempty"`
	PrimaryNetworkAttachment  *networkAttachmentRef   `json:"primary_network_attachment,omitempty"`
	PrimaryNetworkInterface   *networkInterfaceRef    `json:"primary_network_interface,omitempty"`
	Profile                   refView                 `json:"profile"`
	ReservationAffinity       reservationAffinityView `json:"reservation_affinity"`
	ResourceGroup             refView                 `json:"resource_group"`
	ResourceType              string                  `json:"resource_type"`
	SoftwareAttachments       []refView               `json:"software_attachments"`
	Startable                 bool                    `json:"startable"`
	Status                    string                  `json:"status"`
	StatusReasons             []reasonView            `json:"status_reasons"`
	ThreadsPerCore            int                     `json:"threads_per_core,omitempty"`
	TotalNetworkBandwidth     int                     `json:"total_network_bandwidth"`
	TotalVolumeBandwidth      int                     `json:"total_volume_bandwidth"`
	VCPU                      vcpuView                `json:"vcpu"`
	VolumeAttachments         []volumeAttachmentRef   `json:"volume_attachments"`
	VolumeBandwidthQoSMode    string                  `json:"volume_bandwidth_qos_mode"`
	VPC                       refView                 `json:"vpc"`
	Zone                      refView                 `json:"zone"`
}

type availabilityPolicyView struct {
	HostFailure string `json:"host_failure"`
}

type reservationAffinityView struct {
	Policy string    `json:"policy"`
	Pool   []refView `json:"pool"`
}

// networkInterfaceRef is vpcv1.NetworkInterfaceInstanceContextReference. The metadata service
// also carries the older primary_ipv4_address, as its documented samples show.
type networkInterfaceRef struct {
	Href               string  `json:"href,omitempty"`
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	PrimaryIP          refView `json:"primary_ip"`
	PrimaryIPv4Address string  `json:"primary_ipv4_address,omitempty"`
	ResourceType       string  `json:"resource_type"`
	Subnet             refView `json:"subnet"`
}

// networkInterfaceView is vpcv1.NetworkInterface.
type networkInterfaceView struct {
	AllowIPSpoofing    bool      `json:"allow_ip_spoofing"`
	CreatedAt          string    `json:"created_at"`
	FloatingIPs        []refView `json:"floating_ips"`
	Href               string    `json:"href,omitempty"`
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	PortSpeed          int       `json:"port_speed"`
	PrimaryIP          refView   `json:"primary_ip"`
	PrimaryIPv4Address string    `json:"primary_ipv4_address,omitempty"`
	ResourceType       string    `json:"resource_type"`
	SecurityGroups     []refView `json:"security_groups"`
	Status             string    `json:"status"`
	Subnet             refView   `json:"subnet"`
	Type               string    `json:"type"`
}

// networkAttachmentRef is vpcv1.InstanceNetworkAttachmentReference.
type networkAttachmentRef struct {
	Href                    string  `json:"href,omitempty"`
	ID                      string  `json:"id"`
	Name                    string  `json:"name"`
	PrimaryIP               refView `json:"primary_ip"`
	ResourceType            string  `json:"resource_type"`
	Subnet                  refView `json:"subnet"`
	VirtualNetworkInterface refView `json:"virtual_network_interface"`
}

// networkAttachmentView is vpcv1.InstanceNetworkAttachment.
type networkAttachmentView struct {
	CreatedAt               string  `json:"created_at"`
	Href                    string  `json:"href,omitempty"`
	ID                      string  `json:"id"`
	LifecycleState          string  `json:"lifecycle_state"`
	Name                    string  `json:"name"`
	PortSpeed               int     `json:"port_speed"`
	PrimaryIP               refView `json:"primary_ip"`
	ResourceType            string  `json:"resource_type"`
	Subnet                  refView `json:"subnet"`
	Type                    string  `json:"type"`
	VirtualNetworkInterface refView `json:"virtual_network_interface"`
}

// volumeAttachmentRef is vpcv1.VolumeAttachmentReferenceInstanceContext.
type volumeAttachmentRef struct {
	Device *deviceView `json:"device,omitempty"`
	Href   string      `json:"href,omitempty"`
	ID     string      `json:"id"`
	Name   string      `json:"name"`
	Volume *refView    `json:"volume,omitempty"`
}

// volumeAttachmentView is vpcv1.VolumeAttachment.
type volumeAttachmentView struct {
	Bandwidth                    int         `json:"bandwidth"`
	CreatedAt                    string      `json:"created_at"`
	DeleteVolumeOnInstanceDelete bool        `json:"delete_volume_on_instance_delete"`
	Device                       *deviceView `json:"device,omitempty"`
	Href                         string      `json:"href,omitempty"`
	ID                           string      `json:"id"`
	Name                         string      `json:"name"`
	Status                       string      `json:"status"`
	Type                         string      `json:"type"`
	Volume                       *refView    `json:"volume,omitempty"`
}

// softwareAttachmentView is the metadata service's instance software attachment.
type softwareAttachmentView struct {
	CatalogOffering  catalogOfferingView `json:"catalog_offering"`
	CreatedAt        string              `json:"created_at"`
	Entitlement      *entitlementView    `json:"entitlement,omitempty"`
	Href             string              `json:"href,omitempty"`
	ID               string              `json:"id"`
	LifecycleReasons []reasonView        `json:"lifecycle_reasons"`
	LifecycleState   string              `json:"lifecycle_state"`
	Name             string              `json:"name"`
	OfferingInstance crnView             `json:"offering_instance"`
	ResourceType     string              `json:"resource_type"`
}

type entitlementView struct {
	LicensedSoftware []licensedSoftwareView `json:"licensed_software"`
}

type licensedSoftwareView struct {
	Key string `json:"key,omitempty"`
	SKU string `json:"sku"`
}

// keyView is vpcv1.Key; the metadata service leaves out resource_group, as its summary does.
type keyView struct {
	CreatedAt     string   `json:"created_at"`
	CRN           string   `json:"crn"`
	Fingerprint   string   `json:"fingerprint"`
	Href          string   `json:"href,omitempty"`
	ID            string   `json:"id"`
	Length        int      `json:"length"`
	Name          string   `json:"name"`
	PublicKey     string   `json:"public_key"`
	ResourceGroup *refView `json:"resource_group,omitempty"`
	Type          string   `json:"type"`
}

// keyRef is vpcv1.KeyReference.
type keyRef struct {
	CRN         string `json:"crn"`
	Fingerprint string `json:"fingerprint"`
	Href        string `json:"href,omitempty"`
	ID          string `json:"id"`
	Name        string `json:"name"`
}

// placementGroupView is vpcv1.PlacementGroup (without resource_group for the metadata service).
type placementGroupView struct {
	CreatedAt      string   `json:"created_at"`
	CRN            string   `json:"crn"`
	Href           string   `json:"href,omitempty"`
	ID             string   `json:"id"`
	LifecycleState string   `json:"lifecycle_state"`
	Name           string   `json:"name"`
	ResourceGroup  *refView `json:"resource_group,omitempty"`
	ResourceType   string   `json:"resource_type"`
	Strategy       string   `json:"strategy"`
}

// clusterNetworkAttachmentView is vpcv1.InstanceClusterNetworkAttachment.
type clusterNetworkAttachmentView struct {
	ClusterNetworkInterface clusterNetworkInterfaceRef `json:"cluster_network_interface"`
	Href                    string                     `json:"href,omitempty"`
	ID                      string                     `json:"id"`
	LifecycleReasons        []reasonView               `json:"lifecycle_reasons"`
	LifecycleState          string                     `json:"lifecycle_state"`
	Name                    string                     `json:"name"`
	ResourceType            string                     `json:"resource_type"`
}

// clusterNetworkInterfaceRef is vpcv1.ClusterNetworkInterfaceReference.
type clusterNetworkInterfaceRef struct {
	Href         string  `json:"href,omitempty"`
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	PrimaryIP    refView `json:"primary_ip"`
	ResourceType string  `json:"resource_type"`
	Subnet       refView `json:"subnet"`
}

// initializationView is the metadata service's instance initialization.
type initializationView struct {
	DefaultTrustedProfile *initProfileView `json:"default_trusted_profile,omitempty"`
	Keys                  []keyRef         `json:"keys"`
	UserData              string           `json:"user_data,omitempty"`
}

type initProfileView struct {
	AutoLink bool    `json:"auto_link"`
	Target   refView `json:"target"`
}

// Facts the scenario does not carry, the same for every instance.
const (
	portSpeed = 1000
	numaCount = 1
)

func (v viewer) instance(in *scenario.Instance) instanceView {
	s := v.s
	prof := s.Profile(in.Profile)
	if prof == nil {
		prof = &scenario.InstanceProfile{Name: in.Profile}
	}
	volBW := volumeBandwidth(prof, in.Settings)
	iv := instanceView{
		AvailabilityPolicy:        availabilityPolicyView{HostFailure: orDefault(in.HostFailure, "restart")},
		Bandwidth:                 prof.Bandwidth,
		ClusterNetworkAttachments: []refView{},
		ConfidentialComputeMode:   "disabled",
		CreatedAt:                 v.time(in.CreatedAt),
		CRN:                       in.CRN,
		Disks:                     []refView{},
		EnableSecureBoot:          in.SecureBoot,
		HealthReasons:             []reasonView{},
		HealthState:               "ok",
		Href:                      v.href("instances", in.ID),
		ID:                        in.ID,
		LifecycleReasons:          []reasonView{},
		LifecycleState:            "stable",
		Memory:                    prof.MemoryGiB,
		MetadataService:           msView(in.MetadataService),
		Name:                      in.Name,
		NetworkAttachments:        []networkAttachmentRef{},
		NetworkInterfaces:         []networkInterfaceRef{},
		NumaCount:                 numaCount,
		Profile:                   refView{Href: v.href("instance", "profiles", prof.Name), Name: prof.Name, ResourceType: "instance_profile"},
		ReservationAffinity:       reservationAffinityView{Policy: orDefault(in.ReservationPolicy, "automatic"), Pool: []refView{}},
		ResourceGroup:             v.resourceGroup(),
		ResourceType:              "instance",
		SoftwareAttachments:       []refView{},
		Startable:                 true,
		Status:                    in.Status,
		StatusReasons:             []reasonView{},
		TotalNetworkBandwidth:     prof.Bandwidth - volBW,
		TotalVolumeBandwidth:      volBW,
		VCPU:                      vcpuView{Architecture: prof.Architecture, Count: prof.VCPU, Manufacturer: prof.Manufacturer},
		VolumeAttachments:         []volumeAttachmentRef{},
		VolumeBandwidthQoSMode:    "weighted",
		VPC:                       v.vpc(in.VPC),
		Zone:                      v.zone(in.Zone),
	}
	if v.metadata() {
		iv.VCPU.Percentage = orDefaultInt(prof.VCPUPercentage, 100)
		iv.VCPU.Burst = &vcpuBurstView{Limit: orDefaultInt(prof.VCPUBurstLimit, 100)}
		iv.ThreadsPerCore = orDefaultInt(prof.ThreadsPerCore, 2)
	}
	if img := s.Image(in.Image); img != nil {
		iv.Image = &refView{CRN: img.CRN, Href: v.href("images", img.ID), ID: img.ID, Name: img.Name, ResourceType: "image"}
	}
	for _, ca := range in.ClusterNetworkAttachments {
		iv.ClusterNetworkAttachments = append(iv.ClusterNetworkAttachments, refView{
			Href: v.href("instances", in.ID, "cluster_network_attachments", ca.ID), ID: ca.ID, Name: ca.Name, ResourceType: "instance_cluster_network_attachment"})
	}
	for i := range in.NetworkInterfaces {
		iv.NetworkInterfaces = append(iv.NetworkInterfaces, v.networkInterfaceRef(in, &in.NetworkInterfaces[i]))
	}
	if len(iv.NetworkInterfaces) > 0 {
		iv.PrimaryNetworkInterface = &iv.NetworkInterfaces[0]
	}
	for i := range in.NetworkAttachments {
		iv.NetworkAttachments = append(iv.NetworkAttachments, v.networkAttachmentRef(in, &in.NetworkAttachments[i]))
	}
	if len(iv.NetworkAttachments) > 0 {
		iv.PrimaryNetworkAttachment = &iv.NetworkAttachments[0]
	}
	for i := range in.VolumeAttachments {
		va := &in.VolumeAttachments[i]
		ref := v.volumeAttachmentRef(in, va)
		iv.VolumeAttachments = append(iv.VolumeAttachments, ref)
		if va.Type == "boot" && iv.BootVolumeAttachment == nil {
			iv.BootVolumeAttachment = &ref
		}
	}
	if pg := s.PlacementGroup(in.PlacementGroup); pg != nil {
		iv.PlacementTarget = &refView{CRN: pg.CRN, Href: v.href("placement_groups", pg.ID), ID: pg.ID, Name: pg.Name, ResourceType: "placement_group"}
	}
	for i, sa := range in.SoftwareAttachments {
		iv.SoftwareAttachments = append(iv.SoftwareAttachments, refView{
			Href: v.href("instances", in.ID, "software_attachments", sa.ID), ID: sa.ID, Name: sa.Name, ResourceType: "instance_software_attachment"})
		if i == 0 {
			// A software attachment exists because the instance came from a catalog offering;
			// both show the same offering.
			co := v.catalogOffering(sa)
			iv.CatalogOffering = &co
		}
	}
	return iv
}

// volumeBandwidth is the instance's total_volume_bandwidth: as given at creation, else a
// quarter of the profile's bandwidth.
func volumeBandwidth(prof *scenario.InstanceProfile, st scenario.Settings) int {
	if st.VolumeBandwidth > 0 {
		return st.VolumeBandwidth
	}
	return prof.Bandwidth / 4
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func orDefaultInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func (v viewer) resourceGroup() refView {
	rg := v.s.ResourceGroup
	r := refView{ID: rg.ID, Name: rg.Name}
	if !v.metadata() {
		r.Href = "https://resource-controller.cloud.ibm.com/v2/resource_groups/" + rg.ID
	}
	return r
}

func (v viewer) zone(name string) refView {
	return refView{Href: v.href("regions", v.s.Region, "zones", name), Name: name}
}

func (v viewer) vpc(id string) refView {
	if vpc := v.s.VPC(id); vpc != nil {
		return refView{CRN: vpc.CRN, Href: v.href("vpcs", vpc.ID), ID: vpc.ID, Name: vpc.Name, ResourceType: "vpc"}
	}
	return refView{Href: v.href("vpcs", id), ID: id, ResourceType: "vpc"}
}

func (v viewer) subnet(id string) refView {
	if sn := v.s.Subnet(id); sn != nil {
		return refView{CRN: sn.CRN, Href: v.href("subnets", sn.ID), ID: sn.ID, Name: sn.Name, ResourceType: "subnet"}
	}
	return refView{Href: v.href("subnets", id), ID: id, ResourceType: "subnet"}
}

// reservedIP is the subnet reserved IP holding an address. A network attachment and its legacy
// network interface representation share it.
func (v viewer) reservedIP(subnetID, address string) refView {
	seed := "reserved-ip/" + subnetID + "/" + address
	id := derivedID(prefixOf(subnetID, "0000"), seed)
	return refView{Address: address, Href: v.href("subnets", subnetID, "reserved_ips", id), ID: id, Name: derivedName(seed), ResourceType: "subnet_reserved_ip"}
}

func (v viewer) networkInterfaceRef(in *scenario.Instance, nic *scenario.NetworkInterface) networkInterfaceRef {
	r := networkInterfaceRef{
		Href: v.href("instances", in.ID, "network_interfaces", nic.ID), ID: nic.ID, Name: nic.Name,
		PrimaryIP: v.reservedIP(nic.Subnet, nic.PrimaryIPv4Address), ResourceType: "network_interface", Subnet: v.subnet(nic.Subnet),
	}
	if v.metadata() {
		r.PrimaryIPv4Address = nic.PrimaryIPv4Address
	}
	return r
}

func (v viewer) networkInterface(in *scenario.Instance, i int) networkInterfaceView {
	nic := &in.NetworkInterfaces[i]
	typ := "secondary"
	if i == 0 {
		typ = "primary"
	}
	nv := networkInterfaceView{
		CreatedAt: v.time(nic.CreatedAt), FloatingIPs: []refView{}, Href: v.href("instances", in.ID, "network_interfaces", nic.ID),
		ID: nic.ID, Name: nic.Name, PortSpeed: portSpeed, PrimaryIP: v.reservedIP(nic.Subnet, nic.PrimaryIPv4Address),
		ResourceType: "network_interface", SecurityGroups: []refView{v.securityGroup(in.VPC)}, Status: "available",
		Subnet: v.subnet(nic.Subnet), Type: typ,
	}
	if v.metadata() {
		nv.PrimaryIPv4Address = nic.PrimaryIPv4Address
	}
	if nic.FloatingIP != "" {
		nv.FloatingIPs = append(nv.FloatingIPs, v.floatingIP(in.Zone, nic.FloatingIP))
	}
	return nv
}

// securityGroup is the VPC's default security group, which every interface is in.
func (v viewer) securityGroup(vpcID string) refView {
	seed := "security-group/" + vpcID
	id := derivedID(prefixOf(vpcID, "r000"), seed)
	return refView{CRN: v.crn(v.s.Region, "security-group", id), Href: v.href("security_groups", id), ID: id, Name: derivedName(seed)}
}

func (v viewer) floatingIP(zone, address string) refView {
	seed := "floating-ip/" + address
	id := derivedID(zonePrefix(v.s, zone), seed)
	return refView{Address: address, CRN: v.crn(zone, "floating-ip", id), Href: v.href("floating_ips", id), ID: id, Name: derivedName(seed)}
}

func (v viewer) vni(zone, id string) refView {
	return refView{CRN: v.crn(zone, "virtual-network-interface", id), Href: v.href("virtual_network_interfaces", id), ID: id,
		Name: derivedName("vni/" + id), ResourceType: "virtual_network_interface"}
}

func (v viewer) networkAttachmentRef(in *scenario.Instance, na *scenario.NetworkInterface) networkAttachmentRef {
	return networkAttachmentRef{
		Href: v.href("instances", in.ID, "network_attachments", na.ID), ID: na.ID, Name: na.Name,
		PrimaryIP: v.reservedIP(na.Subnet, na.PrimaryIPv4Address), ResourceType: "instance_network_attachment",
		Subnet: v.subnet(na.Subnet), VirtualNetworkInterface: v.vni(in.Zone, na.VNI),
	}
}

func (v viewer) networkAttachment(in *scenario.Instance, i int) networkAttachmentView {
	na := &in.NetworkAttachments[i]
	typ := "secondary"
	if i == 0 {
		typ = "primary"
	}
	return networkAttachmentView{
		CreatedAt: v.time(na.CreatedAt), Href: v.href("instances", in.ID, "network_attachments", na.ID), ID: na.ID,
		LifecycleState: "stable", Name: na.Name, PortSpeed: portSpeed, PrimaryIP: v.reservedIP(na.Subnet, na.PrimaryIPv4Address),
		ResourceType: "instance_network_attachment", Subnet: v.subnet(na.Subnet), Type: typ, VirtualNetworkInterface: v.vni(in.Zone, na.VNI),
	}
}

func (v viewer) volume(ref scenario.Reference) *refView {
	return &refView{CRN: ref.CRN, Href: v.href("volumes", ref.ID), ID: ref.ID, Name: ref.Name, ResourceType: "volume"}
}

func (v viewer) volumeAttachmentRef(in *scenario.Instance, va *scenario.VolumeAttachment) volumeAttachmentRef {
	r := volumeAttachmentRef{Href: v.href("instances", in.ID, "volume_attachments", va.ID), ID: va.ID, Name: va.Name, Volume: v.volume(va.Volume)}
	if va.DeviceID != "" {
		r.Device = &deviceView{ID: va.DeviceID}
	}
	return r
}

func (v viewer) volumeAttachment(in *scenario.Instance, va *scenario.VolumeAttachment) volumeAttachmentView {
	r := volumeAttachmentView{
		Bandwidth: va.Bandwidth, CreatedAt: v.time(va.CreatedAt), DeleteVolumeOnInstanceDelete: va.DeleteWith,
		Href: v.href("instances", in.ID, "volume_attachments", va.ID), ID: va.ID, Name: va.Name, Status: "attached",
		Type: va.Type, Volume: v.volume(va.Volume),
	}
	if va.DeviceID != "" {
		r.Device = &deviceView{ID: va.DeviceID}
	}
	return r
}

func (v viewer) catalogOffering(sa scenario.SoftwareAttachment) catalogOfferingView {
	co := catalogOfferingView{Version: crnView{CRN: sa.OfferingVersionCRN}}
	if sa.PlanCRN != "" {
		co.Plan = &crnView{CRN: sa.PlanCRN}
	}
	return co
}

func (v viewer) softwareAttachment(in *scenario.Instance, sa scenario.SoftwareAttachment) softwareAttachmentView {
	sv := softwareAttachmentView{
		CatalogOffering: v.catalogOffering(sa), CreatedAt: v.time(sa.CreatedAt), ID: sa.ID, LifecycleReasons: []reasonView{},
		LifecycleState: sa.LifecycleState, Name: sa.Name, OfferingInstance: crnView{CRN: sa.OfferingInstanceCRN},
		ResourceType: "instance_software_attachment",
	}
	if v.metadata() {
		// The one href the metadata service documents: the attachment's own URL there.
		scheme := v.metaScheme
		if scheme == "" {
			scheme = "http"
		}
		sv.Href = scheme + "://" + MetadataHost + "/metadata/v1/instance/software_attachments/" + sa.ID
	} else {
		sv.Href = v.href("instances", in.ID, "software_attachments", sa.ID)
	}
	if sa.LicensedSoftwareSKU != "" {
		sv.Entitlement = &entitlementView{LicensedSoftware: []licensedSoftwareView{{SKU: sa.LicensedSoftwareSKU, Key: sa.LicensedSoftwareKey}}}
	}
	return sv
}

func (v viewer) key(k *scenario.Key) keyView {
	kv := keyView{
		CreatedAt: v.time(k.CreatedAt), CRN: k.CRN, Fingerprint: k.Fingerprint, Href: v.href("keys", k.ID), ID: k.ID,
		Length: k.Length, Name: k.Name, PublicKey: k.PublicKey, Type: k.Type,
	}
	if !v.metadata() {
		rg := v.resourceGroup()
		kv.ResourceGroup = &rg
	}
	return kv
}

func (v viewer) keyRef(k *scenario.Key) keyRef {
	return keyRef{CRN: k.CRN, Fingerprint: k.Fingerprint, Href: v.href("keys", k.ID), ID: k.ID, Name: k.Name}
}

func (v viewer) placementGroup(pg *scenario.PlacementGroup) placementGroupView {
	pv := placementGroupView{
		CreatedAt: v.time(pg.CreatedAt), CRN: pg.CRN, Href: v.href("placement_groups", pg.ID), ID: pg.ID,
		LifecycleState: pg.LifecycleState, Name: pg.Name, ResourceType: pg.ResourceType, Strategy: pg.Strategy,
	}
	if !v.metadata() {
		rg := v.resourceGroup()
		pv.ResourceGroup = &rg
	}
	return pv
}

func (v viewer) initialization(in *scenario.Instance) initializationView {
	iv := initializationView{Keys: []keyRef{}, UserData: in.UserData}
	for _, id := range in.Keys {
		if k := v.s.Key(id); k != nil {
			iv.Keys = append(iv.Keys, v.keyRef(k))
		}
	}
	if d := in.DefaultProfile; d != nil {
		target := refView{ID: d.Target.ID, CRN: d.Target.CRN, ResourceType: "trusted_profile"}
		if p := v.s.FindProfile(d.Target); p != nil {
			target.ID, target.CRN = p.ID, p.CRN
		}
		iv.DefaultTrustedProfile = &initProfileView{AutoLink: d.AutoLink, Target: target}
	}
	return iv
}

// derivedID is a stable identifier for a resource the scenario does not store: prefix (a zone
// or region code such as 0727 or r006), a dash and a UUID made from seed.
func derivedID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + "-" + uuidString(sum[:16])
}

func uuidString(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// nameWords make names in the style the VPC gives resources created without one
// (four hyphenated words).
var nameWords = [...]string{
	"amber", "brisk", "cobalt", "dapper", "eager", "fable", "gallant", "harbor", "ivory", "jovial",
	"kindle", "lumen", "mellow", "nimble", "onward", "pebble", "quartz", "ripple", "saffron", "tundra",
	"umber", "velvet", "willow", "zephyr", "anchor", "bramble", "canyon", "drift", "ember", "fjord",
	"glacier", "hollow", "island", "juniper", "kestrel", "lagoon", "meadow", "nectar", "orchid", "prairie",
	"quiver", "raven", "summit", "thicket", "upland", "valley", "walnut", "yonder", "acorn", "beacon",
	"cinder", "dune", "estuary", "falcon", "grove", "heron", "inlet", "jasper", "knoll", "lantern",
	"marble", "north", "osprey", "pine",
}

// derivedName is a stable four-word name made from seed.
func derivedName(seed string) string {
	sum := sha256.Sum256([]byte("name/" + seed))
	n := binary.BigEndian.Uint32(sum[:4])
	w := make([]string, 4)
	for i := range w {
		w[i] = nameWords[n%uint32(len(nameWords))]
		n /= uint32(len(nameWords))
	}
	return strings.Join(w, "-")
}

// prefixOf returns the four-character zone or region code that starts an IBM identifier
// ("0727-..." or "r006-..."), or def.
func prefixOf(id, def string) string {
	if len(id) > 5 && (id[4] == '-' || id[4] == '_') {
		return id[:4]
	}
	return def
}

// zonePrefix is the identifier code of a zone, read from the scenario's subnets and instances
// in that zone; us-south's codes are known, other zones get 0000.
func zonePrefix(s *scenario.Scenario, zone string) string {
	for _, sn := range s.Subnets {
		if sn.Zone == zone {
			if p := prefixOf(sn.ID, ""); p != "" {
				return p
			}
		}
	}
	for _, in := range s.Instances {
		if in.Zone == zone {
			if p := prefixOf(in.ID, ""); p != "" {
				return p
			}
		}
	}
	if p, ok := map[string]string{"us-south-1": "0717", "us-south-2": "0727", "us-south-3": "0737"}[zone]; ok {
		return p
	}
	return "0000"
}

// The collections of the metadata API, as the calling instance sees them: each is a list of
// views with IDs (member), so that memberView finds one by its {id}. They are never nil, so
// an empty collection is [].

func (v viewer) networkInterfaces(in *scenario.Instance) []networkInterfaceView {
	out := make([]networkInterfaceView, 0, len(in.NetworkInterfaces))
	for i := range in.NetworkInterfaces {
		out = append(out, v.networkInterface(in, i))
	}
	return out
}

func (v viewer) networkAttachments(in *scenario.Instance) []networkAttachmentView {
	out := make([]networkAttachmentView, 0, len(in.NetworkAttachments))
	for i := range in.NetworkAttachments {
		out = append(out, v.networkAttachment(in, i))
	}
	return out
}

func (v viewer) volumeAttachments(in *scenario.Instance) []volumeAttachmentView {
	out := make([]volumeAttachmentView, 0, len(in.VolumeAttachments))
	for i := range in.VolumeAttachments {
		out = append(out, v.volumeAttachment(in, &in.VolumeAttachments[i]))
	}
	return out
}

func (v viewer) clusterNetworkAttachments(in *scenario.Instance) []clusterNetworkAttachmentView {
	out := make([]clusterNetworkAttachmentView, 0, len(in.ClusterNetworkAttachments))
	for _, ca := range in.ClusterNetworkAttachments {
		cni, sn := ca.Interface, ca.Subnet
		ip := "cluster-network-subnet-reserved-ip/" + sn.ID + "/" + ca.PrimaryIPv4
		out = append(out, clusterNetworkAttachmentView{
			ClusterNetworkInterface: clusterNetworkInterfaceRef{
				ID: cni.ID, Name: cni.Name, ResourceType: "cluster_network_interface",
				PrimaryIP: refView{Address: ca.PrimaryIPv4, ID: derivedID(prefixOf(sn.ID, "0000"), ip), Name: derivedName(ip), ResourceType: "cluster_network_subnet_reserved_ip"},
				Subnet:    refView{ID: sn.ID, Name: sn.Name, ResourceType: "cluster_network_subnet"},
			},
			Href: v.href("instances", in.ID, "cluster_network_attachments", ca.ID), ID: ca.ID, LifecycleReasons: []reasonView{},
			LifecycleState: "stable", Name: ca.Name, ResourceType: "instance_cluster_network_attachment",
		})
	}
	return out
}

func (v viewer) softwareAttachments(in *scenario.Instance) []softwareAttachmentView {
	out := make([]softwareAttachmentView, 0, len(in.SoftwareAttachments))
	for _, sa := range in.SoftwareAttachments {
		out = append(out, v.softwareAttachment(in, sa))
	}
	return out
}

// keys are the keys the instance was initialized with; other keys of the account are not
// visible.
func (v viewer) keys(in *scenario.Instance) []keyView {
	out := []keyView{}
	for _, id := range in.Keys {
		if k := v.s.Key(id); k != nil {
			out = append(out, v.key(k))
		}
	}
	return out
}

// placementGroups is the placement group the instance is in, if any.
func (v viewer) placementGroups(in *scenario.Instance) []placementGroupView {
	out := []placementGroupView{}
	if pg := v.s.PlacementGroup(in.PlacementGroup); pg != nil {
		out = append(out, v.placementGroup(pg))
	}
	return out
}

func (x networkInterfaceView) memberID() string         { return x.ID }
func (x clusterNetworkAttachmentView) memberID() string { return x.ID }
func (x networkAttachmentView) memberID() string        { return x.ID }
func (x volumeAttachmentView) memberID() string         { return x.ID }
func (x softwareAttachmentView) memberID() string       { return x.ID }
func (x keyView) memberID() string                      { return x.ID }
func (x placementGroupView) memberID() string           { return x.ID }
