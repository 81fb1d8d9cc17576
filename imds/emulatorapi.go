package imds

import (
	"net/http"
)

// serveEmulator answers the emulator's own endpoints under /_emulator/, on every host. They
// are not part of IBM's API; tools may rely on their paths.
func (e *Emulator) serveEmulator(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		e.methodNotAllowed(w, r, http.MethodGet)
		return
	}
	switch r.URL.Path {
	case EmulatorPrefix + "identity/keys":
		key, err := e.key(keyIdentity)
		if err != nil {
			e.writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks(publicJWK(key, e.identityKID(key))))
	case EmulatorPrefix + "ca.pem":
		authority, err := e.authority()
		if err != nil {
			e.writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(authority.RootPEM())
	case EmulatorPrefix + "events":
		e.writeJSON(w, http.StatusOK, struct {
			Events []Event `json:"events"`
		}{e.Events()})
	case EmulatorPrefix + "scenario":
		e.writeJSON(w, http.StatusOK, e.Scenario())
	default:
		e.writeError(w, r, errNotFoundPath(r.URL.Path))
	}
}
