// Live blocks: each documented command becomes editable and runnable. Blocks of one page share
// one shell session per place, so a variable set by one block is there for the next.

import type { ImdsAPI, Place, Session } from "./api";
import { renderResult, renderState } from "./output";

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

/** Wires every live block under root. engine resolves when the emulator is ready. */
export function initLiveBlocks(root: ParentNode, engine: Promise<ImdsAPI>): void {
  let ready = false;
  engine.then(
    () => (ready = true),
    () => {},
  );
  const sessions = new Map<Place, Session>();
  const session = (api: ImdsAPI, on: Place): Session => {
    let s = sessions.get(on);
    if (!s) {
      s = api.newSession({ on });
      sessions.set(on, s);
    }
    return s;
  };

  for (const block of Array.from(root.querySelectorAll<HTMLElement>('[data-testid="live-block"]'))) {
    const editor = block.querySelector<HTMLElement>('[data-testid="editor"]');
    const run = block.querySelector<HTMLButtonElement>('[data-testid="run"]');
    const reset = block.querySelector<HTMLButtonElement>('[data-testid="reset"]');
    const out = block.querySelector<HTMLElement>('[data-testid="output"]');
    if (!editor || !run || !out) continue;
    const on: Place = block.dataset["on"] === "workstation" ? "workstation" : "instance";
    const source = editor.dataset["source"] ?? editor.textContent ?? "";
    // The highlighted markup as built, to put back on Reset.
    const original = Array.from(editor.childNodes, (n) => n.cloneNode(true));
    let edited = false;

    makeEditable(editor);
    // Typing lands inside the highlighting spans, which then colour loosely; what runs is the
    // text, read back below. Reset restores the documented text and its highlighting.
    editor.addEventListener("input", () => {
      edited = true;
      block.dataset["edited"] = "true";
    });

    /** The script to run: the documented text until the reader edits it. */
    const script = (): string => (edited ? editor.innerText.replace(/\u00a0/g, " ").replace(/\n$/, "") : source);

    const start = () => {
      const text = script();
      run.disabled = true;
      block.setAttribute("aria-busy", "true");
      // Until the engine is ready the click is queued, in order, behind the loading.
      if (!ready) renderState(out, "queued", "Queued: the emulator is still loading…");
      engine
        .then((api) => {
          renderState(out, "running", "Running…");
          return session(api, on)
            .run(text)
            .then((r) => renderResult(out, r, on, api));
        })
        .catch((err: unknown) => renderState(out, "error", `The emulator failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => {
          run.disabled = false;
          block.removeAttribute("aria-busy");
        });
    };

    run.addEventListener("click", start);
    editor.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        if (!run.disabled) start();
      }
    });
    reset?.addEventListener("click", () => {
      editor.replaceChildren(...original.map((n) => n.cloneNode(true)));
      edited = false;
      delete block.dataset["edited"];
      out.replaceChildren();
      delete out.dataset["state"];
    });
  }
}
