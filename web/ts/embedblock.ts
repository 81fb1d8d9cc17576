// One embedded live block, in its own shadow root, and the runner that all embeds of a page
// share: one queue, so that a block's scenario is applied and its script run with nothing else
// in between, and one shell session per session name, place and hops.

import type { ImdsAPI, Patch, Place, Session } from "./api";
import { el, makeEditable } from "./dom";
import { renderResult, renderState } from "./output";

/** What a block's attributes say (see embed.ts for their names). */
export interface BlockConfig {
  /** The command text, as shown and run until the reader edits it. */
  text: string;
  on: Place;
  /** The session name; "" is the page's one default session. */
  session: string;
  /** Network hops from the metadata service (1..64); 0 follows the engine's setting. */
  hops: number;
  /** The scenario, applied to the page's one emulated world just before each run. */
  patch: Patch;
  /** A setup block runs once, by itself, before the first run of any block after it. */
  setup: boolean;
  /** One line describing the scenario, shown in the header; "" for none. */
  label: string;
  /** Mistakes in the attributes: the block shows them and does not run. */
  errors: string[];
  /** The text as highlighted nodes, when the markup came highlighted (the iframe pages). */
  tokens: Node[] | null;
}

/** The stylesheet every shadow root adopts: one parse for the whole page. */
let sheet: CSSStyleSheet | null | undefined;

/** Styles a shadow root with css: adopted (no CSP applies to it), else a <style> element. */
function style(root: ShadowRoot, css: string): void {
  if (sheet === undefined) {
    try {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
    } catch {
      sheet = null;
    }
  }
  if (sheet && "adoptedStyleSheets" in root) root.adoptedStyleSheets = [sheet];
  else root.append(el("style", {}, css));
}

/**
 * Points the output's links at the site: hints link to pages by site-relative URL, which on
 * another site would resolve against that site (and pageHref may even have matched one of its
 * links), so a hint's link is rebuilt from the page it names (data-page). Links to the instance
 * panel's controls go: an embed has no panel. Links open in a new tab: the reader is on someone
 * else's page.
 */
function siteLinks(root: HTMLElement, origin: string): void {
  for (const a of Array.from(root.querySelectorAll<HTMLAnchorElement>("a[href]"))) {
    if (a.classList.contains("panel-link")) {
      a.remove();
      continue;
    }
    const page = a.closest<HTMLElement>("[data-page]")?.dataset["page"];
    const [slug = "", section] = (page ?? "").split("#");
    const href = page !== undefined ? `/${slug ? `${slug}/` : ""}${section ? `#${section}` : ""}` : a.getAttribute("href") ?? "/";
    const url = new URL(href, origin + "/");
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      a.removeAttribute("href");
      continue;
    }
    a.href = url.href;
    a.target = "_blank";
    a.rel = "noopener";
  }
}

/** The shared queue, sessions and setup blocks of a page's embeds. */
export class Runner {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly sessions = new Map<string, Session>();
  private readonly setups: EmbedBlock[] = [];
  /** Whether the engine is up (set by whoever loads it). */
  ready = false;

  /** engine starts the page's engine on first call and returns it. */
  constructor(
    readonly engine: () => Promise<ImdsAPI>,
    readonly origin: string,
    readonly css: string,
  ) {}

  /** Registers a setup block. */
  addSetup(b: EmbedBlock): void {
    this.setups.push(b);
  }

  /** The session a block runs in. */
  private session(api: ImdsAPI, c: BlockConfig): Session {
    const key = `${c.session}\n${c.on}\n${c.hops}`;
    let s = this.sessions.get(key);
    if (!s) {
      // Named sessions get a group of their own; the default one is the page's.
      s = api.newSession({ on: c.on, ...(c.hops ? { hops: c.hops } : {}), ...(c.session ? { group: `embed:${c.session}` } : {}) });
      this.sessions.set(key, s);
    }
    return s;
  }

  /**
   * Runs b after everything queued before it: first every setup block before b in the page
   * that has not run yet, then b itself.
   */
  run(b: EmbedBlock): Promise<void> {
    const job = this.chain.then(async () => {
      let api: ImdsAPI;
      try {
        api = await this.engine();
      } catch (err) {
        b.fail(err);
        return;
      }
      for (const s of this.setups) {
        if (b.stopping()) break;
        if (s !== b && !s.done && s.host.compareDocumentPosition(b.host) & Node.DOCUMENT_POSITION_FOLLOWING) {
          await this.exec(api, s, b.signal());
        }
      }
      if (b.stopping()) {
        renderState(b.out, "error", "Stopped before it ran.");
        b.busy(false);
        return;
      }
      await this.exec(api, b, b.signal());
    });
    this.chain = job.catch(() => {});
    return job;
  }

  /** Applies b's scenario, runs its script and shows the result in b; signal stops the run. */
  private async exec(api: ImdsAPI, b: EmbedBlock, signal: AbortSignal): Promise<void> {
    b.busy(true);
    try {
      renderState(b.out, "running", "Running…");
      if (Object.keys(b.config.patch).length) {
        if (typeof api.configure !== "function") throw new Error("this emulator cannot set a scenario");
        await api.configure(b.config.patch);
      }
      const r = await this.session(api, b.config).run(b.script(), { signal });
      b.done = true;
      renderResult(b.out, r, b.config.on, api);
      siteLinks(b.out, this.origin);
    } catch (err) {
      b.fail(err);
    } finally {
      b.busy(false);
    }
  }
}

/**
 * How many blocks this page has embedded: each block's region is named with its number, since a
 * host page often embeds several that run in the same place, and two regions of one name are
 * one landmark to a screen reader.
 */
let embedded = 0;

/** One embedded block: the host element, its shadow root and the live block inside. */
export class EmbedBlock {
  readonly out: HTMLElement;
  private readonly block: HTMLElement;
  private readonly editor: HTMLElement;
  private readonly runButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  /** Stops the block's run (its Stop button, Esc); null while it is idle. */
  private controller: AbortController | null = null;
  private readonly status: HTMLElement;
  private edited = false;
  /** For setup blocks: whether it has run. */
  done = false;

  constructor(
    readonly host: HTMLElement,
    readonly config: BlockConfig,
    private readonly runner: Runner,
  ) {
    const c = config;
    const root = host.shadowRoot ?? host.attachShadow({ mode: "open" });
    root.replaceChildren();
    style(root, runner.css);

    const place = c.on === "workstation" ? "on your workstation" : "on the instance";
    this.status = el("span", { class: "embed-status", testid: "status", attrs: { role: "status" } });
    this.runButton = el("button", { testid: "run", attrs: { type: "button" } }, "Run");
    this.stopButton = el("button", { testid: "stop", attrs: { type: "button", title: "Stop the running command (Esc in the editor)" } }, "Stop");
    this.stopButton.hidden = true;
    const reset = el("button", { testid: "reset", attrs: { type: "button" } }, "Reset");
    this.editor = el("pre", { class: "editor", testid: "editor" }, el("code", {}, ...this.original()));
    this.editor.dataset["source"] = c.text;
    this.out = el("div", { class: "output", testid: "output", attrs: { "aria-live": "polite" } });
    this.block = el(
      "section",
      { class: "live-block", testid: "live-block", attrs: { "aria-label": `Command block ${++embedded}, runs ${place}` } },
      el(
        "header",
        {},
        el("span", { class: `place place-${c.on}` }, place, c.setup ? " · runs first" : ""),
        c.label ? el("span", { class: "embed-scenario", testid: "scenario" }, c.label) : null,
        this.status,
        this.runButton,
        this.stopButton,
        reset,
      ),
      this.editor,
      this.out,
      el(
        "p",
        { class: "embed-credit" },
        "Emulated in your browser by ",
        el("a", { attrs: { href: `${runner.origin}/`, target: "_blank", rel: "noopener" } }, "imdsplay"),
        ": nothing is sent anywhere.",
      ),
    );
    this.block.dataset["on"] = c.on;
    root.append(el("div", { class: "imds-root" }, this.block));

    makeEditable(this.editor);
    this.editor.addEventListener("input", () => {
      this.edited = true;
      this.block.dataset["edited"] = "true";
    });
    this.editor.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        if (!this.runButton.disabled) this.start();
      } else if (ev.key === "Escape" && this.controller) {
        ev.preventDefault();
        this.controller.abort();
      }
    });
    this.runButton.addEventListener("click", () => this.start());
    this.stopButton.addEventListener("click", () => this.controller?.abort());
    reset.addEventListener("click", () => {
      this.editor.replaceChildren(el("code", {}, ...this.original()));
      this.edited = false;
      delete this.block.dataset["edited"];
      this.out.replaceChildren();
      delete this.out.dataset["state"];
      if (c.errors.length) this.showErrors();
    });
    if (c.errors.length) this.showErrors();
    if (c.setup) runner.addSetup(this);
  }

  /** The documented text as nodes: highlighted when the markup came so, else one text node. */
  private original(): Node[] {
    return this.config.tokens ? this.config.tokens.map((n) => n.cloneNode(true)) : [document.createTextNode(this.config.text)];
  }

  /** The script to run: the documented text until the reader edits it. */
  script(): string {
    return this.edited ? this.editor.innerText.replace(/\u00a0/g, " ").replace(/\n$/, "") : this.config.text;
  }

  /** Shows the attribute mistakes and keeps the block from running. */
  private showErrors(): void {
    renderState(this.out, "error", `This embed's markup is wrong: ${this.config.errors.join("; ")}.`);
    this.runButton.disabled = true;
  }

  /** Shows why the emulator could not run the block. */
  fail(err: unknown): void {
    renderState(this.out, "error", `The emulator failed: ${err instanceof Error ? err.message : String(err)}`);
    this.busy(false);
  }

  /** Whether the reader stopped the block's pending run. */
  stopping(): boolean {
    return this.controller?.signal.aborted ?? false;
  }

  /** The signal that stops the block's run (a setup block runs under the signal of the block that needed it). */
  signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /** Shows the engine's loading progress, "" when done. */
  progress(text: string): void {
    this.status.textContent = text;
  }

  /** Marks the block busy or idle. */
  busy(on: boolean): void {
    this.runButton.disabled = on || this.config.errors.length > 0;
    this.stopButton.hidden = !on;
    if (!on) this.controller = null;
    if (on) this.block.setAttribute("aria-busy", "true");
    else this.block.removeAttribute("aria-busy");
  }

  /** Runs the block, queued behind the engine's loading if need be. */
  private start(): void {
    if (this.config.errors.length) return;
    this.controller = new AbortController();
    this.busy(true);
    if (!this.runner.ready) renderState(this.out, "queued", "Queued: the emulator is still loading…");
    void this.runner.run(this);
  }
}
