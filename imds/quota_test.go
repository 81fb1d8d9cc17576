package imds_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// TestQuotas: the VPC API creates at most 100 instances and 100 instance templates, and
// answers IBM's over_quota past them without changing the world. Before, the public operator
// key could grow the world without bound (1,300 templates of 63 KB of user data: 86 MB).
func TestQuotas(t *testing.T) {
	e, _ := newEmu(t, nil)
	userData := strings.Repeat("#", 60<<10)
	for _, tc := range []struct{ path, body, kind string }{
		{"/v1/instance/templates", `{"name": "t-%d", "user_data": "` + userData + `", "image": {"id": "` + scenario.DefaultImageID + `"}, "zone": {"name": "us-south-2"}, "primary_network_interface": {"subnet": {"id": "` + scenario.DefaultSubnetID + `"}}}`, "instance templates"},
		{"/v1/instances", `{"name": "i-%d", "user_data": "` + userData + `", "image": {"id": "` + scenario.DefaultImageID + `"}, "zone": {"name": "us-south-2"}, "primary_network_interface": {"subnet": {"id": "` + scenario.DefaultSubnetID + `"}}}`, "instances"},
	} {
		created := 0
		for i := range 200 {
			status, body := vpcCall(t, e, "POST", tc.path, fmt.Sprintf(tc.body, i))
			if status == 201 {
				created++
				continue
			}
			before := e.Scenario()
			wantError(t, status, body, 400, "over_quota", "")
			if !strings.Contains(string(body), "quota of 100 "+tc.kind) {
				t.Errorf("%s: %s", tc.path, body)
			}
			status, _ = vpcCall(t, e, "POST", tc.path, fmt.Sprintf(tc.body, i+1000))
			if after := e.Scenario(); status != 400 || len(after.Instances) != len(before.Instances) || len(after.Templates) != len(before.Templates) {
				t.Errorf("%s: a create past the quota answered %d and changed the world", tc.path, status)
			}
			break
		}
		w := e.Scenario()
		if n := map[string]int{"instances": len(w.Instances), "instance templates": len(w.Templates)}[tc.kind]; n != 100 {
			t.Errorf("%s: the world holds %d %s after %d creates; want the quota, 100", tc.path, n, tc.kind, created)
		}
	}
}
