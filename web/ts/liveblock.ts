// Live blocks: each documented command becomes editable and runnable, and stoppable while it
// runs (Stop, or Esc in its editor). Blocks of one page share one shell session per place, so a
// variable set by one block is there for the next.
//
// A block's text is the documented text until the reader edits it (or memory or a shared link
// puts an edited text back). The API version switch rewrites the `version=YYYY-MM-DD` dates of
// every block, in place in the editor, so the reader sees the date that runs.

import type { ImdsAPI, Place, RunResult } from "./api";
import { renderResult, renderState } from "./output";

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
}

/** What the rest of the runtime hears from the blocks. */
export interface BlockHooks {
  /** The reader edited or reset a block. */
  onEdit?(block: LiveBlock): void;
  /** A run finished. */
  onResult?(block: LiveBlock, result: RunResult): void;
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

/** Wires every live block under root and returns them in page order. engine resolves when the emulator is ready. */
export function initLiveBlocks(root: ParentNode, engine: Promise<ImdsAPI>, hooks: BlockHooks = {}): LiveBlock[] {
  let ready = false;
  engine.then(
    () => (ready = true),
    () => {},
  );
  const blocks: LiveBlock[] = [];
  for (const el of Array.from(root.querySelectorAll<HTMLElement>('[data-testid="live-block"]'))) {
    const editor = el.querySelector<HTMLElement>('[data-testid="editor"]');
    const run = el.querySelector<HTMLButtonElement>('[data-testid="run"]');
    const resetBtn = el.querySelector<HTMLButtonElement>('[data-testid="reset"]');
    const out = el.querySelector<HTMLElement>('[data-testid="output"]');
    if (!editor || !run || !out) continue;
    const on: Place = el.dataset["on"] === "workstation" ? "workstation" : "instance";
    const source = editor.dataset["source"] ?? editor.textContent ?? "";
    // The highlighted markup as built, to put back on Reset.
    const original = Array.from(editor.childNodes, (n) => n.cloneNode(true));
    let edited = false;
    let version = "";

    const markEdited = (on: boolean) => {
      edited = on;
      if (on) el.dataset["edited"] = "true";
      else delete el.dataset["edited"];
    };

    const block: LiveBlock = {
      el,
      index: Number(el.dataset["index"] ?? blocks.length),
      on,
      source,
      hash: fnv1a(source),
      // Typing lands inside the highlighting spans, which then colour loosely; what runs is
      // the text, read back here.
      text: () => (edited ? editor.innerText.replace(/\u00a0/g, " ").replace(/\n$/, "") : withVersion(source, version)),
      edited: () => edited,
      setText(text: string) {
        if (text === source) {
          block.reset();
          return;
        }
        editor.textContent = text;
        markEdited(true);
      },
      reset() {
        markEdited(false);
        block.applyVersion(version);
      },
      applyVersion(v: string) {
        version = v;
        el.dataset["version"] = v;
        if (!edited) {
          editor.replaceChildren(...original.map((n) => n.cloneNode(true)));
          if (v) rewriteTextNodes(editor, (s) => withVersion(s, v));
        } else if (v) {
          rewriteTextNodes(editor, (s) => withVersion(s, v));
        }
      },
    };
    blocks.push(block);

    makeEditable(editor);
    editor.addEventListener("input", () => {
      markEdited(true);
      hooks.onEdit?.(block);
    });

    // Stop: shown while the block runs (or waits to); Esc in the editor does the same.
    const stopBtn = stopButton(run);
    let running: AbortController | null = null;
    const stop = () => running?.abort();

    const start = () => {
      const text = block.text();
      const ctl = new AbortController();
      running = ctl;
      run.disabled = true;
      stopBtn.hidden = false;
      el.setAttribute("aria-busy", "true");
      // Until the engine is ready the click is queued, in order, behind the loading.
      if (!ready) renderState(out, "queued", "Queued: the emulator is still loading…");
      engine
        .then((api) => {
          if (ctl.signal.aborted) return;
          const session = api.newSession({ on });
          if (session.busy()) renderState(out, "queued", "Waiting for the command still running in this session (Stop it to run this one now)…");
          else renderState(out, "running", "Running…");
          return session.run(text, { signal: ctl.signal }).then((r) => {
            renderResult(out, r, on, api);
            hooks.onResult?.(block, r);
          });
        })
        .catch((err: unknown) => renderState(out, "error", `The emulator failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => {
          if (ctl.signal.aborted && out.dataset["state"] === "queued") renderState(out, "error", "Stopped before it ran.");
          running = null;
          run.disabled = false;
          stopBtn.hidden = true;
          el.removeAttribute("aria-busy");
        });
    };

    run.addEventListener("click", start);
    stopBtn.addEventListener("click", stop);
    editor.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        if (!run.disabled) start();
      } else if (ev.key === "Escape" && running) {
        ev.preventDefault();
        stop();
      }
    });
    resetBtn?.addEventListener("click", () => {
      block.reset();
      out.replaceChildren();
      delete out.dataset["state"];
      hooks.onEdit?.(block);
    });
  }
  return blocks;
}
