package web

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/imdsplay/imdsplay/internal/fixture"
)

// TestInstancePanel checks the panel's hooks: a note says what it needs with JavaScript off, the
// controls are there, in a <template>, hidden until the runtime shows them, and the version switch and the
// hop choices list their options.
func TestInstancePanel(t *testing.T) {
	doc := render(t, InstancePanel())
	panel := byTestID(doc, "instance-panel")
	if panel == nil || panel.Data != "aside" {
		t.Fatal("no <aside data-testid=instance-panel>")
	}
	if byTestID(panel, "panel-placeholder") == nil {
		t.Error("no loading line for the panel")
	}
	// x/net/html parses <noscript> as text (scripting on): its text says what the panel needs.
	if ns := fixture.Find(panel, func(n *html.Node) bool { return n.Data == "noscript" }); ns == nil || !strings.Contains(fixture.Text(ns), "needs JavaScript") {
		t.Error("no <noscript> note saying what the panel needs")
	}
	live := byTestID(panel, "panel-live")
	if live == nil || !fixture.HasAttr(live, "hidden") {
		t.Fatal("the live controls must be present and hidden until the runtime shows them")
	}
	// In a <template> until the runtime mounts them (ts/panel.ts, mountPanel): form controls in
	// the parsed page cost a whole layout at DOMContentLoaded.
	if tpl := live.Parent; tpl == nil || tpl.Data != "template" || fixture.Attr(tpl, "data-testid") != "panel-live-template" {
		t.Error("the live controls must be the content of <template data-testid=panel-live-template>")
	}
	for _, id := range []string{
		"panel-name", "panel-status", "panel-start", "panel-stop", "panel-enabled", "panel-protocol",
		"panel-hop-limit", "panel-default-profile", "panel-auto-link", "panel-profiles", "panel-hops",
		"version-switch", "panel-error", "panel-events", "history", "share", "share-url",
		"share-status", "reset-all",
	} {
		if byTestID(live, id) == nil {
			t.Errorf("no data-testid=%q in the panel", id)
		}
	}
	if got := fixture.Attr(byTestID(live, "panel-hop-limit"), "max"); got != "64" {
		t.Errorf("hop limit max: got %q; want 64", got)
	}
	var hops []string
	for _, o := range fixture.FindAll(byTestID(live, "panel-hops"), func(n *html.Node) bool { return n.Data == "option" }) {
		hops = append(hops, fixture.Attr(o, "value"))
	}
	if !slices.Equal(hops, []string{"1", "2", "3"}) {
		t.Errorf("hop choices: got %v; want 1, 2, 3", hops)
	}
	var dates []string
	for _, o := range fixture.FindAll(byTestID(live, "version-switch"), func(n *html.Node) bool { return n.Data == "option" }) {
		dates = append(dates, fixture.Attr(o, "value"))
	}
	if len(dates) != len(VersionChoices)+1 || dates[0] != "" || !slices.Contains(dates, "2025-08-26") {
		t.Errorf("version switch: got %v; want \"\" (as written) then %d dates including 2025-08-26", dates, len(VersionChoices))
	}
}
