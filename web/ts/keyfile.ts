// The emulator's prepared key file (site/keys.go), read the same way by the playground's
// loader (loader.ts) and by embeds (embedload.ts).

import type { StartKeys } from "./api";

/** The names of the emulator's keys, as StartKeys and the prepared key file spell them. */
const KEY_NAMES = ["identity", "iam", "caRoot", "caIntermediate"] as const;

/** Decodes standard base64. */
function fromBase64(s: string): ArrayBuffer {
  const bin = atob(s);
  const b = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
  return b.buffer;
}

/**
 * Reads the key file's JSON: {identity, iam, caRoot, caIntermediate}, each a base64 PKCS #8 RSA
 * key. An entry that is not a string is left out (the engine then makes that key itself); a
 * file that is not a JSON object throws.
 */
export function parseKeyFile(j: unknown): StartKeys {
  if (typeof j !== "object" || j === null) throw new Error("keys: not a JSON object");
  const keys: StartKeys = {};
  for (const n of KEY_NAMES) {
    const v = (j as Record<string, unknown>)[n];
    if (typeof v === "string") keys[n] = fromBase64(v);
  }
  return keys;
}
