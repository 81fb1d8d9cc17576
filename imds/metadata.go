package imds

import (
	"net/http"
	"strings"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// MinMetadataVersion is the oldest version date the metadata API accepts. Every metadata call
// needs an identity token, which exists from 2022-03-01 on; the metadata change log starts
// later and lists no behaviour for earlier dates.
var MinMetadataVersion = MinIdentityVersion

// metadataResource is one collection of the metadata API: /metadata/v1<path> lists it and
// /metadata/v1<path>/{id} gets one member. Both views are of the calling instance, under e.mu.
type metadataResource struct {
	path       string
	listAction string // Activity Tracker actions, as IBM names them
	getAction  string
	noun       string // for "… not found."
	list       func(v viewer, in *scenario.Instance) any
	get        func(v viewer, in *scenario.Instance, id string) (any, bool)
}

// metadataResources are the collections of the metadata API. Network attachments are missing
// from IBM's table of Activity Tracker actions; their names follow the others' pattern (an
// assumption, see the README's fidelity notes).
var metadataResources = []metadataResource{
	{
		path: "/instance/network_interfaces", noun: "Network interface",
		listAction: "is.metadata.instance-network-interface.list", getAction: "is.metadata.instance-network-interface.get",
		list: func(v viewer, in *scenario.Instance) any {
			out := []networkInterfaceView{}
			for i := range in.NetworkInterfaces {
				out = append(out, v.networkInterface(in, i))
			}
			return map[string]any{"network_interfaces": out}
		},
		get: func(v viewer, in *scenario.Instance, id string) (any, bool) {
			for i := range in.NetworkInterfaces {
				if in.NetworkInterfaces[i].ID == id {
					return v.networkInterface(in, i), true
				}
			}
			return nil, false
		},
	},
	{
		path: "/instance/network_attachments", noun: "Network attachment",
		listAction: "is.metadata.instance-network-attachment.list", getAction: "is.metadata.instance-network-attachment.get",
		list: func(v viewer, in *scenario.Instance) any {
			out := []networkAttachmentView{}
			for i := range in.NetworkAttachments {
				out = append(out, v.networkAttachment(in, i))
			}
			return map[string]any{"network_attachments": out}
		},
		get: func(v viewer, in *scenario.Instance, id string) (any, bool) {
			for i := range in.NetworkAttachments {
				if in.NetworkAttachments[i].ID == id {
					return v.networkAttachment(in, i), true
				}
			}
			return nil, false
		},
	},
	{
		path: "/instance/volume_attachments", noun: "Volume attachment",
		listAction: "is.metadata.instance-volume-attachment.list", getAction: "is.metadata.instance-volume-attachment.get",
		list: func(v viewer, in *scenario.Instance) any {
			out := []volumeAttachmentView{}
			for i := range in.VolumeAttachments {
				out = append(out, v.volumeAttachment(in, &in.VolumeAttachments[i]))
			}
			return map[string]any{"volume_attachments": out}
		},
		get: func(v viewer, in *scenario.Instance, id string) (any, bool) {
			for i := range in.VolumeAttachments {
				if in.VolumeAttachments[i].ID == id {
					return v.volumeAttachment(in, &in.VolumeAttachments[i]), true
				}
			}
			return nil, false
		},
	},
	{
		path: "/instance/software_attachments", noun: "Software attachment",
		listAction: "is.metadata.instance-software-attachment.list", getAction: "is.metadata.instance-software-attachment.read",
		list: func(v viewer, in *scenario.Instance) any {
			out := []softwareAttachmentView{}
			for _, sa := range in.SoftwareAttachments {
				out = append(out, v.softwareAttachment(in, sa))
			}
			return map[string]any{"software_attachments": out}
		},
		get: func(v viewer, in *scenario.Instance, id string) (any, bool) {
			for _, sa := range in.SoftwareAttachments {
				if sa.ID == id {
					return v.softwareAttachment(in, sa), true
				}
			}
			return nil, false
		},
	},
	{
		// The keys the instance was initialized with; other keys of the account are not visible.
		path: "/keys", noun: "Key",
		listAction: "is.metadata.instance-key.list", getAction: "is.metadata.instance-key.get",
		list: func(v viewer, in *scenario.Instance) any {
			out := []keyView{}
			for _, id := range in.Keys {
				if k := v.s.Key(id); k != nil {
					out = append(out, v.key(k))
				}
			}
			return map[string]any{"keys": out}
		},
		get: func(v viewer, in *scenario.Instance, id string) (any, bool) {
			for _, kid := range in.Keys {
				if k := v.s.Key(kid); k != nil && k.ID == id {
					return v.key(k), true
				}
			}
			return nil, false
		},
	},
	{
		// The placement group the instance is in, if any.
		path: "/placement_groups", noun: "Placement group",
		listAction: "is.metadata.instance-placement-group.list", getAction: "is.metadata.instance-placement-group.get",
		list: func(v viewer, in *scenario.Instance) any {
			out := []placementGroupView{}
			if pg := v.s.PlacementGroup(in.PlacementGroup); pg != nil {
				out = append(out, v.placementGroup(pg))
			}
			return map[string]any{"placement_groups": out}
		},
		get: func(v viewer, in *scenario.Instance, id string) (any, bool) {
			if pg := v.s.PlacementGroup(in.PlacementGroup); pg != nil && pg.ID == id {
				return v.placementGroup(pg), true
			}
			return nil, false
		},
	},
}

// metadataRoute is what a metadata path asks for.
type metadataRoute struct {
	action string
	id     string // the path parameter, for a get
	noun   string
	render func(v viewer, in *scenario.Instance) (any, bool)
}

// routeMetadata maps a path under /metadata/v1 to its route; ok is false for unknown paths.
func routeMetadata(p string) (metadataRoute, bool) {
	switch p {
	case "/instance":
		return metadataRoute{action: "is.metadata.instance.read", render: func(v viewer, in *scenario.Instance) (any, bool) {
			return v.instance(in), true
		}}, true
	case "/instance/initialization":
		return metadataRoute{action: "is.metadata.instance.initialization", render: func(v viewer, in *scenario.Instance) (any, bool) {
			return v.initialization(in), true
		}}, true
	}
	for _, res := range metadataResources {
		if p == res.path {
			return metadataRoute{action: res.listAction, render: func(v viewer, in *scenario.Instance) (any, bool) {
				return res.list(v, in), true
			}}, true
		}
		if id, ok := strings.CutPrefix(p, res.path+"/"); ok && id != "" && !strings.Contains(id, "/") {
			return metadataRoute{action: res.getAction, id: id, noun: res.noun, render: func(v viewer, in *scenario.Instance) (any, bool) {
				return res.get(v, in, id)
			}}, true
		}
	}
	return metadataRoute{}, false
}

// serveMetadata answers GET /metadata/v1/... for the calling instance in, whose metadata
// service is on. Every call needs a version and the instance's identity token, and is recorded
// as an Activity Tracker event under IBM's action name.
func (e *Emulator) serveMetadata(w http.ResponseWriter, r *http.Request, in *scenario.Instance) {
	route, ok := routeMetadata(strings.TrimPrefix(r.URL.Path, "/metadata/v1"))
	if !ok {
		e.writeError(w, r, errNotFoundPath(r.URL.Path))
		return
	}
	if r.Method != http.MethodGet {
		e.methodNotAllowed(w, r, http.MethodGet)
		return
	}
	body, err := e.metadataAnswer(r, in, route)
	e.record(r, in, route.action, err)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	e.writeJSON(w, http.StatusOK, body)
}

// renderedAnswers keeps the metadata answers encoded for one state of the world: each update
// of the world replaces e.world (see Update), and with it every answer. A metadata read is
// then a token check and a copy, as cheap as a static file, however large the instance.
type renderedAnswers struct {
	world *scenario.Scenario
	m     map[renderKey]encodedJSON
}

// renderKey names one answer: the instance, the path (with the member ID) and the scheme the
// hrefs use.
type renderKey struct{ instance, path, scheme string }

// maxRendered bounds the answers kept for one world; a world's answers are few (one per
// collection and member of each instance), so the bound only matters against the unforeseen.
const maxRendered = 1024

func (e *Emulator) metadataAnswer(r *http.Request, in *scenario.Instance, route metadataRoute) (any, error) {
	if _, err := e.version(r, MinMetadataVersion); err != nil {
		return nil, err
	}
	if _, err := e.requireIdentity(r, in); err != nil {
		return nil, err
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// Render the instance as it is now, not as the copy taken when the request arrived.
	cur := e.world.Instance(in.ID)
	if cur == nil {
		return nil, &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: errNoInstance}
	}
	if e.rendered.world != e.world || len(e.rendered.m) >= maxRendered {
		e.rendered = renderedAnswers{world: e.world, m: map[renderKey]encodedJSON{}}
	}
	key := renderKey{instance: cur.ID, path: r.URL.Path, scheme: scheme}
	if data, ok := e.rendered.m[key]; ok {
		return data, nil
	}
	body, found := route.render(metadataViewer(e.world, scheme), cur)
	if !found {
		return nil, errf(CodeNotFound, withValue(pathParam("id"), route.id), "%s not found.", route.noun)
	}
	data, err := encodeJSON(body)
	if err != nil {
		return nil, &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: err}
	}
	e.rendered.m[key] = data
	return data, nil
}
