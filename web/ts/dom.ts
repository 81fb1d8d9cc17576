// A tiny element builder. Everything that comes from a script, a service or a user goes into
// the page as text nodes, never as HTML: a response body can hold anything.

/** A child: a node, text, or nothing (skipped). */
export type Child = Node | string | null | undefined | false;

/** Options of el. */
export interface ElOptions {
  class?: string;
  testid?: string;
  attrs?: Record<string, string>;
}

/** Creates a tag with options and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  opts: ElOptions = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (opts.class) e.className = opts.class;
  if (opts.testid) e.dataset["testid"] = opts.testid;
  for (const [k, v] of Object.entries(opts.attrs ?? {})) e.setAttribute(k, v);
  append(e, ...children);
  return e;
}

/** Appends children to parent, skipping empty ones. */
export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  }
}

/** Formats milliseconds for people: "0.8 ms", "12 ms", "1.4 s", "5 min". */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** Formats a duration as a countdown: "4:59", "1:02:03". */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** Pretty-prints text that is JSON; other text is returned unchanged. */
export function prettyJSON(text: string): { text: string; value?: unknown } {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return { text };
  try {
    const value: unknown = JSON.parse(t);
    return { text: JSON.stringify(value, null, 2), value };
  } catch {
    return { text };
  }
}

/**
 * Copies text to the clipboard. Resolves to false when the browser refuses (no permission, an
 * insecure context): the caller then leaves the text on screen to copy by hand.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older route: a selected off-screen textarea and the copy command.
    const area = el("textarea", { class: "offscreen", attrs: { readonly: "", "aria-hidden": "true" } });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/** A button that copies what text() returns and says how it went in status. */
export function copyButton(label: string, testid: string, text: () => string, status: HTMLElement): HTMLButtonElement {
  const b = el("button", { testid, attrs: { type: "button" } }, label);
  b.addEventListener("click", () => {
    void copyText(text()).then((ok) => {
      status.textContent = ok ? "Copied." : "The browser did not allow copying: select the text and copy it.";
    });
  });
  return b;
}

/** Turns the editor into a plain-text editing surface where the browser allows it. */
export function makeEditable(editor: HTMLElement): void {
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
  // In the tab order explicitly: an editor wider than the screen scrolls, and a keyboard user
  // must be able to reach it to scroll it (contenteditable alone does not make axe, or every
  // browser, count it as focusable).
  editor.tabIndex = 0;
}
