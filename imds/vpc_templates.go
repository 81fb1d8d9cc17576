package imds

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// Instance templates of the VPC API subset. A template's only changeable property is its
// name: IBM documents that the metadata service setting of a template cannot change after
// creation, and vpcv1.InstanceTemplatePatch has nothing but name.

// templateView is vpcv1.InstanceTemplate: the prototype it was made from, by identity.
type templateView struct {
	AvailabilityPolicy       *availabilityPolicyView  `json:"availability_policy,omitempty"`
	BootVolumeAttachment     *templateVolumeView      `json:"boot_volume_attachment,omitempty"`
	CreatedAt                string                   `json:"created_at"`
	CRN                      string                   `json:"crn"`
	DefaultTrustedProfile    *initProfileView         `json:"default_trusted_profile,omitempty"`
	EnableSecureBoot         *bool                    `json:"enable_secure_boot,omitempty"`
	Href                     string                   `json:"href"`
	ID                       string                   `json:"id"`
	Image                    *refView                 `json:"image,omitempty"`
	Keys                     []refView                `json:"keys,omitempty"`
	MetadataService          metadataServiceView      `json:"metadata_service"`
	Name                     string                   `json:"name"`
	NetworkAttachments       []templateAttachmentView `json:"network_attachments,omitempty"`
	NetworkInterfaces        []templateNICView        `json:"network_interfaces,omitempty"`
	PlacementTarget          *refView                 `json:"placement_target,omitempty"`
	PrimaryNetworkAttachment *templateAttachmentView  `json:"primary_network_attachment,omitempty"`
	PrimaryNetworkInterface  *templateNICView         `json:"primary_network_interface,omitempty"`
	Profile                  refView                  `json:"profile"`
	ReservationAffinity      *reservationAffinityView `json:"reservation_affinity,omitempty"`
	ResourceGroup            refView                  `json:"resource_group"`
	TotalVolumeBandwidth     int                      `json:"total_volume_bandwidth,omitempty"`
	UserData                 string                   `json:"user_data,omitempty"`
	VolumeAttachments        []templateVolumeView     `json:"volume_attachments,omitempty"`
	VPC                      *refView                 `json:"vpc,omitempty"`
	Zone                     refView                  `json:"zone"`
}

type templateNICView struct {
	Name   string  `json:"name,omitempty"`
	Subnet refView `json:"subnet"`
}

type templateAttachmentView struct {
	Name                    string          `json:"name,omitempty"`
	VirtualNetworkInterface templateNICView `json:"virtual_network_interface"`
}

// templateVolumeView is a volume attachment prototype of a template.
type templateVolumeView struct {
	DeleteVolumeOnInstanceDelete bool               `json:"delete_volume_on_instance_delete"`
	Name                         string             `json:"name,omitempty"`
	Volume                       templateVolumeSpec `json:"volume"`
}

type templateVolumeSpec struct {
	Capacity int      `json:"capacity,omitempty"`
	Name     string   `json:"name,omitempty"`
	Profile  *refView `json:"profile,omitempty"`
}

func volumeSpecView(attachment, name, profile string, capacity int, keep bool) templateVolumeView {
	v := templateVolumeView{DeleteVolumeOnInstanceDelete: !keep, Name: attachment, Volume: templateVolumeSpec{Capacity: capacity, Name: name}}
	if profile != "" {
		v.Volume.Profile = &refView{Name: profile}
	}
	return v
}

func (v viewer) template(t *scenario.Template) templateView {
	tv := templateView{
		CreatedAt: v.time(t.CreatedAt), CRN: t.CRN, Href: v.href("instance", "templates", t.ID), ID: t.ID,
		MetadataService: msView(t.MetadataService), Name: t.Name, Profile: refView{Name: t.Profile},
		ResourceGroup: v.resourceGroup(), UserData: t.UserData, Zone: refView{Name: t.Zone},
	}
	if t.Image != "" {
		tv.Image = &refView{ID: t.Image}
	}
	if t.VPC != "" {
		tv.VPC = &refView{ID: t.VPC}
	}
	for _, k := range t.Keys {
		tv.Keys = append(tv.Keys, refView{ID: k})
	}
	if t.PlacementGroup != "" {
		tv.PlacementTarget = &refView{ID: t.PlacementGroup}
	}
	if t.Subnet != "" {
		nic := templateNICView{Subnet: refView{ID: t.Subnet}}
		if t.NetworkAttachment {
			tv.PrimaryNetworkAttachment = &templateAttachmentView{Name: t.NetworkName, VirtualNetworkInterface: nic}
		} else {
			nic.Name = t.NetworkName
			tv.PrimaryNetworkInterface = &nic
		}
	}
	for _, n := range t.SecondaryNetworks {
		if t.NetworkAttachment {
			tv.NetworkAttachments = append(tv.NetworkAttachments, templateAttachmentView{Name: n.Name, VirtualNetworkInterface: templateNICView{Subnet: refView{ID: n.Subnet}}})
		} else {
			tv.NetworkInterfaces = append(tv.NetworkInterfaces, templateNICView{Name: n.Name, Subnet: refView{ID: n.Subnet}})
		}
	}
	if b := t.BootVolume; b != nil {
		bv := volumeSpecView(b.AttachmentName, b.Name, b.Profile, b.Capacity, b.Keep)
		tv.BootVolumeAttachment = &bv
	}
	for _, d := range t.DataVolumes {
		tv.VolumeAttachments = append(tv.VolumeAttachments, volumeSpecView(d.AttachmentName, d.Name, d.Profile, d.Capacity, d.Keep))
	}
	if t.HostFailure != "" {
		tv.AvailabilityPolicy = &availabilityPolicyView{HostFailure: t.HostFailure}
	}
	if t.SecureBoot {
		tv.EnableSecureBoot = &t.SecureBoot
	}
	if t.ReservationPolicy != "" {
		tv.ReservationAffinity = &reservationAffinityView{Policy: t.ReservationPolicy, Pool: []refView{}}
	}
	tv.TotalVolumeBandwidth = t.VolumeBandwidth
	if d := t.DefaultProfile; d != nil {
		tv.DefaultTrustedProfile = &initProfileView{AutoLink: d.AutoLink, Target: refView{ID: d.Target.ID, CRN: d.Target.CRN}}
	}
	return tv
}

type templateCollection struct {
	vpcCollection
	Templates []templateView `json:"templates"`
}

func (e *Emulator) listTemplates(c *call) (int, any, error) {
	body, err := e.vpcRead(func(s *scenario.Scenario) (any, error) {
		v := vpcViewer(s)
		c.target = EventTarget{ID: v.crn(s.Region, "instance-template", ""), Name: "instance templates", TypeURI: vpcTypeTemplate}
		var all []*scenario.Template
		if c.local {
			for i := range s.Templates {
				all = append(all, &s.Templates[i])
			}
		}
		items, coll, err := vpcPage(c.query(), all, func(t *scenario.Template) string { return t.ID }, v.href("instance", "templates"), nil)
		if err != nil {
			return nil, err
		}
		out := templateCollection{vpcCollection: coll, Templates: []templateView{}}
		for _, t := range items {
			out.Templates = append(out.Templates, v.template(t))
		}
		return out, nil
	})
	return http.StatusOK, body, err
}

// templateByID finds a template by ID only.
func templateByID(s *scenario.Scenario, c *call) (*scenario.Template, error) {
	if c.local {
		for i := range s.Templates {
			if s.Templates[i].ID == c.id {
				t := &s.Templates[i]
				c.target = EventTarget{ID: t.CRN, Name: t.Name, TypeURI: vpcTypeTemplate}
				return t, nil
			}
		}
	}
	c.target = EventTarget{ID: c.id, TypeURI: vpcTypeTemplate}
	return nil, errf(CodeNotFound, withValue(pathParam("id"), c.id), "Instance template not found.")
}

func (e *Emulator) getTemplate(c *call) (int, any, error) {
	body, err := e.vpcRead(func(s *scenario.Scenario) (any, error) {
		t, err := templateByID(s, c)
		if err != nil {
			return nil, err
		}
		return vpcViewer(s).template(t), nil
	})
	return http.StatusOK, body, err
}

func (e *Emulator) updateTemplate(c *call) (int, any, error) {
	if _, err := e.vpcRead(func(s *scenario.Scenario) (any, error) { return templateByID(s, c) }); err != nil {
		return 0, nil, err
	}
	// Decode loosely first, so that an attempt to change the metadata service gets an answer
	// that says why.
	var raw map[string]json.RawMessage
	if err := c.decode(e, &raw); err != nil {
		return 0, nil, err
	}
	if _, ok := raw["metadata_service"]; ok {
		return 0, nil, vpcError(http.StatusBadRequest, vpcInvalidField, field("metadata_service"),
			"The metadata service setting of an instance template cannot change after the template is created; create a new template instead.")
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != "name" {
			return 0, nil, vpcError(http.StatusBadRequest, vpcInvalidField, field(k), "Only the `name` of an instance template can change; `%s` cannot.", k)
		}
	}
	var name *string
	if v, ok := raw["name"]; ok {
		if err := json.Unmarshal(v, &name); err != nil || name == nil {
			return 0, nil, vpcError(http.StatusBadRequest, vpcFieldType, field("name"), "The value of `name` must be of type string.")
		}
		if err := checkName("name", *name); err != nil {
			return 0, nil, err
		}
	}
	var view templateView
	err := e.Update(func(s *scenario.Scenario) error {
		t, err := templateByID(s, c)
		if err != nil {
			return err
		}
		if name != nil && *name != t.Name {
			if other := templateNamed(s, *name); other != nil {
				return vpcError(http.StatusBadRequest, vpcUniqueFailed, withValue(field("name"), *name), "The name %s is already used by another instance template.", *name)
			}
			t.Name = *name
			c.target.Name = t.Name
		}
		view = vpcViewer(s).template(t)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, view, nil
}

func (e *Emulator) createTemplate(c *call) (int, any, error) {
	var b prototypeBody
	if err := c.decode(e, &b); err != nil {
		return 0, nil, err
	}
	if _, _, err := partsOf(&b); err != nil {
		return 0, nil, err
	}
	id := e.newID()
	now := e.now().UTC().Truncate(time.Second)
	var view templateView
	err := e.Update(func(s *scenario.Scenario) error {
		sp, err := resolvePrototype(s, &b, c.local)
		if err != nil {
			return err
		}
		tid := zonePrefix(s, sp.zone) + "-" + id
		name := sp.name
		if name == "" {
			name = derivedName("instance-template/" + tid)
		}
		if templateNamed(s, name) != nil {
			return vpcError(http.StatusBadRequest, vpcUniqueFailed, withValue(field("name"), name), "The name %s is already used by another instance template.", name)
		}
		for _, n := range append([]netSpec{sp.primary}, sp.secondary...) {
			if n.address != "" {
				return vpcError(http.StatusBadRequest, vpcInvalidField, field(n.path+".primary_ip.address"), "An instance template cannot reserve a fixed primary IP address: every instance made from it would need it.")
			}
		}
		t := scenario.Template{
			ID: tid, Name: name, CRN: "crn:v1:bluemix:public:is:" + s.Region + ":a/" + s.AccountID + "::instance-template:" + tid,
			CreatedAt: now, Zone: sp.zone, Profile: sp.profile, Image: sp.image, VPC: sp.vpc, Subnet: sp.primary.subnet,
			Keys: append([]string{}, sp.keys...), MetadataService: sp.ms, DefaultProfile: sp.dtp, UserData: sp.userData,
			PlacementGroup: sp.placement, NetworkAttachment: sp.attachment, NetworkName: sp.primary.name,
			DataVolumes: sp.data, Settings: sp.settings,
		}
		for _, n := range sp.secondary {
			t.SecondaryNetworks = append(t.SecondaryNetworks, scenario.SecondaryNetwork{Name: n.name, Subnet: n.subnet})
		}
		if sp.boot != (scenario.BootVolume{}) {
			boot := sp.boot
			t.BootVolume = &boot
		}
		if len(s.Templates) >= maxTemplates {
			return overQuota("instance templates", maxTemplates)
		}
		s.Templates = append(s.Templates, t)
		c.target = EventTarget{ID: t.CRN, Name: t.Name, TypeURI: vpcTypeTemplate}
		view = vpcViewer(s).template(&s.Templates[len(s.Templates)-1])
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, view, nil
}

// deleteTemplate is DELETE /v1/instance/templates/{id}. Instances made from it keep naming it,
// as IBM's keep their source template's ID.
func (e *Emulator) deleteTemplate(c *call) (int, any, error) {
	err := e.Update(func(s *scenario.Scenario) error {
		t, err := templateByID(s, c)
		if err != nil {
			return err
		}
		id := t.ID // t points into the slice DeleteFunc moves
		s.Templates = slices.DeleteFunc(s.Templates, func(x scenario.Template) bool { return x.ID == id })
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// templateNamed returns the template with that name, or nil.
func templateNamed(s *scenario.Scenario, name string) *scenario.Template {
	for i := range s.Templates {
		if s.Templates[i].Name == name {
			return &s.Templates[i]
		}
	}
	return nil
}
