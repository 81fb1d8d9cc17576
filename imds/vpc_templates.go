package imds

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// Instance templates of the VPC API subset. A template's only changeable property is its
// name: IBM documents that the metadata service setting of a template cannot change after
// creation, and vpcv1.InstanceTemplatePatch has nothing but name.

// templateView is vpcv1.InstanceTemplate: the prototype it was made from, by identity.
type templateView struct {
	CreatedAt                string                  `json:"created_at"`
	CRN                      string                  `json:"crn"`
	DefaultTrustedProfile    *initProfileView        `json:"default_trusted_profile,omitempty"`
	Href                     string                  `json:"href"`
	ID                       string                  `json:"id"`
	Image                    *refView                `json:"image,omitempty"`
	Keys                     []refView               `json:"keys,omitempty"`
	MetadataService          metadataServiceView     `json:"metadata_service"`
	Name                     string                  `json:"name"`
	PlacementTarget          *refView                `json:"placement_target,omitempty"`
	PrimaryNetworkAttachment *templateAttachmentView `json:"primary_network_attachment,omitempty"`
	PrimaryNetworkInterface  *templateNICView        `json:"primary_network_interface,omitempty"`
	Profile                  refView                 `json:"profile"`
	ResourceGroup            refView                 `json:"resource_group"`
	UserData                 string                  `json:"user_data,omitempty"`
	VPC                      *refView                `json:"vpc,omitempty"`
	Zone                     refView                 `json:"zone"`
}

type templateNICView struct {
	Subnet refView `json:"subnet"`
}

type templateAttachmentView struct {
	VirtualNetworkInterface templateNICView `json:"virtual_network_interface"`
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
			tv.PrimaryNetworkAttachment = &templateAttachmentView{VirtualNetworkInterface: nic}
		} else {
			tv.PrimaryNetworkInterface = &nic
		}
	}
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
		items, coll, err := vpcPage(c.query(), all, func(t *scenario.Template) string { return t.ID }, v.href("instance", "templates"))
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
	if b.BootVolumeAttachment != nil {
		return 0, nil, vpcError(http.StatusBadRequest, vpcInvalidField, field("boot_volume_attachment"), "The emulator's instance templates do not model `boot_volume_attachment`.")
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
		if sp.address != "" {
			return vpcError(http.StatusBadRequest, vpcInvalidField, field("primary_ip"), "An instance template cannot reserve a fixed primary IP address.")
		}
		t := scenario.Template{
			ID: tid, Name: name, CRN: "crn:v1:bluemix:public:is:" + s.Region + ":a/" + s.AccountID + "::instance-template:" + tid,
			CreatedAt: now, Zone: sp.zone, Profile: sp.profile, Image: sp.image, VPC: sp.vpc, Subnet: sp.subnet,
			Keys: append([]string{}, sp.keys...), MetadataService: sp.ms, DefaultProfile: sp.dtp, UserData: sp.userData,
			PlacementGroup: sp.placement, NetworkAttachment: sp.attachment,
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

// templateNamed returns the template with that name, or nil.
func templateNamed(s *scenario.Scenario, name string) *scenario.Template {
	for i := range s.Templates {
		if s.Templates[i].Name == name {
			return &s.Templates[i]
		}
	}
	return nil
}
