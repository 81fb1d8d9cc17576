// One-line hints for failed exchanges, each with a link to the page that explains the cause.
// The emulator answers exactly as the service would; the hint is the page's own voice.

import type { Exchange, Place, RunResult } from "./api";

/** A documentation page of this site, by slug. */
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
  overview: { slug: "overview", title: "What the metadata service is" },
  enable: { slug: "enable", title: "Enable or disable the service" },
  token: { slug: "identity-token", title: "Get an identity token" },
  decode: { slug: "decode-token", title: "Decode and verify the token" },
  iam: { slug: "iam-token", title: "Exchange it for an IAM token" },
  profiles: { slug: "trusted-profiles", title: "Trusted profiles" },
  certificates: { slug: "certificates", title: "Get an identity certificate" },
  secure: { slug: "secure-access", title: "Secure access over HTTPS" },
  hops: { slug: "hop-limit", title: "The response hop limit" },
  metadata: { slug: "metadata", title: "Read instance metadata" },
  versions: { slug: "versions", title: "API versions" },
  errors: { slug: "errors", title: "Errors and what they mean" },
} as const satisfies Record<string, PageRef>;

/** A hint: one line of text and the page that explains it. */
export interface Hint {
  text: string;
  page: PageRef;
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

/** The host part of a URL, or "" when it does not parse. */
function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

/** The hint for a transport failure of the given kind. */
function transportHint(kind: string, host: string, place: Place): Hint | null {
  switch (kind) {
    case "dns":
      if (place === "workstation" && METADATA_HOSTS.has(host)) {
        return {
          text: "The metadata host only resolves inside the instance: run this on the instance, not on your workstation.",
          page: PAGES.overview,
        };
      }
      return { text: `${host || "This host"} does not resolve from here.`, page: PAGES.overview };
    case "refused":
      return {
        text: "Nothing listens there: with secure access on, the service answers only https; with it off, only http.",
        page: PAGES.secure,
      };
    case "stopped":
      return {
        text: "The instance is stopped: nothing on it reaches anything. Start it from the panel, or with ibmcloud is instance-start.",
        page: PAGES.enable,
      };
    case "noanswer":
      return {
        text: "The answer never came back: the response hop limit is lower than the hops between you and the service.",
        page: PAGES.hops,
      };
  }
  return null;
}

/** The hint for one IBM error item. */
function codeHint(e: IBMError, url: string): Hint | null {
  const msg = e.message ?? "";
  const target = e.target?.name ?? "";
  switch (e.code) {
    case "unauthorized":
      if (/not enabled|disabled/i.test(msg)) {
        return { text: "The metadata service is disabled on this instance: enable it, then try again.", page: PAGES.enable };
      }
      return { text: "The caller is not allowed to do this: check the token and the trusted profile.", page: PAGES.profiles };
    case "unauthenticated":
      return {
        text: "The token is missing, malformed or expired: get a fresh instance identity token and send it as Authorization: Bearer.",
        page: PAGES.token,
      };
    case "profile_not_linked":
      return { text: "That trusted profile is not linked to this instance: link it, or name one that is.", page: PAGES.profiles };
  }
  if (/^version$/i.test(target)) {
    return { text: "Pass ?version=YYYY-MM-DD with a date this API accepts.", page: PAGES.versions };
  }
  if (/metadata-flavor/i.test(target)) {
    return { text: 'The token request needs the header "Metadata-Flavor: ibm".', page: PAGES.token };
  }
  if (/^csr$/i.test(target) || (url.includes("/certificates") && e.code !== "not_found")) {
    return {
      text: "The CSR must be PEM with its newlines escaped, and name only C, ST, L, O or OU in its subject, with no extensions.",
      page: PAGES.certificates,
    };
  }
  if (/trusted_profile/i.test(target)) {
    return { text: "Name a trusted profile by id, crn or name, or link a default one to the instance.", page: PAGES.iam };
  }
  if (/^expires_in$/i.test(target)) {
    return { text: "expires_in is outside the range this endpoint accepts.", page: PAGES.token };
  }
  switch (e.code) {
    case "not_found":
      return { text: "There is no such resource or path: check the ID and the URL.", page: PAGES.errors };
    case "method_not_allowed":
      return { text: "This path exists, but not with this method.", page: PAGES.errors };
    case "invalid_request":
      return { text: "The request could not be parsed: check the JSON body.", page: PAGES.errors };
    case "unknown_field":
      return { text: "The body has a field this endpoint does not know.", page: PAGES.errors };
  }
  return null;
}

/** The hint for an exchange, or null when it succeeded or nothing useful can be said. */
export function hintForExchange(x: Exchange, place: Place): Hint | null {
  if (x.status === 0) return transportHint(x.errorKind ?? "other", hostOf(x.url), place);
  if (x.status < 400) return null;
  const { ibm, iamCode } = parseErrors(x.respBody);
  for (const e of ibm) {
    const h = codeHint(e, x.url);
    if (h) return h;
  }
  if (iamCode) {
    return { text: `IAM refused the request (${iamCode}): check the token and the trusted profile.`, page: PAGES.iam };
  }
  return { text: `The service answered ${x.status}: see what each error means.`, page: PAGES.errors };
}

/** curl's exit codes that have a story on this site. */
const CURL_EXIT: Record<number, string> = { 6: "dns", 7: "refused", 28: "noanswer" };

/**
 * The hint for a whole run when no exchange explained it: curl's exit code in stderr, or a URL
 * that a missing variable left malformed.
 */
export function hintForRun(r: RunResult, place: Place): Hint | null {
  const m = /curl: \((\d+)\)/.exec(r.stderr);
  const code = m ? Number(m[1]) : 0;
  const kind = CURL_EXIT[code];
  if (kind) {
    const host = /resolve host:? ([^\s]+)/i.exec(r.stderr)?.[1] ?? "api.metadata.cloud.ibm.com";
    return transportHint(kind, host, place);
  }
  if (code === 3) {
    return { text: "curl got a malformed URL: is a variable such as $vpc_metadata_api_endpoint unset here?", page: PAGES.overview };
  }
  return null;
}

/** The URL of a page: a link to it found on this page (the site's own), else /SLUG/. */
export function pageHref(page: PageRef, doc: Document = document): string {
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
