// Downloading and compiling the engine's wasm, in the engine's worker (worker.ts). Compiling
// it on the page's thread instead, while the worker starts, was tried: V8 decodes a streamed
// module on the thread that receives it, so the page's thread had 100–300 ms tasks while it
// loaded, and the visit was no faster.

import type { WasmFetch } from "./protocol";

/**
 * Fetches with CORS and without credentials (an embed's worker runs on another site's origin),
 * turning the browser's bare "Failed to fetch" into a sentence a docs author can act on.
 */
export async function get(url: string): Promise<Response> {
  let resp: Response;
  try {
    resp = await fetch(url, { mode: "cors", credentials: "omit" });
  } catch {
    throw new Error(`could not fetch ${url}: check that the page's Content-Security-Policy allows it in connect-src`);
  }
  if (!resp.ok) throw new Error(`could not fetch ${url} (${resp.status})`);
  return resp;
}

/** Milliseconds since the epoch, comparable across the page's and the worker's clocks. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A compiled module with when its last byte arrived and when it compiled (ms since the epoch). */
export interface Compiled {
  module: WebAssembly.Module;
  /** 0 when the resource timing is hidden. */
  received: number;
  compiled: number;
  /** The downloads of url this global saw (one, or none from a cache the timing hides). */
  fetches: WasmFetch[];
}

/**
 * Compiles the wasm at url while it streams in. The response goes to the compiler as it is:
 * a body passed through a stream of ours (to count its bytes for a percentage) costs the
 * decoding thread a JavaScript hop per chunk, 20% more time in all (scripts/budgets' floor
 * page has no such hop). So progress says what is downloading and for how long, once a
 * second, which is what a reader on a slow connection wants to know.
 */
export async function compileWasm(url: string, progress: (text: string) => void): Promise<Compiled> {
  const resp = await get(url);
  const size = Number(resp.headers.get("Content-Length") ?? 0);
  const what = size > 0 ? `Loading the emulator (${(size / 1e6).toFixed(1)} MB)…` : "Loading the emulator…";
  const t0 = performance.now();
  progress(what);
  const ticker = setInterval(() => progress(`${what} ${Math.round((performance.now() - t0) / 1000)} s`), 1000);
  let module: WebAssembly.Module;
  try {
    // A host that serves the wasm under another type would have it refused: the body is then
    // rewrapped (with the hop above) rather than the visit lost.
    const wasmType = resp.headers.get("Content-Type")?.split(";")[0]?.trim() === "application/wasm";
    module = await WebAssembly.compileStreaming(wasmType ? resp : new Response(resp.body, { headers: { "Content-Type": "application/wasm" } }));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/unsafe-eval|Content Security Policy|CSP/i.test(msg)) {
      throw new Error(
        "the page's Content-Security-Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to its script-src, or use the iframe embed",
      );
    }
    throw err;
  } finally {
    clearInterval(ticker);
  }
  const compiled = epochMs();
  const entries = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).filter((e) => e.name === url);
  return {
    module,
    received: entries[0]?.responseEnd ? performance.timeOrigin + entries[0].responseEnd : 0,
    compiled,
    fetches: entries.map((e) => ({ name: e.name, transferSize: e.transferSize })),
  };
}
