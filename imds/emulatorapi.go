package imds

import (
	"net/http"
	"net/url"
	"strconv"
)

// The emulator's own endpoints under /_emulator/ (routes in routes.go): not part of IBM's
// API, and answered on every host.

// identityKeys is the JWKS that verifies identity tokens.
func (e *Emulator) identityKeys(*call) (int, any, error) {
	key, err := e.tokenKey(KeyIdentity)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rawAnswer{"application/json", jwks(publicJWK(key.pub, e.identityKID(key.pub)))}, nil
}

// caRoot is the root certificate of identity certificates, as PEM.
func (e *Emulator) caRoot(*call) (int, any, error) {
	authority, err := e.authority()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rawAnswer{"application/x-pem-file", authority.RootPEM()}, nil
}

// eventLog is one page of the Activity Tracker log: by default the newest eventPage events,
// oldest first, so that .events[-1] is the latest; `limit` (1 to maxEventPage) sets the page's
// size and `before` (an event's id) ends the page just before that event. `previous` links to
// the page of older events, when there are some. Whole, the log could be 7 MB an answer, and
// 400 requests at once took 2.5 GB.
func (e *Emulator) eventLog(c *call) (int, any, error) {
	q := c.query()
	limit := eventPage
	if q.Has("limit") {
		v := q.Get("limit")
		n, err := parseInt(v)
		switch {
		case err != nil:
			return 0, nil, errf(CodeInvalidValue, withValue(query("limit"), v), "The limit query parameter must be an integer.")
		case n < 1 || n > maxEventPage:
			return 0, nil, errf(CodeInvalidValue, withValue(query("limit"), v), "The limit query parameter must be between 1 and %d.", maxEventPage)
		}
		limit = n
	}
	page, total, more, ok := e.eventsBefore(q.Get("before"), limit)
	if !ok {
		return 0, nil, errf(CodeInvalidValue, withValue(query("before"), q.Get("before")), "The before query parameter names no event of the log.")
	}
	answer := eventLogPage{Events: page, Limit: limit, TotalCount: total}
	if more && len(page) > 0 {
		v := url.Values{"before": {page[0].ID}, "limit": {strconv.Itoa(limit)}}
		answer.Previous = &pageLink{Href: EmulatorPrefix + "events?" + v.Encode()}
	}
	return http.StatusOK, answer, nil
}

// The sizes of a page of the event log.
const (
	eventPage    = 100
	maxEventPage = 1000
)

type eventLogPage struct {
	Events     []Event   `json:"events"`
	Limit      int       `json:"limit"`
	TotalCount int       `json:"total_count"`
	Previous   *pageLink `json:"previous,omitempty"`
}

// scenarioDocument is the current world as a scenario document.
func (e *Emulator) scenarioDocument(*call) (int, any, error) {
	return http.StatusOK, e.Scenario(), nil
}
