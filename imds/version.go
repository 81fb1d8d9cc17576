package imds

import (
	"net/http"
	"time"
)

// API version dates that change behaviour.
var (
	// MinIdentityVersion is the first version date of the identity token feature.
	MinIdentityVersion = date(2022, 3, 1)
	// IdentityPathChange is the first version date at which the /instance_identity methods are
	// gone and only /identity answers.
	IdentityPathChange = date(2025, 8, 26)
	// MinVPCVersion is the oldest version date the VPC API subset accepts.
	MinVPCVersion = date(2019, 1, 1)
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// version reads the required `version` query parameter: a YYYY-MM-DD date no earlier than min
// and no later than today by the emulator's clock.
func (e *Emulator) version(r *http.Request, min time.Time) (time.Time, error) {
	q := r.URL.Query()
	if !q.Has("version") {
		return time.Time{}, errf(CodeMissingField, query("version"), "The `version` query parameter is required.")
	}
	v := q.Get("version")
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, errf(CodeInvalidValue, withValue(query("version"), v), "The `version` query parameter must be a date in the format YYYY-MM-DD.")
	}
	if t.Before(min) {
		return time.Time{}, errf(CodeInvalidValue, withValue(query("version"), v), "The `version` query parameter must not be earlier than `%s`.", min.Format("2006-01-02"))
	}
	today := e.now().UTC()
	if t.After(date(today.Year(), today.Month(), today.Day())) {
		return time.Time{}, errf(CodeInvalidValue, withValue(query("version"), v), "The `version` query parameter must not be later than the current date (%s).", today.Format("2006-01-02"))
	}
	return t, nil
}
