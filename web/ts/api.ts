// The JavaScript API that the Go engine (wasm/) registers on globalThis.imds. These types
// mirror the JSON shapes in wasm/exchange.go, wasm/jwt.go and wasm/chain.go: change both sides
// together.

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
  errorKind?: "dns" | "refused" | "noanswer" | "other";
}

/** What session.run resolves to. */
export interface RunResult {
  exit: number;
  stdout: string;
  stderr: string;
  exchanges: Exchange[];
  ms: number;
  virtualMs: number;
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
  run(script: string): Promise<RunResult>;
}

/** The emulator's signing keys as PKCS #8 DER, made ahead with WebCrypto. */
export interface StartKeys {
  identity?: ArrayBuffer;
  iam?: ArrayBuffer;
  caRoot?: ArrayBuffer;
  caIntermediate?: ArrayBuffer;
}

/** globalThis.imds. */
export interface ImdsAPI {
  /** Creates the page's emulator; resolves when it can serve. */
  start(options: { keys?: StartKeys }): Promise<{ version: string }>;
  newSession(options: { on: Place }): Session;
  verifyJWT(token: string): Promise<JWTInfo>;
  parseChain(pems: string | string[]): Promise<ChainInfo>;
  /** The emulator's virtual time, Unix milliseconds. */
  now(): number;
  /** Pays the shell's one-time costs now: call it while waiting for something else. */
  warm(): void;
}

/** The Go runtime glue that wasm_exec.js defines. */
export interface GoRuntime {
  importObject: WebAssembly.Imports;
  run(instance: WebAssembly.Instance): Promise<void>;
}

declare global {
  // eslint-disable-next-line no-var
  var imds: ImdsAPI | undefined;
  // eslint-disable-next-line no-var
  var Go: (new () => GoRuntime) | undefined;
}
