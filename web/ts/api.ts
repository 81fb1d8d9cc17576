// The engine's JavaScript API, on both sides of the worker. Inside the engine's worker the Go
// program (wasm/) registers GoAPI on globalThis.imds (wasm/doc.go lists it); on the page the
// client (client.ts) offers ImdsAPI, the same calls with the same meaning, and sets
// globalThis.imds to it. The data types mirror the JSON shapes in wasm/exchange.go, jwt.go,
// chain.go, state.go, snapshot.go and package permalink: change both sides together.

/** Where a live block runs: inside the instance, or on the reader's own workstation. */
export type Place = "instance" | "workstation";

/** One HTTP request a script made and what came back. Headers are ordered name/value pairs. */
export interface Exchange {
  method: string;
  url: string;
  reqHeaders: [string, string][];
  reqBody: string;
  /** 0 when no response arrived (see error). */
  status: number;
  statusText?: string;
  respHeaders: [string, string][];
  respBody: string;
  truncated?: boolean;
  /** Real milliseconds the exchange took. */
  ms: number;
  /** Milliseconds the emulator's clock moved meanwhile (a curl timeout moves it, nobody waits). */
  virtualMs: number;
  error?: string;
  errorKind?: "dns" | "refused" | "noanswer" | "stopped" | "other";
  /** The request as a curl command, every value spelled out. */
  curl: string;
  /** The same with the session's variables in place of their values ("$iam_token"). */
  curlVars: string;
}

/** One write to standard output (fd 1) or standard error (fd 2). */
export interface OutputChunk {
  fd: 1 | 2;
  text: string;
}

/** What session.run resolves to. */
export interface RunResult {
  exit: number;
  stdout: string;
  stderr: string;
  /** Both streams in the order they were written, as a terminal shows them (wasm/output.go). */
  output?: OutputChunk[];
  exchanges: Exchange[];
  ms: number;
  virtualMs: number;
  /** Where the run ran. */
  place: Place;
  /** The variables the script assigns that hold a value after the run, sorted (Go sets it). */
  set?: string[];
  /**
   * Set (by the page's client, never by Go) when the reader stopped the run: "cancelled" when
   * the command stopped as Ctrl-C stops it (exit 130); "restarted" when it did not give the
   * engine back, so the worker was ended and a new one restored the world and variables saved
   * before the run (its output is then lost).
   */
  stopped?: "cancelled" | "restarted";
}

/** A decoded and checked JSON Web Token. Times are Unix milliseconds in the emulator's clock. */
export interface JWTInfo {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signatureValid: boolean;
  valid: boolean;
  reason: string;
  keySet: string;
  kid: string;
  issuedAtMs?: number;
  notBeforeMs?: number;
  expiresAtMs?: number;
  nowMs: number;
}

/** One certificate, readable. */
export interface CertInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  notAfterMs: number;
  isCA: boolean;
  selfSigned: boolean;
  publicKey: string;
  signatureAlgorithm: string;
  keyUsage?: string[];
  extKeyUsage?: string[];
  dnsNames?: string[];
  uris?: string[];
  sha256: string;
}

/** A certificate list and whether it chains to the emulator's root CA. */
export interface ChainInfo {
  certificates: CertInfo[];
  verified: boolean;
  reason: string;
}

/** A shell session: one per place per page. Runs are serialised in call order. */
export interface Session {
  readonly on: Place;
  /** Runs script; aborting options.signal stops the run (RunResult.stopped says how). */
  run(script: string, options?: RunOptions): Promise<RunResult>;
  /** Whether a run of this session is under way, so that the next one waits for it. */
  busy(): boolean;
}

/** Options of Session.run. */
export interface RunOptions {
  /** Aborting it stops the run: at once when the command yields, else by restarting the engine. */
  signal?: AbortSignal;
}

/** Options of newSession: calls with the same on, hops and group share one shell. */
export interface SessionOptions {
  on: Place;
  /** Network hops between the session's commands and the metadata service (1..64); absent: the page's setting. */
  hops?: number;
  /** Keeps sets of blocks apart (embeds); absent or "": the page's own blocks. */
  group?: string;
}

/** A trusted profile by its names. */
export interface ProfileRef {
  id: string;
  crn: string;
  name: string;
}

/** What imds.state() returns and onChange passes: the instance "we are on" and the page settings. */
export interface State {
  instance: {
    id: string;
    name: string;
    crn: string;
    status: string;
    metadata_service: { enabled: boolean; protocol: "http" | "https"; response_hop_limit: number };
    default_trusted_profile: { auto_link: boolean; target: ProfileRef | null };
  };
  profiles: (ProfileRef & { linked: boolean })[];
  /** Where the instance's commands run: 1 the host, 2 a container one hop away, 3 two hops away. */
  hops: number;
  /** The version switch's date (YYYY-MM-DD), or "" when blocks keep their own dates. */
  version: string;
  instances: number;
  /** What the operator and each trusted profile may do with the instance by IAM role (wasm/roles.go). */
  access?: AccessState[];
}

/** One holder's VPC role and what it allows on the instance. */
export interface AccessState {
  kind: "operator" | "trusted_profile";
  id: string;
  name: string;
  /** The highest platform role on VPC Infrastructure Services, "" for none. */
  role: string;
  read: boolean;
  update: boolean;
}

/** What imds.configure takes; every field is optional and the patch applies all or nothing. */
export interface Patch {
  enabled?: boolean;
  protocol?: "http" | "https";
  hopLimit?: number;
  status?: "running" | "stopped";
  hops?: number;
  /** A profile's id, crn or name; "" removes the default profile. */
  defaultProfile?: string;
  autoLink?: boolean;
  link?: string | string[];
  unlink?: string | string[];
  /** The exact set of linked profiles. */
  linked?: string[];
  version?: string;
}

/** One Activity Tracker event (imds.Event). */
export interface ATEvent {
  id: string;
  action: string;
  outcome: "success" | "failure";
  reason: { reasonCode: number; reasonType: string; errorCode?: string };
  severity: string;
  eventTime: string;
  message: string;
  initiator: { id: string; name: string; typeURI: string; host_address?: string };
  target: { id: string; name: string; typeURI: string };
  dataEvent: boolean;
}

/** What imds.snapshot() resolves to; restore takes it, or either part of it. */
export interface Snapshot {
  v: 1;
  world?: { scenario: unknown; clockOffsetMs: number; hops: number; version: string };
  vars?: Partial<Record<Place, Record<string, string>>>;
  /** The other sessions' variables (an embed's groups, fixed hops): what a restarted worker restores. */
  sessions?: { group?: string; on: Place; hops?: number; vars: Record<string, string> }[];
}

/** The scenario settings a permalink carries: the Patch fields a reader changes from the panel. */
export interface LinkScenario {
  enabled?: boolean;
  protocol?: "http" | "https";
  hopLimit?: number;
  status?: "running" | "stopped";
  hops?: number;
  defaultProfile?: string;
  autoLink?: boolean;
  linked?: string[];
  version?: string;
}

/** The run a permalink reproduces: block i (hash h of its documented text), after blocks pre. */
export interface LinkRun {
  i: number;
  h?: string;
  /** The blocks that run first, in order (indexes on the page). */
  pre?: number[];
}

/** What a permalink carries (package permalink's Link). */
export interface Link {
  page?: string;
  /** Edited blocks: index, hash of the documented text, text. */
  blocks?: { i: number; h?: string; t: string }[];
  scenario?: LinkScenario;
  run?: LinkRun;
}

/** The emulator's signing keys as PKCS #8 DER, made ahead with WebCrypto. */
export interface StartKeys {
  identity?: ArrayBuffer;
  iam?: ArrayBuffer;
  caRoot?: ArrayBuffer;
  caIntermediate?: ArrayBuffer;
}

/** The Go heap after a full collection (wasm/memstats_js.go), and the wasm memory's size. */
export interface MemStats {
  heapAlloc: number;
  heapInuse: number;
  heapSys: number;
  sys: number;
  numGC: number;
  goroutines: number;
  /** The WebAssembly memory's size in bytes (added by the worker). */
  wasmBytes?: number;
}

/** The permalink codec (package permalink). */
export interface PermalinkAPI {
  /** Resolves to "v2.…", to put after "#imds=". */
  encode(link: Link): Promise<string>;
  /** Takes a fragment ("#imds=v2.…", or an older v1 one, or the payload); rejects with a message for the reader. */
  decode(fragment: string): Promise<Link>;
  readonly maxLength: number;
  readonly key: string;
}

/**
 * globalThis.imds on the page: the engine, running in its worker. What the page reads at once
 * (state, now) is served from what the worker pushed after the latest change.
 */
export interface ImdsAPI {
  newSession(options: SessionOptions): Session;
  verifyJWT(token: string): Promise<JWTInfo>;
  parseChain(pems: string | string[]): Promise<ChainInfo>;
  /** The emulator's virtual time, Unix milliseconds. */
  now(): number;
  /** The instance panel's state as of the latest change. */
  state(): State | null;
  /** Changes the world (and the page settings); rejects naming the field at fault. */
  configure(patch: Patch): Promise<State>;
  /** Activity Tracker events, newest first; at most limit when given. */
  events(limit?: number): Promise<ATEvent[]>;
  /** cb runs after every change (run finished, configure, restore); returns an unsubscribe function. */
  onChange(cb: (state: State) => void): () => void;
  snapshot(): Promise<Snapshot>;
  restore(snapshot: Snapshot | string): Promise<State>;
  permalink: PermalinkAPI;
  /** Collects garbage in the engine and reports its memory; for tests and the console. */
  memStats(): Promise<MemStats>;
}

/** globalThis.imds inside the worker: what the Go program registers (wasm/doc.go). */
export interface GoAPI {
  /** Creates the emulator; resolves, with its first state and time, when it can serve. */
  start(options: { keys?: StartKeys }): Promise<{ version: string; state: State; now: number }>;
  newSession(options: SessionOptions): { readonly on: Place; run(script: string, id?: string): Promise<RunResult> };
  /** Stops the run started with that id (exit 130) at its next checkpoint. */
  cancel(id: string): void;
  verifyJWT(token: string): Promise<JWTInfo>;
  parseChain(pems: string | string[]): Promise<ChainInfo>;
  now(): number;
  /** Pays one-time costs in the background (wasm/warm.go): the shell's before start, the engine's after. */
  warm(): void;
  state(): State | null;
  configure(patch: Patch): Promise<State>;
  events(limit?: number): ATEvent[];
  onChange(cb: (state: State) => void): () => void;
  snapshot(): Promise<Snapshot>;
  restore(snapshot: Snapshot | string): Promise<State>;
  permalink: PermalinkAPI;
  memStats(): Promise<MemStats>;
}

declare global {
  // eslint-disable-next-line no-var
  var imds: ImdsAPI | undefined;
}
