// The output panel of a live block: what the script printed, one entry per HTTP exchange, and
// a hint with a link when something failed.
//
// A failed run opens with what a learner needs to see first: the requests, each failed one open
// on its status, its hint (one line and the page that explains it) and its error JSON; what was
// sent (headers, body, the request as curl) is folded inside each. A run that went well shows
// what the script printed first. A failure with no answer to explain it (a command not found,
// a malformed URL) has its hint on top. The script's two streams are one terminal, in the
// order they were written (wasm/output.go), standard error styled; the exit status is last.
//
// Tokens and other long base64 values are shortened in the middle wherever they show (the
// terminal, headers, bodies, the request as curl), with a control that shows them whole; text
// copied from the output carries them whole.

import type { Exchange, ImdsAPI, OutputChunk, Place, RunResult } from "./api";
import { copyButton, el, formatMs, prettyJSON } from "./dom";
import { type Hint, type HintContext, hintForExchange, hintForRun, hintHref, panelControlHref } from "./hints";
import { lazyDetails, renderChain, renderJWT } from "./inspect";
import { findCertificates, findTokens, LONG_RE } from "./tokens";

/** Characters kept at each end of a shortened value. */
const KEEP_HEAD = 16;
const KEEP_TAIL = 8;

/**
 * text as nodes, with every long value (LONG_RE) shortened in the middle: its start, a button
 * that shows it whole, its end. The value's whole text stays on the element (data-full), for
 * copying.
 */
export function shortened(text: string): Node[] {
  const out: Node[] = [];
  let at = 0;
  for (const m of text.matchAll(LONG_RE)) {
    const v = m[0];
    const i = m.index ?? 0;
    if (i > at) out.push(document.createTextNode(text.slice(at, i)));
    out.push(longValue(v));
    at = i + v.length;
  }
  if (at < text.length || out.length === 0) out.push(document.createTextNode(text.slice(at)));
  return out;
}

/** One shortened value. */
function longValue(v: string): HTMLElement {
  const span = el("span", { class: "long", testid: "long" });
  span.dataset["full"] = v;
  const more = el(
    "button",
    {
      class: "long-more",
      testid: "long-more",
      attrs: { type: "button", "aria-expanded": "false", "aria-label": `Show all ${v.length} characters`, title: `Show all ${v.length} characters` },
    },
    "…",
  );
  more.addEventListener("click", () => {
    span.textContent = v;
    span.dataset["expanded"] = "true";
    // The button is gone: focus stays where the reader was, on the value it opened.
    span.tabIndex = -1;
    span.focus({ preventScroll: true });
  });
  span.append(v.slice(0, KEEP_HEAD), more, v.slice(-KEEP_TAIL));
  return span;
}

/** A <pre> of text with its long values shortened. */
function pre(cls: string, text: string, testid?: string): HTMLPreElement {
  const p = el("pre", testid ? { class: cls, testid } : { class: cls });
  p.append(...shortened(text));
  return p;
}

let copyWired = false;

/**
 * Copying from an output gives long values whole: a selection's shortened values are replaced
 * by their full text. Wired once, on the document.
 */
function wireCopy(): void {
  if (copyWired) return;
  copyWired = true;
  document.addEventListener("copy", (ev) => {
    const sel = document.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
    const frag = sel.getRangeAt(0).cloneContents();
    const longs = Array.from(frag.querySelectorAll<HTMLElement>(".long[data-full]"));
    if (!longs.length || !ev.clipboardData) return;
    for (const l of longs) l.replaceWith(l.dataset["full"] ?? "");
    ev.clipboardData.setData("text/plain", frag.textContent ?? "");
    ev.preventDefault();
  });
}

/** Renders a hint line with its link, and a link to the panel's control when it has one. */
function renderHint(h: Hint, exchange?: number): HTMLElement {
  const p = el(
    "p",
    { class: "hint", testid: "hint" },
    h.text,
    " ",
    el("a", { attrs: { href: hintHref(h) } }, `Read: ${h.page.title} →`),
  );
  if (h.control) {
    const a = el("a", { class: "panel-link", testid: "hint-control", attrs: { href: panelControlHref(h.control.id) } }, h.control.label);
    p.append(" ", a);
  }
  p.dataset["page"] = h.section ? `${h.page.slug}#${h.section}` : h.page.slug;
  if (exchange !== undefined) p.dataset["exchange"] = String(exchange);
  return p;
}

/** Headers as "Name: value" lines. */
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

/** Whether an exchange failed: no answer, or a 4xx or 5xx. */
function failed(x: Exchange): boolean {
  return x.status === 0 || x.status >= 400;
}

/** The error code an answer carries (IBM's first, or IAM's), or the kind of transport failure. */
function errorCode(x: Exchange): string {
  if (x.status === 0) return x.errorKind ?? "other";
  try {
    const v = JSON.parse(x.respBody) as { errors?: { code?: unknown }[]; errorCode?: unknown };
    if (Array.isArray(v.errors) && typeof v.errors[0]?.code === "string") return v.errors[0].code;
    if (typeof v.errorCode === "string") return v.errorCode;
  } catch {
    // Not JSON: no code.
  }
  return "";
}

/** "METHOD URL", with the URL's origin in a span of its own. */
function requestLine(x: Exchange): HTMLElement {
  const line = el("span", { class: "exchange-request-line", attrs: { title: `${x.method} ${x.url}` } }, `${x.method} `);
  const m = /^([a-z]+:\/\/[^/?#]+)(.*)$/i.exec(x.url);
  if (m?.[1]) line.append(el("span", { class: "exchange-origin" }, m[1]), m[2] || "/");
  else line.append(x.url);
  return line;
}

/** A small label above a part of an exchange (not a heading: the output is not a section of the page). */
function label(text: string): HTMLElement {
  return el("p", { class: "out-label" }, text);
}

/**
 * Renders one exchange: status, request line and time as the summary; inside, the answer first
 * (the hint when it failed, then its body), then what was sent and the request as curl, folded.
 * The URL's origin is in a span of its own, which narrow screens leave out of the summary.
 */
function renderExchange(x: Exchange, hint: Hint | null, api: ImdsAPI, open: boolean, i: number): HTMLElement {
  const d = el("details", { class: `exchange ${failed(x) ? "exchange-status-err" : "exchange-status-ok"}`, testid: "exchange" });
  d.dataset["status"] = String(x.status);
  const code = failed(x) ? errorCode(x) : "";
  if (code) d.dataset["code"] = code;
  d.open = open;
  d.append(
    el(
      "summary",
      {},
      el("span", { class: "exchange-status", testid: "exchange-status" }, statusText(x)),
      " ",
      requestLine(x),
      " ",
      el("span", { class: "exchange-time" }, timeText(x)),
    ),
  );
  if (hint) d.append(renderHint(hint, i));
  const body = x.status !== 0 && x.respBody ? prettyJSON(x.respBody) : null;
  if (body) d.append(pre("exchange-body", body.text, "response-body"));
  if (x.truncated) d.append(el("p", { class: "hint" }, "Shown in part: the body is long."));
  if (body) d.append(...inspectors(x.respBody, body.value, api));

  const sent = el("div", { class: "exchange-req" }, label("Request"), pre("exchange-headers", headerText(x.reqHeaders)));
  if (x.reqBody) sent.append(pre("exchange-body", prettyJSON(x.reqBody).text));
  const more = el("details", { class: "exchange-more", testid: "exchange-more" }, el("summary", {}, "Request, headers and curl"), sent);
  if (x.status !== 0) {
    more.append(el("div", { class: "exchange-resp" }, label("Response headers"), pre("exchange-headers", `HTTP/1.1 ${statusText(x)}\n${headerText(x.respHeaders)}`)));
  }
  more.append(renderCurl(x));
  d.append(more);
  return d;
}

/**
 * The request as a curl command, to copy: with every value spelled out, or with the session's
 * variables kept ("$iam_token"), to run again in this page's session with what they hold then.
 */
export function renderCurl(x: Exchange): HTMLElement {
  const text = pre("exchange-curl-text", x.curl, "curl");
  const keep = el("input", { testid: "curl-keep-vars", attrs: { type: "checkbox" } });
  keep.disabled = x.curlVars === x.curl;
  keep.addEventListener("change", () => {
    text.replaceChildren(...shortened(keep.checked ? x.curlVars : x.curl));
  });
  const status = el("span", { class: "copy-status", testid: "copy-status", attrs: { role: "status" } });
  return el(
    "div",
    { class: "exchange-curl" },
    label("As curl"),
    el(
      "p",
      { class: "exchange-curl-actions" },
      copyButton("Copy as curl", "copy-curl", () => (keep.checked ? x.curlVars : x.curl), status),
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

/** The run's output as one terminal: both streams in the order written, standard error styled. */
function terminal(r: RunResult): HTMLElement | null {
  const chunks: OutputChunk[] = r.output ?? [
    ...(r.stdout ? [{ fd: 1 as const, text: r.stdout }] : []),
    ...(r.stderr ? [{ fd: 2 as const, text: r.stderr }] : []),
  ];
  if (!chunks.length) return null;
  const t = el("pre", { class: "terminal", testid: "terminal" });
  for (const c of chunks) {
    const s = el("span", c.fd === 2 ? { class: "out-stderr", testid: "stderr" } : { class: "out-stdout", testid: "stdout" });
    s.append(...shortened(c.text));
    t.append(s);
  }
  return t;
}

/** Renders a run's result into the output element, replacing what was there. */
export function renderResult(out: HTMLElement, r: RunResult, place: Place, api: ImdsAPI): void {
  wireCopy();
  const ctx: HintContext = { place, state: api.state(), now: api.now() };
  const parts: HTMLElement[] = [];
  if (r.stopped) {
    const note = el("p", { class: "hint", testid: "stopped" }, STOPPED[r.stopped]);
    note.dataset["stopped"] = r.stopped;
    parts.push(note);
  }
  // Each failed exchange has its hint; a failure no exchange explains has one on top.
  const hints = r.exchanges.map((x) => hintForExchange(x, ctx));
  const hint = hints.some((h) => h !== null) ? null : hintForRun(r, ctx);
  const anyFailed = r.exchanges.some(failed);
  const xs = r.exchanges.map((x, i) => renderExchange(x, hints[i] ?? null, api, failed(x) || (r.exchanges.length === 1 && !r.stdout), i));
  const list = xs.length
    ? el("div", { class: "exchanges", testid: "exchanges", attrs: { role: "group", "aria-label": xs.length === 1 ? "1 request" : `${xs.length} requests` } }, ...xs)
    : null;
  const term = terminal(r);
  if (hint) parts.push(renderHint(hint));
  // A failure comes first: its status and error JSON before what the script printed.
  if (anyFailed) parts.push(...[list, term].filter((p): p is HTMLElement => p !== null));
  else parts.push(...[term, list].filter((p): p is HTMLElement => p !== null));
  parts.push(...inspectors(r.stdout, undefined, api));
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
