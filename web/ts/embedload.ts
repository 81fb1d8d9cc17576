// Loading the engine for embeds: the wasm, its Go glue (wasm_exec.js) and the emulator's keys,
// all from the site's origin, once per page however many blocks and script tags the page has.
// On a page of the site itself, which already runs the playground's runtime (main.ts), the
// embeds use that runtime's engine instead of starting a second one.

import type { ImdsAPI, StartKeys } from "./api";
import { parseKeyFile } from "./keyfile";

/** The site's hashed asset paths, written into embed.js by the site build (site/embed.go). */
export interface SiteAssets {
  wasm: string;
  wasmExec: string;
  keys: string;
  /** Uncompressed size of the wasm, for the progress percentage. */
  wasmSize: number;
}

/** Receives progress lines while loading. */
export type Progress = (text: string) => void;

/**
 * Fetches with CORS and without credentials, turning the browser's bare "Failed to fetch" into a
 * sentence a docs author can act on: on another site, the usual cause is its connect-src.
 */
async function get(url: string): Promise<Response> {
  let resp: Response;
  try {
    resp = await fetch(url, { mode: "cors", credentials: "omit" });
  } catch {
    throw new Error(`could not fetch ${url}: check that this page's Content-Security-Policy allows it in connect-src`);
  }
  if (!resp.ok) throw new Error(`could not fetch ${url} (${resp.status})`);
  return resp;
}

/** The emulator's keys as the site build prepared them (site/keys.go). */
async function fetchKeys(url: string): Promise<StartKeys> {
  if (!url) return {};
  return parseKeyFile(await (await get(url)).json());
}

/** Compiles the wasm while it streams in, reporting a percentage. */
async function compile(url: string, size: number, progress: Progress): Promise<WebAssembly.Module> {
  const resp = await get(url);
  let body: ReadableStream<Uint8Array> | null = resp.body;
  if (body && size > 0) {
    let got = 0;
    let last = 0;
    body = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          got += chunk.byteLength;
          const now = performance.now();
          if (now - last > 150) {
            last = now;
            progress(`Loading the emulator… ${Math.min(99, Math.floor((100 * got) / size))}%`);
          }
          ctl.enqueue(chunk);
        },
      }),
    );
  }
  try {
    return await WebAssembly.compileStreaming(new Response(body, { headers: { "Content-Type": "application/wasm" } }));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/unsafe-eval|Content Security Policy|CSP/i.test(msg)) {
      throw new Error(
        "this page's Content-Security-Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to its script-src, or use the iframe embed",
      );
    }
    throw err;
  }
}

/**
 * Loads wasm_exec.js, which defines globalThis.Go. A Go class the host page had before (its own
 * Go program) is put back afterwards; the embed keeps its own reference.
 */
function loadGo(src: string): Promise<NonNullable<typeof globalThis.Go>> {
  const before = globalThis.Go;
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.async = true;
    // CORS mode: works on pages with Cross-Origin-Embedder-Policy, and errors stay readable.
    s.crossOrigin = "anonymous";
    s.onload = () => {
      const ours = globalThis.Go;
      if (before) globalThis.Go = before;
      if (ours && ours !== before) resolve(ours);
      else reject(new Error("wasm_exec.js did not define Go"));
    };
    s.onerror = () => reject(new Error(`could not load ${src}: check that this page's Content-Security-Policy allows it in script-src`));
    (document.head ?? document.documentElement).appendChild(s);
  });
}

/** Starts the engine from the site's assets at origin. */
async function start(origin: string, a: SiteAssets, progress: Progress): Promise<ImdsAPI> {
  if (!a.wasm) throw new Error("this build of the site has no emulator (it was built without the wasm)");
  if (typeof WebAssembly !== "object" || !("compileStreaming" in WebAssembly)) {
    throw new Error("this browser cannot run WebAssembly");
  }
  progress("Loading the emulator…");
  const keys = fetchKeys(a.keys && origin + a.keys);
  const [module, Go] = await Promise.all([compile(origin + a.wasm, a.wasmSize, progress), loadGo(origin + a.wasmExec)]);
  progress("Starting the emulator…");
  const go = new Go();
  const instance = await WebAssembly.instantiate(module, go.importObject);
  let exited: unknown = null;
  // Go's main registers globalThis.imds before it first blocks, which is before run returns.
  go.run(instance).then(
    () => (exited = new Error("the emulator stopped")),
    (err: unknown) => (exited = err),
  );
  const api = globalThis.imds;
  if (!api) throw exited instanceof Error ? exited : new Error("the emulator did not start");
  await api.start({ keys: await keys });
  return api;
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
