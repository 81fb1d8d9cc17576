package ibmcloud

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/tooltest"
)

// There is no real ibmcloud to record here: the oracle is the CLI's output as IBM's pages show
// it (../shared/reference, "Accessing the metadata service"). The table printer must
// reproduce those samples byte for byte from their cells, and the commands must print the
// sample's cells for the sample's instance.

const samplePage = "../../../../shared/reference/ibm-docs/instance_metadata_vpc_access_instance_metadata.md"

// sample returns the screen block that follows the line "$ COMMAND" on IBM's page, without
// the command line and its indentation.
func sample(t *testing.T, command string) []string {
	t.Helper()
	page, err := os.ReadFile(samplePage)
	if err != nil {
		t.Skipf("IBM's page is not beside the repository: %v", err)
	}
	_, rest, ok := strings.Cut(string(page), "    $ "+command+"\n")
	if !ok {
		t.Fatalf("no sample of %q in %s", command, samplePage)
	}
	block, _, _ := strings.Cut(rest, "    ```")
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "    "))
	}
	return lines
}

// cellSep separates the cells of the CLI's tables: a cell is padded to its column's widest
// cell and three spaces more.
var cellSep = regexp.MustCompile(`   +`)

// TestColumnsFollowIBMsListSample checks the list layout against IBM's sample of
// `ibmcloud is instances`: each column starts where the widest cell before it ends, plus three
// spaces. IBM edited three columns of that sample after printing it (shorter names, the padding
// kept), so there the sample is wider than the rule, and only those three may be.
func TestColumnsFollowIBMsListSample(t *testing.T) {
	lines := sample(t, "ibmcloud is instances")[1:] // after "Listing instances …"
	var rows [][]string
	for _, l := range lines {
		rows = append(rows, cellSep.Split(l, -1))
	}
	edited := map[string]bool{"Name": true, "Profile": true, "VPC": true}
	ours := columns(rows)
	for col := 0; col+1 < len(rows[0]); col++ {
		widest := 0
		for _, r := range rows {
			widest = max(widest, len(r[col]))
		}
		gap := func(l string) int { // where the next column starts after this one's start
			return strings.Index(l, rows[0][col+1]) - strings.Index(l, rows[0][col])
		}
		if got := gap(ours[0]); got != widest+3 {
			t.Errorf("column %q: ours is %d wide; want %d", rows[0][col], got, widest+3)
		}
		if got := gap(lines[0]); got != widest+3 && !edited[rows[0][col]] {
			t.Errorf("column %q: IBM's sample is %d wide; the rule says %d", rows[0][col], got, widest+3)
		}
	}
	for i, l := range ours {
		if got, want := cellSep.Split(l, -1), rows[i]; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("row %d: cells %q; want %q", i, got, want)
		}
	}
}

// detailFields reads a detail view back into fields: a label in the first column, and a value
// or a table beside it that ends with a blank line.
func detailFields(lines []string) []field {
	width := strings.Index(lines[0], "0727") // the value column of the sample's first line
	var fs []field
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		label, value := strings.TrimSpace(l[:width]), l[width:]
		if i+1 < len(lines) && lines[i+1] != "" && strings.TrimSpace(lines[i+1][:min(width, len(lines[i+1]))]) == "" {
			f := field{label: label}
			for ; i < len(lines) && lines[i] != ""; i++ {
				f.table = append(f.table, cellSep.Split(lines[i][width:], -1))
			}
			fs = append(fs, f)
			continue
		}
		fs = append(fs, field{label: label, value: value})
	}
	return fs
}

func TestPrintDetailReproducesIBMsSample(t *testing.T) {
	lines := sample(t, "ibmcloud is instance 0727_ed12480a-40a4-41a0-98e3-6dfac8b25ad6")[2:] // after the header and its blank line
	var b strings.Builder
	printDetail(&b, detailFields(lines))
	if got, want := b.String(), strings.Join(lines, "\n")+"\n"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// sampleInstance is the instance of IBM's sample as the VPC API returns it; its floating IP,
// 169.47.94.48, comes from the instance's network interfaces (sampleInterfaces), as the CLI
// reads it.
const sampleInstance = `{
 "id": "0727_ed12480a-40a4-41a0-98e3-6dfac8b25ad6", "name": "my-virtual-server-2",
 "crn": "crn:v1:bluemix:public:is:us-south-2:a/a1234567::instance:0727_ed12480a-40a4-41a0-98e3-6dfac8b25ad6",
 "status": "running", "availability_policy": {"host_failure": "restart"}, "confidential_compute_mode": "disabled",
 "enable_secure_boot": false, "startable": true, "profile": {"name": "bx2-2x8"},
 "vcpu": {"architecture": "amd64", "count": 2, "manufacturer": "intel"}, "memory": 8, "bandwidth": 4000,
 "total_volume_bandwidth": 1000, "total_network_bandwidth": 3000, "lifecycle_reasons": [], "lifecycle_state": "stable",
 "metadata_service": {"enabled": false, "protocol": "http", "response_hop_limit": 1},
 "image": {"id": "r006-aa2af291-45b3-4f18-801c-8b7985e928f7", "name": "ibm-ubuntu-24-04-6-minimal-amd64-3"},
 "numa_count": 1, "vpc": {"id": "r006-01030e3c-2663-4f7d-ac55-651929dafe37", "name": "my-test-vpc"},
 "zone": {"name": "us-south-2"}, "resource_group": {"id": "6edefe513d934fdd872e78ee6a8e73ef", "name": "defaults"},
 "created_at": "2025-03-06T19:24:02Z",
 "network_attachments": [{"id": "0727-a3ff4d3e-be95-4a52-8025-b55b3c3285ea", "name": "eth0",
   "primary_ip": {"address": "10.240.64.11"}, "subnet": {"id": "0727-f24237f5-bdf0-4b94-ab4c-167a44b8bcb5", "name": "my-subnet-01"},
   "virtual_network_interface": {"id": "0727-dda9244a-64b9-421b-87e9-70549a70b4c3"}}],
 "primary_network_attachment": {"id": "0727-a3ff4d3e-be95-4a52-8025-b55b3c3285ea"},
 "boot_volume_attachment": {"id": "0727-241f39a8-3573-4ebc-b512-33508eb970c9", "name": "undaunted-starved-slander-galleria",
   "volume": {"id": "r006-9afd6e01-0466-4e7b-a38b-75bf39469a42", "name": "eat-client-poc-boot-1741289020000"}},
 "reservation_affinity": {"policy": "automatic", "pool": []}, "health_state": "ok"}`

// sampleInterfaces is the sample instance's network interfaces, where the floating IP is.
const sampleInterfaces = `{"network_interfaces": [{"id": "0727-a3ff4d3e-be95-4a52-8025-b55b3c3285ea",
 "primary_ip": {"address": "10.240.64.11"}, "floating_ips": [{"address": "169.47.94.48"}]}]}`

// api answers the CLI's calls with the sample instance.
type api struct{}

func (api) RoundTrip(r *http.Request) (*http.Response, error) {
	const path = "/instances/0727_ed12480a-40a4-41a0-98e3-6dfac8b25ad6"
	body := `{"errors":[{"code":"not_found","message":"not found"}]}`
	switch {
	case strings.HasSuffix(r.URL.Path, path):
		body = sampleInstance
	case strings.HasSuffix(r.URL.Path, path+"/network_interfaces"):
		body = sampleInterfaces
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func TestInstanceMatchesIBMsSample(t *testing.T) {
	want := sample(t, "ibmcloud is instance 0727_ed12480a-40a4-41a0-98e3-6dfac8b25ad6")
	claims, _ := json.Marshal(map[string]any{"email": "test.user@ibm.com", "account": map[string]string{"bss": "a1234567"}})
	token := "e30." + base64.RawURLEncoding.EncodeToString(claims) + ".sig"
	now := func() time.Time { return time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC) }
	cli := &CLI{Transport: api{}, Now: now, State: &State{Token: token, Account: "Test Account"}}
	got := tooltest.Builtin(cli.Run, tooltest.Case{Args: []string{"ibmcloud", "is", "instance", "0727_ed12480a-40a4-41a0-98e3-6dfac8b25ad6"}}, now)
	if got.Status != 0 || got.Stderr != "" {
		t.Fatalf("status %d, stderr %q", got.Status, got.Stderr)
	}
	lines := strings.Split(strings.TrimSuffix(got.Stdout, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines; want %d:\n%s", len(lines), len(want), got.Stdout)
	}
	for i := range want {
		if g, w := lines[i], want[i]; g != w {
			t.Errorf("line %d: got %q; want %q", i+1, g, w)
		}
	}
}
