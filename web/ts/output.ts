// The output panel of a live block: what the script printed, one entry per HTTP exchange, and
// a hint with a link when something failed.

import type { Exchange, ImdsAPI, Place, RunResult } from "./api";
import { copyButton, el, formatMs, prettyJSON } from "./dom";
import { type Hint, hintForExchange, hintForRun, pageHref } from "./hints";
import { lazyDetails, renderChain, renderJWT } from "./inspect";
import { findCertificates, findTokens } from "./tokens";

/** Renders a hint line with its link. */
function renderHint(h: Hint): HTMLElement {
  return el(
    "p",
    { class: "hint", testid: "hint" },
    h.text,
    " ",
    el("a", { attrs: { href: pageHref(h.page) } }, `Read: ${h.page.title} →`),
  );
}

/** Renders headers as "Name: value" lines. */
function headerText(pairs: [string, string][]): string {
  return pairs.map(([k, v]) => `${k}: ${v}`).join("\n");
}

/** The open-able extras for a text: one JWT panel per token, one chain panel for certificates. */
function inspectors(text: string, json: unknown, api: ImdsAPI): HTMLElement[] {
  const out: HTMLElement[] = [];
  for (const t of findTokens(text, json)) {
    out.push(lazyDetails("jwt", "jwt", `Decode JWT: ${t.label}`, async () => renderJWT(await api.verifyJWT(t.token), api)));
  }
  const certs = findCertificates(text);
  if (certs.length) {
    const n = certs.length === 1 ? "1 certificate" : `${certs.length} certificates`;
    out.push(lazyDetails("chain", "chain", `Show certificate chain (${n})`, async () => renderChain(await api.parseChain(certs))));
  }
  return out;
}

/** The summary's status text of an exchange. */
function statusText(x: Exchange): string {
  if (x.status === 0) return x.error ? `no response: ${x.error}` : "no response";
  return `${x.status} ${x.statusText ?? ""}`.trim();
}

/** The time an exchange took: real time, plus virtual time when the emulator's clock moved. */
function timeText(x: Exchange): string {
  return x.virtualMs > x.ms + 1000 ? `${formatMs(x.ms)} (${formatMs(x.virtualMs)} emulated)` : formatMs(x.ms);
}

/** Renders one exchange: request line, status and time as the summary, details inside. */
function renderExchange(x: Exchange, hint: Hint | null, api: ImdsAPI, open: boolean): HTMLElement {
  const ok = x.status >= 200 && x.status < 400;
  const d = el("details", { class: `exchange ${ok ? "exchange-status-ok" : "exchange-status-err"}`, testid: "exchange" });
  d.dataset["status"] = String(x.status);
  d.open = open;
  d.append(
    el(
      "summary",
      {},
      el("span", { class: "exchange-request-line" }, `${x.method} ${x.url}`),
      " ",
      el("span", { class: "exchange-status", testid: "exchange-status" }, statusText(x)),
      " ",
      el("span", { class: "exchange-time" }, timeText(x)),
    ),
  );
  const req = el("div", { class: "exchange-req" }, el("h4", {}, "Request"), el("pre", { class: "exchange-headers" }, headerText(x.reqHeaders)));
  if (x.reqBody) req.append(el("pre", { class: "exchange-body" }, prettyJSON(x.reqBody).text));
  d.append(req, renderCurl(x));
  if (x.status !== 0) {
    const body = prettyJSON(x.respBody);
    const resp = el(
      "div",
      { class: "exchange-resp" },
      el("h4", {}, "Response"),
      el("pre", { class: "exchange-headers" }, `HTTP/1.1 ${statusText(x)}\n${headerText(x.respHeaders)}`),
    );
    if (x.respBody) resp.append(el("pre", { class: "exchange-body", testid: "response-body" }, body.text));
    if (x.truncated) resp.append(el("p", { class: "hint" }, "Shown in part: the body is long."));
    resp.append(...inspectors(x.respBody, body.value, api));
    d.append(resp);
  }
  if (hint) d.append(renderHint(hint));
  return d;
}

/**
 * The request as a curl command, to copy: with every value spelled out, or with the session's
 * variables kept ("$iam_token"), to run again in this page's session with what they hold then.
 */
export function renderCurl(x: Exchange): HTMLElement {
  const text = el("pre", { class: "exchange-curl-text", testid: "curl" }, x.curl);
  const keep = el("input", { testid: "curl-keep-vars", attrs: { type: "checkbox" } });
  keep.disabled = x.curlVars === x.curl;
  keep.addEventListener("change", () => {
    text.textContent = keep.checked ? x.curlVars : x.curl;
  });
  const status = el("span", { class: "copy-status", testid: "copy-status", attrs: { role: "status" } });
  return el(
    "div",
    { class: "exchange-curl" },
    el("h4", {}, "As curl"),
    el(
      "p",
      { class: "exchange-curl-actions" },
      copyButton("Copy as curl", "copy-curl", () => text.textContent ?? "", status),
      " ",
      el("label", {}, keep, " keep $variables"),
      " ",
      status,
    ),
    text,
  );
}

/** What a stopped run's output says about how it stopped. */
const STOPPED: Record<NonNullable<RunResult["stopped"]>, string> = {
  cancelled: "Stopped, as Ctrl-C stops a command: what it did until then stays done.",
  restarted:
    "Stopped. The command did not hand the emulator back, so the emulator was restarted: the instance, the clock and your variables are as they were before this run.",
};

/** Renders a run's result into the output element, replacing what was there. */
export function renderResult(out: HTMLElement, r: RunResult, place: Place, api: ImdsAPI): void {
  const parts: HTMLElement[] = [];
  if (r.stopped) {
    const note = el("p", { class: "hint", testid: "stopped" }, STOPPED[r.stopped]);
    note.dataset["stopped"] = r.stopped;
    parts.push(note);
  }
  if (r.stdout) parts.push(el("pre", { class: "out-stdout", testid: "stdout" }, r.stdout));
  if (r.stderr) parts.push(el("pre", { class: "out-stderr", testid: "stderr" }, r.stderr));
  parts.push(...inspectors(r.stdout, undefined, api));
  // The first failed exchange's hint is shown up top, once; later failures keep their own.
  const hints = r.exchanges.map((x) => hintForExchange(x, place));
  const top = hints.findIndex((h) => h !== null);
  const hint = top >= 0 ? hints[top] ?? null : hintForRun(r, place);
  const xs = r.exchanges.map((x, i) => {
    const failed = x.status === 0 || x.status >= 400;
    const open = failed || (r.exchanges.length === 1 && !r.stdout);
    return renderExchange(x, i === top ? null : hints[i] ?? null, api, open);
  });
  if (hint) parts.push(renderHint(hint));
  if (xs.length) {
    const n = xs.length === 1 ? "1 request" : `${xs.length} requests`;
    parts.push(el("div", { class: "exchanges", testid: "exchanges", attrs: { "aria-label": n } }, ...xs));
  }
  const status = el(
    "p",
    { class: r.exit === 0 ? "out-exit out-exit-ok" : "out-exit out-exit-err", testid: "exit" },
    `exit ${r.exit} · ${formatMs(r.ms)}${r.virtualMs > r.ms + 1000 ? ` · clock moved ${formatMs(r.virtualMs)}` : ""}`,
  );
  status.dataset["exit"] = String(r.exit);
  parts.push(status);
  out.replaceChildren(...parts);
  out.dataset["state"] = r.exit === 0 ? "ok" : "error";
}

/** Shows a one-line state (queued, running, engine failure) in the output element. */
export function renderState(out: HTMLElement, state: "queued" | "running" | "error", text: string): void {
  out.replaceChildren(el("p", { class: state === "error" ? "out-stderr" : "hint", testid: `state-${state}` }, text));
  out.dataset["state"] = state;
}
