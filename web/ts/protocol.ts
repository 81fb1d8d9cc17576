// The messages between the page (client.ts) and the engine's worker (worker.ts). Values are
// structured-cloned: the JSON shapes of api.ts, plus the compiled WebAssembly.Module and the
// keys, which a restart hands to the next worker.

import type { SessionOptions, Snapshot, StartKeys, State } from "./api";

/** The first message a worker gets: what to load, or (a restart) what to reuse and restore. */
export interface Boot {
  t: "boot";
  /** Absolute URL of the wasm (a worker started from a blob: URL has no base to resolve against). */
  wasm: string;
  /** Absolute URL of the site's prepared keys; "" to make them with WebCrypto. */
  keysURL: string;
  /** Keys to use instead of loading them: a restart signs with the keys the first worker had. */
  keys?: StartKeys;
  /** The module the first worker compiled: a restart skips the download and the compilation. */
  module?: WebAssembly.Module;
  /** A snapshot to restore before the engine says it is ready. */
  restore?: Snapshot;
}

/** What the page sends. Every call and run is answered by a reply with its id. */
export type ToWorker =
  | Boot
  | { t: "call"; id: number; method: string; args: unknown[] }
  | { t: "run"; id: number; session: SessionOptions; script: string }
  | { t: "cancel"; id: number };

/** When each step of a boot ended, in milliseconds since the epoch (worker and page share it). */
export interface BootTimes {
  start: number;
  /** The wasm's last byte arrived (0 when it was not fetched, or the timing is hidden). */
  received: number;
  compiled: number;
  instantiated: number;
  /** The Go runtime and every package initialised, main has registered the API. */
  goStarted: number;
  keysReady: number;
  ready: number;
}

/** One download of the wasm: bytes over the network (0 from the browser's cache). */
export interface WasmFetch {
  name: string;
  transferSize: number;
}

/** What the worker sends. */
export type FromWorker =
  | { t: "progress"; text: string }
  | {
      t: "ready";
      version: string;
      state: State | null;
      /** The emulator's clock minus Date.now(), in milliseconds. */
      offset: number;
      permalink: { maxLength: number; key: string };
      module: WebAssembly.Module;
      keys: StartKeys;
      times: BootTimes;
      /** The wasm downloads of this boot, from the worker's resource timing (none on a restart). */
      fetches: WasmFetch[];
      /** Why the boot's snapshot could not be restored, if it could not. */
      restoreError?: string;
    }
  | { t: "failed"; message: string }
  | { t: "exit"; message: string }
  | { t: "reply"; id: number; value?: unknown; error?: string }
  /** Go took the cancel of run id: it yields, and ends at its next checkpoint. */
  | { t: "cancelling"; id: number }
  | { t: "change"; seq: number; state: State | null; offset: number }
  | { t: "snapshot"; seq: number; snap: Snapshot };
