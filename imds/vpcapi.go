package imds

import "net/http"

// serveVPC answers the VPC API subset on <region>.iaas.cloud.ibm.com.
func (e *Emulator) serveVPC(w http.ResponseWriter, r *http.Request) {
	e.writeError(w, r, errNotFoundPath(r.URL.Path)) // TODO(vpc helper): replace.
}
