package imds

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// One way to answer a request: every host of the emulated world is a table of routes (see
// routes.go), and serveHost is the one loop that answers them all. A route says which
// requests it takes (method and path pattern), what the caller must show (version date and
// credential), how IBM's Activity Tracker names the call, and the rule that answers it. A rule
// sees a call, never the *http.Request: the loop has routed, authenticated and checked the
// version before the rule runs, and hands it the path parameter, the query and a decoder for
// the body that words its faults the way the host does.
//
// What differs between hosts is in the host value, not in the loop: the gate that runs before
// routing (the metadata host refuses everything while the metadata service is off), how the
// version date is checked and worded, how body faults and unknown paths are worded, and how an
// error is rendered. IBM's hosts do not all answer errors alike; a host that must change its
// error shape changes its render function and nothing else.

// route is one operation of a host.
type route struct {
	method string
	// pattern is the path: literal segments, "{id}" for one non-empty segment (the call's id),
	// or a last "{rest...}" for whatever follows, even nothing.
	pattern string
	// action is the Activity Tracker action the call is recorded as; "" for calls IBM does
	// not record. A call is recorded once its caller is known (see host.gate and credential).
	action string
	// versions are the version dates the operation answers to; the zero value means it takes
	// no version parameter.
	versions versions
	// cred is what the caller must present.
	cred credential
	// query are the query parameters the operation takes besides version; on a host with
	// unknownQuery, any other is refused.
	query []string
	// role is the least IAM platform role on VPC Infrastructure Services (one of
	// scenario.PlatformRoles) that a credIAM caller must hold; "" lets any valid token through.
	role string
	// serve answers the call.
	serve rule

	segs []string // pattern, split at "/"
}

// rule answers an authenticated call with a status and an answer (a value encoded as JSON,
// an encodedJSON, or a rawAnswer), or with an error the host renders.
type rule func(e *Emulator, c *call) (int, any, error)

// versions bounds the version dates of an operation: since is the first date it exists at;
// until, when set, the first date it no longer does.
type versions struct {
	since, until string // YYYY-MM-DD (see version.go)
}

// credential is what a route requires of its caller, checked after the version date.
type credential int

const (
	credNone     credential = iota
	credFlavor              // the Metadata-Flavor: ibm header (identity token creation)
	credIdentity            // an identity token of the calling instance
	credIAM                 // an IAM access token of the emulator's IAM
)

// host is the route table of one host and what it does its own way.
type host struct {
	routes []route
	// gate, if set, runs before routing: it may refuse any request to the host, and it may
	// name the caller (call.who) so that refusals from then on are recorded.
	gate func(e *Emulator, c *call) error
	// version checks the version date of a route's call and words its faults.
	version func(e *Emulator, c *call, v versions) error
	// notFound is the error for a path the host does not have.
	notFound func(path string) error
	// wrongMethod is the error for a path the host has, called with another method (allow
	// lists the methods it takes). IBM's hosts answer it each their own way.
	wrongMethod func(method, path string, allow []string) error
	// unknownQuery, if set, is the error for a query parameter the route does not take; nil
	// ignores such parameters.
	unknownQuery func(name, value string) error
	// bodyFault words what is wrong with a request body.
	bodyFault func(e *Emulator, p *bodyProblem) error
	// internal is the code of an error that is not a core error (a bug).
	internal Code
	// render writes an error answer.
	render func(e *Emulator, w http.ResponseWriter, r *http.Request, err error)
	// head answers HEAD wherever GET is answered.
	head bool
	// target is the event target of a call until its rule names one.
	target EventTarget

	exact map[string][]int // routes by literal pattern
	wild  []int            // routes with a path parameter
}

// newHost compiles the patterns of h's routes.
func newHost(h host) *host {
	h.exact = map[string][]int{}
	for i := range h.routes {
		rt := &h.routes[i]
		rt.segs = strings.Split(strings.TrimPrefix(rt.pattern, "/"), "/")
		if strings.Contains(rt.pattern, "{") {
			h.wild = append(h.wild, i)
		} else {
			h.exact[rt.pattern] = append(h.exact[rt.pattern], i)
		}
	}
	return &h
}

// match finds the route for method and path. When the path is known but not the method, rt
// is nil and allow lists the methods the path has; when the path is unknown, both are nil.
func (h *host) match(method, path string) (rt *route, id string, allow []string) {
	if h.head && method == http.MethodHead {
		method = http.MethodGet
	}
	pick := func(i int, pid string) bool {
		if h.routes[i].method == method {
			rt, id = &h.routes[i], pid
			return true
		}
		if !slices.Contains(allow, h.routes[i].method) {
			allow = append(allow, h.routes[i].method)
		}
		return false
	}
	for _, i := range h.exact[path] {
		if pick(i, "") {
			return rt, id, nil
		}
	}
	for _, i := range h.wild {
		if pid, ok := matchPath(h.routes[i].segs, path); ok && pick(i, pid) {
			return rt, id, nil
		}
	}
	return nil, "", allow
}

// matchPath matches a path against the segments of a pattern and returns its parameter.
func matchPath(segs []string, path string) (param string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return "", false
	}
	for i, s := range segs {
		if strings.HasSuffix(s, "...}") {
			return rest, true
		}
		seg, tail, more := strings.Cut(rest, "/")
		switch {
		case s[0] == '{':
			if seg == "" {
				return "", false
			}
			param = seg
		case seg != s:
			return "", false
		}
		if last := i == len(segs)-1; last || !more {
			if !last || more {
				return "", false
			}
			return param, true
		}
		rest = tail
	}
	return "", false
}

// call is one request as a rule sees it: routed, authenticated, its path parameter and
// caller known. The request itself stays private to the loop and the decoders below.
type call struct {
	r    *http.Request
	w    http.ResponseWriter
	host *host

	path string // the request path
	id   string // the {id} path parameter
	q    url.Values
	// secure is true for a request that came over TLS.
	secure bool
	// instance is, on the metadata host, the instance the call comes from (a copy).
	instance *scenario.Instance
	// local is, on the VPC API, whether the call reached the scenario's region.
	local bool
	// who made the call and what it was about, for its Activity Tracker event; who stays
	// empty until the caller is known.
	who    EventInitiator
	target EventTarget
}

// query returns the query parameters, parsed once.
func (c *call) query() url.Values {
	if c.q == nil {
		c.q = c.r.URL.Query()
	}
	return c.q
}

// decode reads the JSON body into v strictly (see readBody) and words its faults the way the
// host does. An empty body leaves v as it is.
func (c *call) decode(e *Emulator, v any) error {
	if p := e.readBody(c.r, v); p != nil {
		return c.host.bodyFault(e, p)
	}
	return nil
}

// form reads a form-encoded body, at most the emulator's MaxBodyBytes of it.
func (c *call) form(e *Emulator) (url.Values, error) {
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, e.maxBody)
	if err := c.r.ParseForm(); err != nil {
		return nil, err
	}
	return c.r.PostForm, nil
}

// rawAnswer is an answer written as it is, with its content type and nothing else: the key
// sets and the CA root, which IBM and the emulator serve as static documents.
type rawAnswer struct {
	contentType string
	data        []byte
}

// serveHost is the one loop: route, gate, version, credential, rule, event, answer.
func (e *Emulator) serveHost(h *host, c *call, w http.ResponseWriter, r *http.Request) {
	rt, id, allow := h.match(r.Method, r.URL.Path)
	*c = call{r: r, w: w, host: h, path: r.URL.Path, id: id, secure: r.TLS != nil, target: h.target}
	if h.gate != nil {
		if err := h.gate(e, c); err != nil {
			if rt == nil && len(allow) > 0 {
				// A known path called with another method: the refusal is recorded under
				// the path's action, as the service is refused before it looks at methods.
				rt, _, _ = h.match(allow[0], r.URL.Path)
			}
			e.finish(h, c, rt, w, 0, nil, err)
			return
		}
	}
	switch {
	case rt == nil && len(allow) == 0:
		h.render(e, w, r, h.failure(h.notFound(r.URL.Path)))
		return
	case rt == nil:
		err := h.failure(h.wrongMethod(r.Method, r.URL.Path, allow))
		if statusOf(err) == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", strings.Join(allow, ", "))
		}
		h.render(e, w, r, err)
		return
	}
	status, answer, err := e.authenticate(h, c, rt)
	if err == nil {
		status, answer, err = rt.serve(e, c)
	}
	e.finish(h, c, rt, w, status, answer, err)
}

// authenticate checks the version date, the query parameters, the credential and the role a
// route requires.
func (e *Emulator) authenticate(h *host, c *call, rt *route) (int, any, error) {
	if rt.versions != (versions{}) {
		if err := h.version(e, c, rt.versions); err != nil {
			return 0, nil, err
		}
	}
	if h.unknownQuery != nil && c.r.URL.RawQuery != "" {
		for name, vals := range c.query() {
			if (name != "version" || rt.versions == (versions{})) && !slices.Contains(rt.query, name) {
				return 0, nil, h.unknownQuery(name, vals[0])
			}
		}
	}
	switch rt.cred {
	case credFlavor:
		return 0, nil, metadataFlavor(c.r.Header)
	case credIdentity:
		_, err := e.requireIdentity(c.r, c.instance)
		return 0, nil, err
	case credIAM:
		caller, err := e.vpcAuth(c.r)
		c.who = caller.who
		if err != nil {
			return 0, nil, err
		}
		return 0, nil, e.authorize(caller, rt, c.id)
	}
	return 0, nil, nil
}

// finish records the call's event, when it has an action and a known caller, and writes the
// answer or the error.
func (e *Emulator) finish(h *host, c *call, rt *route, w http.ResponseWriter, status int, answer any, err error) {
	if err != nil {
		err = h.failure(err)
	}
	if rt != nil && rt.action != "" && c.who != (EventInitiator{}) {
		var code Code
		if ce, ok := err.(*Error); ok {
			status, code = ce.HTTPStatus(), ce.Code
		}
		e.recordEvent(c.r, rt.action, status, code, c.who, c.target)
	}
	if err != nil {
		h.render(e, w, c.r, err)
		return
	}
	if status == http.StatusNoContent {
		w.Header().Set("X-Request-Id", e.newID())
		w.WriteHeader(status)
		return
	}
	if raw, ok := answer.(rawAnswer); ok {
		w.Header().Set("Content-Type", raw.contentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(status)
		w.Write(raw.data)
		return
	}
	e.writeJSON(w, status, answer)
}

// failure is err as the host renders it: a core error, an error in IAM's own shape, or, for
// anything else (a bug), the host's internal error, whose text is never shown.
func (h *host) failure(err error) error {
	var ce *Error
	var ie *iamError
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &ie):
		return ie
	}
	ce = &Error{Code: h.internal, Message: "An internal error occurred.", Err: err}
	if h.internal != CodeServiceError {
		ce.Status = http.StatusInternalServerError
	}
	return ce
}

// renderIBM is the error renderer of the VPC API (and of the emulator's own endpoints): IBM's
// error JSON with status_code (see writeError).
func renderIBM(e *Emulator, w http.ResponseWriter, r *http.Request, err error) {
	e.writeError(w, r, err, true)
}

// renderMetadata is the error renderer of the metadata and identity host: IBM's error JSON
// without status_code, as the real service answered in the capture of
// ../shared/reference/captured (errors and trace only, X-Request-Id equal to trace).
func renderMetadata(e *Emulator, w http.ResponseWriter, r *http.Request, err error) {
	e.writeError(w, r, err, false)
}

// statusOf is the status err is answered with: a core error's, IAM's, or 500.
func statusOf(err error) int {
	var ce *Error
	var ie *iamError
	switch {
	case errors.As(err, &ce):
		return ce.HTTPStatus()
	case errors.As(err, &ie):
		return ie.status
	}
	return http.StatusInternalServerError
}

// methodNotAllowed is the emulator's own answer to a known path called with another method:
// 405 with the methods it takes (its endpoints under /_emulator/ are not IBM's).
func methodNotAllowed(method, path string, allow []string) error {
	return &Error{Code: CodeMethodNotAllowed,
		Message: fmt.Sprintf("The method %s is not allowed for %s; use %s.", method, path, strings.Join(allow, " or "))}
}

// identityVersion checks the version date of an identity or metadata call. An operation
// removed at a date (until) answers 404 from that date on, as the /instance_identity paths do.
func identityVersion(e *Emulator, c *call, v versions) error {
	date, err := e.version(c.query(), v.since)
	if err != nil {
		return err
	}
	if v.until != "" && date >= v.until {
		return &Error{Code: CodeNotFound, Status: http.StatusNotFound,
			Message: fmt.Sprintf("The requested path %s is not available for version %s or later; use /identity/v1.", c.path, v.until)}
	}
	return nil
}
