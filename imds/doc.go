// Package imds is the core of imdsplay: a faithful emulator of the IBM Cloud VPC instance
// metadata service and of the parts of IBM Cloud around it that a learner or a test touches.
//
// It is pure Go: no listeners, no os/exec, no syscall/js. The same Emulator answers a browser
// page through WebAssembly, `imds serve` through a real socket and Go tests through
// imdstest, always as an http.Handler.
//
// # Hosts
//
// The emulated world has several hosts, routed by the request's Host:
//
//   - api.metadata.cloud.ibm.com and 169.254.169.254: the identity API
//     (/instance_identity/v1/* for version dates before 2025-08-26, /identity/v1/*) and the
//     metadata API (/metadata/v1/*). Only the instance reaches them.
//   - <region>.iaas.cloud.ibm.com: the subset of the VPC API that configures the service.
//   - iam.cloud.ibm.com: IAM's signing keys (/identity/keys) and token endpoint
//     (/identity/token, apikey and cr-token grants).
//
// On any other host (a loopback listener), requests are routed by path, since the paths of the
// three services do not collide. Everything the emulator adds lives under /_emulator/ on every
// host: /_emulator/identity/keys (the JWKS of identity tokens), /_emulator/ca.pem (the root of
// identity certificates), /_emulator/events (Activity Tracker) and /_emulator/scenario.
//
// # One way to answer
//
// Each host is one route table (routes.go): method, path pattern, the Activity Tracker action
// IBM records the call under, the version dates and credential it requires, and a rule, a
// function from a decoded call to (status, answer, error). One loop (serveHost, route.go)
// answers every host: it routes, runs the host's gate, checks the version and the credential,
// runs the rule, records the event once the caller is known, and writes the answer or the
// error in the host's shape. Rules never see the *http.Request.
//
// Adding a metadata path is one route plus its view. For a collection of the instance, say
// its disks, write the view and its list in metadata_views.go:
//
//	func (v viewer) disks(in *scenario.Instance) []diskView { ... } // diskView has memberID()
//
// and add two routes to metadataHost:
//
//	{method: http.MethodGet, pattern: "/metadata/v1/instance/disks", action: "is.metadata.instance-disk.list",
//		versions: metadataSince, cred: credIdentity, serve: listView("disks", viewer.disks)},
//	{method: http.MethodGet, pattern: "/metadata/v1/instance/disks/{id}", action: "is.metadata.instance-disk.get",
//		versions: metadataSince, cred: credIdentity, serve: memberView("Disk", viewer.disks)},
//
// The loop gives both the version rules, the refusal of unknown query parameters, the identity
// token check, the event, the cache of rendered answers and IBM's errors (404 for an unknown
// {id}, and for another method). A VPC API route also names the least IAM role its caller
// needs (access.go).
//
// # Errors
//
// Core errors are *Error values carrying one of IBM's error codes (invalid_value,
// missing_field, unauthenticated, profile_not_linked, ...) and the part of the request they are
// about. Only the HTTP layer turns them into status codes and IBM's error JSON:
// {errors[{code, message, more_info, target}], trace} on the metadata host, as the real
// service answers, and with status_code on the VPC API.
//
// # Time and randomness
//
// Config injects the clock and the randomness. Tests use a fixed vclock.Clock and a seeded
// reader; a shell's `sleep` advances the same clock, so token expiry can be shown at once.
//
// # The network
//
// Transport delivers requests in process, as if sent from the instance or from a workstation,
// with the network's failures made explicit: names that do not resolve, nothing listening on
// the other protocol when secure access is on, and answers lost to the response hop limit.
package imds
