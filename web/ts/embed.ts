// embed.js: one script tag from the site makes the curl examples of any page live.
//
//   <script src="https://SITE/embed.js" defer></script>
//   <pre data-imds>curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-04-22" …</pre>
//
// Every <pre data-imds> (and every <imds-example>) becomes a live block — Run, Ctrl/⌘+Enter,
// Reset, the output with its HTTP exchanges and hints — inside a shadow root, so that the
// page's styles and the embed's do not meet. Attributes choose the scenario:
//
//   data-imds-on        instance | workstation     where the commands run
//   data-imds-session   NAME                       blocks with one name share shell variables
//                                                  (default: every block of the page shares one)
//   data-imds-service   on | off                   the metadata service
//   data-imds-protocol  http | https               secure access
//   data-imds-hop-limit 1..64                      the response hop limit
//   data-imds-hops      1..64                      hops between the commands and the service
//   data-imds-version   YYYY-MM-DD                 the version= date of the block's API calls
//   data-imds-setup     (no value)                 runs once, by itself, before later blocks
//
// On <imds-example> the same names work without the data-imds- prefix. On the script tag they
// set the page's defaults. The service, protocol and hop limit belong to the page's one emulated
// instance: a block's values are applied just before it runs.
//
// The wasm, its glue and the keys come from the site (the origin of this script), once per
// page; hashed, they stay in the browser's cache. The same script runs the site's iframe pages
// (/embed/…, <html data-imds-frame>): there it also reads the query string and reports the
// page's height to the framing page, and on any page it sizes the site's iframes it is told
// about.

import { EmbedBlock, Runner, type BlockConfig } from "./embedblock";
import { loadEngine, onProgress, type SiteAssets } from "./embedload";
import type { ImdsAPI, Patch } from "./api";

/** The site's asset paths and the embed's stylesheet, written in by the site build. */
declare const __IMDS_EMBED_ASSETS__: SiteAssets;
declare const __IMDS_EMBED_CSS__: string;

/** The message an iframe page posts to its parent with its height. */
const HEIGHT_MESSAGE = "imds-embed:height";

/** The attribute names, without their data-imds- prefix. */
const NAMES = ["on", "session", "service", "protocol", "hop-limit", "hops", "version", "setup"] as const;
type Name = (typeof NAMES)[number];

/** What a second copy of this script finds on the page (and a curious reader, in the console). */
interface Installed {
  scan(root?: ParentNode): void;
  /** The page's engine, started on first call. */
  engine(): Promise<ImdsAPI>;
}

declare global {
  // eslint-disable-next-line no-var
  var __imdsEmbed: Installed | undefined;
}

/** Removes the indentation that HTML source formatting adds, and blank first and last lines. */
function dedent(s: string): string {
  const lines = s.replace(/\r\n?/g, "\n").split("\n");
  while (lines.length && !lines[0]?.trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1]?.trim()) lines.pop();
  const indents = lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)?.[0].length ?? 0);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join("\n");
}

/** An integer attribute within 1..64. */
function int64(v: string, name: string, errors: string[]): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 64) {
    errors.push(`data-imds-${name} must be a whole number from 1 to 64, not "${v}"`);
    return 0;
  }
  return n;
}

/** The highlighted children of a block's markup, when it has only those (the iframe pages). */
function tokens(e: Element, text: string): Node[] | null {
  if (e.textContent !== text || !e.children.length) return null;
  const kids = Array.from(e.childNodes);
  const ok = kids.every(
    (n) => n.nodeType === Node.TEXT_NODE || (n instanceof HTMLSpanElement && /^tok-[a-z]+$/.test(n.className) && n.attributes.length === 1),
  );
  return ok ? kids.map((n) => n.cloneNode(true)) : null;
}

/** Reads a block's configuration from its attributes, then the defaults. */
function readConfig(e: Element, defaults: Map<Name, string>): BlockConfig {
  const custom = e.localName === "imds-example";
  const get = (n: Name): string | null =>
    e.getAttribute(`data-imds-${n}`) ?? (custom ? e.getAttribute(n) : null) ?? defaults.get(n) ?? null;
  const errors: string[] = [];
  const label: string[] = [];
  const patch: Patch = {};

  let text = dedent(e.textContent ?? "");
  const on = get("on") ?? "instance";
  if (on !== "instance" && on !== "workstation") errors.push(`data-imds-on must be instance or workstation, not "${on}"`);
  const service = get("service");
  if (service !== null) {
    if (service === "on" || service === "off") patch.enabled = service === "on";
    else errors.push(`data-imds-service must be on or off, not "${service}"`);
    label.push(`metadata service ${service}`);
  }
  const protocol = get("protocol");
  if (protocol !== null) {
    if (protocol === "http" || protocol === "https") patch.protocol = protocol;
    else errors.push(`data-imds-protocol must be http or https, not "${protocol}"`);
    label.push(protocol === "https" ? "secure access (HTTPS)" : "plain HTTP");
  }
  const hopLimit = get("hop-limit");
  if (hopLimit !== null) {
    patch.hopLimit = int64(hopLimit, "hop-limit", errors);
    label.push(`hop limit ${hopLimit}`);
  }
  const hopsAttr = get("hops");
  const hops = hopsAttr === null ? 0 : int64(hopsAttr, "hops", errors);
  if (hops > 1) label.push(`${hops} hops away`);
  const version = get("version");
  if (version !== null) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(version)) text = text.replace(/\bversion=\d{4}-\d{2}-\d{2}/g, `version=${version}`);
    else errors.push(`data-imds-version must be a date YYYY-MM-DD, not "${version}"`);
  }
  const setup = get("setup");
  const session = get("session") ?? "";
  if (session) label.push(`session ${session}`);
  return {
    text,
    on: on === "workstation" ? "workstation" : "instance",
    session,
    hops,
    patch,
    setup: setup !== null && setup !== "false",
    label: label.join(" · "),
    errors,
    tokens: tokens(e, text),
  };
}

/** The origin embed.js came from: the site, whose assets the embeds load. */
function scriptOrigin(script: HTMLScriptElement | null): string {
  const src = script?.src || document.querySelector<HTMLScriptElement>('script[src$="/embed.js"]')?.src || location.href;
  return new URL(src, location.href).origin;
}

/** Sizes the site's iframes on this page when they report their height. */
function sizeFrames(origin: string): void {
  addEventListener("message", (ev: MessageEvent) => {
    const d = ev.data as { type?: unknown; height?: unknown } | null;
    if (ev.origin !== origin || !d || d.type !== HEIGHT_MESSAGE || typeof d.height !== "number") return;
    for (const f of Array.from(document.getElementsByTagName("iframe"))) {
      if (f.contentWindow === ev.source) f.style.height = `${Math.ceil(Math.min(Math.max(d.height, 0), 20000))}px`;
    }
  });
}

/** In an iframe page of the site: reports the page's height to the parent as it changes. */
function reportHeight(): void {
  if (window.parent === window) return;
  let last = -1;
  const post = () => {
    const h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h === last) return;
    last = h;
    window.parent.postMessage({ type: HEIGHT_MESSAGE, height: h }, "*");
  };
  new ResizeObserver(post).observe(document.documentElement);
  post();
}

/** The helpers of the site's own documentation page: its origin shown, and Copy buttons. */
function docsHelpers(origin: string): void {
  for (const e of Array.from(document.querySelectorAll<HTMLElement>("[data-imds-origin]"))) e.textContent = origin;
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>("button[data-imds-copy]"))) {
    const target = document.getElementById(b.dataset["imdsCopy"] ?? "");
    if (!target || !navigator.clipboard) continue;
    b.hidden = false;
    b.addEventListener("click", () => {
      navigator.clipboard.writeText(target.textContent ?? "").then(
        () => (b.textContent = "Copied"),
        () => (b.textContent = "Copy failed: select the text instead"),
      );
      setTimeout(() => (b.textContent = "Copy"), 2000);
    });
  }
}

/** Finds and mounts the blocks of the page, now and as the page adds more. */
function install(script: HTMLScriptElement | null): void {
  const origin = scriptOrigin(script);
  const defaults = new Map<Name, string>();
  for (const n of NAMES) {
    const v = script?.getAttribute(`data-imds-${n}`);
    if (v != null) defaults.set(n, v);
  }
  const frame = document.documentElement.hasAttribute("data-imds-frame") && origin === location.origin;
  if (frame) {
    // The iframe pages take their scenario (and, on /embed/code/run/, the code) from the URL.
    const q = new URLSearchParams(location.search);
    for (const n of NAMES) {
      const v = q.get(n);
      if (v !== null) defaults.set(n, v);
    }
    const code = q.get("code");
    const slot = document.querySelector("pre[data-imds-code]");
    if (slot && code !== null) slot.textContent = code;
  }

  const blocks: EmbedBlock[] = [];
  let loading = false;
  const engine = () => {
    if (!loading) {
      loading = true;
      document.documentElement.dataset["imdsEmbed"] = "loading";
      onProgress((t) => blocks.forEach((b) => b.progress(t)));
      loadEngine(origin, __IMDS_EMBED_ASSETS__).then(
        () => {
          runner.ready = true;
          document.documentElement.dataset["imdsEmbed"] = "ready";
          blocks.forEach((b) => b.progress(""));
        },
        (err: unknown) => {
          document.documentElement.dataset["imdsEmbed"] = "error";
          const msg = `The emulator could not start: ${err instanceof Error ? err.message : String(err)}`;
          blocks.forEach((b) => b.progress(msg));
        },
      );
    }
    return loadEngine(origin, __IMDS_EMBED_ASSETS__);
  };
  const runner = new Runner(engine, origin, __IMDS_EMBED_CSS__);

  // The engine (2–3 MB) loads when a block comes near the screen, not for pages nobody runs.
  const near =
    "IntersectionObserver" in window
      ? new IntersectionObserver(
          (entries) => {
            if (entries.some((e) => e.isIntersecting)) {
              near?.disconnect();
              void engine().catch(() => {});
            }
          },
          { rootMargin: "400px" },
        )
      : null;

  const mount = (e: Element) => {
    if (e.hasAttribute("data-imds-mounted")) return;
    const config = readConfig(e, defaults);
    let host = e as HTMLElement;
    if (e.localName !== "imds-example") {
      // A <pre> cannot hold a shadow root: an <imds-example> takes its place, with its id and class.
      host = document.createElement("imds-example");
      for (const a of ["id", "class"]) {
        const v = e.getAttribute(a);
        if (v) host.setAttribute(a, v);
      }
      e.replaceWith(host);
    }
    host.setAttribute("data-imds-mounted", "");
    blocks.push(new EmbedBlock(host, config, runner));
    if (near) near.observe(host);
    else void engine().catch(() => {});
  };
  const scan = (root: ParentNode = document) => {
    for (const e of Array.from(root.querySelectorAll("pre[data-imds], imds-example"))) mount(e);
  };

  globalThis.__imdsEmbed = { scan, engine };
  sizeFrames(origin);
  if (frame) reportHeight();
  const ready = () => {
    docsHelpers(origin);
    scan();
    // Pages that render later (single-page docs sites) get their blocks mounted as they appear.
    let queued = false;
    new MutationObserver(() => {
      if (queued) return;
      queued = true;
      queueMicrotask(() => {
        queued = false;
        scan();
      });
    }).observe(document.documentElement, { childList: true, subtree: true });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready, { once: true });
  else ready();
}

// document.currentScript is only set while this script first runs: read it now.
const current = document.currentScript instanceof HTMLScriptElement ? document.currentScript : null;
if (globalThis.__imdsEmbed) globalThis.__imdsEmbed.scan();
else install(current);
