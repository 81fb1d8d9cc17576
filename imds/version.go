package imds

import (
	"net/url"
	"time"
)

// API version dates that change behaviour, as YYYY-MM-DD. They are constants, so nothing can
// move them at run time, and strings in the form the version parameter takes; the panel's
// version switch (web/panel.go) shows the same dates.
const (
	// MinIdentityVersion is the first version date of the identity token feature.
	MinIdentityVersion = "2022-03-01"
	// IdentityPathChange is the first version date at which the /instance_identity methods are
	// gone and only /identity answers.
	IdentityPathChange = "2025-08-26"
	// MinMetadataVersion is the oldest version date the metadata API accepts. Every metadata
	// call needs an identity token, which exists from 2022-03-01 on; the metadata change log
	// starts later and lists no behaviour for earlier dates.
	MinMetadataVersion = MinIdentityVersion
	// MinVPCVersion is the oldest version date the VPC API subset accepts.
	MinVPCVersion = "2019-01-01"
)

// version reads the required `version` query parameter: a YYYY-MM-DD date no earlier than
// since and no later than today by the emulator's clock. Dates in that form compare as
// strings. Its errors are the metadata service's: missing_field and invalid_value as the
// error-code page has them, and invalid_version_range, naming the date itself as a parameter,
// as the real service answered in the capture (../shared/reference/captured). The VPC API
// words them its own way (vpcVersion).
func (e *Emulator) version(q url.Values, since string) (string, error) {
	if !q.Has("version") {
		return "", errf(CodeMissingField, param("version"), "The `version` query parameter is required.")
	}
	v := q.Get("version")
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return "", errf(CodeInvalidValue, withValue(param("version"), v), "The `version` query parameter must be a date in the format YYYY-MM-DD.")
	}
	if v < since {
		return "", errf(CodeInvalidVersionRange, param(v), "The `version` value cannot be before `%s`.", since)
	}
	if now := e.now().UTC(); t.After(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)) {
		return "", errf(CodeInvalidVersionRange, param(v), "The `version` value cannot be after `%s`.", now.Format(time.DateOnly))
	}
	return v, nil
}
