// Finding things worth opening in an output: JSON Web Tokens and PEM certificates, in response
// bodies and in what a script printed.

/** A compact JWS: header and payload are base64url JSON objects, so both start with "eyJ". */
const JWT_RE = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** One PEM certificate block. */
const CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** A token found in an output, with the name it had in its JSON body when it had one. */
export interface FoundToken {
  label: string;
  token: string;
}

/** Collects the string leaves of a JSON value with their paths ("access_token", "certificates[1]"). */
function leaves(v: unknown, path: string, out: [string, string][]): void {
  if (typeof v === "string") out.push([path, v]);
  else if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) leaves(x, path ? `${path}.${k}` : k, out);
  }
}

/** Finds the JWTs in a body or text, named by their JSON path when the text is JSON. */
export function findTokens(text: string, json?: unknown): FoundToken[] {
  const found: FoundToken[] = [];
  const seen = new Set<string>();
  const add = (label: string, token: string) => {
    if (seen.has(token)) return;
    seen.add(token);
    found.push({ label, token });
  };
  if (json !== undefined) {
    const ls: [string, string][] = [];
    leaves(json, "", ls);
    for (const [path, s] of ls) for (const m of s.match(JWT_RE) ?? []) add(path || "token", m);
  }
  for (const m of text.match(JWT_RE) ?? []) add("token", m);
  return found;
}

/** Finds the PEM certificates in a text, in order. JSON-escaped newlines are accepted. */
export function findCertificates(text: string): string[] {
  const t = text.includes("\\n-----END CERTIFICATE") ? text.replace(/\\n/g, "\n") : text;
  return t.match(CERT_RE) ?? [];
}

/** A whole value that is a compact JWS. */
const WHOLE_JWT_RE = /^eyJ[A-Za-z0-9_-]{4,}\.(eyJ[A-Za-z0-9_-]{4,})\.[A-Za-z0-9_-]*$/;

/** The claims of a value that is a JWT, read without checking the signature; null otherwise. */
export function jwtClaims(value: string): Record<string, unknown> | null {
  const m = WHOLE_JWT_RE.exec(value.trim());
  if (!m?.[1]) return null;
  try {
    const b64 = m[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0)));
    const v: unknown = JSON.parse(json);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The expiry (exp, as Unix milliseconds) of a value that is a JWT, read without checking the
 * signature; null when the value is not a JWT or has no numeric exp.
 */
export function jwtExpiry(value: string): number | null {
  const exp = jwtClaims(value)?.["exp"];
  return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : null;
}

/**
 * What is shortened in the middle where output is shown: JWTs, and any other unbroken run of
 * base64url characters this long (a JWK's modulus, a signature). URLs, IDs, PEM lines (64
 * characters) and JSON keep their shape: they are shorter, or break on other characters.
 */
export const LONG_RE = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*|[A-Za-z0-9_=-]{100,}/g;
