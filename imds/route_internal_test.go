package imds

import "testing"

func TestMatchPath(t *testing.T) {
	tests := []struct {
		name, pattern, path, param string
		ok                         bool
	}{
		{"ok/literal", "/metadata/v1/instance", "/metadata/v1/instance", "", true},
		{"ok/id", "/metadata/v1/keys/{id}", "/metadata/v1/keys/r006-1", "r006-1", true},
		{"ok/id-inside", "/v1/instances/{id}/actions", "/v1/instances/0727_x/actions", "0727_x", true},
		{"ok/rest", "/_emulator/{rest...}", "/_emulator/a/b", "a/b", true},
		{"ok/rest-empty", "/_emulator/{rest...}", "/_emulator/", "", true},
		{"fail/empty-id", "/metadata/v1/keys/{id}", "/metadata/v1/keys/", "", false},
		{"fail/nested-id", "/metadata/v1/keys/{id}", "/metadata/v1/keys/a/b", "", false},
		{"fail/trailing-slash", "/metadata/v1/instance", "/metadata/v1/instance/", "", false},
		{"fail/short", "/v1/instances/{id}/actions", "/v1/instances/x", "", false},
		{"fail/other-literal", "/v1/instances/{id}", "/v1/instance/templates", "", false},
		{"fail/relative", "/v1/instances/{id}", "v1/instances/x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHost(host{routes: []route{{method: "GET", pattern: tt.pattern}}})
			param, ok := matchPath(h.routes[0].segs, tt.path)
			if param != tt.param || ok != tt.ok {
				t.Errorf("got %q %v; want %q %v", param, ok, tt.param, tt.ok)
			}
		})
	}
}

// TestRoutesUnique: no two routes of a host take the same method and pattern, and every
// recorded route names its action once per operation.
func TestRoutesUnique(t *testing.T) {
	for name, h := range map[string]*host{"metadata": metadataHost, "vpc": vpcHost, "iam": iamHost, "emulator": emulatorHost} {
		seen := map[string]bool{}
		for _, rt := range h.routes {
			k := rt.method + " " + rt.pattern
			if seen[k] {
				t.Errorf("%s: %s twice", name, k)
			}
			seen[k] = true
			if rt.serve == nil {
				t.Errorf("%s: %s has no rule", name, k)
			}
		}
	}
}
