// Loading the engine for the site's own pages: its worker (worker.ts, which brings the Go glue)
// from <meta name="imds-worker">, and inside it the wasm and the emulator's keys, fetched at once
// so that the slowest of them alone decides when the page is live.

import { EngineClient, mark, spawnWorker } from "./client";

/** Receives progress lines while loading. */
export type Progress = (state: "loading" | "ready" | "error", text: string) => void;

/** Reads a <meta name=NAME> content attribute. */
function meta(name: string): string | null {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content || null;
}

/** An absolute URL for a page-relative one ("" stays ""): the worker resolves nothing itself. */
function abs(url: string | null): string {
  return url ? new URL(url, location.href).href : "";
}

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
  const wasm = meta("imds-wasm");
  const worker = meta("imds-worker");
  if (!wasm || !worker) throw new Error("this page does not name the emulator's files");
  if (typeof WebAssembly !== "object" || !("compileStreaming" in WebAssembly) || typeof Worker !== "function") {
    throw new Error("this browser cannot run WebAssembly in a worker");
  }
  progress("loading", "Loading the emulator…");
  mark("imds-engine-start");
  const engine = await EngineClient.start({
    wasm: abs(wasm),
    keysURL: abs(meta("imds-keys")),
    wasmSize: Number(meta("imds-wasm-size") ?? 0),
    spawn: () => spawnWorker(worker),
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
