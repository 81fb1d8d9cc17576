// The session's variables, in the instance panel (web/panel.templ): one shell session per place
// for the whole visit, and here what it holds, as the environments of request tools show them:
// each variable's name, its value shortened in the middle (copyable whole), the block that set
// it (a link to that block, on whatever page), and for a JWT its time left on the emulator's
// clock.
//
// The values come from the engine's snapshot (imds.snapshot().vars: the names the sessions'
// scripts assigned); which block set each comes from the runs (RunResult.set) and is kept in
// memory.ts with the values.

import type { ImdsAPI, Place, Snapshot } from "./api";
import { everySecond } from "./clock";
import { copyButton, el, formatCountdown } from "./dom";
import { jwtExpiry } from "./tokens";

/** Where a variable was set: a page (its slug, "" for the home page) and a block on it. */
export interface Setter {
  page: string;
  /** The page's title when it was set ("" when unknown). */
  title: string;
  /** The block's number on its page, from 1; absent when only the page is known. */
  block?: number;
}

/** Who set which variable, by place and name. */
export type SetBy = Partial<Record<Place, Record<string, Setter>>>;

/** The places in the order the panel lists them, with their headings. */
const PLACES: [Place, string][] = [
  ["instance", "On the instance"],
  ["workstation", "On your workstation"],
];

/** Values longer than this are shown shortened in the middle. */
const SHOW = 28;

/** value shortened in the middle: its start and its end, which is how tokens are told apart. */
export function shorten(value: string): string {
  const v = value.replace(/\s+/g, " ");
  return v.length <= SHOW ? v : `${v.slice(0, 14)}…${v.slice(-9)}`;
}

/** The URL of a page by slug, and of a block on it. */
export function setterHref(s: Setter): string {
  const page = s.page ? `/${s.page}/` : "/";
  return s.block ? `${page}#block-${s.block}` : page;
}

/** A page's title as the sidebar names it now, else as it was saved, else its slug. */
function pageTitle(s: Setter): string {
  const href = s.page ? `/${s.page}/` : "/";
  const link = Array.from(document.querySelectorAll<HTMLAnchorElement>('[data-testid="sidebar"] a[href]')).find(
    (a) => a.getAttribute("href") === href,
  );
  return link?.textContent?.trim() || s.title || s.page || "the home page";
}

/** The variables panel. */
export class VariablesPanel {
  /** Who set which variable; runs add to it, memory saves it. */
  setBy: SetBy = {};
  private shown = "";

  constructor(
    private readonly list: HTMLElement,
    private readonly counter: HTMLElement | null,
    private readonly api: ImdsAPI,
  ) {}

  /** Records that a run of setter set names at place. */
  noteRun(place: Place, names: readonly string[], setter: Setter): void {
    if (!names.length) return;
    const m = (this.setBy[place] ??= {});
    for (const n of names) m[n] = setter;
  }

  /** Shows the sessions' variables (a snapshot's vars); unchanged ones are left alone. */
  render(vars: Snapshot["vars"]): void {
    const v = vars ?? {};
    const key = JSON.stringify([v, this.setBy]);
    if (key === this.shown) return;
    this.shown = key;
    const parts: HTMLElement[] = [];
    let n = 0;
    for (const [place, heading] of PLACES) {
      const names = Object.keys(v[place] ?? {}).sort();
      if (!names.length) continue;
      n += names.length;
      const id = `vars-${place}`;
      parts.push(
        el("h3", { class: "panel-vars-place", attrs: { id } }, heading),
        el(
          "dl",
          { class: "panel-vars-list", testid: "vars-list", attrs: { "aria-labelledby": id } },
          ...names.map((name) => this.item(place, name, v[place]?.[name] ?? "")),
        ),
      );
    }
    if (!n) parts.push(el("p", { class: "panel-note", testid: "vars-empty" }, "None yet: a block that sets a variable (name=…) adds it here."));
    this.list.replaceChildren(...parts);
    if (this.counter) this.counter.textContent = n ? `(${n})` : "";
  }

  /** One variable: name, value, setter, time left. */
  private item(place: Place, name: string, value: string): HTMLElement {
    const status = el("span", { class: "copy-status", attrs: { role: "status" } });
    const setter = this.setBy[place]?.[name];
    const row = el(
      "div",
      { class: "panel-var", testid: "var" },
      el("dt", {}, el("code", { testid: "var-name" }, `$${name}`)),
      el(
        "dd",
        { class: "panel-var-value" },
        el("code", { testid: "var-value", attrs: { title: value } }, shorten(value)),
        " ",
        copyButton("Copy", "var-copy", () => value, status),
        " ",
        status,
      ),
      el(
        "dd",
        { class: "panel-var-setter", testid: "var-setter" },
        "set by ",
        setter
          ? el("a", { attrs: { href: setterHref(setter) } }, setter.block ? `${pageTitle(setter)}, block ${setter.block}` : pageTitle(setter))
          : "a command outside the page's blocks",
      ),
    );
    row.dataset["name"] = name;
    row.dataset["place"] = place;
    const exp = jwtExpiry(value);
    if (exp !== null) {
      const left = el("dd", { class: "panel-var-expiry", testid: "var-expiry" });
      row.append(left);
      everySecond(left, () => {
        const ms = exp - this.api.now();
        left.dataset["state"] = ms > 0 ? "valid" : "expired";
        left.textContent = ms > 0 ? `JWT, expires in ${formatCountdown(ms)}` : `JWT, expired ${formatCountdown(-ms)} ago`;
      });
    }
    return row;
  }
}
