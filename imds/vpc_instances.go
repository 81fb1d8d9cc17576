package imds

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// Instances of the VPC API subset. State changes are instant: a new instance is running at
// once, and an action has completed by the time it is answered (IBM answers while the change
// is still under way). See the README's fidelity notes.

type instanceCollection struct {
	vpcCollection
	Instances []instanceView `json:"instances"`
}

// instanceFilters are the filters of GET /v1/instances (vpcv1.ListInstancesOptions). The world
// has no cluster networks, dedicated hosts or reservations, so their filters keep nothing.
var instanceFilters = map[string]vpcFilter[*scenario.Instance]{
	"name":              func(_ *scenario.Scenario, in *scenario.Instance) []string { return []string{in.Name} },
	"resource_group.id": func(s *scenario.Scenario, _ *scenario.Instance) []string { return []string{s.ResourceGroup.ID} },
	"vpc.id":            func(s *scenario.Scenario, in *scenario.Instance) []string { return refValues(s.VPC(in.VPC), "id") },
	"vpc.crn":           func(s *scenario.Scenario, in *scenario.Instance) []string { return refValues(s.VPC(in.VPC), "crn") },
	"vpc.name":          func(s *scenario.Scenario, in *scenario.Instance) []string { return refValues(s.VPC(in.VPC), "name") },
	"placement_group.id": func(s *scenario.Scenario, in *scenario.Instance) []string {
		return placementValues(s.PlacementGroup(in.PlacementGroup), "id")
	},
	"placement_group.crn": func(s *scenario.Scenario, in *scenario.Instance) []string {
		return placementValues(s.PlacementGroup(in.PlacementGroup), "crn")
	},
	"placement_group.name": func(s *scenario.Scenario, in *scenario.Instance) []string {
		return placementValues(s.PlacementGroup(in.PlacementGroup), "name")
	},
	"reservation_affinity.policy": func(_ *scenario.Scenario, in *scenario.Instance) []string {
		return []string{orDefault(in.ReservationPolicy, "automatic")}
	},
	"cluster_network.id": none[*scenario.Instance], "cluster_network.crn": none[*scenario.Instance], "cluster_network.name": none[*scenario.Instance],
	"dedicated_host.id": none[*scenario.Instance], "dedicated_host.crn": none[*scenario.Instance], "dedicated_host.name": none[*scenario.Instance],
	"reservation.id": none[*scenario.Instance], "reservation.crn": none[*scenario.Instance], "reservation.name": none[*scenario.Instance],
}

// none is the filter of a property no resource of the world has.
func none[T any](*scenario.Scenario, T) []string { return nil }

func refValues(r *scenario.Reference, what string) []string {
	if r == nil {
		return nil
	}
	return []string{map[string]string{"id": r.ID, "crn": r.CRN, "name": r.Name}[what]}
}

func placementValues(pg *scenario.PlacementGroup, what string) []string {
	if pg == nil {
		return nil
	}
	return []string{map[string]string{"id": pg.ID, "crn": pg.CRN, "name": pg.Name}[what]}
}

func (e *Emulator) listInstances(c *call) (int, any, error) {
	body, err := e.vpcRead(func(s *scenario.Scenario) (any, error) {
		v := vpcViewer(s)
		c.target = EventTarget{ID: v.crn(s.Region, "instance", ""), Name: "instances", TypeURI: vpcTypeInstance}
		var all []*scenario.Instance
		if c.local {
			for i := range s.Instances {
				all = append(all, &s.Instances[i])
			}
		}
		all, used := vpcFilters(s, c.query(), all, instanceFilters)
		items, coll, err := vpcPage(c.query(), all, func(in *scenario.Instance) string { return in.ID }, v.href("instances"), used)
		if err != nil {
			return nil, err
		}
		out := instanceCollection{vpcCollection: coll, Instances: []instanceView{}}
		for _, in := range items {
			out.Instances = append(out.Instances, v.instance(in))
		}
		return out, nil
	})
	return http.StatusOK, body, err
}

// instanceByID finds an instance by ID only (the VPC API does not look instances up by name).
func instanceByID(s *scenario.Scenario, c *call) (*scenario.Instance, error) {
	if c.local {
		for i := range s.Instances {
			if s.Instances[i].ID == c.id {
				in := &s.Instances[i]
				c.target = EventTarget{ID: in.CRN, Name: in.Name, TypeURI: vpcTypeInstance}
				return in, nil
			}
		}
	}
	c.target = EventTarget{ID: c.id, TypeURI: vpcTypeInstance}
	return nil, errf(CodeNotFound, withValue(pathParam("id"), c.id), "Instance not found.")
}

// instanceRead answers a read of one instance with render's view of it.
func (e *Emulator) instanceRead(c *call, render func(v viewer, in *scenario.Instance) any) (int, any, error) {
	body, err := e.vpcRead(func(s *scenario.Scenario) (any, error) {
		in, err := instanceByID(s, c)
		if err != nil {
			return nil, err
		}
		return render(vpcViewer(s), in), nil
	})
	return http.StatusOK, body, err
}

func (e *Emulator) getInstance(c *call) (int, any, error) {
	return e.instanceRead(c, func(v viewer, in *scenario.Instance) any {
		c.setEntityTag(entityTag(in))
		return v.instance(in)
	})
}

// getInitialization is GET /v1/instances/{id}/initialization: what the instance was made with
// (vpcv1.InstanceInitialization), the view the metadata service also serves.
func (e *Emulator) getInitialization(c *call) (int, any, error) {
	return e.instanceRead(c, func(v viewer, in *scenario.Instance) any { return v.initialization(in) })
}

// listNetworkInterfaces is GET /v1/instances/{id}/network_interfaces
// (vpcv1.NetworkInterfaceUnpaginatedCollection).
func (e *Emulator) listNetworkInterfaces(c *call) (int, any, error) {
	return e.instanceRead(c, func(v viewer, in *scenario.Instance) any {
		return map[string][]networkInterfaceView{"network_interfaces": v.networkInterfaces(in)}
	})
}

// instancePatchBody is vpcv1.InstancePatch. The default trusted profile is not part of it:
// IBM sets it at creation only.
type instancePatchBody struct {
	AvailabilityPolicy      *availabilityPolicyBody  `json:"availability_policy"`
	ConfidentialComputeMode *string                  `json:"confidential_compute_mode"`
	EnableSecureBoot        *bool                    `json:"enable_secure_boot"`
	MetadataService         *metadataServiceBody     `json:"metadata_service"`
	Name                    *string                  `json:"name"`
	PlacementTarget         *identityBody            `json:"placement_target"`
	Profile                 *identityBody            `json:"profile"`
	ReservationAffinity     *reservationAffinityBody `json:"reservation_affinity"`
	TotalVolumeBandwidth    *int64                   `json:"total_volume_bandwidth"`
}

func (e *Emulator) updateInstance(c *call) (int, any, error) {
	if _, err := e.vpcRead(func(s *scenario.Scenario) (any, error) { return instanceByID(s, c) }); err != nil {
		return 0, nil, err
	}
	var b instancePatchBody
	if err := c.decode(e, &b); err != nil {
		if ce, ok := err.(*Error); ok && ce.Target != nil && ce.Target.Name == "default_trusted_profile" {
			ce.Message = "The `default_trusted_profile` of an instance is set when the instance is created and cannot be updated."
		}
		return 0, nil, err
	}
	if b.Name != nil {
		if err := checkName("name", *b.Name); err != nil {
			return 0, nil, err
		}
	}
	var view instanceView
	var tag string
	err := e.Update(func(s *scenario.Scenario) error {
		in, err := instanceByID(s, c)
		if err != nil {
			return err
		}
		if err := checkIfMatch(c, entityTag(in)); err != nil {
			return err
		}
		if b.Name != nil && *b.Name != in.Name {
			if other := instanceNamed(s, *b.Name); other != nil && other.ID != in.ID {
				return vpcError(http.StatusBadRequest, vpcUniqueFailed, withValue(field("name"), *b.Name), "The name %s is already used by another instance.", *b.Name)
			}
			in.Name = *b.Name
		}
		if b.MetadataService != nil {
			ms, err := applyMetadataService("metadata_service", in.MetadataService, b.MetadataService)
			if err != nil {
				return err
			}
			in.MetadataService = ms
		}
		if err := patchStopped(s, in, &b); err != nil {
			return err
		}
		if err := applySettings(settingsBody{b.AvailabilityPolicy, b.ConfidentialComputeMode, nil, b.ReservationAffinity, b.TotalVolumeBandwidth}, &in.Settings); err != nil {
			return err
		}
		prof := s.Profile(in.Profile)
		if prof == nil {
			prof = &scenario.InstanceProfile{Name: in.Profile}
		}
		if err := checkVolumeBandwidth(prof, in.Settings); err != nil {
			return err
		}
		c.target.Name = in.Name
		tag = entityTag(in)
		view = vpcViewer(s).instance(in)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	c.setEntityTag(tag)
	return http.StatusOK, view, nil
}

// patchStopped applies the parts of a patch that IBM changes only on a stopped instance: the
// profile, the placement target and secure boot.
func patchStopped(s *scenario.Scenario, in *scenario.Instance, b *instancePatchBody) error {
	stopped := func(f string) error {
		if in.Status != "stopped" {
			return vpcError(http.StatusConflict, vpcInvalidState, field(f), "The instance must be stopped to change its `%s`; it is %s.", f, in.Status)
		}
		return nil
	}
	// set changes *cur to the resolved next, on a stopped instance only.
	set := func(f string, cur *string, next string, err error) error {
		if err != nil || next == *cur {
			return err
		}
		if err := stopped(f); err != nil {
			return err
		}
		*cur = next
		return nil
	}
	if b.Profile != nil {
		name, err := resolveInstanceProfile(s, "profile", b.Profile)
		if err := set("profile", &in.Profile, name, err); err != nil {
			return err
		}
	}
	if b.PlacementTarget != nil {
		id, err := resolvePlacementGroup(s, "placement_target", b.PlacementTarget)
		if err := set("placement_target", &in.PlacementGroup, id, err); err != nil {
			return err
		}
	}
	if b.EnableSecureBoot != nil && *b.EnableSecureBoot != in.SecureBoot {
		if err := stopped("enable_secure_boot"); err != nil {
			return err
		}
		in.SecureBoot = *b.EnableSecureBoot
	}
	return nil
}

// deleteInstance is DELETE /v1/instances/{id}: the instance goes at once (IBM answers 204
// while it is still deleting), with its links to trusted profiles. The scenario's first
// instance is the one the playground and imds serve run on, and is not deleted.
func (e *Emulator) deleteInstance(c *call) (int, any, error) {
	err := e.Update(func(s *scenario.Scenario) error {
		in, err := instanceByID(s, c)
		if err != nil {
			return err
		}
		if err := checkIfMatch(c, entityTag(in)); err != nil {
			return err
		}
		if in.ID == s.Instances[0].ID {
			return vpcError(http.StatusConflict, vpcInvalidState, withValue(pathParam("id"), in.ID),
				"The emulator does not delete %s: it is the instance its shell and metadata service run on (the scenario's first).", in.Name)
		}
		for i := range s.TrustedProfiles {
			p := &s.TrustedProfiles[i]
			p.LinkedInstances = removeString(p.LinkedInstances, in.ID)
		}
		id := in.ID // in points into the slice DeleteFunc moves
		s.Instances = slices.DeleteFunc(s.Instances, func(x scenario.Instance) bool { return x.ID == id })
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// instanceActionBody is the body of POST /v1/instances/{id}/actions.
type instanceActionBody struct {
	Type  *string `json:"type"`
	Force *bool   `json:"force"`
}

// instanceActionView is vpcv1.InstanceAction.
type instanceActionView struct {
	CompletedAt string `json:"completed_at,omitempty"`
	CreatedAt   string `json:"created_at"`
	Force       bool   `json:"force"`
	Href        string `json:"href"`
	ID          string `json:"id"`
	StartedAt   string `json:"started_at,omitempty"`
	Status      string `json:"status"`
	Type        string `json:"type"`
}

// actionRules says, for each action type, which status it needs and which it leaves.
var actionRules = map[string]struct{ from, to string }{
	"start":  {"stopped", "running"},
	"stop":   {"running", "stopped"},
	"reboot": {"running", "running"},
}

func (e *Emulator) instanceAction(c *call) (int, any, error) {
	if _, err := e.vpcRead(func(s *scenario.Scenario) (any, error) { return instanceByID(s, c) }); err != nil {
		return 0, nil, err
	}
	var b instanceActionBody
	if err := c.decode(e, &b); err != nil {
		return 0, nil, err
	}
	id := e.newID()
	now := e.now().UTC()
	var view instanceActionView
	err := e.Update(func(s *scenario.Scenario) error {
		in, err := instanceByID(s, c)
		if err != nil {
			return err
		}
		if b.Type == nil {
			return vpcError(http.StatusBadRequest, vpcRequired, field("type"), "The `type` property is required: start, stop or reboot.")
		}
		rule, ok := actionRules[*b.Type]
		if !ok {
			return vpcError(http.StatusBadRequest, vpcEnum, withValue(field("type"), *b.Type), "The `type` property must be start, stop or reboot.")
		}
		if in.Status != rule.from {
			return vpcError(http.StatusConflict, vpcInvalidState, withValue(field("type"), *b.Type),
				"The instance cannot %s while its status is %s.", *b.Type, in.Status)
		}
		in.Status = rule.to
		ts := now.Format(millis)
		view = instanceActionView{
			CompletedAt: ts, CreatedAt: ts, Force: b.Force != nil && *b.Force,
			Href: vpcViewer(s).href("instances", in.ID, "actions", id), ID: id, StartedAt: ts, Status: "completed", Type: *b.Type,
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, view, nil
}

// newIDs are the identifiers a new instance needs, drawn before the world is locked, in the
// order earlier versions drew them, so that the same seed makes the same instance; more draws
// those a source template adds.
type newIDs struct {
	instance, boot, volume string
	nets                   []netIDs // the primary network first
	data                   []volIDs
	more                   func() string
}

type netIDs struct{ nic, attachment, vni string }
type volIDs struct{ attachment, volume string }

func (e *Emulator) drawIDs(networks, volumes int) newIDs {
	ids := newIDs{instance: e.newID(), more: e.newID}
	ids.nets = []netIDs{{e.newID(), e.newID(), e.newID()}}
	ids.boot, ids.volume = e.newID(), e.newID()
	for range networks - 1 {
		ids.nets = append(ids.nets, netIDs{e.newID(), e.newID(), e.newID()})
	}
	for range volumes {
		ids.data = append(ids.data, volIDs{e.newID(), e.newID()})
	}
	return ids
}

// grow draws the identifiers of the networks and volumes beyond those drawn.
func (ids *newIDs) grow(networks, volumes int) {
	for len(ids.nets) < networks {
		ids.nets = append(ids.nets, netIDs{ids.more(), ids.more(), ids.more()})
	}
	for len(ids.data) < volumes {
		ids.data = append(ids.data, volIDs{ids.more(), ids.more()})
	}
}

// maxPrototypeParts bounds the network interfaces and volumes one prototype may ask for (IBM's
// profiles allow 5 to 15 of each).
const maxPrototypeParts = 16

// partsOf counts the networks and data volumes a body asks for.
func partsOf(b *prototypeBody) (networks, volumes int, err error) {
	networks = 1 + max(len(b.NetworkInterfaces), len(b.NetworkAttachments))
	volumes = len(b.VolumeAttachments)
	if networks > maxPrototypeParts || volumes > maxPrototypeParts {
		return 0, 0, vpcError(http.StatusBadRequest, vpcMaxValue, nil, "A prototype may give at most %d network interfaces and %d volume attachments.", maxPrototypeParts, maxPrototypeParts)
	}
	return networks, volumes, nil
}

func (e *Emulator) createInstance(c *call) (int, any, error) {
	var b prototypeBody
	if err := c.decode(e, &b); err != nil {
		return 0, nil, err
	}
	nets, vols, err := partsOf(&b)
	if err != nil {
		return 0, nil, err
	}
	ids := e.drawIDs(nets, vols)
	now := e.now().UTC().Truncate(time.Second)
	var view instanceView
	var tag string
	err = e.Update(func(s *scenario.Scenario) error {
		sp, err := resolvePrototype(s, &b, c.local)
		if err != nil {
			return err
		}
		in, err := newInstance(s, sp, ids, now)
		if err != nil {
			return err
		}
		if len(s.Instances) >= maxInstances {
			return overQuota("instances", maxInstances)
		}
		s.Instances = append(s.Instances, *in)
		if d := in.DefaultProfile; d != nil && d.AutoLink {
			// Auto-link: the default trusted profile is linked to the instance at creation.
			p := s.FindProfile(d.Target)
			p.LinkedInstances = append(removeString(p.LinkedInstances, in.ID), in.ID)
		}
		c.target = EventTarget{ID: in.CRN, Name: in.Name, TypeURI: vpcTypeInstance}
		stored := &s.Instances[len(s.Instances)-1]
		tag = entityTag(stored)
		view = vpcViewer(s).instance(stored)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	c.setEntityTag(tag)
	return http.StatusCreated, view, nil
}

// newInstance builds the instance a resolved prototype describes.
func newInstance(s *scenario.Scenario, sp protoSpec, ids newIDs, now time.Time) (*scenario.Instance, error) {
	ids.grow(len(sp.secondary)+1, len(sp.data))
	zp := zonePrefix(s, sp.zone)
	rp := prefixOf(sp.vpc, "r000")
	id := zp + "_" + ids.instance
	name := sp.name
	if name == "" {
		name = derivedName("instance/" + id)
	}
	if instanceNamed(s, name) != nil {
		return nil, vpcError(http.StatusBadRequest, vpcUniqueFailed, withValue(field("name"), name), "The name %s is already used by another instance.", name)
	}
	prof := s.Profile(sp.profile)
	crn := func(scope, typ, id string) string {
		return "crn:v1:bluemix:public:is:" + scope + ":a/" + s.AccountID + "::" + typ + ":" + id
	}
	in := &scenario.Instance{
		ID: id, Name: name, CRN: crn(sp.zone, "instance", id), CreatedAt: now, Status: "running",
		Zone: sp.zone, Profile: sp.profile, Image: sp.image, VPC: sp.vpc, MetadataService: sp.ms, DefaultProfile: sp.dtp,
		Keys: append([]string{}, sp.keys...), PlacementGroup: sp.placement, UserData: sp.userData, Template: sp.template,
		NetworkInterfaces:   []scenario.NetworkInterface{},
		NetworkAttachments:  []scenario.NetworkInterface{},
		SoftwareAttachments: []scenario.SoftwareAttachment{},
		Settings:            sp.settings,
	}
	var taken []string
	for i, n := range append([]netSpec{sp.primary}, sp.secondary...) {
		f := n.path + ".primary_ip.address"
		if strings.HasPrefix(n.path, "source_template") {
			f = n.path
		}
		addr, err := allocateIP(s, n.subnet, n.address, f, taken)
		if err != nil {
			return nil, err
		}
		taken = append(taken, addr)
		nicName := n.name
		if nicName == "" {
			nicName = fmt.Sprintf("eth%d", i)
		}
		nic := scenario.NetworkInterface{ID: zp + "-" + ids.nets[i].nic, Name: nicName, CreatedAt: now, PrimaryIPv4Address: addr, Subnet: n.subnet}
		in.NetworkInterfaces = append(in.NetworkInterfaces, nic)
		if sp.attachment {
			// An instance with network attachments also shows them as legacy network
			// interfaces, as IBM does for older clients.
			nic.ID, nic.VNI = zp+"-"+ids.nets[i].attachment, zp+"-"+ids.nets[i].vni
			in.NetworkAttachments = append(in.NetworkAttachments, nic)
		}
	}
	bootID := zp + "-" + ids.boot
	bootName := orDefault(sp.boot.AttachmentName, derivedName("volume-attachment/"+bootID))
	volID := rp + "-" + ids.volume
	volName := orDefault(sp.boot.Name, fmt.Sprintf("%s-boot-%d", name, now.UnixMilli()))
	in.VolumeAttachments = []scenario.VolumeAttachment{{
		ID: bootID, Name: bootName, CreatedAt: now, Type: "boot", Bandwidth: volumeBandwidth(prof, sp.settings) / (1 + len(sp.data)),
		DeviceID: bootID + "-" + deviceSuffix(bootID), DeleteWith: !sp.boot.Keep,
		Volume: scenario.Reference{ID: volID, Name: volName, CRN: crn(sp.zone, "volume", volID), ResourceType: "volume"},
	}}
	for i, dv := range sp.data {
		attID, vID := zp+"-"+ids.data[i].attachment, rp+"-"+ids.data[i].volume
		in.VolumeAttachments = append(in.VolumeAttachments, scenario.VolumeAttachment{
			ID: attID, Name: orDefault(dv.AttachmentName, derivedName("volume-attachment/"+attID)), CreatedAt: now, Type: "data",
			Bandwidth: volumeBandwidth(prof, sp.settings) / (1 + len(sp.data)), DeviceID: attID + "-" + deviceSuffix(attID), DeleteWith: !dv.Keep,
			Volume: scenario.Reference{ID: vID, Name: orDefault(dv.Name, derivedName("volume/"+vID)), CRN: crn(sp.zone, "volume", vID), ResourceType: "volume"},
		})
	}
	return in, nil
}

// instanceNamed returns the instance with that name, or nil.
func instanceNamed(s *scenario.Scenario, name string) *scenario.Instance {
	for i := range s.Instances {
		if s.Instances[i].Name == name {
			return &s.Instances[i]
		}
	}
	return nil
}

// deviceSuffix is the five lowercase letters IBM appends to a volume attachment's ID to name
// the device.
func deviceSuffix(seed string) string {
	sum := sha256.Sum256([]byte("device/" + seed))
	b := make([]byte, 5)
	for i := range b {
		b[i] = 'a' + sum[i]%26
	}
	return string(b)
}
