// The playground's runtime, bundled by the site generator (esbuild) into /assets/main.HASH.js
// and loaded as an async module on every page. The page is complete without it; this makes its command
// blocks live: it starts the Go engine (wasm/) in its worker, shows a progress line while it
// loads, and sets <html data-imds-ready="true"> when the engine is ready. globalThis.imds is the
// engine's API on the page (client.ts), for embeds on the page, tests and the console.
//
// Ready means restored: the saved world and variables (memory.ts) and a shared link's blocks
// and scenario (share.ts) are in place before the first queued Run goes. The panel (panel.ts)
// is wired just after.

import type { ImdsAPI, State } from "./api";
import { RequestHistory } from "./history";
import { initLiveBlocks, type LiveBlock } from "./liveblock";
import { mark } from "./client";
import { loadEngine, pageReady, type Progress } from "./loader";
import { Memory } from "./memory";
import { initPanel, panelStatus } from "./panel";
import { openLink, share, sharedFragment } from "./share";

/** Updates the page's loading line; the latest line is kept for a line not parsed yet. */
function progressLine(): Progress & { again(): void } {
  let last: [Parameters<Progress>[0], string] | null = null;
  const show: Progress = (state, text) => {
    last = [state, text];
    const line = document.querySelector<HTMLElement>('[data-testid="loading"]');
    if (!line) return;
    line.dataset["state"] = state;
    line.setAttribute("role", "status");
    line.textContent = text;
  };
  return Object.assign(show, { again: () => last && show(...last) });
}

/** The page's slug (<meta name="imds-page">), "" on the home page. */
function pageSlug(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="imds-page"]')?.content ?? "";
}

/** A promise and its resolve/reject, for a value made later. */
function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Puts memory and a shared link back; resolves to a line for the panel about the link. Without
 * anything saved or shared it does not touch the engine at all.
 */
async function restore(api: ImdsAPI, slug: string, blocks: LiveBlock[], memory: Memory, fragment: string | null): Promise<string> {
  if (memory.hasSaved()) await memory.restoreSession(api);
  if (!fragment) return "";
  try {
    const r = await openLink(api, fragment, slug, blocks);
    memory.saveBlocks(blocks);
    const n = r.applied === 1 ? "1 edited block" : `${r.applied} edited blocks`;
    return `Opened from a shared link: ${n} and the instance's settings.${r.missed ? ` ${r.missed} no longer match this page and were left out.` : ""}`;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    console.warn(`imdsplay: ${why}`);
    memory.restoreBlocks(blocks);
    return `This link could not be opened (${why}); the page shows your own state instead.`;
  }
}

/**
 * Wires the panel, the version switch and saving to the engine. dirty says a run already
 * finished (before this was wired), so the session is saved now.
 */
function wire(api: ImdsAPI, slug: string, blocks: LiveBlock[], memory: Memory, status: string, dirty: boolean): void {
  // The version switch rewrites every block's dates; a change from anywhere (the panel, an
  // embed, a restored world, a link) lands here.
  let version = "";
  const applyVersion = (st: State) => {
    if (st.version === version) return;
    version = st.version;
    for (const b of blocks) b.applyVersion(version);
    memory.saveBlocks(blocks);
  };
  const render = initPanel(document, {
    api,
    share: () => share(api, slug, blocks),
    resetAll: () => {
      memory.clearAll();
      location.replace(`${location.pathname}${location.search}`);
    },
  });
  api.onChange((st) => {
    applyVersion(st);
    render?.(st);
    void memory.saveSession(api);
  });
  const st = api.state();
  if (st) applyVersion(st);
  if (status) panelStatus(document, status);
  if (dirty) void memory.saveSession(api);
}

/** Wires the page, once it is parsed, to the engine that is loading. */
function boot(engine: Promise<ImdsAPI>, progress: ReturnType<typeof progressLine>): void {
  progress.again();
  const slug = pageSlug();
  const memory = new Memory(slug);
  const fragment = sharedFragment();
  const ready = deferred<ImdsAPI>();

  let ran = false;
  const historyList = document.querySelector<HTMLElement>('[data-testid="history"]');
  const requests = historyList
    ? new RequestHistory(historyList, document.querySelector<HTMLElement>('[data-testid="history-count"]'), ready.promise)
    : null;
  const blocks = initLiveBlocks(document, ready.promise, {
    onEdit: () => memory.saveBlocks(blocks),
    onResult: (_b, r) => {
      ran = true;
      requests?.add(r);
    },
  });
  // Saved texts go in at once, so the page reads as the reader left it while the engine
  // loads; a shared link's wait for the engine (its codec is Go).
  if (!fragment) memory.restoreBlocks(blocks);

  engine
    .then(async (api) => {
      let status = "";
      try {
        status = await restore(api, slug, blocks, memory, fragment);
      } catch (err) {
        console.warn(`imdsplay: restoring the saved state failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      globalThis.imds = api;
      ready.resolve(api);
      mark("imds-ready");
      document.documentElement.dataset["imdsReady"] = "true";
      pageReady();
      progress("ready", "Emulator ready: edit any command and run it.");
      wire(api, slug, blocks, memory, status, ran);
    })
    .catch((err: unknown) => {
      ready.reject(err);
      document.documentElement.dataset["imdsReady"] = "false";
      progress("error", `The emulator could not start: ${err instanceof Error ? err.message : String(err)}. The page still reads fine.`);
    });
}

// The engine starts as soon as this script runs (it is async: before the page is parsed and
// drawn, if it can), because its loading is what the page waits for; the page is wired once it
// is parsed.
const progress = progressLine();
const engine: Promise<ImdsAPI> = loadEngine(progress);
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => boot(engine, progress), { once: true });
else boot(engine, progress);
