// The single redaction chokepoint for proofs: everything a proof serializes passes through redact()
// once, and the Redacted<T> brand makes skipping it a type error. The string engine and its rules are
// core's (core/redact.ts), shared with transcripts and logs. Pure: no fs, no network; never mutates.
import { internalError } from "../core/errors.ts";
import { wellFormed } from "../core/hash.ts";
import {
  newRedactionPass,
  type RedactionPass,
  type RedactionSummary,
  type RedactOptions,
  redactEntry,
  redactString,
  summarizePass,
} from "../core/redact.ts";

export { type RedactionHit, type RedactionSummary, redactText } from "../core/redact.ts";

declare const REDACTED: unique symbol;
/** A value that has been through redact(): the only kind a proof serializer accepts. */
export type Redacted<T> = T & { readonly [REDACTED]: true };

type Pass = RedactionPass & { ancestors: Set<object> };

function walk(value: unknown, pass: Pass, path: string): unknown {
  // The signed payload must be I-JSON (RFC 8785 hashes nothing else): what the file keeps is what was hashed.
  if (typeof value === "string") return redactString(wellFormed(value), pass);
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (pass.ancestors.has(value)) {
    throw internalError(`redact: the value is cyclic at ${path}; a proof must be a tree of plain data`, { data: { path } });
  }
  pass.ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item, i) => walk(item, pass, `${path}[${i}]`));
    const toJSON: unknown = Reflect.get(value, "toJSON");
    // Serialize what JSON.stringify would: an object with toJSON() is written as its result.
    if (typeof toJSON === "function") return walk(toJSON.call(value), pass, path);
    const out: Record<string, unknown> = {};
    for (const [rawKey, child] of Object.entries(value)) {
      const key = wellFormed(rawKey);
      const base = redactString(key, pass);
      const outChild = typeof child === "string" ? redactEntry(key, wellFormed(child), pass) : walk(child, pass, `${path}.${base}`);
      // Two keys may redact to the same text (two home paths → `~/x`); keep both.
      let outKey = base;
      for (let n = 2; Object.hasOwn(out, outKey); n++) outKey = `${base}#${n}`;
      // defineProperty: a `__proto__` key must stay data, never become the copy's prototype.
      Object.defineProperty(out, outKey, { value: outChild, enumerable: true, writable: true, configurable: true });
    }
    return out;
  } finally {
    pass.ancestors.delete(value);
  }
}

/**
 * Deep-copies `value`, replacing every secret in every string (object keys included) with
 * `[REDACTED:<rule>]` and home directories with `~`. Copies what JSON.stringify would see: own
 * enumerable string keys, toJSON() results, Dates as Dates. The copy is I-JSON: lone surrogates
 * become U+FFFD, non-finite numbers null (what JSON.stringify writes). A cyclic value throws an
 * internal LokiError naming the path. Other leaves (finite numbers, booleans, null…) stay as they are.
 */
export function redact<T>(value: T, options?: RedactOptions): { value: Redacted<T>; summary: RedactionSummary } {
  const pass: Pass = { ...newRedactionPass(options), ancestors: new Set() };
  const out = walk(value, pass, "$");
  return { value: out as Redacted<T>, summary: summarizePass(pass) };
}
