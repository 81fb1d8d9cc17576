// Live blocks: each documented command becomes editable and runnable, and stoppable while it
// runs (Stop, or Esc in its editor). The blocks of every page share one shell session per place
// for the whole visit, so a variable set by one block is there for the next, on this page or
// another (runner.ts runs them).
//
// A block's text is the documented text until the reader edits it (or memory or a shared link
// puts an edited text back). The API version switch rewrites the `version=YYYY-MM-DD` dates of
// every block, in place in the editor, so the reader sees the date that runs; except the dates a
// block demonstrates, which the page marks as fixed (data-fixed-version: "all", or the dates),
// and the block then says that it keeps them.
//
// Reset puts the documented text back and offers to undo that (Undo, or Ctrl+Z / ⌘+Z in the
// editor before typing again): the reader's edits are one click from coming back. Copy copies
// the text that runs. The buttons are in the built page hidden, so that a page read without
// JavaScript shows none that do nothing; wiring a block shows them.
//
// The site build tells each block what it needs and provides (data-reads, data-sets,
// data-files-in, data-files-out: web/blocks.templ); the runner uses them to run the blocks above
// one first.

import type { Place } from "./api";
import { copyText, el, makeEditable } from "./dom";

/** Variables and files, as a block needs or provides them. */
export interface Names {
  vars: string[];
  files: string[];
}

/** One live block, as the rest of the runtime drives it. */
export interface LiveBlock {
  readonly el: HTMLElement;
  /** Position among the page's live blocks, from 0 (data-index). */
  readonly index: number;
  readonly on: Place;
  /** The documented text (data-source). */
  readonly source: string;
  /** 8 hex digits of FNV-1a over the documented text: identifies it in memory and links. */
  readonly hash: string;
  /** The output panel. */
  readonly out: HTMLElement;
  /** The text that runs. */
  text(): string;
  /** Whether the reader's own text replaced the documented one. */
  edited(): boolean;
  /** Puts text in the editor as if the reader had typed it (the documented text un-edits). */
  setText(text: string): void;
  /** Back to the documented text, with the version switch's date. */
  reset(): void;
  /**
   * Rewrites the block's version dates to v ("" puts the documented dates back), except those
   * the page fixed; returns how many dates the switch changes in it.
   */
  applyVersion(v: string): number;
  /**
   * What the text needs from the blocks above: the documented needs, of an edited text those it
   * still mentions (the page knows the documented text's syntax, not the reader's).
   */
  needs(): Names;
  /** What the text provides to the blocks below, as needs() reads it. */
  provides(): Names;
  /** Shows the block as running or waiting to (Run disabled, Stop shown, aria-busy) or idle. */
  busy(on: boolean): void;
  /** Moves the keyboard focus to the Run button. */
  focusRun(): void;
}

/** What the rest of the runtime hears from the blocks. */
export interface BlockHooks {
  /** The reader asked for a run (Run, Ctrl+Enter, ⌘+Enter). */
  run(block: LiveBlock): void;
  /** The reader asked to stop the block's run (Stop, Esc). */
  stop(block: LiveBlock): void;
  /** The reader edited or reset a block. */
  onEdit?(block: LiveBlock): void;
  /** The reader asked for a link that reproduces the block's run; resolves to the URL. */
  share?(block: LiveBlock): Promise<string>;
}

/** Matches a version date in a query string; the date is replaced, the prefix kept. */
const VERSION_RE = /(\bversion=)(\d{4}-\d{2}-\d{2})/g;

/** The dates of a block the version switch leaves alone: every one ("all"), or these. */
export type Fixed = "all" | ReadonlySet<string>;

/** text with every version=YYYY-MM-DD set to v, but the fixed ones; unchanged when v is "". */
export function withVersion(text: string, v: string, fixed: Fixed = new Set()): string {
  if (!v || fixed === "all") return text;
  return text.replace(VERSION_RE, (m, prefix: string, date: string) => (fixed.has(date) ? m : `${prefix}${v}`));
}

/** How many of text's version dates the switch sets to v, and how many of those it changes. */
export function versionChanges(text: string, v: string, fixed: Fixed = new Set()): { set: number; changed: number } {
  const n = { set: 0, changed: 0 };
  if (!v || fixed === "all") return n;
  for (const m of text.matchAll(VERSION_RE)) {
    if (fixed.has(m[2] ?? "")) continue;
    n.set++;
    if (m[2] !== v) n.changed++;
  }
  return n;
}

/** The dates a block's data-fixed-version keeps. */
function fixedOf(section: HTMLElement): Fixed {
  const f = section.dataset["fixedVersion"] ?? "";
  return f === "all" ? "all" : new Set(f.split(/\s+/).filter(Boolean));
}

/** The event a block sends (bubbling) when the version switch rewrote it: the panel says what changed. */
export const VERSION_APPLIED = "imds-version-applied";

/** Applies f to every text node under root, leaving the elements (the highlighting) alone. */
function rewriteTextNodes(root: Node, f: (s: string) => string): void {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const before = n.nodeValue ?? "";
    const after = f(before);
    if (after !== before) n.nodeValue = after;
  }
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of s, as 8 hex digits. */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** A header button the runtime adds (not in the built page: without JavaScript it would do nothing). */
function headerButton(after: Element, testid: string, text: string, title: string): HTMLButtonElement {
  const b = el("button", { testid, attrs: { type: "button", title } }, text);
  after.after(b);
  return b;
}

/** Adds a Stop button after run, hidden until the block runs. */
function stopButton(run: HTMLButtonElement): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.dataset["testid"] = "stop";
  b.textContent = "Stop";
  b.title = "Stop the running command (Esc in the editor)";
  b.hidden = true;
  run.after(b);
  return b;
}

/** The space-separated names of a data attribute. */
function names(el: HTMLElement, key: string): string[] {
  return (el.dataset[key] ?? "").split(/\s+/).filter(Boolean);
}

/** Escapes a name for a regular expression (file names hold dots). */
function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether text reads $name (or ${name…}). */
function reads(text: string, name: string): boolean {
  return new RegExp(`\\$\\{?[#!]?${escape(name)}(?![A-Za-z0-9_])`).test(text);
}

/** Whether text names name as a word (an assignment, a loop variable, a read target). */
function mentions(text: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_$])${escape(name)}(?![A-Za-z0-9_])`).test(text);
}

/**
 * Wires every live block under root and returns them in page order. Every listener is removed
 * when signal aborts (the page is left).
 */
export function initLiveBlocks(root: ParentNode, hooks: BlockHooks, signal?: AbortSignal): LiveBlock[] {
  const on = signal ? { signal } : {};
  const blocks: LiveBlock[] = [];
  wireSamples(root, signal);
  for (const section of Array.from(root.querySelectorAll<HTMLElement>('[data-testid="live-block"]'))) {
    const editor = section.querySelector<HTMLElement>('[data-testid="editor"]');
    const run = section.querySelector<HTMLButtonElement>('[data-testid="run"]');
    const resetBtn = section.querySelector<HTMLButtonElement>('[data-testid="reset"]');
    const shareBtn = section.querySelector<HTMLButtonElement>('[data-testid="share-run"]');
    const out = section.querySelector<HTMLElement>('[data-testid="output"]');
    if (!editor || !run || !out) continue;
    const place: Place = section.dataset["on"] === "workstation" ? "workstation" : "instance";
    const source = editor.dataset["source"] ?? editor.textContent ?? "";
    // The highlighted markup as built, to put back on Reset.
    const original = Array.from(editor.childNodes, (n) => n.cloneNode(true));
    const documented = {
      needs: { vars: names(section, "reads"), files: names(section, "filesIn") },
      provides: { vars: names(section, "sets"), files: names(section, "filesOut") },
    };
    let edited = false;
    let version = "";
    const fixed = fixedOf(section);
    // The text Reset replaced, until the reader types again: Undo puts it back.
    let undo: string | null = null;
    const note = el("p", { class: "block-note", testid: "block-note", attrs: { role: "status" } });
    editor.after(note);
    // Stop: shown while the block runs (or waits to); Esc in the editor does the same.
    const stopBtn = stopButton(run);
    // What the version switch did to this block (applyVersion).
    const tag = el("span", { class: "version-tag", testid: "version-tag" });
    tag.hidden = true;
    section.querySelector(".place")?.after(tag);

    const markEdited = (yes: boolean) => {
      edited = yes;
      if (yes) section.dataset["edited"] = "true";
      else delete section.dataset["edited"];
    };
    const text = () => (edited ? editor.innerText.replace(/\u00a0/g, " ").replace(/\n$/, "") : withVersion(source, version, fixed));

    const block: LiveBlock = {
      el: section,
      index: Number(section.dataset["index"] ?? blocks.length),
      on: place,
      source,
      hash: fnv1a(source),
      out,
      // Typing lands inside the highlighting spans, which then colour loosely; what runs is
      // the text, read back here.
      text,
      edited: () => edited,
      setText(t: string) {
        if (t === source) {
          block.reset();
          return;
        }
        editor.textContent = t;
        markEdited(true);
      },
      reset() {
        markEdited(false);
        block.applyVersion(version);
      },
      applyVersion(v: string) {
        version = v;
        section.dataset["version"] = v;
        const { set, changed: changes } = versionChanges(edited ? text() : source, v, fixed);
        if (!edited) {
          editor.replaceChildren(...original.map((n) => n.cloneNode(true)));
          if (v) rewriteTextNodes(editor, (s) => withVersion(s, v, fixed));
        } else if (v) {
          rewriteTextNodes(editor, (s) => withVersion(s, v, fixed));
        }
        // What the switch did here, for the reader (the tag) and the panel (the event).
        const keeps = v !== "" && (fixed === "all" ? /\bversion=\d{4}-/.test(source) : fixed.size > 0);
        const kept = fixed === "all" ? "its version dates" : [...fixed].join(", ");
        tag.hidden = !(keeps || set);
        tag.textContent = set ? `version=${v}${keeps ? `, keeps ${kept}` : ""}` : keeps ? `keeps ${kept}` : "";
        tag.title = keeps
          ? "This block demonstrates a version date: the API version switch leaves it alone."
          : `The API version switch set the version date${set === 1 ? "" : "s"} of this block.`;
        if (set) section.dataset["versionSet"] = String(set);
        else delete section.dataset["versionSet"];
        if (changes) section.dataset["versionChanged"] = String(changes);
        else delete section.dataset["versionChanged"];
        if (keeps) section.dataset["versionKept"] = "true";
        else delete section.dataset["versionKept"];
        section.dispatchEvent(new CustomEvent(VERSION_APPLIED, { bubbles: true }));
        return changes;
      },
      needs() {
        if (!edited) return documented.needs;
        const t = text();
        return { vars: documented.needs.vars.filter((n) => reads(t, n)), files: documented.needs.files.filter((f) => mentions(t, f)) };
      },
      provides() {
        if (!edited) return documented.provides;
        const t = text();
        return { vars: documented.provides.vars.filter((n) => mentions(t, n)), files: documented.provides.files.filter((f) => mentions(t, f)) };
      },
      busy(yes: boolean) {
        run.disabled = yes;
        stopBtn.hidden = !yes;
        if (yes) section.setAttribute("aria-busy", "true");
        else section.removeAttribute("aria-busy");
      },
      focusRun() {
        run.focus({ preventScroll: true });
      },
    };
    blocks.push(block);

    makeEditable(editor);
    run.hidden = false;
    const copyBtn = headerButton(stopBtn, "copy", "Copy", "Copy the command");
    copyBtn.addEventListener(
      "click",
      () => {
        void copyText(text()).then((ok) => {
          showNote(ok ? "Copied the command." : "The browser did not allow copying: select the text and copy it.");
        });
      },
      on,
    );
    const showNote = (text: string, ...extra: Node[]) => {
      note.replaceChildren(text, ...extra);
    };
    const clearUndo = () => {
      if (undo === null) return;
      undo = null;
      showNote("");
    };
    const undoReset = () => {
      if (undo === null) return;
      const t = undo;
      undo = null;
      block.setText(t);
      showNote("Your edit is back.");
      hooks.onEdit?.(block);
      editor.focus();
    };
    editor.addEventListener(
      "input",
      () => {
        markEdited(true);
        clearUndo();
        hooks.onEdit?.(block);
      },
      on,
    );
    run.addEventListener("click", () => hooks.run(block), on);
    stopBtn.addEventListener("click", () => hooks.stop(block), on);
    editor.addEventListener(
      "keydown",
      (ev) => {
        if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
          ev.preventDefault();
          if (!run.disabled) hooks.run(block);
        } else if (ev.key === "Escape" && !stopBtn.hidden) {
          ev.preventDefault();
          hooks.stop(block);
        } else if (undo !== null && (ev.key === "z" || ev.key === "Z") && (ev.ctrlKey || ev.metaKey) && !ev.shiftKey) {
          // The browser's own undo history ended when Reset replaced the text: this is its step.
          ev.preventDefault();
          undoReset();
        }
      },
      on,
    );
    if (resetBtn) resetBtn.hidden = false;
    resetBtn?.addEventListener(
      "click",
      () => {
        const before = edited ? text() : null;
        block.reset();
        out.replaceChildren();
        delete out.dataset["state"];
        if (before !== null && before !== block.text()) {
          undo = before;
          const u = el("button", { class: "block-undo", testid: "undo-reset", attrs: { type: "button" } }, "Undo");
          u.addEventListener("click", undoReset);
          showNote("Back to the documented text. ", u);
        }
        hooks.onEdit?.(block);
      },
      on,
    );
    if (shareBtn && hooks.share) {
      const share = hooks.share;
      shareBtn.hidden = false;
      shareBtn.addEventListener("click", () => void shareRun(block, shareBtn, share), on);
    }
  }
  return blocks;
}

/**
 * Gives every shown-only sample under root (web.CodeBlock: sample output, a template with
 * placeholders) a Copy button, once: the page is the same for the whole visit.
 */
function wireSamples(root: ParentNode, signal?: AbortSignal): void {
  const on = signal ? { signal } : {};
  for (const code of Array.from(root.querySelectorAll<HTMLElement>("pre.code"))) {
    if (code.parentElement?.classList.contains("code-wrap")) continue;
    const wrap = el("div", { class: "code-wrap" });
    code.replaceWith(wrap);
    const status = el("span", { class: "copy-status code-copy-status", attrs: { role: "status" } });
    const lang = code.dataset["lang"];
    const b = el(
      "button",
      { class: "code-copy", testid: "copy-sample", attrs: { type: "button", "aria-label": lang ? `Copy this ${lang} sample` : "Copy this sample" } },
      "Copy",
    );
    b.addEventListener(
      "click",
      () => {
        void copyText(code.textContent ?? "").then((ok) => {
          status.textContent = ok ? "Copied." : "The browser did not allow copying: select the text and copy it.";
        });
      },
      on,
    );
    wrap.append(code, b, status);
  }
}

/** Makes a block's share link and shows it in the block, selected, copied where allowed. */
async function shareRun(block: LiveBlock, button: HTMLButtonElement, share: (b: LiveBlock) => Promise<string>): Promise<void> {
  let box = block.el.querySelector<HTMLElement>('[data-testid="share-run-box"]');
  if (!box) {
    box = document.createElement("p");
    box.className = "block-share";
    box.dataset["testid"] = "share-run-box";
    block.el.append(box);
  }
  button.disabled = true;
  try {
    const url = await share(block);
    const input = el("input", {
      class: "block-share-url",
      testid: "share-run-url",
      attrs: { type: "url", readonly: "", "aria-label": `Link that reproduces block ${block.index + 1}'s run` },
    });
    input.value = url;
    const status = el("span", { class: "copy-status", testid: "share-run-status", attrs: { role: "status" } });
    box.replaceChildren(input, " ", status);
    input.select();
    const copied = await copyText(url);
    status.textContent = `${copied ? "Link copied. " : "Copy the link. "}Whoever opens it gets this block as you have it, and one click runs it as it ran here.`;
  } catch (err) {
    box.replaceChildren(err instanceof Error ? err.message : String(err));
  } finally {
    button.disabled = false;
  }
}
