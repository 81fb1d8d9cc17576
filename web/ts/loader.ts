// Loading the engine for the site's own pages: its worker (worker.ts, which brings the Go glue)
// from <meta name="imds-worker">, and inside it the wasm and the emulator's keys, fetched at once
// so that the slowest of them alone decides when the page is live. The worker is normally
// started already, by the page's first script (boot.ts, early.ts); this takes it over.

import { EngineClient, mark, spawnWorker } from "./client";
import { canRunEngine, engineFiles, startEarly } from "./early";

/** Receives progress lines while loading. */
export type Progress = (state: "loading" | "ready" | "error", text: string) => void;

/** Puts a boot's steps on the page's performance timeline, for scripts/budgets. */
export function markBoot(engine: EngineClient): void {
  const t = engine.times;
  if (!t) return;
  mark("imds-worker-started", t.start);
  if (t.received) mark("imds-wasm-received", t.received);
  mark("imds-wasm-compiled", t.compiled);
  mark("imds-wasm-instantiated", t.instantiated);
  mark("imds-go-started", t.goStarted);
  mark("imds-keys", t.keysReady);
  mark("imds-engine-ready", t.ready);
}

/**
 * Loads and starts the engine in its worker and resolves to its API. Rejects with a readable
 * error when the page has no engine to load or loading fails.
 */
export async function loadEngine(progress: Progress): Promise<EngineClient> {
  const files = engineFiles();
  if (!files) throw new Error("this page does not name the emulator's files");
  if (!canRunEngine()) throw new Error("this browser cannot run WebAssembly in a worker");
  progress("loading", "Loading the emulator…");
  const early = startEarly("runtime");
  mark("imds-engine-start", early?.started);
  const engine = await EngineClient.start({
    wasm: files.wasm,
    keysURL: files.keysURL,
    spawn: () => spawnWorker(files.worker),
    early,
    progress: (text) => progress("loading", text),
  });
  markBoot(engine);
  return engine;
}

/**
 * Says that the page's blocks are live: <html data-imds-page-ready="PATH"> and a performance
 * mark "imds-page-ready". scripts/budgets times a click on a link to the moment the next page
 * says so, whether the click loaded a new document or the runtime swapped the content in;
 * whatever swaps pages calls this once the new page's blocks run.
 */
export function pageReady(): void {
  mark("imds-page-ready");
  document.documentElement.dataset["imdsPageReady"] = location.pathname;
}
