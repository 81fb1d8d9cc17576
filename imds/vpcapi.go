package imds

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// The VPC API subset answers with the VPC API's own error codes (IBM's "API error messages"
// page for the VPC), which differ from the metadata service's. Where that page has no exact
// code for a case, the closest one is used; see the README's fidelity notes.
const (
	vpcNotAuthorized      Code = "not_authorized"                // 401: IAM token missing, malformed, expired or foreign
	vpcMissingVersion     Code = "missing_version"               // 400: no version query parameter
	vpcInvalidVersion     Code = "invalid_version"               // 400: version is not YYYY-MM-DD
	vpcInvalidRange       Code = CodeInvalidVersionRange         // 400: version before 2019-01-01 or in the future
	vpcInvalidGeneration  Code = "invalid_generation_parameter"  // 400: generation other than 2
	vpcInvalidRoute       Code = "invalid_route"                 // 404: no such path
	vpcInvalidField       Code = "invalid_request_field"         // 400: unknown or unchangeable property
	vpcBadRequest         Code = "bad_request"                   // 400: body is not a JSON object
	vpcTooLarge           Code = "http_request_size_exceeded"    // 413: body too large
	vpcFieldType          Code = "validation_invalid_field_type" // 400: wrong JSON type
	vpcRequired           Code = "validation_required_field"     // 400: required property missing
	vpcEnum               Code = "validation_enum"               // 400: value not in the enumeration
	vpcMinValue           Code = "validation_min_value"          // 400: number too small
	vpcMaxValue           Code = "validation_max_value"          // 400: number too large
	vpcInvalidName        Code = "validation_invalid_name"       // 400: name breaks the naming rule
	vpcUniqueFailed       Code = "validation_unique_failed"      // 400: name already used
	vpcOnlyOne            Code = "validation_only_one"           // 400: two alternatives given
	vpcInvalidAddress     Code = "validation_invalid_address"    // 400: address outside the subnet
	vpcInvalidZone        Code = "invalid_zone"                  // 400: resources in different zones
	vpcBadField           Code = "bad_field"                     // 400: inconsistent value
	vpcInvalidState       Code = "invalid_state"                 // 409: action not allowed in this status
	vpcPrecondition       Code = "precondition_failed"           // 412: If-Match names another version
	vpcAddressReserved    Code = "address_is_already_reserved"   // 409: primary IP address in use
	vpcInternalError      Code = "internal_error"                // 500
	vpcOverQuota          Code = "over_quota"                    // 400: the account has as many as it may
	vpcMaxLimit                = 100
	vpcDefaultLimit            = 50
	vpcTypeInstance            = "is/instance"
	vpcTypeTemplate            = "is/instance-template"
	vpcTypeUser                = "service/security/account/user"
	vpcTypeTrustedProfile      = "service/security/account/profile"
)

// vpcError makes a VPC API error with an explicit status.
func vpcError(status int, code Code, target *Target, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...), Target: target}
}

// The most instances and instance templates the VPC API creates (the quotas of the emulated
// account). They bound the world that the public operator key can grow: each may carry a
// request body's worth (64 KiB) of user data. A scenario document may hold more.
const (
	maxInstances = 100
	maxTemplates = 100
)

// overQuota is the answer to a create past a quota.
func overQuota(kind string, quota int) error {
	return vpcError(http.StatusBadRequest, vpcOverQuota, nil, "The account has reached its quota of %d %s in this region: delete one before creating another.", quota, kind)
}

// errInvalidRoute is the VPC API's answer for a path it does not have.
func errInvalidRoute(path string) error {
	return vpcError(http.StatusNotFound, vpcInvalidRoute, nil, "The requested route %s does not exist.", path)
}

// vpcVersion checks the version and generation query parameters with the VPC API's codes.
func vpcVersion(e *Emulator, c *call, v versions) error {
	q := c.query()
	if g := q.Get("generation"); q.Has("generation") && g != "2" {
		return vpcError(http.StatusBadRequest, vpcInvalidGeneration, withValue(query("generation"), g), "The `generation` query parameter must be 2.")
	}
	_, err := e.version(q, v.since)
	if err == nil {
		return nil
	}
	var ce *Error
	if !errors.As(err, &ce) {
		return err
	}
	date := q.Get("version")
	switch {
	case ce.Code == CodeMissingField:
		return vpcError(http.StatusBadRequest, vpcMissingVersion, query("version"), "The `version` query parameter is required, as a date in the form YYYY-MM-DD.")
	case !validDate(date):
		return vpcError(http.StatusBadRequest, vpcInvalidVersion, withValue(query("version"), date), "The `version` query parameter must be a date in the form YYYY-MM-DD.")
	}
	return vpcError(http.StatusBadRequest, vpcInvalidRange, withValue(query("version"), date),
		"The `version` query parameter must not be before %s nor after the current date.", v.since)
}

func validDate(v string) bool {
	_, err := time.Parse(time.DateOnly, v)
	return err == nil
}

// vpcLocal reports whether the request reached the scenario's region. A loopback listener
// (no IBM host name) counts as the scenario's region.
func (e *Emulator) vpcLocal(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	region, ok := strings.CutSuffix(host, vpcSuffix)
	if !ok {
		return true
	}
	return region == e.Region()
}

// vpcBodyFault words a body fault with the VPC API's error codes.
func vpcBodyFault(e *Emulator, p *bodyProblem) error {
	switch p.fault {
	case bodyUnreadable:
		return vpcError(http.StatusBadRequest, vpcBadRequest, nil, "The request body could not be read.")
	case bodyTooLarge:
		return vpcError(http.StatusRequestEntityTooLarge, vpcTooLarge, nil, "The request body must not exceed %d bytes.", e.maxBody)
	case bodyNotObject:
		return vpcError(http.StatusBadRequest, vpcBadRequest, nil, "The request body must be a JSON object.")
	case bodyWrongType:
		return vpcError(http.StatusBadRequest, vpcFieldType, field(p.name), "The value of `%s` must be of type %s.", p.name, p.typ)
	case bodyUnknownField:
		return vpcError(http.StatusBadRequest, vpcInvalidField, field(p.name), "The property `%s` is not valid in this request.", p.name)
	}
	return vpcError(http.StatusBadRequest, vpcBadRequest, nil, "The request body is not valid JSON.")
}

// vpcRead runs f on the world under the emulator's lock.
func (e *Emulator) vpcRead(f func(s *scenario.Scenario) (any, error)) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return f(e.world)
}

// vpcFilter gives the values a resource has for one filter of a collection: vpc.id, name, ...
type vpcFilter[T any] func(s *scenario.Scenario, item T) []string

// vpcFilters keeps the items of a collection that pass every filter the query gives (an item
// passes a filter when one of its values is the query's), and returns the query parameters
// they were, for the collection's links.
func vpcFilters[T any](s *scenario.Scenario, q url.Values, items []T, filters map[string]vpcFilter[T]) ([]T, url.Values) {
	used := url.Values{}
	for name := range filters {
		if q.Has(name) {
			used.Set(name, q.Get(name))
		}
	}
	if len(used) == 0 {
		return items, used
	}
	var out []T
	for _, it := range items {
		keep := true
		for name := range used {
			keep = keep && slices.Contains(filters[name](s, it), used.Get(name))
		}
		if keep {
			out = append(out, it)
		}
	}
	return out, used
}

// vpcPage cuts the list a collection request asks for: `limit` (1 to 100, default 50) items from
// the one whose ID is `start`. It returns the page and the collection's first/next links, which
// repeat the filters the list was made with, as IBM's do.
func vpcPage[T any](q url.Values, items []T, idOf func(T) string, href string, filters url.Values) (out []T, c vpcCollection, err error) {
	limit := vpcDefaultLimit
	if q.Has("limit") {
		v := q.Get("limit")
		n, perr := parseInt(v)
		switch {
		case perr != nil:
			return nil, c, vpcError(http.StatusBadRequest, vpcFieldType, withValue(query("limit"), v), "The `limit` query parameter must be an integer.")
		case n < 1:
			return nil, c, vpcError(http.StatusBadRequest, vpcMinValue, withValue(query("limit"), v), "The `limit` query parameter must be at least 1.")
		case n > vpcMaxLimit:
			return nil, c, vpcError(http.StatusBadRequest, vpcMaxValue, withValue(query("limit"), v), "The `limit` query parameter must be at most %d.", vpcMaxLimit)
		}
		limit = n
	}
	from := 0
	if start := q.Get("start"); start != "" {
		from = -1
		for i, it := range items {
			if idOf(it) == start {
				from = i
			}
		}
		if from < 0 {
			return nil, c, vpcError(http.StatusBadRequest, vpcBadField, withValue(query("start"), start), "The `start` query parameter names no item of the collection.")
		}
	}
	to := min(from+limit, len(items))
	link := func(start string) *pageLink {
		v := url.Values{"limit": {strconv.Itoa(limit)}}
		for k, vs := range filters {
			v[k] = vs
		}
		if start != "" {
			v.Set("start", start)
		}
		return &pageLink{Href: href + "?" + v.Encode()}
	}
	c = vpcCollection{First: *link(""), Limit: limit, TotalCount: len(items)}
	if to < len(items) {
		c.Next = link(idOf(items[to]))
	}
	return items[from:to], c, nil
}

func parseInt(s string) (int, error) {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil || fmt.Sprint(n) != s {
		return 0, errors.New("not an integer")
	}
	return n, nil
}

// vpcCollection holds the paging properties of VPC API collections.
type vpcCollection struct {
	First      pageLink  `json:"first"`
	Limit      int       `json:"limit"`
	Next       *pageLink `json:"next,omitempty"`
	TotalCount int       `json:"total_count"`
}

type pageLink struct {
	Href string `json:"href"`
}

// entityTag is the ETag of a VPC resource in its stored form: it changes with every change of
// the resource, and only then.
func entityTag(resource any) string {
	data, err := json.Marshal(resource)
	if err != nil {
		panic("imds: entity tag: " + err.Error()) // scenario resources are plain data
	}
	sum := sha256.Sum256(data)
	return `"` + uuidString(sum[:16]) + `"`
}

// setEntityTag sends tag as the answer's ETag.
func (c *call) setEntityTag(tag string) { c.w.Header().Set("ETag", tag) }

// checkIfMatch is the If-Match precondition of a change: absent or "*" always holds;
// otherwise one of its tags must be the resource's current one (compared as strings, as the
// tags the emulator sends are strong).
func checkIfMatch(c *call, current string) error {
	h := strings.TrimSpace(c.r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return nil
	}
	for _, t := range strings.Split(h, ",") {
		if strings.TrimSpace(t) == current {
			return nil
		}
	}
	return vpcError(http.StatusPreconditionFailed, vpcPrecondition, withValue(header("If-Match"), h),
		"The `If-Match` value does not match the current ETag of the resource: it changed since you read it. Get it again and retry.")
}
