package imds

import (
	"fmt"
	"net/http"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// The metadata API: GET /metadata/v1/... describes the calling instance. Its routes are in
// routes.go, its views in metadata_views.go; the rules below join the two, so that a new path
// is one route whose rule is view, listView or memberView of a new view.

// view answers with one view of the calling instance.
func view[V any](render func(viewer, *scenario.Instance) V) rule {
	return func(e *Emulator, c *call) (int, any, error) {
		return e.metadataAnswer(c, func(v viewer, in *scenario.Instance) (any, bool) { return render(v, in), true })
	}
}

// listView answers with a collection of the calling instance, as {key: [...]}.
func listView[M any](key string, members func(viewer, *scenario.Instance) []M) rule {
	return func(e *Emulator, c *call) (int, any, error) {
		return e.metadataAnswer(c, func(v viewer, in *scenario.Instance) (any, bool) {
			return map[string][]M{key: members(v, in)}, true
		})
	}
}

// member is a view that is one member of a collection.
type member interface{ memberID() string }

// memberView answers with the member of a collection whose ID is the path's {id}, or
// not_found naming the noun.
func memberView[M member](noun string, members func(viewer, *scenario.Instance) []M) rule {
	return func(e *Emulator, c *call) (int, any, error) {
		status, body, err := e.metadataAnswer(c, func(v viewer, in *scenario.Instance) (any, bool) {
			for _, m := range members(v, in) {
				if m.memberID() == c.id {
					return m, true
				}
			}
			return nil, false
		})
		if err == nil && body == nil {
			return 0, nil, errf(CodeNotFound, withValue(pathParam("id"), c.id), "%s not found.", noun)
		}
		return status, body, err
	}
}

// renderedAnswers keeps the metadata answers encoded for one state of the world: each update
// of the world replaces e.world (see Update), and with it every answer. A metadata read is
// then a token check and a copy, as cheap as a static file, however large the instance.
type renderedAnswers struct {
	world *scenario.Scenario
	m     map[renderKey]encodedJSON
}

// renderKey names one answer: the instance, the path (with the member ID) and the scheme the
// hrefs use.
type renderKey struct{ instance, path, scheme string }

// maxRendered bounds the answers kept for one world; a world's answers are few (one per
// collection and member of each instance), so the bound only matters against the unforeseen.
const maxRendered = 1024

// metadataAnswer renders the calling instance as it is now (not as the copy taken when the
// request arrived), through the cache of rendered answers. A nil answer with no error means
// render found nothing.
func (e *Emulator) metadataAnswer(c *call, render func(viewer, *scenario.Instance) (any, bool)) (int, any, error) {
	scheme := "http"
	if c.secure {
		scheme = "https"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.world.Instance(c.instance.ID)
	if cur == nil {
		return 0, nil, &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: errNoInstance}
	}
	if e.rendered.world != e.world || len(e.rendered.m) >= maxRendered {
		e.rendered = renderedAnswers{world: e.world, m: map[renderKey]encodedJSON{}}
	}
	key := renderKey{instance: cur.ID, path: c.path, scheme: scheme}
	if data, ok := e.rendered.m[key]; ok {
		return http.StatusOK, data, nil
	}
	body, found := render(metadataViewer(e.world, scheme), cur)
	if !found {
		return 0, nil, nil
	}
	data, err := encodeJSON(body)
	if err != nil {
		return 0, nil, &Error{Code: CodeServiceError, Message: "An internal error occurred.", Err: err}
	}
	e.rendered.m[key] = data
	return http.StatusOK, data, nil
}

// metadataWrongMethod answers a metadata or identity path called with another method: 404
// not_found, since the error-code page has no code for it and not_found is its code for what
// does not exist (here the method and path together). See the README's fidelity notes.
func metadataWrongMethod(method, path string, _ []string) error {
	return &Error{Code: CodeNotFound, Status: http.StatusNotFound,
		Message: fmt.Sprintf("The requested path %s was not found for the %s method.", path, method)}
}

// metadataUnknownQuery refuses a query parameter the operation does not take, as the
// error-code page says: "Used when an unknown query parameter or property is provided."
func metadataUnknownQuery(name, value string) error {
	return errf(CodeUnknownField, withValue(param(name), value), "Unknown parameter `%s` was specified in the query.", name)
}
