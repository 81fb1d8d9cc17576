package ibmcloud

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// flags parses an `ibmcloud is` command line: --name value, --name=value, boolean flags and
// positional arguments in any order.
type flags struct {
	pos  []string
	vals map[string]string
	set  map[string]bool
}

// parseFlags reads a command line whose flags with a value and boolean flags are named; the
// table it builds follows the CLI's spelling (builtin.GoFlag: -name or --name, =value or the
// next word) and its messages.
func parseFlags(args []string, withValue, boolean []string) (*flags, error) {
	f := &flags{vals: map[string]string{}, set: map[string]bool{}}
	var table []builtin.Option
	for _, n := range withValue {
		table = append(table, builtin.Option{Long: n, Value: func(v string) error {
			f.vals[n], f.set[n] = v, true
			return nil
		}})
	}
	for _, n := range boolean {
		table = append(table, builtin.Option{Long: n, Flag: func() { f.set[n] = true }})
	}
	pos, err := builtin.Parse(builtin.GoFlag, table, args)
	if u, ok := err.(*builtin.UsageError); ok {
		name, _, _ := strings.Cut(strings.TrimLeft(u.Word, "-"), "=")
		if u.Problem == builtin.NeedsValue {
			return nil, fmt.Errorf("flag needs an argument: -%s", name)
		}
		return nil, fmt.Errorf("flag provided but not defined: -%s", name)
	}
	f.pos = pos
	return f, nil
}

// quiet reports -q or --quiet.
func (f *flags) quiet() bool { return f.set["q"] || f.set["quiet"] }

// json reports --output json.
func (f *flags) json() bool { return strings.EqualFold(f.vals["output"], "json") }

// one reads the flags of a command that takes one argument (what it is, for the message); a nil
// result comes with the exit status of the refusal.
func (s *session) one(cmd string, args []string, what string, withValue, boolean []string) (*flags, int) {
	f, err := parseFlags(args, withValue, boolean)
	if err == nil && len(f.pos) != 1 {
		err = fmt.Errorf("the command requires %s", what)
	}
	if err != nil {
		return nil, s.usage(cmd, err)
	}
	return f, 0
}

func (s *session) usage(cmd string, err error) int {
	fmt.Fprintln(s.e.Stdout, "FAILED")
	fmt.Fprintf(s.e.Stderr, "Incorrect Usage: %v\n", err)
	fmt.Fprintf(s.e.Stderr, "Enter 'ibmcloud is %s -h' for more information.\n", cmd)
	return 1
}

type ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	CRN  string `json:"crn"`
}

type instance struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	CRN                string `json:"crn"`
	Status             string `json:"status"`
	AvailabilityPolicy struct {
		HostFailure string `json:"host_failure"`
	} `json:"availability_policy"`
	ConfidentialComputeMode string `json:"confidential_compute_mode"`
	EnableSecureBoot        bool   `json:"enable_secure_boot"`
	Startable               bool   `json:"startable"`
	Profile                 ref    `json:"profile"`
	Vcpu                    struct {
		Architecture string `json:"architecture"`
		Count        int    `json:"count"`
		Manufacturer string `json:"manufacturer"`
	} `json:"vcpu"`
	Memory                int `json:"memory"`
	Bandwidth             int `json:"bandwidth"`
	TotalVolumeBandwidth  int `json:"total_volume_bandwidth"`
	TotalNetworkBandwidth int `json:"total_network_bandwidth"`
	LifecycleReasons      []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"lifecycle_reasons"`
	LifecycleState  string `json:"lifecycle_state"`
	MetadataService struct {
		Enabled          bool   `json:"enabled"`
		Protocol         string `json:"protocol"`
		ResponseHopLimit int    `json:"response_hop_limit"`
	} `json:"metadata_service"`
	Image         *ref   `json:"image"`
	NumaCount     int    `json:"numa_count"`
	VPC           ref    `json:"vpc"`
	Zone          ref    `json:"zone"`
	ResourceGroup ref    `json:"resource_group"`
	CreatedAt     string `json:"created_at"`
	Attachments   []struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		PrimaryIP struct {
			Address string `json:"address"`
		} `json:"primary_ip"`
		Subnet ref `json:"subnet"`
		VNI    ref `json:"virtual_network_interface"`
	} `json:"network_attachments"`
	PrimaryAttachment *struct {
		ID string `json:"id"`
	} `json:"primary_network_attachment"`
	Interfaces []struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		PrimaryIP struct {
			Address string `json:"address"`
		} `json:"primary_ip"`
		Subnet ref `json:"subnet"`
	} `json:"network_interfaces"`
	PrimaryInterface *struct {
		ID        string `json:"id"`
		PrimaryIP struct {
			Address string `json:"address"`
		} `json:"primary_ip"`
	} `json:"primary_network_interface"`
	BootVolume *struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Volume *ref   `json:"volume"`
	} `json:"boot_volume_attachment"`
	ReservationAffinity struct {
		Policy string `json:"policy"`
		Pool   []ref  `json:"pool"`
	} `json:"reservation_affinity"`
	Reservation *ref   `json:"reservation"`
	HealthState string `json:"health_state"`
}

// cliTime prints API times the way the CLI does: 2025-03-06T19:24:02+00:00.
func cliTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02T15:04:05-07:00")
}

func boolStr(b bool) string { return strconv.FormatBool(b) }

// floatingIPs maps the primary addresses of an instance's interfaces to their floating IPs,
// read from its network interfaces as the CLI does (an instance with network attachments
// shows them as interfaces too, with the same addresses). A caller that may not read them
// sees none.
func (s *session) floatingIPs(id string) map[string]string {
	status, data, err := s.request("GET", "/instances/"+url.PathEscape(id)+"/network_interfaces", nil, nil)
	fips := map[string]string{}
	if err != nil || status != 200 {
		return fips
	}
	var list struct {
		NetworkInterfaces []struct {
			PrimaryIP struct {
				Address string `json:"address"`
			} `json:"primary_ip"`
			FloatingIPs []struct {
				Address string `json:"address"`
			} `json:"floating_ips"`
		} `json:"network_interfaces"`
	}
	json.Unmarshal(data, &list)
	for _, n := range list.NetworkInterfaces {
		if len(n.FloatingIPs) > 0 {
			fips[n.PrimaryIP.Address] = n.FloatingIPs[0].Address
		}
	}
	return fips
}

func instanceFields(in *instance, fips map[string]string) []field {
	reasons := [][]string{{"Code", "Message"}}
	for _, r := range in.LifecycleReasons {
		reasons = append(reasons, []string{r.Code, r.Message})
	}
	if len(reasons) == 1 {
		reasons = append(reasons, []string{"-", "-"})
	}
	fs := []field{
		{label: "ID", value: in.ID},
		{label: "Name", value: in.Name},
		{label: "CRN", value: in.CRN},
		{label: "Status", value: in.Status},
		{label: "Availability policy on host failure", value: in.AvailabilityPolicy.HostFailure},
		{label: "Confidential Compute Mode", value: in.ConfidentialComputeMode},
		{label: "Enable Secure Boot", value: boolStr(in.EnableSecureBoot)},
		{label: "Startable", value: boolStr(in.Startable)},
		{label: "Profile", value: in.Profile.Name},
		{label: "Architecture", value: in.Vcpu.Architecture},
		{label: "vCPU Manufacturer", value: in.Vcpu.Manufacturer},
		{label: "vCPUs", value: strconv.Itoa(in.Vcpu.Count)},
		{label: "Memory(GiB)", value: strconv.Itoa(in.Memory)},
		{label: "Bandwidth(Mbps)", value: strconv.Itoa(in.Bandwidth)},
		{label: "Volume bandwidth(Mbps)", value: strconv.Itoa(in.TotalVolumeBandwidth)},
		{label: "Network bandwidth(Mbps)", value: strconv.Itoa(in.TotalNetworkBandwidth)},
		{label: "Lifecycle Reasons", table: reasons},
		{label: "Lifecycle State", value: in.LifecycleState},
		{label: "Metadata service", table: [][]string{
			{"Enabled", "Protocol", "Response hop limit"},
			{boolStr(in.MetadataService.Enabled), dash(in.MetadataService.Protocol), strconv.Itoa(in.MetadataService.ResponseHopLimit)},
		}},
	}
	if in.Image != nil {
		fs = append(fs, field{label: "Image", table: [][]string{{"ID", "Name"}, {dash(in.Image.ID), dash(in.Image.Name)}}})
	}
	numa := "-"
	if in.NumaCount > 0 {
		numa = strconv.Itoa(in.NumaCount)
	}
	fs = append(fs,
		field{label: "Numa Count", value: numa},
		field{label: "VPC", table: [][]string{{"ID", "Name"}, {dash(in.VPC.ID), dash(in.VPC.Name)}}},
		field{label: "Zone", value: in.Zone.Name},
		field{label: "Resource group", table: [][]string{{"ID", "Name"}, {dash(in.ResourceGroup.ID), dash(in.ResourceGroup.Name)}}},
		field{label: "Created", value: cliTime(in.CreatedAt)},
	)
	fs = append(fs, networkFields(in, fips)...)
	if b := in.BootVolume; b != nil {
		vid, vname := "-", "PROVISIONING"
		if b.Volume != nil {
			vid, vname = dash(b.Volume.ID), dash(b.Volume.Name)
		}
		fs = append(fs, field{label: "Boot volume", table: [][]string{{"ID", "Name", "Attachment ID", "Attachment name"}, {vid, vname, dash(b.ID), dash(b.Name)}}})
	}
	pool := "-"
	if len(in.ReservationAffinity.Pool) > 0 {
		pool = in.ReservationAffinity.Pool[0].ID
	}
	res := "-"
	if in.Reservation != nil {
		res = in.Reservation.ID
	}
	fs = append(fs,
		field{label: "Reservation Affinity Policy", value: in.ReservationAffinity.Policy},
		field{label: "Reservation Affinity Pool", value: pool},
		field{label: "Reservation", value: res},
		field{label: "Health State", value: in.HealthState},
	)
	return fs
}

// networkFields are the instance's network attachments, or its older network interfaces.
func networkFields(in *instance, fips map[string]string) []field {
	var fs []field
	if len(in.Attachments) > 0 {
		t := [][]string{{"Interface", "Name", "ID", "Subnet", "Subnet ID", "Floating IP", "VNI", "Reserved IP"}}
		for _, a := range in.Attachments {
			kind := "Secondary"
			if in.PrimaryAttachment != nil && in.PrimaryAttachment.ID == a.ID {
				kind = "Primary"
			}
			t = append(t, []string{kind, a.Name, a.ID, dash(a.Subnet.Name), dash(a.Subnet.ID), dash(fips[a.PrimaryIP.Address]), dash(a.VNI.ID), dash(a.PrimaryIP.Address)})
		}
		fs = append(fs, field{label: "Network Attachments", table: t})
	} else if len(in.Interfaces) > 0 {
		t := [][]string{{"Interface", "Name", "ID", "Subnet", "Subnet ID", "Floating IP", "Security Groups", "Allow source IP spoofing", "Reserved IP"}}
		for _, a := range in.Interfaces {
			kind := "Secondary"
			if in.PrimaryInterface != nil && in.PrimaryInterface.ID == a.ID {
				kind = "Primary"
			}
			t = append(t, []string{kind, a.Name, a.ID, dash(a.Subnet.Name), dash(a.Subnet.ID), dash(fips[a.PrimaryIP.Address]), "-", "false", dash(a.PrimaryIP.Address)})
		}
		fs = append(fs, field{label: "Network Interfaces", table: t})
	}
	return fs
}

var idLike = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([0-9a-z]{4}[_-])?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
})

// findInstance resolves a name or ID the way the CLI does: IDs directly, names by listing.
func (s *session) findInstance(nameOrID string, out *json.RawMessage) bool {
	if idLike().MatchString(nameOrID) {
		return s.call("GET", "/instances/"+url.PathEscape(nameOrID), nil, nil, out)
	}
	var list struct {
		Instances []json.RawMessage `json:"instances"`
	}
	if !s.call("GET", "/instances", url.Values{"name": {nameOrID}}, nil, &list) {
		return false
	}
	for _, raw := range list.Instances {
		var in instance
		if json.Unmarshal(raw, &in) == nil && in.Name == nameOrID {
			*out = raw
			return true
		}
	}
	failed(s.e, fmt.Sprintf("Instance not found by name or ID: %s", nameOrID))
	return false
}

// show prints an instance (or its JSON with --output json), with its floating IPs by primary
// address.
func (s *session) show(raw json.RawMessage, jsonOut bool, fips map[string]string) int {
	return showDetail(s, raw, jsonOut, func(in *instance) []field { return instanceFields(in, fips) })
}

// showDetail prints an API object's detail view (or its JSON with --output json).
func showDetail[T any](s *session, raw json.RawMessage, jsonOut bool, fields func(*T) []field) int {
	if jsonOut {
		return s.printJSON(raw)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return failed(s.e, "Unexpected response: "+err.Error())
	}
	printDetail(s.e.Stdout, fields(&v))
	return 0
}

func (s *session) printJSON(raw []byte) int {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return failed(s.e, "Unexpected response: "+err.Error())
	}
	b, _ := json.MarshalIndent(v, "", "    ")
	fmt.Fprintf(s.e.Stdout, "%s\n", b)
	return 0
}

func (s *session) say(quiet bool, format string, args ...any) {
	if !quiet {
		fmt.Fprintf(s.e.Stdout, format+" %s...\n\n", append(args, s.who())...)
	}
}

var common = []string{"q", "quiet"}

// is dispatches `ibmcloud is COMMAND`.
func (s *session) is(cmd string, args []string) int {
	switch cmd {
	case "instance", "in":
		f, code := s.one(cmd, args, "an INSTANCE argument (name or ID)", []string{"output"}, common)
		if f == nil {
			return code
		}
		jsonOut := f.json()
		s.say(f.quiet() || jsonOut, "Getting instance %s", f.pos[0])
		var raw json.RawMessage
		if !s.findInstance(f.pos[0], &raw) {
			return 1
		}
		var fips map[string]string
		if !jsonOut {
			fips = s.floatingIPs(idOf(raw))
		}
		return s.show(raw, jsonOut, fips)
	case "instances", "ins":
		return s.instances(cmd, args)
	case "instance-update", "inu":
		return s.update(cmd, args)
	case "instance-create", "inc":
		return s.create(cmd, args)
	case "instance-create-from-template", "incft":
		return s.createFromTemplate(cmd, args)
	case "instance-start", "instance-stop", "instance-reboot", "instance-restart", "ins-start", "ins-stop":
		return s.action(cmd, args)
	case "instance-templates", "itps":
		return s.templates(cmd, args)
	case "instance-template", "itp":
		return s.template(cmd, args)
	case "instance-template-create", "itpc":
		return s.templateCreate(cmd, args)
	}
	fmt.Fprintln(s.e.Stdout, "FAILED")
	fmt.Fprintf(s.e.Stderr, "'%s' is not a registered command. Check your command or enter 'ibmcloud is' to see the commands available in this emulator.\n", cmd)
	return 1
}

// listing is the start of a list command: its flags, the "Listing …" line, and the API's list
// of what, printed as JSON with --output json. done is an exit status when the command is
// over, -1 when the caller goes on to print the table.
func (s *session) listing(cmd string, args []string, what, path string, query url.Values, withValue []string, boolean ...string) ([]json.RawMessage, int) {
	f, err := parseFlags(args, withValue, append(boolean, common...))
	if err != nil {
		return nil, s.usage(cmd, err)
	}
	if !f.quiet() && !f.json() {
		fmt.Fprintf(s.e.Stdout, "Listing %s in all resource groups and region %s %s...\n", what, s.reg, s.who())
	}
	var page map[string]json.RawMessage // the list and the paging fields beside it
	if !s.call("GET", path, query, nil, &page) {
		return nil, 1
	}
	var list []json.RawMessage
	json.Unmarshal(page[map[string]string{"instances": "instances", "instance templates": "templates"}[what]], &list)
	if f.json() {
		b, _ := json.Marshal(list)
		return nil, s.printJSON(b)
	}
	return list, -1
}

// instances lists the instances as a table (or their JSON with --output json).
func (s *session) instances(cmd string, args []string) int {
	raws, done := s.listing(cmd, args, "instances", "/instances", url.Values{"limit": {"100"}},
		[]string{"output", "resource-group-id", "resource-group-name", "vpc"}, "all-resource-groups")
	if done >= 0 {
		return done
	}
	rows := [][]string{{"ID", "Name", "Status", "Reserved IP", "Floating IP", "Profile", "Image", "VPC", "Zone", "Confidential Compute Mode", "Enable Secure Boot", "Resource group", "Reservation Name", "Cluster Network ID", "Cluster Network Name", "Cluster Network Attachments"}}
	for _, raw := range raws {
		var in instance
		json.Unmarshal(raw, &in)
		ip := "-"
		if in.PrimaryInterface != nil && in.PrimaryInterface.PrimaryIP.Address != "" {
			ip = in.PrimaryInterface.PrimaryIP.Address
		} else if len(in.Attachments) > 0 {
			ip = dash(in.Attachments[0].PrimaryIP.Address)
		}
		img := "-"
		if in.Image != nil {
			img = dash(in.Image.Name)
		}
		rows = append(rows, []string{in.ID, in.Name, in.Status, ip, dash(s.floatingIPs(in.ID)[ip]), in.Profile.Name, img, dash(in.VPC.Name), in.Zone.Name,
			dash(in.ConfidentialComputeMode), boolStr(in.EnableSecureBoot), dash(in.ResourceGroup.Name), "-", "-", "-", "-"})
	}
	if len(rows) == 1 {
		fmt.Fprintln(s.e.Stdout, "No instances were found.")
		return 0
	}
	printTable(s.e.Stdout, rows)
	return 0
}

// metadataFlags turns the --metadata-service* flags into the API's metadata_service object.
func metadataFlags(f *flags) (map[string]any, error) {
	ms := map[string]any{}
	if v, ok := f.vals["metadata-service"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("invalid value for --metadata-service: %q (true or false)", v)
		}
		ms["enabled"] = b
	}
	if v, ok := f.vals["metadata-service-protocol"]; ok {
		ms["protocol"] = v
	}
	if v, ok := f.vals["metadata-service-response-hop-limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("invalid value for --metadata-service-response-hop-limit: %q", v)
		}
		ms["response_hop_limit"] = n
	}
	if len(ms) == 0 {
		return nil, nil
	}
	return ms, nil
}

var metadataFlagNames = []string{"metadata-service", "metadata-service-protocol", "metadata-service-response-hop-limit"}

func (s *session) update(cmd string, args []string) int {
	f, code := s.one(cmd, args, "an INSTANCE argument", append([]string{"name", "output", "profile"}, metadataFlagNames...), append([]string{"force", "f"}, common...))
	if f == nil {
		return code
	}
	patch := map[string]any{}
	ms, err := metadataFlags(f)
	if err != nil {
		return s.usage(cmd, err)
	}
	if ms != nil {
		patch["metadata_service"] = ms
	}
	if v, ok := f.vals["name"]; ok {
		patch["name"] = v
	}
	if v, ok := f.vals["profile"]; ok {
		patch["profile"] = map[string]string{"name": v}
	}
	jsonOut := f.json()
	s.say(f.quiet() || jsonOut, "Updating instance %s", f.pos[0])
	var cur json.RawMessage
	if !s.findInstance(f.pos[0], &cur) {
		return 1
	}
	id := idOf(cur)
	// An update leaves the floating IPs as they are; read them first, so that the update is
	// the last call, as it is the CLI's point.
	var fips map[string]string
	if !jsonOut {
		fips = s.floatingIPs(id)
	}
	var raw json.RawMessage
	if !s.call("PATCH", "/instances/"+url.PathEscape(id), nil, patch, &raw) {
		return 1
	}
	return s.show(raw, jsonOut, fips)
}

// idOf is the id of an instance's JSON.
func idOf(raw json.RawMessage) string {
	var in instance
	json.Unmarshal(raw, &in)
	return in.ID
}

func (s *session) create(cmd string, args []string) int {
	raw, jsonOut, code := s.createFrom(cmd, args, "INSTANCE_NAME", "instance", "/instances", "resource-group-name", "boot-volume")
	if code >= 0 {
		return code
	}
	return s.show(raw, jsonOut, nil) // a new instance has no floating IP
}

// createFrom parses the arguments instance-create and instance-template-create share (NAME VPC
// ZONE_NAME PROFILE_NAME SUBNET and the common flags, plus extra flags), and POSTs the prototype
// to path. It returns the answer, whether JSON output was asked for, and -1, or an exit code
// when the command is over.
func (s *session) createFrom(cmd string, args []string, nameArg, what, path string, extra ...string) (json.RawMessage, bool, int) {
	names := []string{"image-id", "image", "keys", "key", "user-data", "resource-group-id",
		"default-trusted-profile", "default-trusted-profile-auto-link", "output", "placement-group"}
	f, err := parseFlags(args, append(append(names, extra...), metadataFlagNames...), common)
	if err != nil {
		return nil, false, s.usage(cmd, err)
	}
	if len(f.pos) != 5 {
		return nil, false, s.usage(cmd, fmt.Errorf("the command requires %s VPC ZONE_NAME PROFILE_NAME SUBNET arguments, got %d", nameArg, len(f.pos)))
	}
	name, vpc, zone, profile, subnet := f.pos[0], f.pos[1], f.pos[2], f.pos[3], f.pos[4]
	proto := map[string]any{
		"name":                      name,
		"vpc":                       map[string]string{"id": vpc},
		"zone":                      map[string]string{"name": zone},
		"profile":                   map[string]string{"name": profile},
		"primary_network_interface": map[string]any{"subnet": map[string]string{"id": subnet}},
	}
	if err := s.common(f, proto); err != nil {
		return nil, false, s.usage(cmd, err)
	}
	jsonOut := f.json()
	s.say(f.quiet() || jsonOut, "Creating %s %s", what, name)
	var raw json.RawMessage
	if !s.call("POST", path, nil, proto, &raw) {
		return nil, false, 1
	}
	return raw, jsonOut, -1
}

// common adds the flags instance-create and instance-template-create share.
func (s *session) common(f *flags, proto map[string]any) error {
	image := f.vals["image-id"]
	if image == "" {
		image = f.vals["image"]
	}
	if image != "" {
		proto["image"] = map[string]string{"id": image}
	}
	keys := f.vals["keys"]
	if keys == "" {
		keys = f.vals["key"]
	}
	if keys != "" {
		var list []map[string]string
		for _, k := range strings.Split(keys, ",") {
			list = append(list, map[string]string{"id": strings.TrimSpace(k)})
		}
		proto["keys"] = list
	}
	if v, ok := f.vals["user-data"]; ok {
		proto["user_data"] = v
	}
	if v, ok := f.vals["resource-group-id"]; ok {
		proto["resource_group"] = map[string]string{"id": v}
	}
	if v, ok := f.vals["placement-group"]; ok {
		proto["placement_target"] = map[string]string{"id": v}
	}
	ms, err := metadataFlags(f)
	if err != nil {
		return err
	}
	if ms != nil {
		proto["metadata_service"] = ms
	}
	if p, ok := f.vals["default-trusted-profile"]; ok {
		target := map[string]string{"id": p}
		if strings.HasPrefix(p, "crn:") {
			target = map[string]string{"crn": p}
		}
		dtp := map[string]any{"target": target}
		if v, ok := f.vals["default-trusted-profile-auto-link"]; ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("invalid value for --default-trusted-profile-auto-link: %q (true or false)", v)
			}
			dtp["auto_link"] = b
		}
		proto["default_trusted_profile"] = dtp
	} else if _, ok := f.vals["default-trusted-profile-auto-link"]; ok {
		return fmt.Errorf("--default-trusted-profile-auto-link needs --default-trusted-profile")
	}
	return nil
}

func (s *session) createFromTemplate(cmd string, args []string) int {
	f, err := parseFlags(args, append([]string{"template-id", "template-name", "name", "output", "keys", "image-id", "user-data"}, metadataFlagNames...), common)
	if err != nil {
		return s.usage(cmd, err)
	}
	tmpl := f.vals["template-id"]
	if tmpl == "" && f.vals["template-name"] == "" {
		return s.usage(cmd, fmt.Errorf("one of --template-id or --template-name is required"))
	}
	proto := map[string]any{}
	if tmpl != "" {
		proto["source_template"] = map[string]string{"id": tmpl}
	} else {
		var list struct {
			Templates []ref `json:"templates"`
		}
		if !s.call("GET", "/instance/templates", nil, nil, &list) {
			return 1
		}
		for _, t := range list.Templates {
			if t.Name == f.vals["template-name"] {
				proto["source_template"] = map[string]string{"id": t.ID}
			}
		}
		if proto["source_template"] == nil {
			return failed(s.e, "Instance template not found: "+f.vals["template-name"])
		}
	}
	if v, ok := f.vals["name"]; ok {
		proto["name"] = v
	}
	if err := s.common(f, proto); err != nil {
		return s.usage(cmd, err)
	}
	jsonOut := f.json()
	label := f.vals["name"]
	if label == "" {
		label = "from template " + tmpl
	}
	s.say(f.quiet() || jsonOut, "Creating instance %s", label)
	var raw json.RawMessage
	if !s.call("POST", "/instances", nil, proto, &raw) {
		return 1
	}
	return s.show(raw, jsonOut, nil) // a new instance has no floating IP
}

func (s *session) action(cmd string, args []string) int {
	f, code := s.one(cmd, args, "an INSTANCE argument", []string{"output"}, append([]string{"force", "f", "no-wait"}, common...))
	if f == nil {
		return code
	}
	kind := strings.TrimPrefix(strings.TrimPrefix(cmd, "instance-"), "ins-")
	if kind == "restart" {
		kind = "reboot"
	}
	if kind != "start" && !f.set["force"] && !f.set["f"] {
		fmt.Fprintf(s.e.Stdout, "This will %s instance %s. Continue?  [y/N] ", kind, f.pos[0])
		line, _ := s.e.Lines().ReadString('\n')
		fmt.Fprintln(s.e.Stdout)
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(s.e.Stdout, "Operation cancelled. (Use -f to skip the question.)")
			return 1
		}
	}
	var cur json.RawMessage
	if !s.findInstance(f.pos[0], &cur) {
		return 1
	}
	var in instance
	json.Unmarshal(cur, &in)
	verb := map[string]string{"start": "Starting", "stop": "Stopping", "reboot": "Rebooting"}[kind]
	s.say(f.quiet(), "%s instance %s", verb, f.pos[0])
	body := map[string]any{"type": kind}
	if f.set["force"] || f.set["f"] {
		body["force"] = true
	}
	var act struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		Status    string `json:"status"`
		Force     bool   `json:"force"`
		CreatedAt string `json:"created_at"`
	}
	var raw json.RawMessage
	if !s.call("POST", "/instances/"+url.PathEscape(in.ID)+"/actions", nil, body, &raw) {
		return 1
	}
	if f.json() {
		return s.printJSON(raw)
	}
	json.Unmarshal(raw, &act)
	printDetail(s.e.Stdout, []field{
		{label: "ID", value: act.ID}, {label: "Type", value: act.Type}, {label: "Status", value: act.Status},
		{label: "Force", value: boolStr(act.Force)}, {label: "Created", value: cliTime(act.CreatedAt)},
	})
	return 0
}

type template struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	CRN             string `json:"crn"`
	CreatedAt       string `json:"created_at"`
	Profile         ref    `json:"profile"`
	Zone            ref    `json:"zone"`
	VPC             *ref   `json:"vpc"`
	Image           *ref   `json:"image"`
	Keys            []ref  `json:"keys"`
	ResourceGroup   ref    `json:"resource_group"`
	MetadataService struct {
		Enabled          bool   `json:"enabled"`
		Protocol         string `json:"protocol"`
		ResponseHopLimit int    `json:"response_hop_limit"`
	} `json:"metadata_service"`
	DefaultTrustedProfile *struct {
		AutoLink bool `json:"auto_link"`
		Target   ref  `json:"target"`
	} `json:"default_trusted_profile"`
}

func (s *session) templates(cmd string, args []string) int {
	raws, done := s.listing(cmd, args, "instance templates", "/instance/templates", nil, []string{"output", "resource-group-id"})
	if done >= 0 {
		return done
	}
	rows := [][]string{{"ID", "Name", "Profile", "Zone", "Metadata service", "Resource group", "Created"}}
	for _, raw := range raws {
		var t template
		json.Unmarshal(raw, &t)
		rows = append(rows, []string{t.ID, t.Name, t.Profile.Name, t.Zone.Name, boolStr(t.MetadataService.Enabled), dash(t.ResourceGroup.Name), cliTime(t.CreatedAt)})
	}
	if len(rows) == 1 {
		fmt.Fprintln(s.e.Stdout, "No instance templates were found.")
		return 0
	}
	printTable(s.e.Stdout, rows)
	return 0
}

func templateFields(t *template) []field {
	fs := []field{
		{label: "ID", value: t.ID}, {label: "Name", value: t.Name}, {label: "CRN", value: t.CRN},
		{label: "Profile", value: t.Profile.Name}, {label: "Zone", value: t.Zone.Name},
	}
	if t.VPC != nil {
		fs = append(fs, field{label: "VPC", value: t.VPC.ID})
	}
	if t.Image != nil {
		fs = append(fs, field{label: "Image", value: t.Image.ID})
	}
	var keys []string
	for _, k := range t.Keys {
		keys = append(keys, k.ID)
	}
	fs = append(fs,
		field{label: "Keys", value: strings.Join(keys, ",")},
		field{label: "Metadata service", table: [][]string{
			{"Enabled", "Protocol", "Response hop limit"},
			{boolStr(t.MetadataService.Enabled), dash(t.MetadataService.Protocol), strconv.Itoa(t.MetadataService.ResponseHopLimit)},
		}},
	)
	if d := t.DefaultTrustedProfile; d != nil {
		target := d.Target.ID
		if target == "" {
			target = d.Target.CRN
		}
		fs = append(fs, field{label: "Default trusted profile", table: [][]string{{"Target", "Auto link"}, {target, boolStr(d.AutoLink)}}})
	}
	fs = append(fs,
		field{label: "Resource group", table: [][]string{{"ID", "Name"}, {dash(t.ResourceGroup.ID), dash(t.ResourceGroup.Name)}}},
		field{label: "Created", value: cliTime(t.CreatedAt)},
	)
	return fs
}

func (s *session) showTemplate(raw json.RawMessage, jsonOut bool) int {
	return showDetail(s, raw, jsonOut, templateFields)
}

func (s *session) template(cmd string, args []string) int {
	f, code := s.one(cmd, args, "a TEMPLATE argument", []string{"output"}, common)
	if f == nil {
		return code
	}
	jsonOut := f.json()
	s.say(f.quiet() || jsonOut, "Getting instance template %s", f.pos[0])
	var raw json.RawMessage
	id := f.pos[0]
	if !idLike().MatchString(id) {
		var list struct {
			Templates []ref `json:"templates"`
		}
		if !s.call("GET", "/instance/templates", nil, nil, &list) {
			return 1
		}
		for _, t := range list.Templates {
			if t.Name == id {
				id = t.ID
			}
		}
	}
	if !s.call("GET", "/instance/templates/"+url.PathEscape(id), nil, nil, &raw) {
		return 1
	}
	return s.showTemplate(raw, jsonOut)
}

func (s *session) templateCreate(cmd string, args []string) int {
	raw, jsonOut, code := s.createFrom(cmd, args, "TEMPLATE_NAME", "instance template", "/instance/templates")
	if code >= 0 {
		return code
	}
	return s.showTemplate(raw, jsonOut)
}
