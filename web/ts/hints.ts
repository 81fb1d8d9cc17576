// One-line hints for failed exchanges and runs, each with a link to the section of the page that
// explains the cause, and to the instance panel's control when that is where the fix is. The
// emulator answers exactly as the service would; the hint is the page's own voice.
//
// A hint reads what the answer says (the error code, its target, its message), what was sent
// (the URL, the token in the Authorization header) and, for a failure with no answer, the
// instance's settings (secure access, where commands run): the same code has different causes,
// and the hint names the one at hand. The browser tests walk every error the pages provoke and
// check that its hint names the right page (site/browsertest/hints_test.go).

import type { Exchange, Place, RunResult, State } from "./api";
import { jwtClaims } from "./tokens";

/** A documentation page of this site, by slug ("" is the home page). */
export interface PageRef {
  slug: string;
  title: string;
}

/**
 * The pages hints point to: content/SLUG.md, rendered at /SLUG/. pageHref prefers a matching
 * link found on the current page (the sidebar), so a renamed page degrades to a 404, not a
 * wrong page; the browser tests follow every hint link they see.
 */
export const PAGES = {
  home: { slug: "", title: "How the playground works" },
  overview: { slug: "overview", title: "What the metadata service is" },
  enable: { slug: "enable", title: "Enable or disable the service" },
  token: { slug: "identity-token", title: "Get an identity token" },
  metadata: { slug: "metadata", title: "Read instance metadata" },
  decode: { slug: "decode-token", title: "Decode and verify the token" },
  iam: { slug: "iam-token", title: "Exchange it for an IAM token" },
  profiles: { slug: "trusted-profiles", title: "Trusted profiles" },
  access: { slug: "access", title: "Who may switch it off" },
  certificates: { slug: "certificates", title: "Get an identity certificate" },
  secure: { slug: "secure-access", title: "Secure access over HTTPS" },
  hops: { slug: "hop-limit", title: "The response hop limit" },
  versions: { slug: "versions", title: "API versions" },
  errors: { slug: "errors", title: "Errors and what they mean" },
} as const satisfies Record<string, PageRef>;

/** A control of the instance panel (web/panel.templ), by its element id. */
export interface PanelControl {
  id: string;
  label: string;
}

/** The panel's controls hints point to. */
export const CONTROLS = {
  enabled: { id: "panel-enabled", label: "Enabled, in the panel" },
  protocol: { id: "panel-protocol", label: "Secure access, in the panel" },
  hops: { id: "panel-hops", label: "Where commands run, in the panel" },
  power: { id: "panel-power", label: "Start, in the panel" },
  profiles: { id: "panel-profiles", label: "Trusted profiles, in the panel" },
  access: { id: "panel-access", label: "Roles, in the panel" },
} as const satisfies Record<string, PanelControl>;

/** A hint: one line of text, the page (and section) that explains it, the control that fixes it. */
export interface Hint {
  text: string;
  page: PageRef;
  /** The id of the section on the page (a heading's), when one explains it best. */
  section?: string;
  control?: PanelControl;
}

/** What a hint may take into account besides the exchange. */
export interface HintContext {
  place: Place;
  /** The instance panel's state when the run ended. */
  state?: State | null;
  /** The emulator's clock, Unix ms. */
  now?: number;
}

/** The metadata service's host names, which resolve only inside an instance. */
const METADATA_HOSTS = new Set(["api.metadata.cloud.ibm.com", "169.254.169.254"]);

/** One item of IBM's error JSON. */
interface IBMError {
  code?: string;
  message?: string;
  target?: { name?: string; type?: string; value?: string };
}

/** Reads IBM's `{"errors": [...]}` body, or IAM's `{"errorCode": ...}` body. */
function parseErrors(body: string): { ibm: IBMError[]; iamCode?: string } {
  try {
    const v: unknown = JSON.parse(body);
    if (v && typeof v === "object") {
      const o = v as { errors?: unknown; errorCode?: unknown };
      if (Array.isArray(o.errors)) return { ibm: o.errors as IBMError[] };
      if (typeof o.errorCode === "string") return { ibm: [], iamCode: o.errorCode };
    }
  } catch {
    // Not JSON: no error codes to read.
  }
  return { ibm: [] };
}

/** The URL, or null when it does not parse. */
function parseURL(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** A hint for a page section. */
function hint(text: string, page: PageRef, section?: string, control?: PanelControl): Hint {
  const h: Hint = { text, page };
  if (section) h.section = section;
  if (control) h.control = control;
  return h;
}

/** The hint for a transport failure of the given kind. */
function transportHint(kind: string, url: URL | null, ctx: HintContext): Hint | null {
  const host = url?.hostname ?? "";
  switch (kind) {
    case "dns":
      if (ctx.place === "workstation" && METADATA_HOSTS.has(host)) {
        return hint(
          "The metadata host only resolves inside the instance: run this on the instance, not on your workstation.",
          PAGES.overview,
          "break-it-call-the-service-from-your-laptop",
        );
      }
      return hint(`${host || "This host"} does not resolve from here.`, PAGES.overview, "one-endpoint-two-names");
    case "refused": {
      const protocol = ctx.state?.instance.metadata_service.protocol;
      const scheme = url?.protocol.replace(":", "") ?? "";
      if (METADATA_HOSTS.has(host) && protocol && scheme && protocol !== scheme) {
        return hint(
          protocol === "https"
            ? "Secure access is on: the service answers https:// only, and nothing listens for this http:// request. Use https://api.metadata.cloud.ibm.com, or turn secure access off."
            : "Secure access is off: the service answers http:// only, and nothing listens for this https:// request. Use http://, or turn secure access on.",
          PAGES.secure,
          "break-it-keep-using-http",
          CONTROLS.protocol,
        );
      }
      return hint(
        "Nothing listens there: with secure access on, the service answers only https; with it off, only http.",
        PAGES.secure,
        "break-it-keep-using-http",
        CONTROLS.protocol,
      );
    }
    case "stopped":
      return hint(
        "The instance is stopped: nothing on it reaches anything. Start it (ibmcloud is instance-start, or the panel).",
        PAGES.enable,
        "restart-after-enabling",
        CONTROLS.power,
      );
    case "noanswer":
      return hint(
        ctx.state && ctx.state.hops > ctx.state.instance.metadata_service.response_hop_limit
          ? `The answer never came back: commands run ${ctx.state.hops} hops from the service, and the response hop limit is ${ctx.state.instance.metadata_service.response_hop_limit}.`
          : "The answer never came back: the response hop limit is lower than the hops between you and the service.",
        PAGES.hops,
        "what-a-failure-looks-like",
        CONTROLS.hops,
      );
  }
  return null;
}

/** The value of a request header, by name (any case). */
function header(x: Exchange, name: string): string | undefined {
  return x.reqHeaders.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/**
 * The hint for a 401 of the metadata service: the token sent was refused, and the answer does
 * not say why, on purpose. What was sent does: no JWT, an expired one, an IAM token, or one
 * whose signature cannot match (edited, or signed by another key).
 */
function tokenHint(x: Exchange, ctx: HintContext): Hint {
  const auth = header(x, "Authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(auth.trim());
  const claims = m?.[1] ? jwtClaims(m[1]) : null;
  if (!claims) {
    return hint(
      "What follows Bearer is not a token: send the identity token itself, Authorization: Bearer $identity_token (is the variable set here?).",
      PAGES.token,
      "keep-it-in-a-variable",
    );
  }
  const exp = claims["exp"];
  if (typeof exp === "number" && ctx.now !== undefined && exp * 1000 <= ctx.now) {
    return hint("This token has expired: get a fresh identity token, and renew before expires_at.", PAGES.token, "watch-one-expire");
  }
  const iss = claims["iss"];
  if (typeof iss === "string" && !iss.startsWith("VSI-CR_")) {
    return hint(
      `This token was issued by ${iss}, not by the metadata service: the metadata service takes identity tokens; IAM tokens are for other services.`,
      PAGES.iam,
      "use-it",
    );
  }
  return hint(
    "The token's signature does not match its header and claims: it was edited after it was issued, or signed by another key. Only an unaltered token verifies.",
    PAGES.decode,
    "verifying-the-signature",
  );
}

/** The hint for a CSR the certificate call refused, by the rule its message names (imds/ca). */
function csrHint(msg: string): Hint {
  if (/not a PEM|PKCS #10/i.test(msg)) {
    return hint("The csr field is not one PEM certificate request: escape its newlines as \\n in the JSON.", PAGES.certificates, "skip-the-awk-step");
  }
  if (/public key/i.test(msg)) {
    return hint("The CSR's key is not accepted: use RSA of 2048 to 8192 bits (or ECDSA on P-256, P-384, P-521).", PAGES.certificates, "use-a-weak-key");
  }
  if (/common name/i.test(msg)) {
    return hint("The CSR's subject has a CN: leave it out (the CA sets CN to the instance ID).", PAGES.certificates, "ask-for-a-name");
  }
  if (/extension/i.test(msg)) {
    return hint("The CSR requests extensions (a subjectAltName, say): the service refuses any.", PAGES.certificates, "request-an-extension");
  }
  return hint("The CSR breaks one of the service's rules: the message says which.", PAGES.certificates, "the-rules-a-csr-must-follow");
}

/** The hint for one error item of the metadata and identity host. */
function metadataHint(e: IBMError, x: Exchange, url: URL | null, ctx: HintContext): Hint | null {
  const msg = e.message ?? "";
  const target = e.target?.name ?? "";
  const path = url?.pathname ?? "";
  switch (e.code) {
    case "unauthorized":
      return hint("The metadata service is disabled on this instance: enable it, then try again.", PAGES.enable, "break-it-ask-for-a-token-while-the-service-is-off", CONTROLS.enabled);
    case "unauthenticated":
      return tokenHint(x, ctx);
    case "profile_not_linked":
      return hint("That trusted profile is not linked to this instance: link it, or name one that is.", PAGES.profiles, "links", CONTROLS.profiles);
    case "invalid_version_range": {
      // The message names the bound: "cannot be before `2022-03-01`", "cannot be after `…`".
      const bound = /cannot be (before|after) `?(\d{4}-\d{2}-\d{2})/.exec(msg);
      const date = target || "sent";
      const text = !bound
        ? `The version date ${date} is out of the range the API takes.`
        : bound[1] === "before"
          ? `The version date ${date} is before ${bound[2]}, the first date this API takes.`
          : `The version date ${date} is after today (${bound[2]} by the emulator's clock).`;
      return hint(text, PAGES.versions, "which-dates-are-accepted");
    }
    case "missing_field":
      if (/^version$/i.test(target)) return hint("Every call needs ?version=YYYY-MM-DD.", PAGES.versions, "which-dates-are-accepted");
      if (/^authorization$/i.test(target)) {
        const text = "No Authorization header: send the identity token, -H \"Authorization: Bearer $identity_token\".";
        if (path.includes("/metadata/")) return hint(text, PAGES.metadata, "no-token");
        if (/\/iam_tokens?$/.test(path)) return hint(text, PAGES.iam, "no-identity-token");
        if (path.endsWith("/certificates")) return hint(text, PAGES.certificates, "1-a-token");
        return hint(text, PAGES.token, "keep-it-in-a-variable");
      }
      if (/trusted_profile/i.test(target)) {
        return hint("Name the profile (id, crn or name in trusted_profile), or leave trusted_profile out to use the instance's default.", PAGES.iam, "an-empty-profile-reference");
      }
      return hint(`${target || "A required value"} is missing.`, PAGES.errors, "missing-field");
    case "missing_value":
      if (/metadata-flavor/i.test(target)) return hint('The token request needs the header "Metadata-Flavor: ibm".', PAGES.token, "forget-the-header");
      return hint(`${target || "A header"} needs a value.`, PAGES.errors, "missing-value");
    case "invalid_value":
      if (/^version$/i.test(target)) return hint("The version is not a date written YYYY-MM-DD.", PAGES.versions, "which-dates-are-accepted");
      if (/^csr$/i.test(target)) return csrHint(msg);
      if (/metadata-flavor/i.test(target)) return hint('Metadata-Flavor must be exactly "ibm".', PAGES.token, "the-request");
      if (/^expires_in$/i.test(target)) {
        return path.endsWith("/certificates")
          ? hint("expires_in is out of range for a certificate: the message gives the limits.", PAGES.certificates, "4-ask-for-the-certificate")
          : hint("expires_in is out of range: a token lives 5 to 3600 seconds, and is a number.", PAGES.token, "ask-for-two-hours");
      }
      if (/trusted_profile/i.test(target)) return hint("The trusted profile reference is not usable: its identifiers must name one profile.", PAGES.iam, "by-id-crn-or-name");
      return hint(`${target || "A value"} is not acceptable: the message says what is allowed.`, PAGES.errors, "invalid-value");
    case "invalid_request":
      if (path.endsWith("/certificates")) {
        return hint("The body is not valid JSON: a PEM CSR pasted with its raw newlines breaks it; escape them as \\n.", PAGES.certificates, "skip-the-awk-step");
      }
      return hint("The body is not valid JSON (or is over 64 KiB): check it with jq.", PAGES.errors, "invalid-request");
    case "unknown_field":
      return e.target?.type === "parameter" || e.target?.type === "query_parameter"
        ? hint(`The query has a parameter this call does not take: ${target}.`, PAGES.errors, "unknown-field")
        : hint(`The body has a property this call does not know: ${target} (a typo?).`, PAGES.errors, "unknown-field");
    case "not_found":
      if (/not available for version/i.test(msg)) {
        return hint("This path is gone at this version date: from 2025-08-26 the identity calls are under /identity/v1/.", PAGES.versions, "break-it-bump-the-date-keep-the-path");
      }
      if (/trusted_profile/i.test(target)) return hint("No trusted profile of the account has that id, crn or name.", PAGES.profiles, "the-playgrounds-profiles");
      if (target) return hint(`The instance has nothing with that ${target}.`, PAGES.metadata, "all-the-paths");
      return hint(
        `Nothing answers ${x.method} on ${path || "this path"}: check the path and the method (PUT for the token, POST for the IAM exchange and certificates, GET for metadata).`,
        PAGES.errors,
        "not-found",
      );
    case "method_not_allowed":
      // Only the emulator's own paths (/_emulator/…) answer 405; IBM's answer 404 not_found.
      return hint("The emulator's own path takes another method: the message names it.", PAGES.home, "things-that-are-not-ibms");
    case "service_error":
      return hint("The service failed, not the request: retry after a moment, and keep the trace.", PAGES.errors, "service-error");
  }
  return null;
}

/** The hint for one error item of the VPC API (its codes are its own, with status_code). */
function vpcHint(e: IBMError, x: Exchange): Hint | null {
  const target = e.target?.name ?? "";
  switch (e.code) {
    case "not_authorized":
      return x.status === 403
        ? hint("The token is good, but its holder lacks the IAM role this call needs (the message names it).", PAGES.access, "break-it-switch-the-service-off-with-the-reader", CONTROLS.access)
        : hint("The IAM token is missing, expired or not IAM's: send a fresh one as Authorization: Bearer.", PAGES.access, "break-it-switch-the-service-off-with-the-reader");
    case "invalid_request_field":
      if (/metadata_service/.test(target) || x.url.includes("/instance/templates/")) {
        return hint("A template's metadata settings are fixed once it is created: make a new template instead.", PAGES.enable, "break-it-try-to-change-a-templates-setting");
      }
      break;
    case "validation_unique_failed":
      return hint("That name is already in use in this VPC: choose another.", PAGES.enable, "create-an-instance-from-the-template");
    case "precondition_failed":
      return hint("If-Match names an older version of the instance: read it again for its ETag, then retry.", PAGES.errors, "errors-from-the-vpc-api");
    case "invalid_route":
      return hint("The VPC API has no such path with this method.", PAGES.errors, "errors-from-the-vpc-api");
  }
  if (/response_hop_limit/.test(target)) return hint("The response hop limit is a TTL: 1 to 64.", PAGES.hops, "break-it-out-of-range");
  return null;
}

/** Whether an answer comes from the VPC API (its errors carry status_code, and its host is regional). */
function isVPC(url: URL | null): boolean {
  return !!url && /\.iaas\.cloud\.ibm\.com$/.test(url.hostname);
}

/** The hint for an exchange, or null when it succeeded or nothing useful can be said. */
export function hintForExchange(x: Exchange, ctx: HintContext): Hint | null {
  const url = parseURL(x.url);
  if (x.status === 0) return transportHint(x.errorKind ?? "other", url, ctx);
  if (x.status < 400) return null;
  const { ibm, iamCode } = parseErrors(x.respBody);
  for (const e of ibm) {
    const h = isVPC(url) ? vpcHint(e, x) : metadataHint(e, x, url, ctx);
    if (h) return h;
  }
  if (iamCode === "BXNIM0415E") return hint("IAM does not know this API key: check it, or create one for your user.", PAGES.errors, "iams-errors");
  if (iamCode) return hint(`IAM refused the request (${iamCode}): its errorMessage says why.`, PAGES.errors, "iams-errors");
  if (isVPC(url)) return hint(`The VPC API answered ${x.status}: read the code, then the target.`, PAGES.errors, "errors-from-the-vpc-api");
  return hint(`The service answered ${x.status}: see what each error means.`, PAGES.errors, "at-a-glance");
}

/** curl's exit codes that have a story on this site. */
const CURL_EXIT: Record<number, string> = { 6: "dns", 7: "refused", 28: "noanswer" };

/**
 * The hint for a whole run when no exchange explained it: a command the shell does not have,
 * curl's exit code in standard error, or a URL that a missing variable left malformed.
 */
export function hintForRun(r: RunResult, ctx: HintContext): Hint | null {
  const missing = /^(?:bash: (?:line \d+: )?)?([^\s:]+): command not found$/m.exec(r.stderr);
  if (missing) {
    const near = /^did you mean (\S+)\?/m.exec(r.stderr)?.[1];
    return hint(
      `${missing[1]} is not a command of this shell${near ? `: did you mean ${near}?` : "."} Run help to list the ones it has.`,
      PAGES.home,
      "how-a-live-block-works",
    );
  }
  const m = /curl: \((\d+)\)/.exec(r.stderr);
  const code = m ? Number(m[1]) : 0;
  const kind = CURL_EXIT[code];
  if (kind) {
    const host = /(?:resolve host:?|connect to) ([^\s]+)/i.exec(r.stderr)?.[1] ?? "api.metadata.cloud.ibm.com";
    return transportHint(kind, parseURL(`${kind === "refused" && /port 443/.test(r.stderr) ? "https" : "http"}://${host}/`), ctx);
  }
  if (code === 3) {
    return hint(
      ctx.place === "workstation"
        ? "curl got a malformed URL: $vpc_metadata_api_endpoint is not set on the workstation (it is only on the instance)."
        : "curl got a malformed URL: is a variable in it unset here?",
      PAGES.errors,
      "failures-before-the-service",
    );
  }
  return null;
}

/** The URL of a page: a link to it found on this page (the site's own), else /SLUG/. */
export function pageHref(page: PageRef, doc: Document = document): string {
  if (!page.slug) return "/";
  for (const a of Array.from(doc.querySelectorAll<HTMLAnchorElement>("a[href]"))) {
    const href = a.getAttribute("href") ?? "";
    // In-page anchors (the skip link, heading links) resolve to the current page's path.
    if (href.startsWith("#")) continue;
    let url: URL;
    try {
      url = new URL(href, doc.baseURI);
    } catch {
      continue;
    }
    if (url.origin !== new URL(doc.baseURI).origin || url.hash) continue;
    const last = url.pathname.replace(/\/+$/, "").replace(/\.html$/, "").split("/").pop();
    if (last === page.slug) return href;
  }
  return `/${page.slug}/`;
}

/** The URL of a hint's page, at its section. */
export function hintHref(h: Hint, doc: Document = document): string {
  const href = pageHref(h.page, doc);
  return h.section ? `${href}#${h.section}` : href;
}

/** The link to a control of the instance panel (panel.ts opens the panel and focuses it). */
export function panelControlHref(id: string): string {
  return `#${id}`;
}
