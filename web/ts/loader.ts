// Loading the engine: the Go runtime glue (wasm_exec.js), the wasm module and the emulator's
// keys, all started at once so that the slowest of them alone decides when the page is live.

import type { ImdsAPI, StartKeys } from "./api";
import { parseKeyFile } from "./keyfile";

/** Receives progress lines while loading. */
export type Progress = (state: "loading" | "ready" | "error", text: string) => void;

/** Reads a <meta name=NAME> content attribute. */
function meta(name: string): string | null {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content || null;
}

/** Marks a moment on the page's performance timeline (read by scripts/budgets). */
export function mark(name: string): void {
  try {
    performance.mark(name);
  } catch {
    // Marks are a measurement aid; a browser without them loses nothing.
  }
}

/** The algorithm of every emulator key: what the service's RS256 tokens and its CA use. */
const RSA_2048: RsaHashedKeyGenParams = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};

/**
 * Fetches keys the site build prepared: <meta name="imds-keys"> names a JSON file of
 * {identity, iam, caRoot, caIntermediate}, each a base64 PKCS #8 RSA key. Emulator keys guard
 * nothing real (every key lives in the page anyway), and a file costs nothing on the critical
 * path, where generating four keys costs 0.2–0.4 s of a 2-core machine that is compiling the
 * wasm at the same time.
 */
async function preparedKeys(url: string): Promise<StartKeys> {
  const resp = await fetch(url);
  if (!resp.ok) throw new Error(`keys: ${resp.status}`);
  return parseKeyFile(await resp.json());
}

/**
 * Provides the emulator's four RSA keys as PKCS #8: the site's prepared keys when the page
 * names them, else made with WebCrypto, in parallel. RSA key generation in Go inside wasm takes
 * seconds; the browser's native code takes ~0.1–0.3 s and runs while the wasm downloads.
 * Without either (an insecure context) it resolves to {} and the engine makes its own keys.
 */
export async function generateKeys(): Promise<StartKeys> {
  const prepared = meta("imds-keys");
  if (prepared) {
    try {
      const keys = await preparedKeys(prepared);
      mark("imds-keys");
      return keys;
    } catch {
      // Fall through to WebCrypto: a missing key file must not cost the page its emulator.
    }
  }
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return {};
  try {
    const one = async (): Promise<ArrayBuffer> => {
      const pair = await subtle.generateKey(RSA_2048, true, ["sign", "verify"]);
      return subtle.exportKey("pkcs8", pair.privateKey);
    };
    const [identity, iam, caRoot, caIntermediate] = await Promise.all([one(), one(), one(), one()]);
    mark("imds-keys");
    return { identity, iam, caRoot, caIntermediate };
  } catch {
    return {};
  }
}

/** Loads a classic script (same origin, so the CSP's script-src 'self' allows it). */
function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.async = true;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.appendChild(s);
  });
}

/** Formats a byte count as MB with one decimal. */
function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/**
 * Fetches the wasm and compiles it while it streams, reporting bytes received. The response is
 * re-wrapped only to count bytes; compileStreaming still sees application/wasm.
 */
async function compileWasm(url: string, progress: Progress): Promise<WebAssembly.Module> {
  const resp = await fetch(url);
  if (!resp.ok || !resp.body) throw new Error(`could not fetch the emulator (${resp.status})`);
  // The stream yields decompressed bytes, so the total is the uncompressed size the page
  // announces; Content-Length counts compressed bytes when the server compresses.
  const total =
    Number(meta("imds-wasm-size") ?? 0) ||
    (resp.headers.get("Content-Encoding") ? 0 : Number(resp.headers.get("Content-Length") ?? 0));
  let got = 0;
  let last = 0;
  const counted = resp.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        got += chunk.byteLength;
        const now = performance.now();
        if (now - last > 100) {
          last = now;
          progress(
            "loading",
            total ? `Loading the emulator… ${Math.min(99, Math.floor((100 * got) / total))}%` : `Loading the emulator… ${mb(got)}`,
          );
        }
        ctl.enqueue(chunk);
      },
    }),
  );
  const module = await WebAssembly.compileStreaming(
    new Response(counted, { headers: { "Content-Type": "application/wasm" } }),
  );
  mark("imds-wasm-compiled");
  return module;
}

/**
 * Loads and starts the engine and resolves to its API. Rejects with a readable error when the
 * page has no engine to load or loading fails.
 */
export async function loadEngine(keys: Promise<StartKeys>, progress: Progress): Promise<ImdsAPI> {
  const wasmURL = meta("imds-wasm");
  const execURL = meta("imds-wasm-exec");
  if (!wasmURL || !execURL) throw new Error("this page does not name the emulator's files");
  if (typeof WebAssembly !== "object" || !("compileStreaming" in WebAssembly)) {
    throw new Error("this browser cannot run WebAssembly");
  }
  let keysSettled = false;
  keys.then(
    () => (keysSettled = true),
    () => (keysSettled = true),
  );
  progress("loading", "Loading the emulator…");
  const [module] = await Promise.all([compileWasm(wasmURL, progress), loadScript(execURL)]);
  const GoCtor = globalThis.Go;
  if (!GoCtor) throw new Error("wasm_exec.js did not define Go");
  const go = new GoCtor();
  const instance = await WebAssembly.instantiate(module, go.importObject);
  progress("loading", "Starting the emulator…");
  let exited: unknown = null;
  // main registers globalThis.imds before it first blocks, which is before run returns here.
  go.run(instance).then(
    () => (exited = new Error("the emulator stopped")),
    (err: unknown) => (exited = err),
  );
  const api = globalThis.imds;
  if (!api) throw exited instanceof Error ? exited : new Error("the emulator did not start");
  mark("imds-go-started");
  // Go holds the page's thread while it works, so its warm-up is free only while the page waits
  // anyway: here, for keys that WebCrypto is still making on the browser's own threads. A page
  // with prepared keys does not wait: their small file arrives long before the wasm, and its
  // promise is only unsettled here because the thread was busy, so warming now would put
  // 0.1–0.2 s on the way to ready (measured with scripts/budgets -v); the engine warms up after
  // start instead (wasm/warm.go).
  if (!keysSettled && !meta("imds-keys")) api.warm();
  await api.start({ keys: await keys });
  return api;
}
