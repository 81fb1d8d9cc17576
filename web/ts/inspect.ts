// The panels a reader opens under an output: a decoded JWT and a readable certificate chain.

import type { CertInfo, ChainInfo, ImdsAPI, JWTInfo } from "./api";
import { everySecond } from "./clock";
import { el, formatCountdown } from "./dom";

/** A definition list row. */
function row(term: string, value: string): HTMLElement[] {
  return [el("dt", {}, term), el("dd", {}, value)];
}

/** Formats a Unix-ms instant as an ISO date in UTC. */
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/**
 * Starts a countdown in node to the instant exp (Unix ms, emulator time). The emulator's clock
 * can run ahead of the real one (sleep, curl timeouts), so the countdown follows it (clock.ts).
 * The node is made before it is shown: it is rendered at once and ticks once it is in the page.
 */
function countdown(node: HTMLElement, expMs: number, now: () => number): void {
  everySecond(node, () => {
    const left = expMs - now();
    node.dataset["state"] = left > 0 ? "valid" : "expired";
    node.textContent =
      left > 0 ? `Expires in ${formatCountdown(left)} (at ${iso(expMs)})` : `Expired ${formatCountdown(-left)} ago (at ${iso(expMs)})`;
  });
}

/** Renders a checked token: verdict, expiry countdown, header and claims. */
export function renderJWT(info: JWTInfo, api: ImdsAPI): HTMLElement {
  const verdict = el(
    "p",
    { class: info.valid ? "jwt-verdict jwt-valid" : "jwt-verdict jwt-invalid", testid: "jwt-verdict" },
    info.valid ? "✓ " : "✗ ",
    info.reason,
  );
  const times = el("dl", { class: "jwt-times" });
  if (info.issuedAtMs) times.append(...row("Issued (iat)", iso(info.issuedAtMs)));
  if (info.notBeforeMs) times.append(...row("Not before (nbf)", iso(info.notBeforeMs)));
  const expiry = el("p", { class: "jwt-expiry", testid: "jwt-expiry" });
  if (info.expiresAtMs) countdown(expiry, info.expiresAtMs, () => api.now());
  else expiry.textContent = "No expiry (exp) claim.";
  return el(
    "div",
    { class: "jwt-body" },
    verdict,
    expiry,
    times.childElementCount ? times : null,
    el("p", { class: "out-label" }, "Header"),
    el("pre", { class: "jwt-header" }, JSON.stringify(info.header, null, 2)),
    el("p", { class: "out-label" }, "Claims"),
    el("pre", { class: "jwt-claims" }, JSON.stringify(info.claims, null, 2)),
  );
}

/** Renders one certificate of a chain. */
function renderCert(c: CertInfo, i: number, n: number): HTMLElement {
  const role = i === 0 ? "Leaf" : c.selfSigned ? "Root" : c.isCA ? "Intermediate CA" : "Certificate";
  const dl = el("dl", {});
  dl.append(
    ...row("Subject", c.subject),
    ...row("Issuer", c.issuer),
    ...row("Valid", `${c.notBefore} → ${c.notAfter}`),
    ...row("Key", c.publicKey),
    ...row("Signature", c.signatureAlgorithm),
    ...row("Serial", c.serialNumber),
  );
  if (c.keyUsage?.length) dl.append(...row("Key usage", c.keyUsage.join(", ")));
  if (c.extKeyUsage?.length) dl.append(...row("Extended key usage", c.extKeyUsage.join(", ")));
  if (c.dnsNames?.length) dl.append(...row("DNS names", c.dnsNames.join(", ")));
  if (c.uris?.length) dl.append(...row("URIs", c.uris.join(", ")));
  dl.append(...row("SHA-256", c.sha256));
  return el(
    "li",
    { class: "chain-cert", testid: "chain-cert" },
    el("p", { class: "chain-cert-title" }, `${i + 1} of ${n}: ${role}${c.isCA ? " (CA)" : ""}`),
    dl,
  );
}

/** Renders a certificate chain: verdict and one entry per certificate, leaf first. */
export function renderChain(info: ChainInfo): HTMLElement {
  return el(
    "div",
    { class: "chain-body" },
    el(
      "p",
      { class: info.verified ? "chain-verdict chain-valid" : "chain-verdict chain-invalid", testid: "chain-verdict" },
      info.verified ? "✓ " : "✗ ",
      info.reason,
    ),
    el("ol", { class: "chain-list" }, ...info.certificates.map((c, i, all) => renderCert(c, i, all.length))),
  );
}

/**
 * A closed <details> whose body is made by load the first time it opens. Errors show in place:
 * the emulator rejecting a malformed token is an answer, not a page failure.
 */
export function lazyDetails(cls: string, testid: string, summary: string, load: () => Promise<HTMLElement>): HTMLDetailsElement {
  const d = el("details", { class: cls, testid }, el("summary", {}, summary));
  let started = false;
  d.addEventListener("toggle", () => {
    if (!d.open || started) return;
    started = true;
    const wait = el("p", { class: "hint" }, "Checking…");
    d.append(wait);
    load().then(
      (body) => wait.replaceWith(body),
      (err: unknown) => wait.replaceWith(el("p", { class: "out-stderr" }, err instanceof Error ? err.message : String(err))),
    );
  });
  return d;
}
