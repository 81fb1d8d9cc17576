// Live blocks: each documented command becomes editable and runnable, and stoppable while it
// runs (Stop, or Esc in its editor). The blocks of every page share one shell session per place
// for the whole visit, so a variable set by one block is there for the next, on this page or
// another (runner.ts runs them).
//
// A block's text is the documented text until the reader edits it (or memory or a shared link
// puts an edited text back). The API version switch rewrites the `version=YYYY-MM-DD` dates of
// every block, in place in the editor, so the reader sees the date that runs.
//
// The site build tells each block what it needs and provides (data-reads, data-sets,
// data-files-in, data-files-out: web/blocks.templ); the runner uses them to run the blocks above
// one first.

import type { Place } from "./api";
import { copyText, el } from "./dom";

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
  /** Rewrites the block's version dates to v ("" puts the documented dates back). */
  applyVersion(v: string): void;
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
const VERSION_RE = /(\bversion=)\d{4}-\d{2}-\d{2}/g;

/** text with every version=YYYY-MM-DD set to v; unchanged when v is "". */
export function withVersion(text: string, v: string): string {
  return v ? text.replace(VERSION_RE, `$1${v}`) : text;
}

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

/** Turns the editor into a plain-text editing surface where the browser allows it. */
function makeEditable(editor: HTMLElement): void {
  editor.setAttribute("contenteditable", "plaintext-only");
  // Browsers without plaintext-only ignore the value; fall back to full contenteditable and
  // read the text back with innerText, which flattens whatever markup typing made.
  if (!editor.isContentEditable) editor.setAttribute("contenteditable", "true");
  editor.setAttribute("spellcheck", "false");
  editor.setAttribute("autocapitalize", "off");
  editor.setAttribute("autocorrect", "off");
  editor.setAttribute("role", "textbox");
  editor.setAttribute("aria-multiline", "true");
  editor.setAttribute("aria-label", "Command, editable: Ctrl+Enter or ⌘+Enter runs it");
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
    // Stop: shown while the block runs (or waits to); Esc in the editor does the same.
    const stopBtn = stopButton(run);

    const markEdited = (yes: boolean) => {
      edited = yes;
      if (yes) section.dataset["edited"] = "true";
      else delete section.dataset["edited"];
    };
    const text = () => (edited ? editor.innerText.replace(/\u00a0/g, " ").replace(/\n$/, "") : withVersion(source, version));

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
        if (!edited) {
          editor.replaceChildren(...original.map((n) => n.cloneNode(true)));
          if (v) rewriteTextNodes(editor, (s) => withVersion(s, v));
        } else if (v) {
          rewriteTextNodes(editor, (s) => withVersion(s, v));
        }
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
    editor.addEventListener(
      "input",
      () => {
        markEdited(true);
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
        }
      },
      on,
    );
    resetBtn?.addEventListener(
      "click",
      () => {
        block.reset();
        out.replaceChildren();
        delete out.dataset["state"];
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
