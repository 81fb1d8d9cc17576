package imds

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is one of IBM's error codes, as listed on the Metadata API error codes page.
type Code string

// The error codes the service answers with. Each has a fixed HTTP status (see Status), except
// not_found and invalid_value, which answer 404 when the target is a path parameter.
const (
	CodeInvalidRequest   Code = "invalid_request"
	CodeInvalidValue     Code = "invalid_value"
	CodeMissingField     Code = "missing_field"
	CodeMissingValue     Code = "missing_value"
	CodeNotFound         Code = "not_found"
	CodeProfileNotLinked Code = "profile_not_linked"
	CodeServiceError     Code = "service_error"
	CodeUnauthenticated  Code = "unauthenticated"
	CodeUnauthorized     Code = "unauthorized"
	CodeUnknownField     Code = "unknown_field"
	// CodeInvalidVersionRange is not on the error-code page, but it is what the real service
	// answered for a version date before the first one (../shared/reference/captured), the
	// code the VPC API uses for the same fault.
	CodeInvalidVersionRange Code = "invalid_version_range"
	// CodeMethodNotAllowed is not IBM's: the emulator's own endpoints under /_emulator/ answer
	// it for a known path called with another method. IBM's hosts answer that their own way
	// (see host.wrongMethod).
	CodeMethodNotAllowed Code = "method_not_allowed"
)

// Target names the part of the request an error is about.
type Target struct {
	Name  string `json:"name"`
	Type  string `json:"type"` // field, header, parameter (query or path)
	Value string `json:"value,omitempty"`
}

// Error is a core error. It carries IBM's error code and, when it is about one part of the
// request, that part as its target. The HTTP layer renders it as IBM's error JSON.
type Error struct {
	Code    Code
	Message string
	Target  *Target
	// Status overrides the status implied by Code (0 means the default).
	Status int
	// Err is the underlying cause, if any; it is never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Target != nil {
		return fmt.Sprintf("%s: %s (%s %s)", e.Code, e.Message, e.Target.Type, e.Target.Name)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status the error is answered with.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	switch e.Code {
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeUnauthorized:
		return http.StatusForbidden
	case CodeNotFound:
		if e.Target != nil && e.Target.Type == "path_parameter" {
			return http.StatusNotFound
		}
		if e.Target == nil {
			return http.StatusNotFound
		}
		return http.StatusBadRequest
	case CodeServiceError:
		return http.StatusInternalServerError
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	}
	return http.StatusBadRequest
}

// ErrorCode returns the IBM error code of err, or "" when err is not a core error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func errf(code Code, target *Target, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Target: target}
}

func field(name string) *Target             { return &Target{Name: name, Type: "field"} }
func header(name string) *Target            { return &Target{Name: name, Type: "header"} }
func query(name string) *Target             { return &Target{Name: name, Type: "query_parameter"} }
func param(name string) *Target             { return &Target{Name: name, Type: "parameter"} }
func pathParam(name string) *Target         { return &Target{Name: name, Type: "path_parameter"} }
func withValue(t *Target, v string) *Target { t.Value = v; return t }

// errNotFoundPath is the answer for a path the service does not have.
func errNotFoundPath(path string) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("The requested path %s was not found.", path), Status: http.StatusNotFound}
}
