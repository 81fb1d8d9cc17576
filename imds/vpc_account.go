package imds

import (
	"net/http"
	"strings"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// What the account holds besides instances and templates, as far as creating an instance
// refers to it: SSH keys and instance profiles.

type keyCollection struct {
	vpcCollection
	Keys []keyView `json:"keys"`
}

// keyFilters are the filters of GET /v1/keys (vpcv1.ListKeysOptions).
var keyFilters = map[string]vpcFilter[*scenario.Key]{
	"resource_group.id": func(s *scenario.Scenario, _ *scenario.Key) []string { return []string{s.ResourceGroup.ID} },
}

// listKeys is GET /v1/keys (vpcv1.KeyCollection).
func (e *Emulator) listKeys(c *call) (int, any, error) {
	body, err := e.vpcRead(func(s *scenario.Scenario) (any, error) {
		v := vpcViewer(s)
		c.target = EventTarget{ID: v.crn(s.Region, "key", ""), Name: "keys", TypeURI: "is/key"}
		var all []*scenario.Key
		if c.local {
			for i := range s.Keys {
				all = append(all, &s.Keys[i])
			}
		}
		all, used := vpcFilters(s, c.query(), all, keyFilters)
		items, coll, err := vpcPage(c.query(), all, func(k *scenario.Key) string { return k.ID }, v.href("keys"), used)
		if err != nil {
			return nil, err
		}
		out := keyCollection{vpcCollection: coll, Keys: []keyView{}}
		for _, k := range items {
			out.Keys = append(out.Keys, v.key(k))
		}
		return out, nil
	})
	return http.StatusOK, body, err
}

// profileView is vpcv1.InstanceProfile, for the properties the world's profiles have: each a
// fixed value, except the volume bandwidth, which an instance may set within a range (see
// checkVolumeBandwidth).
type profileView struct {
	Bandwidth                fixedView     `json:"bandwidth"`
	ConfidentialComputeModes enumView      `json:"confidential_compute_modes"`
	Disks                    []refView     `json:"disks"`
	Family                   string        `json:"family"`
	Href                     string        `json:"href"`
	Memory                   fixedView     `json:"memory"`
	Name                     string        `json:"name"`
	NetworkAttachmentCount   rangeView     `json:"network_attachment_count"`
	NetworkInterfaceCount    rangeView     `json:"network_interface_count"`
	NumaCount                fixedView     `json:"numa_count"`
	OSArchitecture           enumView      `json:"os_architecture"`
	PortSpeed                fixedView     `json:"port_speed"`
	ResourceType             string        `json:"resource_type"`
	SecureBootModes          boolEnumView  `json:"secure_boot_modes"`
	Status                   string        `json:"status"`
	TotalVolumeBandwidth     rangeView     `json:"total_volume_bandwidth"`
	VCPUArchitecture         fixedTextView `json:"vcpu_architecture"`
	VCPUCount                fixedView     `json:"vcpu_count"`
	VCPUManufacturer         fixedTextView `json:"vcpu_manufacturer"`
}

type fixedView struct {
	Type  string `json:"type"`
	Value int    `json:"value"`
}

type fixedTextView struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type rangeView struct {
	Default int    `json:"default,omitempty"`
	Max     int    `json:"max"`
	Min     int    `json:"min"`
	Step    int    `json:"step,omitempty"`
	Type    string `json:"type"`
}

type enumView struct {
	Default string   `json:"default"`
	Type    string   `json:"type"`
	Values  []string `json:"values"`
}

type boolEnumView struct {
	Default bool   `json:"default"`
	Type    string `json:"type"`
	Values  []bool `json:"values"`
}

// profileFamilies name a profile's family by its first letter, as IBM's names do (bx2: balanced).
var profileFamilies = map[byte]string{'b': "balanced", 'c': "compute", 'm': "memory", 'v': "very-high-memory", 'u': "ultra-high-memory", 'g': "gpu"}

func (v viewer) profile(p *scenario.InstanceProfile) profileView {
	family := "balanced"
	if f, ok := profileFamilies[strings.ToLower(p.Name + " ")[0]]; ok {
		family = f
	}
	return profileView{
		Bandwidth:                fixedView{"fixed", p.Bandwidth},
		ConfidentialComputeModes: enumView{Default: "disabled", Type: "enum", Values: []string{"disabled"}},
		Disks:                    []refView{},
		Family:                   family,
		Href:                     v.href("instance", "profiles", p.Name),
		Memory:                   fixedView{"fixed", p.MemoryGiB},
		Name:                     p.Name,
		NetworkAttachmentCount:   rangeView{Max: maxPrototypeParts, Min: 1, Type: "range"},
		NetworkInterfaceCount:    rangeView{Max: maxPrototypeParts, Min: 1, Type: "range"},
		NumaCount:                fixedView{"fixed", numaCount},
		OSArchitecture:           enumView{Default: p.Architecture, Type: "enum", Values: []string{p.Architecture}},
		PortSpeed:                fixedView{"fixed", portSpeed},
		ResourceType:             "instance_profile",
		SecureBootModes:          boolEnumView{Default: false, Type: "enum", Values: []bool{false, true}},
		Status:                   "current",
		TotalVolumeBandwidth:     rangeView{Default: p.Bandwidth / 4, Max: p.Bandwidth - 500, Min: 500, Step: 1, Type: "range"},
		VCPUArchitecture:         fixedTextView{"fixed", p.Architecture},
		VCPUCount:                fixedView{"fixed", p.VCPU},
		VCPUManufacturer:         fixedTextView{"fixed", p.Manufacturer},
	}
}

// listProfiles is GET /v1/instance/profiles (vpcv1.InstanceProfileCollection, not paginated).
func (e *Emulator) listProfiles(c *call) (int, any, error) {
	body, err := e.vpcRead(func(s *scenario.Scenario) (any, error) {
		v := vpcViewer(s)
		out := []profileView{}
		if c.local {
			for i := range s.Profiles {
				out = append(out, v.profile(&s.Profiles[i]))
			}
		}
		return map[string][]profileView{"profiles": out}, nil
	})
	return http.StatusOK, body, err
}
