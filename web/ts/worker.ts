// The engine's worker: the Go core and shell (wasm/) run here, on a thread of their own, so the
// page's thread stays free while the engine loads and while any command runs, however long.
// The site build bundles this file after the toolchain's wasm_exec.js (which defines Go) into
// one classic script, /assets/worker-HASH.js: a page of the site starts it from its URL, an
// embed on another site from a blob: URL of its text (client.ts).
//
// The page talks to it with the messages of protocol.ts: boot once, then calls, runs and
// cancels, each answered by id; the worker pushes its progress while loading, the panel's state
// after every change, and a snapshot of the world that a restart can restore.

import type { GoAPI, MemStats, SessionOptions, StartKeys, State } from "./api";
import { parseKeyFile } from "./keyfile";
import { compileWasm, epochMs, get } from "./wasmload";
import type { Boot, FromWorker, ToWorker } from "./protocol";

/** The worker's global scope, as much of it as this file uses (the DOM lib types the page). */
const scope = globalThis as unknown as {
  postMessage(msg: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: "message", f: (ev: MessageEvent<ToWorker>) => void): void;
};

function post(msg: FromWorker): void {
  scope.postMessage(msg);
}

/** The algorithm of every emulator key: what the service's RS256 tokens and its CA use. */
const RSA_2048: RsaHashedKeyGenParams = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};

/**
 * The emulator's four keys: the site's prepared key file when there is one (emulator keys guard
 * nothing real, and a file costs nothing on the critical path), else made with WebCrypto. They
 * go back to the page with the ready message, so that a restart signs with the same keys and
 * the tokens issued before it still verify. Without WebCrypto (an insecure context) the engine
 * makes its own and a restart makes new ones.
 */
async function loadKeys(url: string): Promise<StartKeys> {
  if (url) {
    try {
      return parseKeyFile(await (await get(url)).json());
    } catch {
      // Fall through: a missing key file must not cost the page its emulator.
    }
  }
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return {};
  const one = async (): Promise<ArrayBuffer> => {
    const pair = await subtle.generateKey(RSA_2048, true, ["sign", "verify"]);
    return subtle.exportKey("pkcs8", pair.privateKey);
  };
  try {
    const [identity, iam, caRoot, caIntermediate] = await Promise.all([one(), one(), one(), one()]);
    return { identity, iam, caRoot, caIntermediate };
  } catch {
    return {};
  }
}

/** The Go runtime glue that wasm_exec.js, bundled before this file, defines. */
declare const Go: new () => {
  importObject: WebAssembly.Imports;
  run(instance: WebAssembly.Instance): Promise<void>;
};

/** The running engine, once booted. */
let api: GoAPI | null = null;
let memory: WebAssembly.Memory | null = null;
/** Messages that arrived before boot finished, handled in order after it. */
const early: ToWorker[] = [];

/** Loads, starts and (on a restart) restores the engine, then tells the page it is ready. */
async function boot(b: Boot): Promise<void> {
  const t0 = epochMs();
  const keys = b.keys ? Promise.resolve(b.keys) : loadKeys(b.keysURL);
  const loaded = b.module ? null : await compileWasm(b.wasm, (text) => post({ t: "progress", text }));
  const module = b.module ?? loaded?.module;
  if (!module) throw new Error("no module to run");
  post({ t: "progress", text: "Starting the emulator…" });
  const go = new Go();
  const instance = await WebAssembly.instantiate(module, go.importObject);
  memory = instance.exports["mem"] instanceof WebAssembly.Memory ? instance.exports["mem"] : null;
  const instantiated = epochMs();
  // main registers globalThis.imds before it first blocks, which is before run returns here:
  // this call is the Go runtime's and every package's initialisation.
  go.run(instance).then(
    () => post({ t: "exit", message: "the emulator stopped" }),
    (err: unknown) => post({ t: "exit", message: err instanceof Error ? err.message : String(err) }),
  );
  const g = (globalThis as unknown as { imds?: GoAPI }).imds;
  if (!g) throw new Error("the emulator did not start");
  const goStarted = epochMs();
  // Go holds this thread while it works, so its warm-up is free only while the worker waits
  // anyway: for keys that WebCrypto is still making on the browser's own threads. Prepared keys
  // (a small file) are there long before the wasm; then the engine warms up after start instead.
  if (!b.keys && !b.keysURL) g.warm();
  const k = await keys;
  const keysReady = epochMs();
  const info = await g.start({ keys: k });
  let state = info.state;
  let offset = info.now - Date.now();
  let restoreError: string | undefined;
  if (b.restore) {
    try {
      state = await g.restore(b.restore);
      offset = g.now() - Date.now(); // the restored clock
    } catch (err) {
      restoreError = err instanceof Error ? err.message : String(err);
    }
  }
  api = g;
  g.onChange(changed);
  post({
    t: "ready",
    version: info.version,
    state,
    offset,
    permalink: { maxLength: g.permalink.maxLength, key: g.permalink.key },
    module,
    keys: k,
    times: {
      start: t0,
      received: loaded?.received ?? 0,
      compiled: loaded?.compiled ?? t0,
      instantiated,
      goStarted,
      keysReady,
      ready: epochMs(),
    },
    fetches: loaded?.fetches ?? [],
    ...(restoreError ? { restoreError } : {}),
  });
  pushSnapshot();
  // The engine's one-time costs, paid once the reader is idle (wasm/warm.go).
  g.warm();
  for (const m of early.splice(0)) handle(m);
}

/** Every change: the state at once, then the snapshot a restart would restore. */
let changes = 0;
function changed(state: State): void {
  if (!api) return;
  post({ t: "change", seq: ++changes, state, offset: api.now() - Date.now() });
  pushSnapshot();
}

/** Sends the page a snapshot of the world after the latest change (see client.ts's restart). */
function pushSnapshot(): void {
  if (!api) return;
  const seq = changes;
  api.snapshot().then(
    (snap) => post({ t: "snapshot", seq, snap }),
    () => {},
  );
}

/** The calls the page may make by name: the engine's API minus what boot does. */
const CALLS = new Set(["verifyJWT", "parseChain", "configure", "events", "snapshot", "restore", "memStats", "encode", "decode"]);

/** Answers one message from the page. */
function handle(m: ToWorker): void {
  if (m.t === "boot") {
    boot(m).catch((err: unknown) => post({ t: "failed", message: err instanceof Error ? err.message : String(err) }));
    return;
  }
  const g = api;
  if (!g) {
    early.push(m);
    return;
  }
  switch (m.t) {
    case "cancel":
      // This handler runs only when Go hands the thread back: saying so tells the page that the
      // run is yielding, and will end at its next checkpoint (client.ts's stop).
      g.cancel(String(m.id));
      post({ t: "cancelling", id: m.id });
      return;
    case "run":
      reply(m.id, g.newSession(m.session as SessionOptions).run(m.script, String(m.id)));
      return;
    case "call": {
      if (!CALLS.has(m.method)) {
        post({ t: "reply", id: m.id, error: `no such call: ${m.method}` });
        return;
      }
      reply(m.id, call(g, m.method, m.args));
      return;
    }
  }
}

/** Calls the engine's method by name. */
function call(g: GoAPI, method: string, args: unknown[]): Promise<unknown> {
  switch (method) {
    case "encode":
      return g.permalink.encode(args[0] as Parameters<GoAPI["permalink"]["encode"]>[0]);
    case "decode":
      return g.permalink.decode(String(args[0]));
    case "events":
      return Promise.resolve(g.events(args[0] as number | undefined));
    case "memStats":
      return g.memStats().then((m: MemStats) => ({ ...m, wasmBytes: memory?.buffer.byteLength ?? 0 }));
    default:
      return (g[method as "verifyJWT"] as (...a: unknown[]) => Promise<unknown>)(...args);
  }
}

/** Sends the settled value of p as the answer to id. */
function reply(id: number, p: Promise<unknown>): void {
  p.then(
    (value) => post({ t: "reply", id, value }),
    (err: unknown) => post({ t: "reply", id, error: err instanceof Error ? err.message : String(err) }),
  );
}

scope.addEventListener("message", (ev) => handle(ev.data));

/**
 * The boot message a worker started by the page's first script carries in its URL's fragment
 * (early.ts says why); null for a worker started without one, which is sent it as a message.
 */
function bootFromURL(): Boot | null {
  const hash = (globalThis as unknown as { location?: { hash?: string } }).location?.hash ?? "";
  if (hash.length < 2) return null;
  try {
    const b = JSON.parse(decodeURIComponent(hash.slice(1))) as Boot;
    return b && b.t === "boot" && typeof b.wasm === "string" && typeof b.keysURL === "string" ? { t: "boot", wasm: b.wasm, keysURL: b.keysURL } : null;
  } catch {
    return null;
  }
}

const urlBoot = bootFromURL();
if (urlBoot) handle(urlBoot);
