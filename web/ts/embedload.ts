// Loading the engine for embeds: its worker (worker.ts, with the Go glue inside) and, inside it,
// the wasm and the emulator's keys, all from the site's origin, once per page however many
// blocks and script tags the page has. On another site the worker starts from a blob: URL of
// the worker script's text (client.ts's spawnWorker). On a page of the site itself, which
// already runs the playground's runtime (main.ts), the embeds use that runtime's engine instead
// of starting a second one.

import type { ImdsAPI } from "./api";
import { EngineClient, spawnWorker } from "./client";

/** The site's hashed asset paths, written into embed.js by the site build (site/embed.go). */
export interface SiteAssets {
  wasm: string;
  worker: string;
  keys: string;
}

/** Receives progress lines while loading. */
export type Progress = (text: string) => void;

/** Starts the engine from the site's assets at origin. */
async function start(origin: string, a: SiteAssets, progress: Progress): Promise<ImdsAPI> {
  if (!a.wasm) throw new Error("this build of the site has no emulator (it was built without the wasm)");
  if (typeof WebAssembly !== "object" || !("compileStreaming" in WebAssembly) || typeof Worker !== "function") {
    throw new Error("this browser cannot run WebAssembly in a worker");
  }
  progress("Loading the emulator…");
  return EngineClient.start({
    wasm: origin + a.wasm,
    keysURL: a.keys && origin + a.keys,
    spawn: () => spawnWorker(origin + a.worker),
    progress,
  });
}

/**
 * Waits for the engine of the playground's own runtime, on a page of the site: main.ts sets
 * <html data-imds-ready> to "true" or "false" when it has finished starting.
 */
function siteEngine(): Promise<ImdsAPI> {
  const html = document.documentElement;
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const state = html.dataset["imdsReady"];
      if (state === "true" && globalThis.imds) resolve(globalThis.imds);
      else if (state === "false") reject(new Error("the playground's emulator could not start"));
      else return false;
      return true;
    };
    if (check()) return;
    const mo = new MutationObserver(() => check() && mo.disconnect());
    mo.observe(html, { attributes: true, attributeFilter: ["data-imds-ready"] });
  });
}

/** One engine per page, whichever script tag or block asks first. */
let engine: Promise<ImdsAPI> | null = null;
const listeners = new Set<Progress>();

/** Adds a progress listener; it gets every line from now on. */
export function onProgress(p: Progress): void {
  listeners.add(p);
}

/**
 * Returns the page's engine, starting it on first call. origin is where embed.js came from.
 * A page of the site itself (same origin, and the runtime's <meta name="imds-wasm"> present)
 * shares the runtime's engine.
 */
export function loadEngine(origin: string, a: SiteAssets): Promise<ImdsAPI> {
  if (!engine) {
    const progress: Progress = (t) => listeners.forEach((l) => l(t));
    const onSite = origin === location.origin && document.querySelector('meta[name="imds-wasm"]') !== null;
    engine = onSite ? siteEngine() : start(origin, a, progress);
  }
  return engine;
}
