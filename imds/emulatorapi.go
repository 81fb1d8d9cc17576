package imds

import "net/http"

// The emulator's own endpoints under /_emulator/ (routes in routes.go): not part of IBM's
// API, and answered on every host.

// identityKeys is the JWKS that verifies identity tokens.
func (e *Emulator) identityKeys(*call) (int, any, error) {
	key, err := e.key(keyIdentity)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rawAnswer{"application/json", jwks(publicJWK(key, e.identityKID(key)))}, nil
}

// caRoot is the root certificate of identity certificates, as PEM.
func (e *Emulator) caRoot(*call) (int, any, error) {
	authority, err := e.authority()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rawAnswer{"application/x-pem-file", authority.RootPEM()}, nil
}

// eventLog is the Activity Tracker log, oldest first.
func (e *Emulator) eventLog(*call) (int, any, error) {
	return http.StatusOK, struct {
		Events []Event `json:"events"`
	}{e.Events()}, nil
}

// scenarioDocument is the current world as a scenario document.
func (e *Emulator) scenarioDocument(*call) (int, any, error) {
	return http.StatusOK, e.Scenario(), nil
}
