// Hashing and canonical JSON: sha256 hex digests, RFC 8785 (JCS) canonical JSON so the same value
// hashes the same on every machine and in any outside RFC 8785 implementation, and the sorted-keys
// form loki used before (kept to check what was hashed with it), and random hex for names and salts.
import canonicalize from "canonicalize";
import { internalError } from "./errors.ts";

/** `bytes` random bytes as hex, from Web Crypto (loading node:crypto costs every command's start-up ~3 ms). */
export function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
}

/** The id git gives `bytes` as a blob ("blob <size>\0" then the bytes): sha1, or sha256 where the repository's ids are 64 hex digits. */
export function gitBlobId(bytes: Uint8Array, idLength: number): string {
  const hash = new Bun.CryptoHasher(idLength === 64 ? "sha256" : "sha1");
  return hash.update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** Strings are hashed as UTF-8. Bun's one-shot hasher: a spec's ids are hashed by the ten thousand. */
export function sha256(data: string | Uint8Array): string {
  return Bun.CryptoHasher.hash("sha256", data, "hex");
}

/**
 * RFC 8785 canonical JSON (`canonicalize`, by the RFC's author): keys sorted by UTF-16 code units at
 * every depth, ECMAScript number and string serialization, no whitespace. RFC 8785 takes I-JSON
 * only, so a value that is not is first mapped by toIJson (identical for every I-JSON value).
 * Throws an internal LokiError on a cyclic value, or on undefined (which has no JSON form).
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(toIJson(value));
  if (text === undefined) throw internalError("canonical JSON: undefined has no JSON form");
  return text;
}

/**
 * loki's canonical form before RFC 8785 (proofs of schema version 1): JSON.stringify of the value
 * with keys sorted at every depth. It differs from RFC 8785 where JavaScript orders keys itself:
 * integer-like keys come first in numeric order (`{"9":2,"10":1}`, RFC 8785: `{"10":1,"9":2}`).
 */
export function sortedKeysJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The text as UTF-8 can carry it: each lone surrogate becomes U+FFFD, as every UTF-8 encoder writes it. */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\uFFFD");
}

/** Why a value is not I-JSON (RFC 7493) — a lone surrogate or a non-finite number — or null when it is. */
export function iJsonProblem(value: unknown, path = "$"): string | null {
  if (typeof value === "string") return wellFormed(value) === value ? null : `a lone surrogate in the string at ${path}`;
  if (typeof value === "number") return Number.isFinite(value) ? null : `the non-finite number ${value} at ${path}`;
  if (typeof value !== "object" || value === null) return null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = iJsonProblem(item, `${path}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    if (wellFormed(key) !== key) return `a lone surrogate in a key at ${path}`;
    const problem = iJsonProblem(item, `${path}.${key}`);
    if (problem) return problem;
  }
  return null;
}

/**
 * The value as a JSON writer and a UTF-8 file would keep it: toJSON() results, lone surrogates as
 * U+FFFD (in keys too), non-finite numbers as null, undefined members dropped by the serializer.
 * I-JSON values map to an equal value. Throws an internal LokiError on a cycle.
 */
export function toIJson(value: unknown, ancestors: Set<object> = new Set()): unknown {
  if (typeof value === "string") return wellFormed(value);
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "object" || value === null) return value;
  if (ancestors.has(value)) throw internalError("canonical JSON: the value is cyclic");
  ancestors.add(value);
  try {
    const toJSON: unknown = Reflect.get(value, "toJSON");
    if (typeof toJSON === "function") return toIJson(toJSON.call(value), ancestors);
    if (Array.isArray(value)) return value.map((item) => toIJson(item, ancestors));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: a `__proto__` key stays data, never the copy's prototype.
      Object.defineProperty(out, wellFormed(key), {
        value: toIJson(item, ancestors),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}
