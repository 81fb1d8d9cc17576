// The engine's worker, started as early as the page allows. Downloading and compiling the wasm
// and starting Go take most of a first visit, and none of it needs the page: a tiny classic
// script inline in <head> (boot.ts) starts the worker before the page is
// parsed, laid out and drawn, and before the runtime's module (main.ts) is even evaluated. The
// worker's messages wait in a backlog until the runtime's client (client.ts) takes the worker
// over. Whichever of the two scripts runs first starts the worker; the other finds it.

import type { Boot, FromWorker } from "./protocol";

/** A worker started early, with what it said before the client took it. */
export interface EarlyWorker {
  readonly worker: Worker;
  /** The boot message it was started with (in its URL's fragment). */
  readonly boot: Boot;
  /** Its messages and errors so far, in order. */
  readonly backlog: Array<{ msg: FromWorker } | { error: ErrorEvent }>;
  /** When it was started, in milliseconds since the epoch. */
  readonly started: number;
  /** Which script started it: "boot" (the page's first script) or "runtime" (main.ts). */
  readonly by: string;
  /** Stops collecting the backlog: the client's own listeners take over. */
  release(): void;
}

/** Where the site's pages name the engine's files. */
export interface EngineFiles {
  worker: string;
  wasm: string;
  keysURL: string;
}

/** Reads a <meta name=NAME> content attribute. */
function meta(name: string): string | null {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content || null;
}

/** An absolute URL for a page-relative one ("" stays ""): the worker resolves nothing itself. */
function abs(url: string | null): string {
  return url ? new URL(url, location.href).href : "";
}

/** The engine's files this page names, as absolute URLs; null when it names none. */
export function engineFiles(): EngineFiles | null {
  const wasm = meta("imds-wasm");
  const worker = meta("imds-worker");
  if (!wasm || !worker) return null;
  return { worker: abs(worker), wasm: abs(wasm), keysURL: abs(meta("imds-keys")) };
}

/** Whether this browser can run the engine at all. */
export function canRunEngine(): boolean {
  return typeof WebAssembly === "object" && "compileStreaming" in WebAssembly && typeof Worker === "function";
}

/** The global the two scripts share: the early worker, or null when none could be started. */
const KEY = "__imdsEarlyWorker";
type Shared = { [KEY]?: EarlyWorker | null };

/**
 * Starts the engine's worker for this page and sends it its boot message, once per document;
 * returns it, or null when the page names no engine, the browser cannot run it, or the worker
 * would come from another origin (then client.ts's spawnWorker does it the long way).
 */
export function startEarly(by: "boot" | "runtime"): EarlyWorker | null {
  const g = globalThis as Shared;
  if (g[KEY] !== undefined) return g[KEY];
  g[KEY] = null;
  const files = engineFiles();
  if (!files || !canRunEngine() || new URL(files.worker).origin !== location.origin) return null;
  const boot: Boot = { t: "boot", wasm: files.wasm, keysURL: files.keysURL };
  let worker: Worker;
  try {
    // The boot message rides in the URL's fragment (never sent to the server, so the script's
    // cache entry is the same): a message posted to a worker that has not yet run its script
    // waits for the page's thread to forward it, and the page's thread is then busy with its
    // first layout and its module, 100–150 ms that the worker would spend idle (worker.ts).
    worker = new Worker(`${files.worker}#${encodeURIComponent(JSON.stringify(boot))}`);
  } catch {
    return null;
  }
  const backlog: EarlyWorker["backlog"] = [];
  const onMessage = (ev: MessageEvent<FromWorker>) => backlog.push({ msg: ev.data });
  const onError = (ev: ErrorEvent) => {
    ev.preventDefault();
    backlog.push({ error: ev });
  };
  worker.addEventListener("message", onMessage);
  worker.addEventListener("error", onError);
  const early: EarlyWorker = {
    worker,
    boot,
    backlog,
    started: performance.timeOrigin + performance.now(),
    by,
    release() {
      worker.removeEventListener("message", onMessage);
      worker.removeEventListener("error", onError);
    },
  };
  g[KEY] = early;
  return early;
}
