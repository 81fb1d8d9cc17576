package shell_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/shell"
)

// The proof of issue 3: every command block of the reference pages runs verbatim, in page
// order, one session per place, and its outcome is checked. The blocks are read from the
// pages at test time (see readBlocks); this file only says what each one must do and why.
// Many documented commands fail when pasted as printed — a missing space before a line
// continuation, a backtick for a quote, a placeholder, IDs from IBM's example account — and
// the emulator must fail the same way; where a block has placeholders, a variant with the
// scenario's values shows the command working.

// placeOf picks where a documented block runs: the ibmcloud CLI and the VPC API calls
// ($vpc_api_endpoint) on the workstation, everything else (the metadata service) on the
// instance.
func placeOf(cmd string) imds.Place {
	if strings.Contains(cmd, "ibmcloud ") || strings.Contains(cmd, "$vpc_api_endpoint") {
		return imds.OnWorkstation
	}
	return imds.OnInstance
}

// pageRun is one run of a reference page.
type pageRun struct {
	name  string
	page  string
	setup func(t *testing.T, w *world) // before the first block
	wants []want
}

// want is what one block of the page must do.
type want struct {
	n      int    // the block's ordinal among the page's fences
	has    string // text the block contains, so that a changed page fails loudly
	skip   string // why the block is not run
	why    string // why the outcome is what it is, when it is a failure
	status int
	checks []check
	// variant re-runs the block with these replacements (placeholders → the scenario's
	// values) and expects variantWant.
	variant     []string
	variantWant *want
}

type check func(t *testing.T, r result, c *pageCtx)

// pageCtx is the state of a page run, for checks.
type pageCtx struct {
	w     *world
	block docBlock
}

func (c *pageCtx) session(place imds.Place) *shell.Session {
	if place == imds.OnWorkstation {
		return c.w.ws
	}
	return c.w.inst
}

func TestDocumentedCommands(t *testing.T) {
	ref := referenceDir(t)
	for _, pr := range pageRuns() {
		t.Run(pr.name, func(t *testing.T) {
			w := newWorld(t)
			if pr.setup != nil {
				pr.setup(t, w)
			}
			byN := map[int]want{}
			for _, wt := range pr.wants {
				byN[wt.n] = wt
			}
			seen := map[int]bool{}
			for _, b := range readBlocks(t, filepath.Join(ref, pr.page)) {
				if b.cmd == "" {
					if _, ok := byN[b.n]; ok {
						t.Errorf("block #%d (line %d) is sample output, but has an expectation", b.n, b.line)
					}
					continue
				}
				wt, ok := byN[b.n]
				if !ok {
					t.Errorf("block #%d (line %d) has no expectation:\n%s", b.n, b.line, b.cmd)
					continue
				}
				seen[b.n] = true
				if !strings.Contains(b.text, wt.has) {
					t.Errorf("block #%d (line %d) no longer contains %q; the page changed:\n%s", b.n, b.line, wt.has, b.text)
					continue
				}
				name := fmt.Sprintf("%02d_line%d", b.n, b.line)
				if wt.skip != "" {
					t.Logf("block #%d (line %d) not run: %s", b.n, b.line, wt.skip)
				} else {
					t.Run(name, func(t *testing.T) { runBlock(t, w, b, b.cmd, wt) })
				}
				if wt.variant != nil {
					cmd := strings.NewReplacer(wt.variant...).Replace(b.cmd)
					t.Run(name+"_variant", func(t *testing.T) { runBlock(t, w, b, cmd, *wt.variantWant) })
				}
			}
			for n := range byN {
				if !seen[n] {
					t.Errorf("expectation for block #%d matches no command block of %s", n, pr.page)
				}
			}
		})
	}
}

func runBlock(t *testing.T, w *world, b docBlock, cmd string, wt want) {
	t.Helper()
	c := &pageCtx{w: w, block: b}
	s := c.session(placeOf(cmd))
	r := run(t, s, cmd)
	label := "#" + strconv.Itoa(b.n) + " (line " + strconv.Itoa(b.line) + ", " + string(s.Place()) + ")"
	if r.status != wt.status {
		t.Errorf("%s: status %d, want %d\n$ %s\n%v", label, r.status, wt.status, cmd, r)
		return
	}
	for _, ch := range wt.checks {
		ch(t, r, c)
	}
	if t.Failed() {
		t.Logf("%s\n$ %s\n%v", label, cmd, r)
	}
}

// --- checks

func stdoutHas(s string) check {
	return func(t *testing.T, r result, c *pageCtx) {
		t.Helper()
		if !strings.Contains(r.stdout, s) {
			t.Errorf("#%d: stdout lacks %q", c.block.n, s)
		}
	}
}

func stderrHas(s string) check {
	return func(t *testing.T, r result, c *pageCtx) {
		t.Helper()
		if !strings.Contains(r.stderr, s) {
			t.Errorf("#%d: stderr lacks %q:\n%s", c.block.n, s, r.stderr)
		}
	}
}

func stdoutIs(s string) check {
	return func(t *testing.T, r result, c *pageCtx) {
		t.Helper()
		if r.stdout != s {
			t.Errorf("#%d: stdout %q, want %q", c.block.n, r.stdout, s)
		}
	}
}

// jsonPath walks a decoded JSON value along a dotted path ("errors.0.code").
func jsonPath(v any, path string) (any, bool) {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// jsonIs checks a field of the JSON on stdout; want "*" only requires the field.
func jsonIs(path string, want any) check {
	return func(t *testing.T, r result, c *pageCtx) {
		t.Helper()
		got, ok, isJSON := stdoutAt(t, r, c, path)
		switch {
		case !isJSON:
		case !ok:
			t.Errorf("#%d: stdout has no %s:\n%s", c.block.n, path, r.stdout)
		case want == "*":
		case got != want:
			t.Errorf("#%d: %s = %v, want %v", c.block.n, path, got, want)
		}
	}
}

// jsonAbsent checks that the JSON on stdout has nothing at path.
func jsonAbsent(path string) check {
	return func(t *testing.T, r result, c *pageCtx) {
		t.Helper()
		if got, ok, isJSON := stdoutAt(t, r, c, path); isJSON && ok {
			t.Errorf("#%d: stdout has %s = %v; want none", c.block.n, path, got)
		}
	}
}

// stdoutAt reads the JSON on stdout at path; isJSON is false (and reported) when stdout is not
// JSON.
func stdoutAt(t *testing.T, r result, c *pageCtx, path string) (got any, ok, isJSON bool) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Errorf("#%d: stdout is not JSON: %v\n%s", c.block.n, err, r.stdout)
		return nil, false, false
	}
	got, ok = jsonPath(v, path)
	return got, ok, true
}

var jwtRE = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

// varIs checks a shell variable on the block's session: "JWT" for a token, else its value.
func varIs(name, want string) check {
	return func(t *testing.T, r result, c *pageCtx) {
		t.Helper()
		got := c.session(placeOf(c.block.cmd)).Var(name)
		if want == "JWT" {
			if !jwtRE.MatchString(got) {
				t.Errorf("#%d: $%s = %.40q, want a JWT", c.block.n, name, got)
			}
			return
		}
		if got != want {
			t.Errorf("#%d: $%s = %.60q, want %q", c.block.n, name, got, want)
		}
	}
}

func fileStarts(name, prefix string) check {
	return func(t *testing.T, r result, c *pageCtx) {
		t.Helper()
		b, err := c.w.inst.ReadFile(name)
		if err != nil || !strings.HasPrefix(string(b), prefix) {
			t.Errorf("#%d: file %s: %v, starts %.40q, want %q", c.block.n, name, err, b, prefix)
		}
	}
}

// likeSample compares the CLI output with the sample output the page shows after the
// command: the same first line ("Getting instance … under account … as user …") and the same
// labels (or column titles) in the same order.
func likeSample() check {
	return func(t *testing.T, r result, c *pageCtx) {
		t.Helper()
		sample := c.block.out
		if sample == "" {
			t.Fatalf("#%d has no sample output", c.block.n)
		}
		first := func(s string) string { l, _, _ := strings.Cut(strings.TrimSpace(s), "\n"); return strings.TrimSpace(l) }
		if first(sample) != first(r.stdout) {
			t.Errorf("#%d: first line\n got: %s\nwant: %s", c.block.n, first(r.stdout), first(sample))
		}
		if a, b := labels(sample), labels(r.stdout); strings.Join(a, "|") != strings.Join(b, "|") {
			t.Errorf("#%d: labels differ from the page's sample\n got: %q\nwant: %q", c.block.n, b, a)
		}
	}
}

var gap = regexp.MustCompile(`\s{2,}`)

// labels lists the first column of a CLI detail view (or the column titles of a list).
func labels(out string) []string {
	var ls []string
	for i, l := range strings.Split(out, "\n") {
		if i == 0 || l == "" || l[0] == ' ' {
			continue
		}
		if strings.HasPrefix(l, "ID ") && strings.Contains(l, "Name ") && strings.Contains(l, "Status ") {
			return gap.Split(strings.TrimSpace(l), -1) // a list: its column titles
		}
		ls = append(ls, gap.Split(l, 2)[0])
	}
	return ls
}

// --- the pages

// secureAccess switches the instance to https and points the preset endpoint at it, as a
// learner following the secure-access instructions would.
func secureAccess(t *testing.T, w *world) {
	r := run(t, w.ws, "ibmcloud is instance-update "+scenario.DefaultInstanceID+" --metadata-service-protocol https -q")
	if r.status != 0 {
		t.Fatalf("enabling secure access: %v", r)
	}
	if r := run(t, w.inst, "vpc_metadata_api_endpoint=https://api.metadata.cloud.ibm.com"); r.status != 0 {
		t.Fatal(r)
	}
}

// exampleIDs replace the IDs of IBM's example account with the scenario's.
var exampleIDs = []string{
	"7002c1cd-9b0b-43ee-8112-5124dedbe84b", scenario.DefaultVPCID,
	"0711-08206578-d749-49ea-86c9-1014622d1c6f", scenario.DefaultSubnetID,
	"9f0050d0-636b-4fe6-82ea-931664fd9d91", scenario.DefaultImageID,
	"e219a883-41f2-4680-810e-ee63ade35f98", scenario.DefaultInstanceID,
	"{template_id} us-south-1", scenario.DefaultVPCID + " " + scenario.DefaultZone, // the page passes the template ID as the VPC
	"us-south-1", scenario.DefaultZone, "mx2-2x16", "bx2-2x8",
	"{template_id}", scenario.DefaultTemplateID, "{subnet_id}", scenario.DefaultSubnetID, "{image_id}", scenario.DefaultImageID,
	"....", "my-auto-link-off " + scenario.DefaultVPCID + " " + scenario.DefaultZone + " bx2-2x8 " + scenario.DefaultSubnetID + " --image-id " + scenario.DefaultImageID,
	"$instance_id", scenario.DefaultInstanceID,
}

var cliFailed = []check{stdoutHas("FAILED")}

func notFound(what string) []check {
	return []check{stdoutHas("FAILED"), stderrHas("Error code: not_found"), stderrHas(what + " not found")}
}

// Blocks shared by the seed page and the configure page.
var (
	createExample = want{has: "instance-create test-instance-1", status: 1, checks: notFound("Image"),
		why:     "the VPC, subnet and image IDs belong to IBM's example account",
		variant: exampleIDs, variantWant: &want{checks: []check{stdoutHas("Creating instance test-instance-1 under account Test Account"), stdoutHas("Name                                  test-instance-1")}}}
	updateExample = want{has: "instance-update e219a883", status: 1, checks: notFound("Instance"), why: "the instance ID belongs to IBM's example account",
		variant: exampleIDs, variantWant: &want{checks: []check{stdoutHas("Updating instance " + scenario.DefaultInstanceID)}}}
	templateCreate = want{has: "instance-template-create my-template-name {template_id}", status: 1, checks: cliFailed,
		why:     "{template_id}, {subnet_id} and {image_id} are placeholders (and the page passes a template ID where the VPC goes)",
		variant: exampleIDs, variantWant: &want{checks: []check{stdoutHas("Name               my-template-name")}}}
	fromTemplate = want{has: "instance-create-from-template --template-id {template_id}", status: 1, checks: notFound("Instance template"),
		why:     "{template_id} is a placeholder",
		variant: exampleIDs, variantWant: &want{checks: []check{stdoutHas("Name                                  my-instance")}}}
	postInstanceBroken = want{has: `generation=2"\`, status: 3, checks: []check{jsonIs("errors.0.code", "invalid_generation_parameter"), stderrHas("curl: (3) URL using bad/illegal format")},
		why: "the continuation lines start in column 0 with no space before the backslash, so bash glues -H onto the URL (generation=2-H) and the header and body become two more malformed URLs"}
	patchNoID = want{has: "/v1/instances/$instance_id", checks: []check{jsonIs("errors.0.code", "invalid_route"), jsonIs("status_code", 404.0)},
		why:     "$instance_id is never set on the page, so the path is /v1/instances/",
		variant: exampleIDs, variantWant: &want{checks: []check{jsonIs("metadata_service.enabled", true), jsonIs("id", scenario.DefaultInstanceID)}}}
	postTemplateExample = want{has: "/v1/instance/templates", checks: []check{jsonIs("errors.0.code", "not_found"), jsonIs("status_code", 400.0)},
		why: "the image, key, subnet and VPC IDs belong to IBM's example account"}
	autoLinkOff = want{has: "--default-trusted-profile-auto-link false", status: 1, checks: []check{stdoutHas("FAILED"), stderrHas("Incorrect Usage")},
		why:     "`....` stands for the other arguments",
		variant: exampleIDs, variantWant: &want{checks: []check{stdoutHas("Name                                  my-auto-link-off")}}}
	syntaxTemplate = "a syntax summary, not a command: INSTANCE_NAME … placeholders, [optional] brackets, `http | https` alternatives, followed by help text"
)

func with(w want, n int) want { w.n = n; return w }

func pageRuns() []pageRun {
	seedWorkstation := []want{
		with(createExample, 11),
		with(updateExample, 12),
		with(templateCreate, 13),
		with(fromTemplate, 14),
		with(postInstanceBroken, 15),
		with(patchNoID, 16),
		with(postTemplateExample, 17),
		{n: 18, has: "ibmcloud is instance instance-name -q", status: 1, checks: []check{stdoutIs("FAILED\n"), stderrHas("instance-name")},
			why: "no instance is named instance-name in this account"},
		with(autoLinkOff, 19),
		{n: 20, has: "[--metadata-service-protocol http | https]", skip: syntaxTemplate},
		{n: 21, has: "[--metadata-service-response-hop-limit", skip: syntaxTemplate},
	}
	csr := []want{
		{n: 7, has: "openssl req -sha256 -newkey rsa:4096", checks: []check{
			fileStarts("sslcert.csr", "-----BEGIN CERTIFICATE REQUEST-----\n"), fileStarts("file.key", "-----BEGIN PRIVATE KEY-----\n"), stderrHas("-----")}},
		{n: 8, has: "awk 'NF", checks: []check{func(t *testing.T, r result, c *pageCtx) {
			if !strings.HasPrefix(r.stdout, `-----BEGIN CERTIFICATE REQUEST-----\nMII`) || !strings.HasSuffix(r.stdout, `-----END CERTIFICATE REQUEST-----\n`) || strings.Contains(r.stdout, "\n") {
				t.Errorf("#8: awk should print the CSR on one line with literal \\n separators, got %.80q…", r.stdout)
			}
		}}},
	}
	return []pageRun{
		{name: "seed/http", page: "000_b406580308e0e681.txt", wants: append(append([]want{
			{n: 1, has: `"http://api.metadata.cloud.ibm.com/instance_identity/v1/token?version=2025-04-22"`, checks: []check{jsonIs("access_token", "*"), jsonIs("expires_in", 300.0)}},
			{n: 2, has: `"https://api.metadata.cloud.ibm.com/instance_identity/v1/token`, status: 7,
				checks: []check{stderrHas("curl: (7) Failed to connect to api.metadata.cloud.ibm.com port 443 after 0 ms: Couldn't connect to server")},
				why:    "secure access is off, so nothing listens on https"},
			{n: 3, has: "instance_identity_token=`curl", checks: []check{varIs("instance_identity_token", ""), stderrHas("curl: (7)"), stderrHas("% Total")},
				why: "the https request fails (7) and jq reads nothing"},
			{n: 5, has: "iam_token=`curl -X POST", checks: []check{varIs("iam_token", "null")},
				why: "with no identity token the exchange answers 401 and `.access_token` of the error is null"},
			{n: 9, has: "/instance_identity/v1/certificates", checks: []check{jsonIs("errors.0.code", "unauthenticated"), jsonAbsent("status_code")},
				why: "$instance_identity_token is empty (the header is `Bearer ` with nothing after it); the metadata host's errors carry no status_code"},
		}, csr...), seedWorkstation...)},
		{name: "seed/https", page: "000_b406580308e0e681.txt", setup: secureAccess, wants: append(append([]want{
			{n: 1, has: `"http://api.metadata.cloud.ibm.com`, status: 7, checks: []check{stderrHas("port 80 after 0 ms: Couldn't connect to server")},
				why: "with secure access on, plain http is refused"},
			{n: 2, has: `"https://api.metadata.cloud.ibm.com/instance_identity/v1/token`, checks: []check{jsonIs("access_token", "*"), jsonIs("expires_in", 3600.0)}},
			{n: 3, has: "instance_identity_token=`curl", checks: []check{varIs("instance_identity_token", "JWT")}},
			{n: 5, has: "iam_token=`curl -X POST", checks: []check{varIs("iam_token", "JWT")}},
			{n: 9, has: "/instance_identity/v1/certificates", checks: []check{jsonIs("certificates.1", "*"), jsonIs("expires_in", 3600.0), jsonIs("id", "*")}},
		}, csr...), seedWorkstation...)},
		{name: "identity/https", page: "ibm-docs/instance_metadata_vpc_identity_operations.md", setup: secureAccess, wants: []want{
			{n: 1, has: `/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}'`, checks: []check{jsonIs("access_token", "*"), jsonIs("expires_in", 300.0)}},
			{n: 2, has: `-d '{"expires_in": 3600}'`, checks: []check{jsonIs("expires_in", 3600.0)}},
			{n: 4, has: "identity_token=`curl", checks: []check{varIs("identity_token", "JWT")}},
			{n: 5, has: "identity_token=`curl", checks: []check{varIs("identity_token", "JWT")}},
			{n: 6, has: "/identity/v1/iam_tokens?version=2025-10-14", checks: []check{varIs("iam_token", "JWT")}},
			{n: 8, has: "openssl req -sha256", checks: csr[0].checks},
			{n: 9, has: "awk 'NF", checks: csr[1].checks},
			{n: 10, has: "/identity/v1/certificates?version=2024-11-12", checks: []check{jsonIs("certificates.0", "*"), jsonIs("expires_in", 3600.0)}},
			{n: 11, has: "/identity/v1/certificates?version=2025-08-26", checks: []check{jsonIs("certificates.0", "*")}},
			{n: 13, has: `echo "<TOKEN>" | cut -d '.' -f 2 | base64 --decode | jq .`,
				checks:  []check{stdoutIs(""), stderrHas("base64: invalid input")},
				why:     "<TOKEN> is a placeholder; GNU base64 rejects it, jq reads nothing and the pipeline's status is jq's",
				variant: []string{"<TOKEN>", "$identity_token"}, variantWant: &want{checks: []check{decodedPayload}}},
			{n: 14, has: "npm install -g jwt-cli", status: 127, checks: []check{stderrHas("npm: command not found")},
				why: "the instance image has no npm"},
			{n: 15, has: "jwt decode <TOKEN>", status: 2, checks: []check{stderrHas("syntax error near unexpected token `newline'")},
				why: "bash reads <TOKEN> as redirections"},
		}},
		{name: "configure", page: "ibm-docs/instance_metadata_vpc_configure.md", wants: []want{
			with(createExample, 1),
			with(updateExample, 2),
			with(templateCreate, 3),
			with(fromTemplate, 4),
			with(postInstanceBroken, 5),
			with(patchNoID, 6),
			with(postTemplateExample, 7),
			{n: 8, has: "ibmcloud is instance instance-name", status: 1, checks: []check{stdoutHas("FAILED"), stderrHas("instance-name")},
				why:     "no instance is named instance-name in this account",
				variant: []string{"instance-name", scenario.DefaultInstanceName}, variantWant: &want{checks: []check{stdoutHas("Metadata service                      Enabled   Protocol   Response hop limit")}}},
			with(autoLinkOff, 10),
			{n: 11, has: "[--metadata-service-protocol http | https]", skip: syntaxTemplate},
			{n: 12, has: "[--metadata-service-response-hop-limit", skip: syntaxTemplate},
		}},
		{name: "trusted-profiles", page: "ibm-docs/instance_metadata_vpc_use_trusted_profiles.md", wants: []want{
			{n: 1, has: `"default_trusted_profile"`, status: 127, checks: []check{jsonIs("status_code", 400.0), stderrHas("-d: command not found")},
				why: "the first line has no continuation backslash, so curl posts nothing and bash then runs `-d` as a command"},
			{n: 2, has: `jq -r '(.identity_token)'`, checks: []check{stdoutIs("null\n")},
				why: "the token is in access_token; .identity_token is null"},
			{n: 3, has: "/identity/v1/iam_tokens?version=2025-06-10", checks: []check{jsonIs("errors.0.code", "unauthenticated")},
				why: "$identity_token is never set on this page"},
		}},
		{name: "access-metadata", page: "ibm-docs/instance_metadata_vpc_access_instance_metadata.md", wants: []want{
			// The floating IP comes from the scenario, as in the page's sample.
			{n: 1, has: "ibmcloud is instances", checks: []check{likeSample(), stdoutHas(scenario.DefaultInstanceID), stdoutHas("   10.240.64.11   169.47.94.48   bx2-2x8")}},
			{n: 2, has: "ibmcloud is instance 0727_ed12480a", checks: []check{likeSample(), stdoutHas("   my-subnet-01   0727-f24237f5-bdf0-4b94-ab4c-167a44b8bcb5   169.47.94.48   0727-dda9244a")}},
			{n: 3, has: "instance-update  0727_ed12480a", checks: []check{likeSample(), stdoutHas("                                      true      http       1")}},
			{n: 4, has: `/v1/instances?version=2025-05-13`, checks: []check{jsonIs("instances.0.id", scenario.DefaultInstanceID)}},
			{n: 5, has: `/v1/instances/0727_ed12480a`, checks: []check{jsonIs("metadata_service.enabled", true), jsonIs("metadata_service.protocol", "http")}},
			{n: 7, has: "}`", status: 2, checks: []check{stderrHas("unexpected EOF while looking for matching `''")},
				why: "the body's closing quote is printed as a backtick, so the single quote never closes"},
			{n: 8, has: "ssh -i <path", status: 2, checks: []check{stderrHas("syntax error near unexpected token `<'")},
				why: "<path …> and <floating ip address> are placeholders that bash reads as redirections"},
			{n: 9, has: "export identity_token=`curl", checks: []check{varIs("identity_token", "JWT")}},
			{n: 10, has: "/metadata/v1/instance/initialization", checks: []check{jsonIs("keys.0.id", scenario.DefaultKeyID)}},
			{n: 11, has: "/metadata/v1/instance?version=2025-04-22", checks: []check{jsonIs("name", scenario.DefaultInstanceName), jsonIs("id", scenario.DefaultInstanceID)}},
		}},
	}
}

// decodedPayload checks the token-decoding pipeline run on a real token: GNU base64 decodes
// the unpadded base64url segment up to its first '-' or '_' and complains; when the segment
// has neither, jq prints the claims.
func decodedPayload(t *testing.T, r result, c *pageCtx) {
	t.Helper()
	tok := c.w.inst.Var("identity_token")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("no identity token: %q", tok)
	}
	if strings.ContainsAny(parts[1], "-_") {
		if !strings.Contains(r.stderr, "base64: invalid input") || !strings.Contains(r.stderr, "jq: parse error") {
			t.Errorf("a base64url payload should stop GNU base64 and leave jq a truncated text:\n%v", r)
		}
		return
	}
	if !strings.Contains(r.stdout, `"iss": "VSI-CR_us-south"`) {
		t.Errorf("the decoded claims should show the issuer:\n%v", r)
	}
}

func TestRecordDocs(t *testing.T) {
	if os.Getenv("RECORD_DOCS") == "" {
		t.Skip("set RECORD_DOCS=1 to print every documented block's outcome")
	}
	ref := referenceDir(t)
	for _, pr := range pageRuns() {
		w := newWorld(t)
		if pr.setup != nil {
			pr.setup(t, w)
		}
		for _, b := range readBlocks(t, filepath.Join(ref, pr.page)) {
			if b.cmd == "" {
				continue
			}
			s := w.inst
			if placeOf(b.cmd) == imds.OnWorkstation {
				s = w.ws
			}
			r := run(t, s, b.cmd)
			t.Logf("=== %s #%d on %s\n%s\n%v", pr.name, b.n, s.Place(), firstLine(b.cmd), r)
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
