//go:build !js

package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	neturl "net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// Scenario names (the instance's, trusted profiles', templates', the VPC's…) are the world's
// user-editable text: they reach the page through the VPC API and the CLI, a saved world in
// localStorage, a shared link, and the embeds. Each payload sets window.__pwned to its own value
// if it ever runs; the site's CSP would stop an inline handler or script from running anyway,
// so the tests look for the elements themselves: markup that became an element is the hole,
// whether or not the CSP then saved the day.

// markupNames holds one payload per name of the world, each distinct, so that where a name
// shows up tells which one it is.
type markupNames struct {
	Scenario      string   `json:"scenario"`
	Account       string   `json:"account"`
	ResourceGroup string   `json:"resourceGroup"`
	Instance      string   `json:"instance"`
	NIC           string   `json:"nic"`
	Profiles      []string `json:"profiles"`
	Template      string   `json:"template"`
	VPC           string   `json:"vpc"`
	Subnet        string   `json:"subnet"`
	Keys          []string `json:"keys"`
	PlacementGrp  string   `json:"placementGroup"`
}

var nameMarkup = markupNames{
	Scenario:      `<img src=x onerror="window.__pwned='scenario'">`,
	Account:       `<script>window.__pwned='account'</script>`,
	ResourceGroup: `"><svg onload="window.__pwned='resource-group'">`,
	Instance:      `<img src=x onerror="window.__pwned='instance'"><b data-injected>instance</b>`,
	NIC:           `"><svg onload="window.__pwned='nic'">`,
	Profiles: []string{
		`<script>window.__pwned='profile-1'</script>`,
		`"><svg onload="window.__pwned='profile-2'">`,
		`<img src=x onerror="window.__pwned='profile-3'">`,
	},
	Template:     `"><svg onload="window.__pwned='template'"><b data-injected>template</b>`,
	VPC:          `<img src=x onerror="window.__pwned='vpc'">`,
	Subnet:       `<script>window.__pwned='subnet'</script>`,
	Keys:         []string{`<img src=x onerror="window.__pwned='key-1'">`, `"><svg onload="window.__pwned='key-2'">`},
	PlacementGrp: `<b data-injected onmouseover="window.__pwned='pg'">pg</b>`,
}

// markupWorldJS resolves to a saved-world entry (memory.ts's imdsplay.world) holding the page's
// current world with every name replaced by its payload. %s is the names as JSON.
const markupWorldJS = `(async (m) => {
	const snap = await imds.snapshot();
	const s = snap.world.scenario;
	s.name = m.scenario;
	s.operator.account_name = m.account;
	s.resource_group.name = m.resourceGroup;
	s.trusted_profiles.forEach((p, i) => (p.name = m.profiles[i]));
	s.vpcs[0].name = m.vpc;
	s.subnets[0].name = m.subnet;
	s.keys.forEach((k, i) => (k.name = m.keys[i]));
	s.placement_groups[0].name = m.placementGroup;
	s.instances[0].name = m.instance;
	s.instances[0].network_interfaces[0].name = m.nic;
	s.instance_templates[0].name = m.template;
	return JSON.stringify({v: 1, savedAt: new Date().toISOString(), world: snap.world});
})(%s)`

// deepInjectionJS counts injected elements in the document, in every shadow root (the embeds)
// and in every same-origin frame, and reads window.__pwned there.
const deepInjectionJS = `(() => {
	const sel = 'img[src="x"], svg[onload], [onload], [onerror], [onmouseover], b[data-injected]';
	const found = [];
	let pwned = window.__pwned ?? null;
	const docs = [document];
	for (let d = 0; d < docs.length; d++) {
		const roots = [docs[d]];
		for (let i = 0; i < roots.length; i++) {
			for (const e of roots[i].querySelectorAll("*")) {
				if (e.shadowRoot) roots.push(e.shadowRoot);
				if (e.localName === "iframe") {
					try {
						if (e.contentDocument) {
							docs.push(e.contentDocument);
							pwned ??= e.contentWindow.__pwned ?? null;
						}
					} catch {}
				}
			}
			for (const e of roots[i].querySelectorAll(sel)) found.push(e.outerHTML.slice(0, 120));
			for (const s of roots[i].querySelectorAll("script")) if (s.textContent.includes("__pwned")) found.push(s.outerHTML.slice(0, 120));
		}
	}
	return {pwned, found};
})()`

// checkNoInjectionDeep fails when a payload became an element anywhere, embeds included, or ran.
func checkNoInjectionDeep(t *testing.T, ctx context.Context) {
	t.Helper()
	type verdict struct {
		Pwned any      `json:"pwned"`
		Found []string `json:"found"`
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[verdict](deepInjectionJS))
	if err != nil {
		t.Fatal(err)
	}
	if v.Pwned != nil || len(v.Found) > 0 {
		t.Fatalf("injected markup became live: pwned=%v, injected elements %q", v.Pwned, v.Found)
	}
}

// jsArg is v as a JavaScript literal.
func jsArg(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestScenarioNamesRefusedByAPI tries to put markup into names through the VPC API and the CLI
// (update and create, instances and templates): the core refuses each with IBM's error JSON
// (validation_invalid_name), which the page shows as text, and the world is unchanged.
func TestScenarioNamesRefusedByAPI(t *testing.T) {
	setup(t)
	tb := newTab(t)
	_, w, _ := tb.pickPage(t)
	const create = ` my-test-vpc us-south-2 bx2-2x8 my-subnet-01 --image ibm-ubuntu-24-04-6-minimal-amd64-3 --keys learner-ed25519`
	r := tb.run(t, w, strings.Join([]string{
		`v="version=2025-04-22&generation=2"`,
		`id=$(curl -s "$vpc_api_endpoint/v1/instances?$v" -H "Authorization: Bearer $iam_token" | jq -r '.instances[0].id')`,
		`tid=$(curl -s "$vpc_api_endpoint/v1/instance/templates?$v" -H "Authorization: Bearer $iam_token" | jq -r '.templates[0].id')`,
		`curl -s -X PATCH "$vpc_api_endpoint/v1/instances/$id?$v" -H "Authorization: Bearer $iam_token" -d ` + shQuote(jsArg(map[string]string{"name": nameMarkup.Instance})),
		`curl -s -X PATCH "$vpc_api_endpoint/v1/instance/templates/$tid?$v" -H "Authorization: Bearer $iam_token" -d ` + shQuote(jsArg(map[string]string{"name": nameMarkup.Template})),
		`ibmcloud is instance-update my-virtual-server-2 --name ` + shQuote(nameMarkup.Profiles[0]),
		`ibmcloud is instance-create ` + shQuote(nameMarkup.Profiles[1]) + create,
		`ibmcloud is instance-template-create ` + shQuote(nameMarkup.Profiles[2]) + create,
	}, "\n"))
	for _, x := range []struct{ method, path string }{
		{"PATCH", "/v1/instances/" + scenario.DefaultInstanceID + "?version=2025-04-22"},
		{"PATCH", "/v1/instance/templates/"},
		{"PATCH", "/v1/instances/" + scenario.DefaultInstanceID + "?generation=2"},
		{"POST", "/v1/instances?"},
		{"POST", "/v1/instance/templates?"},
	} {
		if !r.hasExchange(x.method, x.path, "400") {
			t.Errorf("%s %s: no 400 among the exchanges %v", x.method, x.path, r.Exchanges)
		}
	}
	out := eval[map[string]string](t, tb, fmt.Sprintf(`(() => {
		const o = document.querySelector(%q).querySelector('[data-testid="output"]');
		return {
			// The terminal is one stream: each stream's runs, joined.
			stdout: Array.from(o.querySelectorAll('[data-testid="stdout"]'), (s) => `+wholeTextJS+`(s)).join(""),
			stderr: Array.from(o.querySelectorAll('[data-testid="stderr"]'), (s) => `+wholeTextJS+`(s)).join(""),
			bodies: Array.from(o.querySelectorAll('[data-testid="response-body"]'), (b) => b.textContent).join("\n"),
		};
	})()`, blockSel(w)))
	// The API's answers name the code and echo the refused value: as text.
	if n := strings.Count(out["stdout"], `"code":"validation_invalid_name"`); n != 2 {
		t.Errorf("curl printed %d validation_invalid_name errors; want 2:\n%s", n, out["stdout"])
	}
	for _, m := range []string{nameMarkup.Instance, nameMarkup.Template, nameMarkup.Profiles[0], nameMarkup.Profiles[1], nameMarkup.Profiles[2]} {
		if want := strings.ReplaceAll(m, `"`, `\"`); !strings.Contains(out["bodies"], want) {
			t.Errorf("the responses shown do not hold the refused name %s as text:\n%s", want, out["bodies"])
		}
	}
	if n := strings.Count(out["stderr"], "Error code: validation_invalid_name"); n != 3 {
		t.Errorf("ibmcloud reported %d validation_invalid_name errors; want 3:\n%s", n, out["stderr"])
	}
	checkNoInjectionDeep(t, tb.ctx)

	// Nothing changed, and the page works on.
	if got := eval[string](t, tb, `document.querySelector('[data-testid="panel-name"]').textContent`); got != "my-virtual-server-2" {
		t.Errorf("the panel shows the instance as %q; want my-virtual-server-2", got)
	}
	r = tb.run(t, w, `ibmcloud is instances --output json | jq -r '.[].name'; ibmcloud is instance-templates --output json | jq -r '.[].name'`)
	if r.Exit != "0" || r.Text == "" || !strings.HasPrefix(r.Text, "my-virtual-server-2\nmy-instance-template\n") {
		t.Errorf("after the refusals: exit %s, names %q; want my-virtual-server-2 and my-instance-template only", r.Exit, r.Text)
	}
	tb.checkClean(t)
}

// TestInjectedScenarioNamesStayText saves a world whose every name is markup, as memory.ts
// would, and reloads: the page restores it, and the names show as text in the panel (instance,
// trusted profiles, the default-profile list, Activity Tracker initiators), in what the CLI and
// the metadata service answer, in the decoded tokens, after a shared link that names a profile
// by its markup name, and in the embeds of the site's own pages. A shared link naming a profile
// that does not exist, and a saved world with markup where a field name goes, are refused with
// a message that shows the markup as text. No payload becomes an element anywhere.
func TestInjectedScenarioNamesStayText(t *testing.T) {
	setup(t)
	tb := newTab(t)
	path, w, i := tb.pickPage(t)
	// Other tests share this browser's storage: leave no markup world behind, even on failure.
	t.Cleanup(func() { tb.forget(t) })

	// The saved world, restored on load.
	entry := eval[string](t, tb, fmt.Sprintf(markupWorldJS, jsArg(nameMarkup)))
	tb.putStored(t, map[string]string{"imdsplay.world": entry})
	tb.openLive(t, path)
	if got := eval[string](t, tb, `imds.state().instance.name`); got != nameMarkup.Instance {
		t.Fatalf("after a reload the instance is named %q; want the saved world's %q", got, nameMarkup.Instance)
	}
	panel := eval[map[string]any](t, tb, `({
		name: document.querySelector('[data-testid="panel-name"]').textContent,
		profiles: Array.from(document.querySelectorAll('[data-testid="panel-profiles"] label'), (l) => l.textContent),
		options: Array.from(document.querySelectorAll('[data-testid="panel-default-profile"] option'), (o) => o.textContent),
	})`)
	if panel["name"] != nameMarkup.Instance {
		t.Errorf("the panel names the instance %q; want %q as text", panel["name"], nameMarkup.Instance)
	}
	wantLabels := []any{" " + nameMarkup.Profiles[0] + " (default)", " " + nameMarkup.Profiles[1], " " + nameMarkup.Profiles[2]}
	if fmt.Sprint(panel["profiles"]) != fmt.Sprint(wantLabels) {
		t.Errorf("the panel lists the profiles as %q; want %q", panel["profiles"], wantLabels)
	}
	if want := []any{"None", nameMarkup.Profiles[0], nameMarkup.Profiles[1], nameMarkup.Profiles[2]}; fmt.Sprint(panel["options"]) != fmt.Sprint(want) {
		t.Errorf("the default-profile list offers %q; want %q", panel["options"], want)
	}
	checkNoInjectionDeep(t, tb.ctx)

	// What the CLI prints.
	const templateID = "0727-7e3d8f5c-9b1a-4c2e-8d4f-6a5b3c2d1e0f"
	r := tb.run(t, w, `ibmcloud is instance `+scenario.DefaultInstanceID+` && ibmcloud is instances && ibmcloud is instance-templates && ibmcloud is instance-template `+templateID)
	stdout := tb.stdout(t, w)
	if r.Exit != "0" {
		t.Errorf("ibmcloud with the saved world: exit %s:\n%s", r.Exit, r.Text)
	}
	for what, m := range map[string]string{"instance": nameMarkup.Instance, "VPC": nameMarkup.VPC, "subnet": nameMarkup.Subnet, "resource group": nameMarkup.ResourceGroup, "template": nameMarkup.Template} {
		if !strings.Contains(stdout, m) {
			t.Errorf("ibmcloud's output does not show the %s's name %s as text:\n%s", what, m, stdout)
		}
	}
	checkNoInjectionDeep(t, tb.ctx)

	// What the metadata service answers, and the tokens' claims: the identity token carries the
	// VPC's and subnet's names, an IAM token for a profile asked for by its (markup) name that
	// profile's name.
	r = tb.run(t, i, strings.Join([]string{
		`md="$vpc_metadata_api_endpoint"; v="version=2025-08-26"`,
		`curl -s -X PUT "$md/identity/v1/token?$v" -H "Metadata-Flavor: ibm" -d '{}' > token.json`,
		`jq -c '{access_token}' token.json`,
		`tok=$(jq -r .access_token token.json)`,
		`curl -s "$md/metadata/v1/instance?$v" -H "Authorization: Bearer $tok" | jq -r '.name, .vpc.name, .primary_network_interface.name, .primary_network_interface.subnet.name'`,
		`curl -s "$md/metadata/v1/keys?$v" -H "Authorization: Bearer $tok" | jq -r '.keys[].name'`,
		`curl -s "$md/metadata/v1/placement_groups?$v" -H "Authorization: Bearer $tok" | jq -r '.placement_groups[].name'`,
		// (The profile's name is an argument, not an assignment: the shell keeps the backslash
		// of a quote escaped in an assignment's value, a='x'\''y' giving x\'y.)
		`curl -s -X POST "$md/identity/v1/iam_tokens?$v" -H "Authorization: Bearer $tok" -d "$(jq -nc --arg n ` + shQuote(nameMarkup.Profiles[1]) + ` '{trusted_profile: {name: $n}}')" | jq -c '{access_token}'`,
	}, "\n"))
	stdout = tb.stdout(t, i)
	if r.Exit != "0" || !r.hasExchange("POST", "/identity/v1/iam_tokens", "200") {
		t.Fatalf("the instance's reads with the saved world: exit %s, exchanges %v:\n%s", r.Exit, r.Exchanges, r.Text)
	}
	wantLines := strings.Join([]string{nameMarkup.Instance, nameMarkup.VPC, nameMarkup.NIC, nameMarkup.Subnet, nameMarkup.Keys[0], nameMarkup.Keys[1], nameMarkup.PlacementGrp}, "\n")
	if !strings.Contains(stdout, wantLines) {
		t.Errorf("the metadata service's names, printed by jq -r, do not show as text; want\n%s\nin\n%s", wantLines, stdout)
	}
	claims := tb.openJWTs(t, i)
	if len(claims) != 2 || !strings.Contains(claims[0], jsonText(nameMarkup.VPC)) || !strings.Contains(claims[0], jsonText(nameMarkup.Subnet)) || !strings.Contains(claims[1], jsonText(nameMarkup.Profiles[1])) {
		t.Errorf("decoded tokens: got claims %q; want the identity token's VPC and subnet names and the IAM token's profile name, as text", claims)
	}
	events := eval[[]string](t, tb, `Array.from(document.querySelectorAll('[data-testid="event-initiator"]'), (e) => e.textContent)`)
	if !slices.Contains(events, "by "+nameMarkup.Instance) {
		t.Errorf("Activity Tracker initiators %q; want %q as text", events, "by "+nameMarkup.Instance)
	}
	checkNoInjectionDeep(t, tb.ctx)

	// A shared link that makes the markup-named profile the default: the names are looked up
	// as names, and shown as text.
	link := eval[string](t, tb, fmt.Sprintf(`imds.permalink.encode({scenario: {defaultProfile: %s, linked: %s}})`, jsArg(nameMarkup.Profiles[2]), jsArg(nameMarkup.Profiles[1:])))
	tb.openFresh(t, path+"#"+eval[string](t, tb, `imds.permalink.key`)+link)
	if st := eval[string](t, tb, `document.querySelector('[data-testid="share-status"]').textContent`); !strings.Contains(st, "Opened from a shared link") {
		t.Errorf("a link naming profiles by their markup names: status %q; want it opened", st)
	}
	if got := eval[[]string](t, tb, `Array.from(document.querySelectorAll('[data-testid="panel-profiles"] label'), (l) => l.textContent)`); !slices.Contains(got, " "+nameMarkup.Profiles[2]+" (default)") {
		t.Errorf("after the link the profiles read %q; want %q the default, as text", got, nameMarkup.Profiles[2])
	}
	checkNoInjectionDeep(t, tb.ctx)

	// A link naming a profile that does not exist, by markup: refused, with the name as text.
	bogus := `<img src=x onerror="window.__pwned='link'"><b data-injected>link</b>`
	link = eval[string](t, tb, fmt.Sprintf(`imds.permalink.encode({scenario: {defaultProfile: %s}})`, jsArg(bogus)))
	tb.openFresh(t, path+"#"+eval[string](t, tb, `imds.permalink.key`)+link)
	st := eval[string](t, tb, `document.querySelector('[data-testid="share-status"]').textContent`)
	if !strings.Contains(st, "could not be opened") || !strings.Contains(st, "no trusted profile") || !strings.Contains(st, `<img src=x onerror=\"window.__pwned='link'\"><b data-injected>link</b>`) {
		t.Errorf("a link naming an unknown profile by markup: status %q; want it refused, the name shown as text", st)
	}
	checkNoInjectionDeep(t, tb.ctx)

	// The embeds of the site's own pages run on the page's engine, in the restored world.
	tb.embeddingPageShows(t, []string{nameMarkup.Instance, nameMarkup.VPC})

	// A saved world with markup where a field name goes: refused whole with a readable warning,
	// and the page starts as documented.
	warnings := tb.watchWarnings(t)
	field := `<img src=x onerror="window.__pwned='field'">`
	tb.putStored(t, map[string]string{"imdsplay.world": eval[string](t, tb, fmt.Sprintf(`(() => {
		const e = JSON.parse(localStorage.getItem("imdsplay.world"));
		e.world.scenario[%s] = 1;
		return JSON.stringify(e);
	})()`, jsArg(field)))})
	tb.openLive(t, path)
	if got := eval[string](t, tb, `document.querySelector('[data-testid="panel-name"]').textContent`); got != "my-virtual-server-2" {
		t.Errorf("with a refused saved world the panel shows %q; want the documented my-virtual-server-2", got)
	}
	if r := tb.run(t, i, `echo still working`); r.Exit != "0" || !strings.Contains(r.Text, "still working") {
		t.Errorf("after a refused saved world a block gives exit %s: %s", r.Exit, r.Text)
	}
	if ws, ok := warnings(func(w string) bool {
		return strings.Contains(w, "ignoring the saved imdsplay.world") && strings.Contains(w, `<img src=x onerror=\"window.__pwned='field'\">: unknown field`) && strings.Contains(w, "starts as documented")
	}); !ok {
		t.Errorf("console warnings %q; want one saying the saved world was ignored because of the unknown field %s", ws, field)
	}
	checkNoInjectionDeep(t, tb.ctx)
	tb.checkClean(t)
}

// stdout is what block i printed on stdout, as shown.
func (tb *tab) stdout(t *testing.T, i int) string {
	t.Helper()
	return eval[string](t, tb, fmt.Sprintf(`Array.from(document.querySelector(%q).querySelectorAll('[data-testid="output"] [data-testid="stdout"]'), (s) => %s(s)).join("")`, blockSel(i), wholeTextJS))
}

// openJWTs opens every JWT panel of block i's printed output and returns the claims each shows.
func (tb *tab) openJWTs(t *testing.T, i int) []string {
	t.Helper()
	sel := blockSel(i) + ` [data-testid="output"] > [data-testid="jwt"]`
	n := eval[int](t, tb, fmt.Sprintf(`(() => { const ds = document.querySelectorAll(%q); ds.forEach((d) => (d.open = true)); return ds.length; })()`, sel))
	tb.waitFor(t, "the decoded tokens", fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).every((d) => d.querySelector(".jwt-claims"))`, sel))
	claims := eval[[]string](t, tb, fmt.Sprintf(`Array.from(document.querySelectorAll(%q), (d) => d.querySelector(".jwt-claims").textContent)`, sel))
	if len(claims) != n {
		t.Fatalf("got %d decoded tokens of %d", len(claims), n)
	}
	return claims
}

// jsonText is s as it reads inside pretty-printed JSON.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	// JSON.stringify escapes neither < nor >, nor &: undo Go's HTML-safe escapes.
	r := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")
	return r.Replace(string(b))
}

// openFresh loads url as a new document (a URL differing only in its fragment would not
// reload) and waits for the engine and the panel.
func (tb *tab) openFresh(t *testing.T, url string) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	tb.openLive(t, url)
}

// watchWarnings records the tab's console warnings from now on, until the test ends. The
// function it returns waits (up to 10 s) for one that match accepts, and returns those seen.
func (tb *tab) watchWarnings(t *testing.T) func(match func(string) bool) ([]string, bool) {
	ctx, cancel := context.WithCancel(tb.ctx)
	t.Cleanup(cancel)
	messages := chromedp.Console(ctx)
	warnings := make(chan string, 100)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleWarning {
				select {
				case warnings <- m.Text:
				default: // a test that wants more than 100 warnings is not written yet
				}
			}
		}
	}()
	return func(match func(string) bool) ([]string, bool) {
		var seen []string
		timeout := time.After(10 * time.Second)
		for {
			select {
			case w := <-warnings:
				seen = append(seen, w)
				if match(w) {
					return seen, true
				}
			case <-timeout:
				return seen, false
			}
		}
	}
}

// embeddingPageShows runs the first live example of /embedding/ (an embed on a page of the
// site, which uses the page's engine and so its restored world) edited to print the instance's
// and the VPC's names, and checks that they show as text.
func (tb *tab) embeddingPageShows(t *testing.T, want []string) {
	t.Helper()
	tb.openLive(t, "/embedding/")
	ctx, cancel := context.WithTimeout(tb.ctx, 120*time.Second)
	defer cancel()
	n := eval[int](t, tb, `document.querySelectorAll('[data-testid="embed-live"] pre[data-imds], [data-testid="embed-live"] imds-example').length`)
	waitEmbedReady(t, ctx, nil, n)
	script := `tok=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}' | jq -r .access_token)
curl -s "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26" -H "Authorization: Bearer $tok" | jq -r '.name, .vpc.name'`
	eval[bool](t, tb, inShadow(fmt.Sprintf(`(() => {
		const e = sr(0).querySelector('[data-testid="editor"]');
		e.focus();
		e.textContent = %s;
		e.dispatchEvent(new InputEvent("input", {bubbles: true}));
		return true;
	})()`, jsArg(script))))
	r := runEmbed(t, ctx, nil, 0)
	if got := eval[string](t, tb, inShadow(`sr(0).querySelector('[data-testid="stdout"]')?.textContent ?? ""`)); got != strings.Join(want, "\n")+"\n" {
		t.Errorf("an embed on /embedding/ printed %q (exit %s); want the names %q as text", got, r.Exit, want)
	}
	checkNoInjectionDeep(t, tb.ctx)
}

// TestInjectedEmbedAttributesStayText gives embeds markup where a session name and other
// attributes go, on the site's iframe page (from its query string) and on a page of another
// origin (in the attributes): the header's scenario line and the mistakes shown are text.
func TestInjectedEmbedAttributesStayText(t *testing.T) {
	setup(t)
	session := `<img src=x onerror="window.__pwned='session'"><b data-injected>s</b>`
	on := `"><svg onload="window.__pwned='on'">`
	version := `<script>window.__pwned='version'</script>`

	// The iframe page takes them from its query string.
	tb := newFreshTab(t)
	ctx, cancel := context.WithTimeout(tb.ctx, 120*time.Second)
	defer cancel()
	for _, tc := range []struct {
		query      neturl.Values
		label, out string
	}{
		{neturl.Values{"session": {session}, "code": {"echo ran"}}, "session " + session, "ran"},
		{neturl.Values{"on": {on}, "version": {version}}, "", `data-imds-on must be instance or workstation, not "` + on + `"; data-imds-version must be a date YYYY-MM-DD, not "` + version + `"`},
	} {
		url := env.site.URL + "/embed/code/run/?" + tc.query.Encode()
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		waitEmbedReady(t, ctx, nil, 1)
		if tc.label != "" {
			if got := eval[string](t, tb, inShadow(`sr(0).querySelector('[data-testid="scenario"]')?.textContent ?? ""`)); got != tc.label {
				t.Errorf("%s: the scenario line reads %q; want %q", url, got, tc.label)
			}
			if r := runEmbed(t, ctx, nil, 0); !strings.Contains(r.Text, tc.out) {
				t.Errorf("%s: got %q; want %q", url, r.Text, tc.out)
			}
		} else if got := eval[string](t, tb, inShadow(`sr(0).querySelector('[data-testid="output"]').textContent`)); !strings.Contains(got, tc.out) {
			t.Errorf("%s: the block shows %q; want the mistakes %q as text", url, got, tc.out)
		}
		checkNoInjectionDeep(t, ctx)
	}

	// A page of another origin, with the markup in its attributes (escaped in the HTML source,
	// as any attribute value must be: the browser hands embed.js the markup itself).
	host := newHostServer(t)
	esc := func(s string) string {
		return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;").Replace(s)
	}
	url := host.page("/names.html", "", `<!DOCTYPE html><html lang="en"><head><title>Names</title></head><body>
<imds-example session="`+esc(session)+`">echo "session ran"</imds-example>
<pre data-imds data-imds-on="`+esc(on)+`" data-imds-version="`+esc(version)+`">echo never</pre>
<script src="`+env.site.URL+`/embed.js" defer></script>
</body></html>`)
	tb.mu.Lock()
	tb.page = url
	tb.mu.Unlock()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitEmbedReady(t, ctx, nil, 2)
	if got := eval[string](t, tb, inShadow(`sr(0).querySelector('[data-testid="scenario"]')?.textContent ?? ""`)); got != "session "+session {
		t.Errorf("another origin: the scenario line reads %q; want %q", got, "session "+session)
	}
	if r := runEmbed(t, ctx, nil, 0); !strings.Contains(r.Text, "session ran") {
		t.Errorf("another origin: the block with a markup session name got %q; want it run", r.Text)
	}
	want := `data-imds-on must be instance or workstation, not "` + on + `"`
	if got := eval[string](t, tb, inShadow(`sr(1).querySelector('[data-testid="output"]').textContent`)); !strings.Contains(got, want) {
		t.Errorf("another origin: the block shows %q; want the mistake %q as text", got, want)
	}
	checkNoInjectionDeep(t, ctx)
	tb.checkClean(t)
}

// shQuote quotes s for the shell, in single quotes.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
