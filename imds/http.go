package imds

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/imdsplay/imdsplay/internal/strictjson"
)

// Hosts of the emulated world. The VPC API answers on any "<region>.iaas.cloud.ibm.com".
const (
	MetadataHost = "api.metadata.cloud.ibm.com"
	MetadataIP   = "169.254.169.254"
	IAMHost      = "iam.cloud.ibm.com"
	vpcSuffix    = ".iaas.cloud.ibm.com"
)

// EmulatorPrefix is the path prefix of everything the emulator adds that IBM does not have.
// It is answered on every host and is not part of IBM's API.
const EmulatorPrefix = "/_emulator/"

// service is the part of the emulated world a request is for.
type service int

const (
	svcUnknown service = iota
	svcMetadata
	svcIAM
	svcVPC
	svcEmulator
)

// classify routes a request by its Host and, when the host is none of IBM's (a loopback
// listener), by its path, since the paths of the three services do not collide.
func classify(r *http.Request) service {
	if strings.HasPrefix(r.URL.Path, EmulatorPrefix) {
		return svcEmulator
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if svc := hostService(host); svc != svcUnknown {
		return svc
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/instance_identity/"), strings.HasPrefix(p, "/identity/v1/"), strings.HasPrefix(p, "/metadata/"):
		return svcMetadata
	case p == "/identity/keys", p == "/identity/token":
		return svcIAM
	case strings.HasPrefix(p, "/v1/"):
		return svcVPC
	}
	return svcUnknown
}

// ctxKey carries per-request facts that the in-process transport or a listener knows and the
// handler needs.
type ctxKey struct{}

// callerInfo is what the network tells the service about a request.
type callerInfo struct {
	instanceID string // the instance the request comes from ("" = the first)
}

// WithInstance returns a context marking requests as coming from the instance with that ID;
// listeners that emulate several instances use it. Without it, requests come from the
// scenario's first instance.
func WithInstance(ctx context.Context, instanceID string) context.Context {
	return context.WithValue(ctx, ctxKey{}, callerInfo{instanceID: instanceID})
}

func callerOf(r *http.Request) callerInfo {
	c, _ := r.Context().Value(ctxKey{}).(callerInfo)
	return c
}

// ServeHTTP answers a request for any host of the emulated world.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The writer and the call are one allocation: this is every request's cost.
	x := &exchange{rw: responseWriter{ResponseWriter: w}}
	rw := &x.rw
	var h *host
	switch classify(r) {
	case svcMetadata:
		h = metadataHost
	case svcIAM:
		h = iamHost
	case svcVPC:
		h = vpcHost
	case svcEmulator:
		h = emulatorHost
	}
	defer func() {
		if v := recover(); v != nil {
			if _, broken := v.(*RandError); broken || v == http.ErrAbortHandler {
				panic(v)
			}
			if !rw.wrote {
				err := fmt.Errorf("panic: %v", v)
				if h == nil {
					e.writeError(rw, r, err, true)
					return
				}
				h.render(e, rw, r, h.failure(err))
			}
		}
	}()
	if h == nil {
		e.writeError(rw, r, errNotFoundPath(r.URL.Path), true)
		return
	}
	e.serveHost(h, &x.c, rw, r)
}

// exchange is what ServeHTTP keeps for one request.
type exchange struct {
	rw responseWriter
	c  call
}

// responseWriter remembers whether a response was started, so a recovered panic does not
// write a second one.
type responseWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *responseWriter) WriteHeader(code int) { w.wrote = true; w.ResponseWriter.WriteHeader(code) }
func (w *responseWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// errorBody is IBM's error JSON. The metadata service leaves status_code out (see
// renderMetadata); the VPC API has it.
type errorBody struct {
	Errors     []errorItem `json:"errors"`
	StatusCode int         `json:"status_code,omitempty"`
	Trace      string      `json:"trace"`
}

type errorItem struct {
	Code     Code    `json:"code"`
	Message  string  `json:"message"`
	MoreInfo string  `json:"more_info,omitempty"`
	Target   *Target `json:"target,omitempty"`
}

// moreInfo links each code to the page that explains it.
var moreInfo = map[Code]string{
	CodeUnauthorized:     "https://cloud.ibm.com/docs/vpc?topic=vpc-imd-configure-service#imd-metadata-service-enable",
	CodeProfileNotLinked: "https://cloud.ibm.com/docs/vpc?topic=vpc-imd-trusted-profile-metadata",
	CodeUnauthenticated:  "https://cloud.ibm.com/docs/vpc?topic=vpc-imd-configure-service#imd-get-token",
}

// writeError renders err as IBM's error JSON with its status, and status_code in the body
// when withStatus. Errors that are not core errors become service_error, and their text is
// never shown. The trace is also the X-Request-Id header, as the real service sends it.
func (e *Emulator) writeError(w http.ResponseWriter, r *http.Request, err error, withStatus bool) {
	var ce *Error
	if !errors.As(err, &ce) {
		ce = &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: err}
	}
	status := ce.HTTPStatus()
	trace := e.newID()
	body := errorBody{
		Errors: []errorItem{{Code: ce.Code, Message: ce.Message, MoreInfo: moreInfo[ce.Code], Target: ce.Target}},
		Trace:  trace,
	}
	if withStatus {
		body.StatusCode = status
	}
	if ce.Code == CodeUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+r.Host+`"`)
	}
	writeJSONStatus(w, status, body, trace)
}

// writeJSON answers 200 (or status) with v as JSON.
func (e *Emulator) writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONStatus(w, status, v, e.newID())
}

func writeJSONStatus(w http.ResponseWriter, status int, v any, trace string) {
	data, ok := v.(encodedJSON)
	if !ok {
		var err error
		if data, err = encodeJSON(v); err != nil {
			// Only our own types are encoded here; failing is a bug worth a clear 500.
			http.Error(w, `{"errors":[{"code":"service_error","message":"An internal error occurred."}],"status_code":500}`, http.StatusInternalServerError)
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff") // an error may repeat what the request said
	h.Set("X-Request-Id", trace)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(data)
}

// encodedJSON is an answer encoded beforehand by encodeJSON; writeJSONStatus writes it as is.
type encodedJSON []byte

// encodeJSON encodes an answer the way every answer is encoded: no HTML escaping, a final
// newline.
func encodeJSON(v any) (encodedJSON, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// bodyFault is what is wrong with a request body, before each API words it its own way.
type bodyFault int

const (
	bodyUnreadable   bodyFault = iota + 1
	bodyTooLarge               // over the emulator's MaxBodyBytes
	bodyMalformed              // not JSON, or data after the JSON value
	bodyNotObject              // JSON, but not an object
	bodyWrongType              // a property of the wrong JSON type (name, typ set)
	bodyUnknownField           // a property the request does not have (name set)
)

// bodyProblem describes a fault; name is the property by its path from the body's root
// ("boot_volume_attachment.volume.size"), typ the JSON type it should have had.
type bodyProblem struct {
	fault     bodyFault
	name, typ string
}

// readBody decodes a JSON request body into v, strictly: an empty body means {}, and unknown
// properties, wrong types, oversized bodies and trailing data are faults. It returns nil when v
// holds the body.
func (e *Emulator) readBody(r *http.Request, v any) *bodyProblem {
	if r.Body == nil {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, e.maxBody+1))
	switch {
	case err != nil:
		return &bodyProblem{fault: bodyUnreadable}
	case int64(len(data)) > e.maxBody:
		return &bodyProblem{fault: bodyTooLarge}
	case len(bytes.TrimSpace(data)) == 0:
		return nil
	}
	if err := strictjson.UnmarshalKnown(data, v); err != nil {
		return bodyFaultOf(err)
	}
	return nil
}

// bodyFaultOf classifies a decoding error of strictjson.
func bodyFaultOf(err error) *bodyProblem {
	var te *json.UnmarshalTypeError
	var ue *strictjson.UnknownFieldError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return &bodyProblem{fault: bodyWrongType, name: te.Field, typ: jsonType(te.Type.Kind().String())}
	case errors.As(err, &te):
		return &bodyProblem{fault: bodyNotObject}
	case errors.As(err, &ue):
		return &bodyProblem{fault: bodyUnknownField, name: ue.Path}
	}
	return &bodyProblem{fault: bodyMalformed}
}

// metadataBodyFault words a body fault the way the identity and metadata APIs do.
func metadataBodyFault(e *Emulator, p *bodyProblem) error {
	switch p.fault {
	case bodyUnreadable:
		return errf(CodeInvalidRequest, nil, "The request body could not be read.")
	case bodyTooLarge:
		return errf(CodeInvalidRequest, nil, "The request body is too large: it must not exceed %d bytes.", e.maxBody)
	case bodyNotObject:
		return errf(CodeInvalidRequest, nil, "The request body was malformed: it must be a JSON object.")
	case bodyWrongType:
		return errf(CodeInvalidValue, field(p.name), "The value provided for the `%s` field must be of type %s.", p.name, p.typ)
	case bodyUnknownField:
		return errf(CodeUnknownField, field(p.name), "Unknown property `%s` was specified in the request body.", p.name)
	}
	return errf(CodeInvalidRequest, nil, "The request body was malformed.")
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "integer"
	case "bool":
		return "boolean"
	case "struct", "map", "ptr":
		return "object"
	case "slice":
		return "array"
	}
	return kind
}
