// The warm-up worker. V8 compiles a wasm function on its first call, and most of what a first
// run costs is that compilation; the compiled code belongs to the module, so every worker that
// runs the same module shares it. The page therefore runs the engine's warm-up (wasm/warm.go:
// the readers' first commands, the shell, jq, curl and the core's token path) in a second,
// throwaway worker on the module the engine's worker compiled, once the engine is ready and
// idle (client.ts's warmUp): the engine's own thread is never held by the heavy part of the
// warm-up, and a reader's first Run finds its code compiled. The worker is ended as soon as it
// is done, so the second Go heap lives about a second.

import type { Boot, FromWorker } from "./protocol";

/**
 * What the warm-up worker reported: how long it took from its boot and when it ended (ms since
 * the epoch), or why it failed.
 */
export type Warmed = { ms: number; at: number } | { error: string };

/**
 * Starts a worker with spawn, boots it with boot (its module, keys and warmOnly set by the
 * caller), and resolves when its warm-up is done or has failed; the worker is ended either way.
 */
export async function warmInWorker(spawn: () => Promise<Worker>, boot: Boot): Promise<Warmed> {
  let w: Worker;
  try {
    w = await spawn();
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  try {
    return await new Promise<Warmed>((resolve) => {
      w.addEventListener("message", (ev: MessageEvent<FromWorker>) => {
        const m = ev.data;
        if (m.t === "warmed") resolve({ ms: m.ms, at: m.at });
        else if (m.t === "failed" || m.t === "exit") resolve({ error: m.message });
      });
      w.addEventListener("error", (ev: ErrorEvent) => {
        ev.preventDefault();
        resolve({ error: ev.message || "the warm-up worker failed" });
      });
      w.postMessage(boot);
    });
  } finally {
    w.terminate();
  }
}
