package imds

import (
	"crypto/sha256"
	"fmt"
	"net/http"
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

func (e *Emulator) listInstances(c *call) (int, any, error) {
	body, err := e.vpcRead(func(s *scenario.Scenario) (any, error) {
		v := vpcViewer(s)
		c.target = EventTarget{ID: v.crn(s.Region, "instance", ""), Name: "instances", TypeURI: vpcTypeInstance}
		var all []*scenario.Instance
		if c.local {
			for i := range s.Instances {
				if name := c.query().Get("name"); name == "" || s.Instances[i].Name == name {
					all = append(all, &s.Instances[i])
				}
			}
		}
		items, coll, err := vpcPage(c.query(), all, func(in *scenario.Instance) string { return in.ID }, v.href("instances"))
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

func (e *Emulator) getInstance(c *call) (int, any, error) {
	body, err := e.vpcRead(func(s *scenario.Scenario) (any, error) {
		in, err := instanceByID(s, c)
		if err != nil {
			return nil, err
		}
		return vpcViewer(s).instance(in), nil
	})
	return http.StatusOK, body, err
}

// instancePatchBody is the subset of vpcv1.InstancePatch the emulator models. The default
// trusted profile is not part of it: IBM sets it at creation only.
type instancePatchBody struct {
	Name            *string              `json:"name"`
	MetadataService *metadataServiceBody `json:"metadata_service"`
	Profile         *identityBody        `json:"profile"`
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
	err := e.Update(func(s *scenario.Scenario) error {
		in, err := instanceByID(s, c)
		if err != nil {
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
		if b.Profile != nil {
			name, err := resolveIdentity("profile", "Instance profile", b.Profile, []string{"name", "href"}, func(_, v string) string {
				if p := s.Profile(v); p != nil {
					return p.Name
				}
				return ""
			})
			if err != nil {
				return err
			}
			if name != in.Profile && in.Status != "stopped" {
				return vpcError(http.StatusConflict, vpcInvalidState, field("profile"), "The instance must be stopped to change its profile; it is %s.", in.Status)
			}
			in.Profile = name
		}
		c.target.Name = in.Name
		view = vpcViewer(s).instance(in)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, view, nil
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

// newIDs are the identifiers a new instance needs, drawn before the world is locked.
type newIDs struct{ instance, nic, attachment, vni, boot, volume string }

func (e *Emulator) drawIDs() newIDs {
	return newIDs{e.newID(), e.newID(), e.newID(), e.newID(), e.newID(), e.newID()}
}

func (e *Emulator) createInstance(c *call) (int, any, error) {
	var b prototypeBody
	if err := c.decode(e, &b); err != nil {
		return 0, nil, err
	}
	ids := e.drawIDs()
	now := e.now().UTC().Truncate(time.Second)
	var view instanceView
	err := e.Update(func(s *scenario.Scenario) error {
		sp, err := resolvePrototype(s, &b, c.local)
		if err != nil {
			return err
		}
		in, err := newInstance(s, sp, ids, now)
		if err != nil {
			return err
		}
		s.Instances = append(s.Instances, *in)
		if d := in.DefaultProfile; d != nil && d.AutoLink {
			// Auto-link: the default trusted profile is linked to the instance at creation.
			p := s.FindProfile(d.Target)
			p.LinkedInstances = append(removeString(p.LinkedInstances, in.ID), in.ID)
		}
		c.target = EventTarget{ID: in.CRN, Name: in.Name, TypeURI: vpcTypeInstance}
		view = vpcViewer(s).instance(&s.Instances[len(s.Instances)-1])
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, view, nil
}

// newInstance builds the instance a resolved prototype describes.
func newInstance(s *scenario.Scenario, sp protoSpec, ids newIDs, now time.Time) (*scenario.Instance, error) {
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
	addrField := strings.TrimSuffix(sp.subnetPath, ".subnet") + ".primary_ip.address"
	addr, err := allocateIP(s, sp.subnet, sp.address, addrField)
	if err != nil {
		return nil, err
	}
	nicName := sp.nicName
	if nicName == "" {
		nicName = "eth0"
	}
	prof := s.Profile(sp.profile)
	crn := func(scope, typ, id string) string {
		return "crn:v1:bluemix:public:is:" + scope + ":a/" + s.AccountID + "::" + typ + ":" + id
	}
	in := &scenario.Instance{
		ID: id, Name: name, CRN: crn(sp.zone, "instance", id), CreatedAt: now, Status: "running",
		Zone: sp.zone, Profile: sp.profile, Image: sp.image, VPC: sp.vpc, MetadataService: sp.ms, DefaultProfile: sp.dtp,
		Keys: append([]string{}, sp.keys...), PlacementGroup: sp.placement, UserData: sp.userData, Template: sp.template,
		NetworkInterfaces:   []scenario.NetworkInterface{{ID: zp + "-" + ids.nic, Name: nicName, CreatedAt: now, PrimaryIPv4Address: addr, Subnet: sp.subnet}},
		NetworkAttachments:  []scenario.NetworkInterface{},
		SoftwareAttachments: []scenario.SoftwareAttachment{},
	}
	if sp.attachment {
		// An instance with a network attachment also shows it as a legacy network interface,
		// as IBM does for older clients.
		in.NetworkAttachments = append(in.NetworkAttachments, scenario.NetworkInterface{
			ID: zp + "-" + ids.attachment, Name: nicName, CreatedAt: now, PrimaryIPv4Address: addr, Subnet: sp.subnet, VNI: zp + "-" + ids.vni})
	}
	bootID := zp + "-" + ids.boot
	bootName := sp.bootName
	if bootName == "" {
		bootName = derivedName("volume-attachment/" + bootID)
	}
	volID := rp + "-" + ids.volume
	volName := sp.volumeName
	if volName == "" {
		volName = fmt.Sprintf("%s-boot-%d", name, now.UnixMilli())
	}
	in.VolumeAttachments = []scenario.VolumeAttachment{{
		ID: bootID, Name: bootName, CreatedAt: now, Type: "boot", Bandwidth: prof.Bandwidth / 4,
		DeviceID: bootID + "-" + deviceSuffix(bootID), DeleteWith: sp.bootDelete,
		Volume: scenario.Reference{ID: volID, Name: volName, CRN: crn(sp.zone, "volume", volID), ResourceType: "volume"},
	}}
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
