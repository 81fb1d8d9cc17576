// The page's side of the engine: ImdsAPI (api.ts) over the messages of the engine's worker
// (worker.ts, protocol.ts). The page and the embeds use it exactly as they used the engine when
// it ran on the page's thread; only the worker's thread ever runs Go.
//
// What the page reads synchronously (state, now) comes from what the worker pushed after its
// latest change. Runs and calls are answered by id.
//
// # Stop
//
// Stopping a run asks Go to cancel it; the shell reaches a checkpoint within some 50 ms even in
// a busy loop (shell.Limits), so a command normally ends at once with exit 130. One that does
// not give the worker back within STOP_GRACE_MS (the worker says when Go took the cancel) is
// ended with the worker: a new worker starts
// from the compiled module and the keys the first one had, restores the snapshot of the world
// and variables the old one pushed after its latest change, and gets every other call and run
// that was waiting, in order. So no block waits behind a stopped one.

import type {
  ATEvent,
  ChainInfo,
  ImdsAPI,
  JWTInfo,
  Link,
  MemStats,
  Patch,
  PermalinkAPI,
  RunOptions,
  RunResult,
  Session,
  SessionOptions,
  Snapshot,
  StartKeys,
  State,
} from "./api";
import type { EarlyWorker } from "./early";
import type { BootTimes, FromWorker, ToWorker, WasmFetch } from "./protocol";

/**
 * How long a stopped run's worker may take to take the cancel before it is restarted. Go takes
 * it when it hands the thread back, every 50 ms in a busy shell loop; on two busy cores the
 * worker was seen to take 40–550 ms to get to the message. A run that took it ends at its next
 * checkpoint; STOP_END_MS bounds that wait too.
 */
export const STOP_GRACE_MS = 1000;
export const STOP_END_MS = 3000;

/** What the engine needs to start. */
export interface EngineOptions {
  /** Absolute URLs of the wasm and of the prepared keys ("" for none). */
  wasm: string;
  keysURL: string;
  /** Starts a worker running worker.ts (see spawnWorker). */
  spawn(): Promise<Worker>;
  /** A worker already started and booted for this engine (early.ts), taken over by the first boot. */
  early?: EarlyWorker | null;
  /** Receives progress lines while the engine loads. */
  progress?(text: string): void;
}

/**
 * Starts a worker from the worker script's URL. A worker must come from the page's own origin:
 * for a script on another origin (embed.js on a docs site) its text is fetched with CORS and
 * started from a blob: URL, which the page's Content-Security-Policy must allow (worker-src).
 */
export async function spawnWorker(url: string): Promise<Worker> {
  const abs = new URL(url, location.href);
  if (abs.origin === location.origin) return new Worker(abs.href);
  let text: string;
  try {
    const resp = await fetch(abs.href, { mode: "cors", credentials: "omit" });
    if (!resp.ok) throw new Error(String(resp.status));
    text = await resp.text();
  } catch {
    throw new Error(`could not fetch ${abs.href}: check that this page's Content-Security-Policy allows it in connect-src`);
  }
  const blob = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  try {
    return new Worker(blob);
  } catch {
    throw new Error(cspWorkerMessage);
  }
}

/** What a page whose policy refuses the blob: worker is told. */
const cspWorkerMessage =
  "this page's Content-Security-Policy does not allow the emulator's worker: add blob: to its worker-src, or use the iframe embed";

/** Converts a time since the epoch to the page's performance timeline. */
function pageTime(epochMs: number): number {
  return epochMs - performance.timeOrigin;
}

/** Marks a moment on the page's performance timeline (scripts/budgets reads them). */
export function mark(name: string, epochMs?: number): void {
  try {
    if (epochMs === undefined) performance.mark(name);
    else performance.mark(name, { startTime: Math.max(0, pageTime(epochMs)) });
  } catch {
    // Marks are a measurement aid; a browser without them loses nothing.
  }
}

/** A call or run waiting for its answer. */
interface Pending {
  msg: Extract<ToWorker, { id: number }>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** For runs: the session key, when it was sent and whether the reader stopped it. */
  session?: string;
  sent?: number;
  stopping?: boolean;
  /** The timer that restarts the worker if a stopped run does not end. */
  deadline?: ReturnType<typeof setTimeout>;
  place?: RunResult["place"];
}

/** The page's engine: ImdsAPI, served by a worker. */
export class EngineClient implements ImdsAPI {
  private worker!: Worker;
  /** Whether the current worker has booted (messages wait in pending until then). */
  private live = false;
  private nextID = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<(st: State) => void>();
  private st: State | null = null;
  private offset = 0;
  private changeSeq = 0;
  private snap: { seq: number; value: Snapshot } | null = null;
  private module: WebAssembly.Module | null = null;
  private keys: StartKeys | undefined;
  private restarting: Promise<void> | null = null;
  private bootWaiter: { resolve(): void; reject(e: Error): void } | null = null;
  /** The engine's version (the build's VCS revision). */
  version = "";
  /** How many times the worker was restarted (a Stop that had to end it, or a crash). */
  restarts = 0;
  /** When each step of the first boot ended, in milliseconds since the epoch. */
  times: BootTimes | null = null;
  /** Every download of the wasm by this engine's workers (for tests: a restart downloads none). */
  readonly wasmFetches: WasmFetch[] = [];
  private readonly codec = {
    encode: (link: Link) => this.call<string>("encode", [link]),
    decode: (fragment: string) => this.call<Link>("decode", [fragment]),
    maxLength: 0,
    key: "imds=",
  };

  private constructor(private readonly opts: EngineOptions) {}

  get permalink(): PermalinkAPI {
    return this.codec;
  }

  /** Starts a worker, loads the engine in it, and resolves when a run would work. */
  static async start(opts: EngineOptions): Promise<EngineClient> {
    const c = new EngineClient(opts);
    await c.boot(undefined);
    return c;
  }

  /** Starts a worker and boots it, fresh or (restore set) restored; the first boot may take over an early one. */
  private async boot(restore: Snapshot | undefined): Promise<void> {
    const early = this.opts.early;
    this.opts.early = null;
    this.worker = early ? early.worker : await this.opts.spawn();
    const w = this.worker;
    const booted = new Promise<void>((resolve, reject) => (this.bootWaiter = { resolve, reject }));
    const onError = (ev: ErrorEvent) => {
      if (w !== this.worker) return;
      ev.preventDefault();
      // Before the first message, a refused script (CSP) shows only as this event.
      this.failed(new Error(ev.message || cspWorkerMessage));
    };
    w.addEventListener("message", (ev: MessageEvent<FromWorker>) => {
      if (w === this.worker) this.onMessage(ev.data);
    });
    w.addEventListener("error", onError);
    if (early) {
      // Its boot message went with it; what it said since is replayed in order.
      early.release();
      for (const b of early.backlog.splice(0)) {
        if ("msg" in b) this.onMessage(b.msg);
        else onError(b.error);
      }
    } else {
      const msg: ToWorker = {
        t: "boot",
        wasm: this.opts.wasm,
        keysURL: this.opts.keysURL,
        ...(this.keys ? { keys: this.keys } : {}),
        ...(this.module ? { module: this.module } : {}),
        ...(restore ? { restore } : {}),
      };
      w.postMessage(msg);
    }
    await booted;
  }

  /** The worker stopped working: the boot fails, or a live worker is replaced. */
  private failed(err: Error): void {
    if (this.bootWaiter) {
      this.bootWaiter.reject(err);
      this.bootWaiter = null;
      return;
    }
    void this.restart(`the emulator stopped unexpectedly (${err.message})`);
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case "progress":
        this.opts.progress?.(m.text);
        return;
      case "ready": {
        this.module = m.module;
        this.keys = m.keys;
        this.version = m.version;
        this.times ??= m.times;
        this.wasmFetches.push(...m.fetches);
        this.codec.maxLength = m.permalink.maxLength;
        this.codec.key = m.permalink.key;
        this.offset = m.offset;
        if (m.restoreError) console.warn(`imdsplay: the restarted emulator could not restore the saved state: ${m.restoreError}`);
        this.live = true;
        this.bootWaiter?.resolve();
        this.bootWaiter = null;
        this.update(m.state);
        return;
      }
      case "failed":
        this.failed(new Error(m.message));
        return;
      case "exit":
        this.failed(new Error(m.message));
        return;
      case "change":
        this.changeSeq = m.seq;
        this.offset = m.offset;
        this.update(m.state);
        return;
      case "snapshot":
        this.snap = { seq: m.seq, value: m.snap };
        return;
      case "cancelling": {
        const p = this.pending.get(m.id);
        if (p?.stopping) this.restartUnlessEnded(m.id, p, STOP_END_MS);
        return;
      }
      case "reply": {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.deadline);
        if (m.error !== undefined) p.reject(new Error(m.error));
        else if (p.stopping && p.msg.t === "run") p.resolve({ ...(m.value as RunResult), stopped: "cancelled" });
        else p.resolve(m.value);
        return;
      }
    }
  }

  /** Takes a new state and tells the listeners. */
  private update(st: State | null): void {
    if (!st) return;
    this.st = st;
    for (const cb of Array.from(this.listeners)) {
      try {
        cb(st);
      } catch (err) {
        console.error(err);
      }
    }
  }

  /** Sends a call or run now, or when the worker being started is ready. */
  private send<T>(msg: Extract<ToWorker, { id: number }>, extra: Partial<Pending> = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(msg.id, { msg, resolve: resolve as (v: unknown) => void, reject, ...extra });
      if (this.live) this.worker.postMessage(msg);
    });
  }

  private call<T>(method: string, args: unknown[]): Promise<T> {
    return this.send<T>({ t: "call", id: ++this.nextID, method, args });
  }

  /**
   * Ends the current worker and starts another restored from the latest snapshot. Runs being
   * stopped resolve as restarted; with a reason (a crash), the runs under way fail with it;
   * everything else waiting is sent again, in order, once the new worker is ready.
   */
  private restart(reason?: string): Promise<void> {
    if (this.restarting) return this.restarting;
    this.worker.terminate();
    this.live = false;
    this.restarts++;
    for (const [id, p] of this.pending) {
      if (p.stopping) {
        p.resolve(this.stopped(p, "restarted"));
        this.pending.delete(id);
      } else if (reason && p.msg.t === "run") {
        p.reject(new Error(`${reason}; it was restarted with the state saved before this run`));
        this.pending.delete(id);
      }
    }
    const snapshot = this.snap?.value;
    this.restarting = this.boot(snapshot)
      .then(() => {
        for (const id of Array.from(this.pending.keys()).sort((a, b) => a - b)) {
          const p = this.pending.get(id);
          if (p) this.worker.postMessage(p.msg);
        }
      })
      .catch((err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      })
      .finally(() => (this.restarting = null));
    return this.restarting;
  }

  /**
   * Stops run id: cancels it in Go, and restarts the worker if it has not ended in time. A run
   * that has not started (it waits for the worker, or behind another run of its session) ends
   * here at once: Go drops it when its turn comes, and nothing else has to go.
   */
  private stop(id: number): void {
    const p = this.pending.get(id);
    if (!p || p.stopping) return;
    p.stopping = true;
    if (this.live) this.worker.postMessage({ t: "cancel", id } satisfies ToWorker);
    const waiting = !this.live || Array.from(this.pending.values()).some((q) => q.session === p.session && q.msg.id < id);
    if (waiting) {
      this.pending.delete(id);
      p.resolve(this.stopped(p, "cancelled"));
      return;
    }
    this.restartUnlessEnded(id, p, STOP_GRACE_MS);
  }

  /** Restarts the worker if run id (being stopped) has not ended within ms. */
  private restartUnlessEnded(id: number, p: Pending, ms: number): void {
    clearTimeout(p.deadline);
    p.deadline = setTimeout(() => {
      if (this.pending.get(id) === p) void this.restart();
    }, ms);
  }

  /** The result of a run that was stopped before Go could answer for it. */
  private stopped(p: Pending, how: NonNullable<RunResult["stopped"]>): RunResult {
    return {
      exit: 130,
      stdout: "",
      stderr: "",
      exchanges: [],
      ms: performance.now() - (p.sent ?? performance.now()),
      virtualMs: 0,
      place: p.place ?? "instance",
      stopped: how,
    };
  }

  newSession(o: SessionOptions): Session {
    const session: SessionOptions = { on: o.on, ...(o.hops ? { hops: o.hops } : {}), ...(o.group ? { group: o.group } : {}) };
    const key = `${session.on}\n${session.hops ?? 0}\n${session.group ?? ""}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = {
        on: session.on,
        run: (script: string, options?: RunOptions) => {
          const id = ++this.nextID;
          const signal = options?.signal;
          const p = this.send<RunResult>({ t: "run", id, session, script }, { session: key, sent: performance.now(), place: session.on });
          if (signal) {
            if (signal.aborted) this.stop(id);
            else signal.addEventListener("abort", () => this.stop(id), { once: true });
          }
          return p;
        },
        busy: () => Array.from(this.pending.values()).some((p) => p.session === key),
      };
      this.sessions.set(key, s);
    }
    return s;
  }

  verifyJWT(token: string): Promise<JWTInfo> {
    return this.call("verifyJWT", [token]);
  }

  parseChain(pems: string | string[]): Promise<ChainInfo> {
    return this.call("parseChain", [pems]);
  }

  now(): number {
    return Date.now() + this.offset;
  }

  state(): State | null {
    return this.st;
  }

  async configure(patch: Patch): Promise<State> {
    const st = await this.call<State>("configure", [patch]);
    this.st = st;
    return st;
  }

  events(limit?: number): Promise<ATEvent[]> {
    return this.call("events", limit === undefined ? [] : [limit]);
  }

  onChange(cb: (state: State) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /**
   * The world and the page sessions' variables. The snapshot the worker pushed after the latest
   * change is that, when no run is under way (a run may change variables before it ends).
   */
  snapshot(): Promise<Snapshot> {
    const busy = Array.from(this.pending.values()).some((p) => p.msg.t === "run");
    if (this.snap && this.snap.seq === this.changeSeq && !busy && this.live) return Promise.resolve(this.snap.value);
    return this.call("snapshot", []);
  }

  restore(snapshot: Snapshot | string): Promise<State> {
    return this.call("restore", [snapshot]);
  }

  memStats(): Promise<MemStats> {
    return this.call("memStats", []);
  }
}
