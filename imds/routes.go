package imds

import "net/http"

// The route tables, one per host: every operation of the emulated world, with the Activity
// Tracker action IBM records it under (IBM's table of actions on the Activity Tracker page).
// This is the only place those names are written.

// identitySince and legacySince are the version dates of the identity API: /identity/v1 from
// the first identity date on, /instance_identity/v1 until the path change.
var (
	identitySince = versions{since: MinIdentityVersion}
	legacySince   = versions{since: MinIdentityVersion, until: IdentityPathChange}
	metadataSince = versions{since: MinMetadataVersion}
	vpcSince      = versions{since: MinVPCVersion}
)

// metadataHost answers api.metadata.cloud.ibm.com and 169.254.169.254: the identity API and
// the metadata API, which only the instance reaches. A metadata path is one route here plus
// its view in metadata_views.go (see listView and memberView). Network and cluster network
// attachments are missing from IBM's table of actions; their names follow the others' pattern
// (an assumption, see the README's fidelity notes). A wrong method is 404 not_found and an
// unknown query parameter 400 unknown_field: the error-code page has no code for the first and
// names the second.
var metadataHost = newHost(host{
	gate:         (*Emulator).metadataGate,
	version:      identityVersion,
	notFound:     func(path string) error { return errNotFoundPath(path) },
	wrongMethod:  metadataWrongMethod,
	unknownQuery: metadataUnknownQuery,
	bodyFault:    metadataBodyFault,
	internal:     CodeServiceError,
	render:       renderMetadata,
	routes: []route{
		{method: http.MethodPut, pattern: "/instance_identity/v1/token", action: "is.metadata.jwt-token.create", versions: legacySince, cred: credFlavor, serve: (*Emulator).issueToken},
		{method: http.MethodPost, pattern: "/instance_identity/v1/iam_token", action: "is.metadata.computeresource-token.request", versions: legacySince, cred: credIdentity, serve: (*Emulator).exchange},
		{method: http.MethodPost, pattern: "/instance_identity/v1/certificates", action: "is.metadata.instance-identity-certificate.create", versions: legacySince, cred: credIdentity, serve: (*Emulator).issueCertificate},
		{method: http.MethodPut, pattern: "/identity/v1/token", action: "is.metadata.jwt-token.create", versions: identitySince, cred: credFlavor, serve: (*Emulator).issueToken},
		{method: http.MethodPost, pattern: "/identity/v1/iam_tokens", action: "is.metadata.computeresource-token.request", versions: identitySince, cred: credIdentity, serve: (*Emulator).exchange},
		{method: http.MethodPost, pattern: "/identity/v1/certificates", action: "is.metadata.instance-identity-certificate.create", versions: identitySince, cred: credIdentity, serve: (*Emulator).issueCertificate},

		{method: http.MethodGet, pattern: "/metadata/v1/instance", action: "is.metadata.instance.read", versions: metadataSince, cred: credIdentity, serve: view(viewer.instance)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/initialization", action: "is.metadata.instance.initialization", versions: metadataSince, cred: credIdentity, serve: view(viewer.initialization)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/network_interfaces", action: "is.metadata.instance-network-interface.list", versions: metadataSince, cred: credIdentity, serve: listView("network_interfaces", viewer.networkInterfaces)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/network_interfaces/{id}", action: "is.metadata.instance-network-interface.get", versions: metadataSince, cred: credIdentity, serve: memberView("Network interface", viewer.networkInterfaces)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/network_attachments", action: "is.metadata.instance-network-attachment.list", versions: metadataSince, cred: credIdentity, serve: listView("network_attachments", viewer.networkAttachments)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/network_attachments/{id}", action: "is.metadata.instance-network-attachment.get", versions: metadataSince, cred: credIdentity, serve: memberView("Network attachment", viewer.networkAttachments)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/cluster_network_attachments", action: "is.metadata.instance-cluster-network-attachment.list", versions: metadataSince, cred: credIdentity, serve: listView("cluster_network_attachments", viewer.clusterNetworkAttachments)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/cluster_network_attachments/{id}", action: "is.metadata.instance-cluster-network-attachment.get", versions: metadataSince, cred: credIdentity, serve: memberView("Cluster network attachment", viewer.clusterNetworkAttachments)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/volume_attachments", action: "is.metadata.instance-volume-attachment.list", versions: metadataSince, cred: credIdentity, serve: listView("volume_attachments", viewer.volumeAttachments)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/volume_attachments/{id}", action: "is.metadata.instance-volume-attachment.get", versions: metadataSince, cred: credIdentity, serve: memberView("Volume attachment", viewer.volumeAttachments)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/software_attachments", action: "is.metadata.instance-software-attachment.list", versions: metadataSince, cred: credIdentity, serve: listView("software_attachments", viewer.softwareAttachments)},
		{method: http.MethodGet, pattern: "/metadata/v1/instance/software_attachments/{id}", action: "is.metadata.instance-software-attachment.read", versions: metadataSince, cred: credIdentity, serve: memberView("Software attachment", viewer.softwareAttachments)},
		{method: http.MethodGet, pattern: "/metadata/v1/keys", action: "is.metadata.instance-key.list", versions: metadataSince, cred: credIdentity, serve: listView("keys", viewer.keys)},
		{method: http.MethodGet, pattern: "/metadata/v1/keys/{id}", action: "is.metadata.instance-key.get", versions: metadataSince, cred: credIdentity, serve: memberView("Key", viewer.keys)},
		{method: http.MethodGet, pattern: "/metadata/v1/placement_groups", action: "is.metadata.instance-placement-group.list", versions: metadataSince, cred: credIdentity, serve: listView("placement_groups", viewer.placementGroups)},
		{method: http.MethodGet, pattern: "/metadata/v1/placement_groups/{id}", action: "is.metadata.instance-placement-group.get", versions: metadataSince, cred: credIdentity, serve: memberView("Placement group", viewer.placementGroups)},
	},
})

// vpcHost answers <region>.iaas.cloud.ibm.com: the VPC API subset that configures the
// metadata service (instances, their actions, instance templates, and what creating them
// refers to), for the holder of an IAM access token from the emulator's IAM (the operator or
// a trusted profile) whose role on VPC Infrastructure Services is at least the route's (see
// access.go). The actions are those of IBM's Activity Tracker table for VPC instances (reads
// and lists are both ".read"); instance profiles are not recorded.
var vpcHost = newHost(host{
	gate:        func(e *Emulator, c *call) error { c.local = e.vpcLocal(c.r); return nil },
	version:     vpcVersion,
	notFound:    errInvalidRoute,
	wrongMethod: func(_, path string, _ []string) error { return errInvalidRoute(path) },
	bodyFault:   vpcBodyFault,
	internal:    vpcInternalError,
	render:      renderIBM,
	target:      EventTarget{TypeURI: vpcTypeInstance},
	routes: []route{
		{method: http.MethodGet, pattern: "/v1/instances", action: "is.instance.instance.read", versions: vpcSince, cred: credIAM, role: "Viewer", serve: (*Emulator).listInstances},
		{method: http.MethodPost, pattern: "/v1/instances", action: "is.instance.instance.create", versions: vpcSince, cred: credIAM, role: "Editor", serve: (*Emulator).createInstance},
		{method: http.MethodGet, pattern: "/v1/instances/{id}", action: "is.instance.instance.read", versions: vpcSince, cred: credIAM, role: "Viewer", serve: (*Emulator).getInstance},
		{method: http.MethodPatch, pattern: "/v1/instances/{id}", action: "is.instance.instance.update", versions: vpcSince, cred: credIAM, role: "Editor", serve: (*Emulator).updateInstance},
		{method: http.MethodDelete, pattern: "/v1/instances/{id}", action: "is.instance.instance.delete", versions: vpcSince, cred: credIAM, role: "Editor", serve: (*Emulator).deleteInstance},
		{method: http.MethodPost, pattern: "/v1/instances/{id}/actions", action: "is.instance.action.create", versions: vpcSince, cred: credIAM, role: "Editor", serve: (*Emulator).instanceAction},
		{method: http.MethodGet, pattern: "/v1/instances/{id}/initialization", action: "is.instance.instance.read", versions: vpcSince, cred: credIAM, role: "Operator", serve: (*Emulator).getInitialization},
		{method: http.MethodGet, pattern: "/v1/instances/{id}/network_interfaces", action: "is.instance.network-interface.read", versions: vpcSince, cred: credIAM, role: "Viewer", serve: (*Emulator).listNetworkInterfaces},
		{method: http.MethodGet, pattern: "/v1/instance/templates", action: "is.instance.instance-template.read", versions: vpcSince, cred: credIAM, role: "Viewer", serve: (*Emulator).listTemplates},
		{method: http.MethodPost, pattern: "/v1/instance/templates", action: "is.instance.instance-template.create", versions: vpcSince, cred: credIAM, role: "Editor", serve: (*Emulator).createTemplate},
		{method: http.MethodGet, pattern: "/v1/instance/templates/{id}", action: "is.instance.instance-template.read", versions: vpcSince, cred: credIAM, role: "Viewer", serve: (*Emulator).getTemplate},
		{method: http.MethodPatch, pattern: "/v1/instance/templates/{id}", action: "is.instance.instance-template.update", versions: vpcSince, cred: credIAM, role: "Editor", serve: (*Emulator).updateTemplate},
		{method: http.MethodDelete, pattern: "/v1/instance/templates/{id}", action: "is.instance.instance-template.delete", versions: vpcSince, cred: credIAM, role: "Editor", serve: (*Emulator).deleteTemplate},
		{method: http.MethodGet, pattern: "/v1/instance/profiles", versions: vpcSince, cred: credIAM, serve: (*Emulator).listProfiles},
		{method: http.MethodGet, pattern: "/v1/keys", action: "is.key.key.read", versions: vpcSince, cred: credIAM, role: "Viewer", serve: (*Emulator).listKeys},
	},
})

// iamHost answers iam.cloud.ibm.com: IAM's signing keys and its token endpoint. IAM records
// no events of the metadata service's kind.
var iamHost = newHost(host{
	notFound:    func(path string) error { return errNotFoundPath(path) },
	wrongMethod: iamWrongMethod,
	internal:    CodeServiceError,
	render:      renderIAM,
	routes: []route{
		{method: http.MethodGet, pattern: "/identity/keys", serve: (*Emulator).iamKeys},
		{method: http.MethodPost, pattern: "/identity/token", serve: (*Emulator).iamToken},
	},
})

// emulatorHost answers the emulator's own endpoints under /_emulator/, on every host. They
// are not part of IBM's API; tools may rely on their paths. Every path there takes GET (and
// HEAD) only, known or not.
var emulatorHost = newHost(host{
	notFound:    func(path string) error { return errNotFoundPath(path) },
	wrongMethod: methodNotAllowed,
	internal:    CodeServiceError,
	render:      renderIBM,
	head:        true,
	routes: []route{
		{method: http.MethodGet, pattern: EmulatorPrefix + "identity/keys", serve: (*Emulator).identityKeys},
		{method: http.MethodGet, pattern: EmulatorPrefix + "ca.pem", serve: (*Emulator).caRoot},
		{method: http.MethodGet, pattern: EmulatorPrefix + "events", serve: (*Emulator).eventLog},
		{method: http.MethodGet, pattern: EmulatorPrefix + "scenario", serve: (*Emulator).scenarioDocument},
		{method: http.MethodGet, pattern: EmulatorPrefix + "access", serve: (*Emulator).accessDocument},
		{method: http.MethodGet, pattern: EmulatorPrefix + "{rest...}", serve: func(_ *Emulator, c *call) (int, any, error) { return 0, nil, errNotFoundPath(c.path) }},
	},
})
