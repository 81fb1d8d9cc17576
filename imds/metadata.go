package imds

import (
	"net/http"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// serveMetadata answers GET /metadata/v1/... for the calling instance.
func (e *Emulator) serveMetadata(w http.ResponseWriter, r *http.Request, in *scenario.Instance) {
	e.writeError(w, r, errNotFoundPath(r.URL.Path)) // TODO(metadata helper): replace.
}
