//go:build !js

package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// causes says which section of which page explains each failure the pages' blocks provoke,
// as a reader would expect the hint to point: by the answer's error code (IBM's, or IAM's
// errorCode, or for no answer the kind of transport failure), the request line, and the first
// words of the error message where one code has several causes. The first matching row
// applies. TestFlows checks every failed exchange against it, and that every row was met: a
// page that stops provoking an error, or a new error no row knows, fails the test.
var causes = []struct {
	code, request, message string
	page                   string
}{
	// The metadata and identity host.
	{code: "unauthorized", page: "enable#break-it-ask-for-a-token-while-the-service-is-off"},
	{code: "missing_value", page: "identity-token#forget-the-header"},
	{code: "invalid_value", message: "`expires_in`", page: "identity-token#ask-for-two-hours"},
	{code: "invalid_value", message: "Metadata-Flavor", page: "identity-token#the-request"},
	{code: "invalid_value", message: "`version`", page: "versions#which-dates-are-accepted"},
	{code: "invalid_value", message: "common name", page: "certificates#ask-for-a-name"},
	{code: "invalid_value", message: "public key", page: "certificates#use-a-weak-key"},
	{code: "invalid_value", message: "extensions", page: "certificates#request-an-extension"},
	{code: "invalid_version_range", page: "versions#which-dates-are-accepted"},
	{code: "missing_field", message: "`version`", page: "versions#which-dates-are-accepted"},
	{code: "missing_field", request: "GET http://api.metadata.cloud.ibm.com/metadata/", message: "Authorization", page: "metadata#no-token"},
	{code: "missing_field", request: "/iam_tokens", message: "Authorization", page: "iam-token#no-identity-token"},
	{code: "missing_field", request: "/iam_tokens", page: "iam-token#an-empty-profile-reference"},
	// One answer for four causes: the test tells them apart by the token sent (tokenKindJS).
	{code: "unauthenticated", message: "token:none", page: "identity-token#keep-it-in-a-variable"},
	{code: "unauthenticated", message: "token:expired", page: "identity-token#watch-one-expire"},
	{code: "unauthenticated", message: "token:iam", page: "iam-token#use-it"},
	{code: "unauthenticated", message: "token:altered", page: "decode-token#verifying-the-signature"},
	{code: "profile_not_linked", page: "trusted-profiles#links"},
	{code: "not_found", message: "not available for version", page: "versions#break-it-bump-the-date-keep-the-path"},
	{code: "not_found", request: "/iam_tokens", page: "trusted-profiles#the-playgrounds-profiles"},
	{code: "not_found", request: "/metadata/v1/keys/", page: "metadata#all-the-paths"},
	{code: "not_found", page: "errors#not-found"},
	{code: "invalid_request", request: "/certificates", page: "certificates#skip-the-awk-step"},
	{code: "invalid_request", page: "errors#invalid-request"},
	{code: "unknown_field", page: "errors#unknown-field"},
	// The VPC API.
	{code: "not_authorized", page: "access#break-it-switch-the-service-off-with-the-reader"},
	{code: "invalid_request_field", request: "/instance/templates/", page: "enable#break-it-try-to-change-a-templates-setting"},
	{code: "validation_max_value", page: "hop-limit#break-it-out-of-range"},
	// IAM.
	{code: "BXNIM0415E", page: "errors#iams-errors"},
	// No answer at all.
	{code: "dns", page: "overview#break-it-call-the-service-from-your-laptop"},
	{code: "refused", page: "secure-access#break-it-keep-using-http"},
}

// failuresJS lists the failed exchanges of the output o as failures. %s is tokenKindJS.
const failuresJS = `Array.from(o.querySelectorAll('[data-testid="exchange"]')).filter((x) => x.dataset.status === "0" || Number(x.dataset.status) >= 400).map((x) => {
		const hint = x.querySelector(':scope > [data-testid="hint"]');
		let message = "";
		try { const b = JSON.parse(x.querySelector('[data-testid="response-body"]')?.textContent ?? ""); message = b.errors?.[0]?.message ?? b.errorMessage ?? ""; } catch {}
		const auth = Array.from(x.querySelectorAll('.exchange-req .exchange-headers .long[data-full]'), (l) => l.dataset.full)[0]
			?? (/Authorization: Bearer (\S+)/.exec(x.querySelector('.exchange-req .exchange-headers')?.textContent ?? "")?.[1] ?? "");
		return {
			request: x.querySelector(".exchange-request-line").textContent, status: x.dataset.status, code: x.dataset.code ?? "",
			message: message + " token:" + (%s)(auth), hint: hint?.textContent ?? "", hintPage: hint?.dataset.page ?? "",
		};
	})`

// tokenKindJS tells what a bearer token was, as the test sees it (the hint decides for itself):
// "none" (not a JWT), "expired" (by the emulator's clock), "iam" (issued by IAM), else
// "altered" (the service refused a token that is neither).
const tokenKindJS = `((tok) => {
		const p = tok.split(".");
		if (p.length !== 3 || !tok.startsWith("eyJ")) return "none";
		let c;
		try { c = JSON.parse(atob(p[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch { return "none"; }
		if (c.exp * 1000 <= globalThis.imds.now()) return "expired";
		if (String(c.iss).includes("iam.cloud.ibm.com")) return "iam";
		return "altered";
	})`

// failure is one failed exchange of an output and the hint it shows.
type failure struct {
	Request string `json:"request"`
	Status  string `json:"status"`
	Code    string `json:"code"`
	// Facts the hint may rest on: the error message, and what the request's token was.
	Message string `json:"message"`
	Hint    string `json:"hint"`
	// HintPage is the hint's data-page, "slug#section".
	HintPage string `json:"hintPage"`
}

// causeOf finds the row of causes that f matches, or -1.
func causeOf(f failure) int {
	return slices.IndexFunc(causes, func(c struct{ code, request, message, page string }) bool {
		return c.code == f.Code && strings.Contains(f.Request, c.request) && strings.Contains(f.Message, c.message)
	})
}

// checkFailures fails when a failed exchange of r has no hint, or a hint that names another
// page or section than its cause's; it marks the causes met.
func checkFailures(t *testing.T, where string, r blockResult, met map[int]bool) {
	t.Helper()
	for _, f := range r.Failures {
		i := causeOf(f)
		if i < 0 {
			t.Errorf("%s: %s answered %s %s (%.80s): no row of causes knows it; add one", where, f.Request, f.Status, f.Code, f.Message)
			continue
		}
		met[i] = true
		if f.HintPage != causes[i].page {
			t.Errorf("%s: %s answered %s %s: the hint %q names %q; want %q", where, f.Request, f.Status, f.Code, f.Hint, f.HintPage, causes[i].page)
		}
	}
}

// checkCausesMet fails for every row of causes that no block met.
func checkCausesMet(t *testing.T, met map[int]bool) {
	t.Helper()
	for i, c := range causes {
		if !met[i] {
			t.Errorf("no block of the pages provoked %s %s %q any more (the hint for %s is untested): update causes", c.code, c.request, c.message, c.page)
		}
	}
}

// checkHintLinks fails when a hint in r links anywhere but to a page of the site, to a section
// the page has, or to a control of the instance panel.
func checkHintLinks(t *testing.T, where string, r blockResult) {
	t.Helper()
	for _, h := range r.HintLinks {
		page, section, _ := strings.Cut(h, "#")
		if page == "" {
			// A control of the instance panel, on every page.
			if !strings.HasPrefix(section, "panel-") || !builtHasID(t, "/", section) {
				t.Errorf("%s: a hint links to %q, which is no control of the instance panel", where, h)
			}
			continue
		}
		if !slices.Contains(env.site.Build.Pages, page) {
			t.Errorf("%s: a hint links to %q, which is not a page of the site %v", where, h, env.site.Build.Pages)
			continue
		}
		if section != "" && !builtHasID(t, page, section) {
			t.Errorf("%s: a hint links to %q, and %s has no element with id %q", where, h, page, section)
		}
	}
}

// builtHasID reports whether the built page at path has an element with that id.
func builtHasID(t *testing.T, path, id string) bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.site.Dir, filepath.FromSlash(path), "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), fmt.Sprintf(`id="%s"`, id))
}
