// The single redaction chokepoint: everything a proof serializes passes through redact() once, and
// the Redacted<T> brand makes skipping it a type error. Pure: no fs, no network; rules live in
// redact-rules.ts. Never mutates its input.
import { internalError } from "../core/errors.ts";
import { userHome } from "../core/workspace.ts";
import { HOME_RULES, SCHEME_PREFIX, SECRET_RULES, homeRule, isPlaceholder, keyRuleFor, type RedactionRule } from "./redact-rules.ts";

declare const REDACTED: unique symbol;
/** A value that has been through redact(): the only kind a proof serializer accepts. */
export type Redacted<T> = T & { readonly [REDACTED]: true };
export type RedactionHit = { rule: string; count: number };
export type RedactionSummary = { total: number; hits: RedactionHit[] };
type RedactOptions = { home?: string };

type Pass = { rules: readonly RedactionRule[]; counts: Map<string, number>; ancestors: Set<object> };

let cached: { home: string; rules: readonly RedactionRule[] } | undefined;

/** Secret rules, then the actual home directory, then anyone's home directory. */
function rulesFor(options: RedactOptions | undefined): readonly RedactionRule[] {
  const home = options?.home ?? userHome();
  if (cached?.home !== home) {
    const own = homeRule(home);
    cached = { home, rules: [...SECRET_RULES, ...(own ? [own] : []), ...HOME_RULES] };
  }
  return cached.rules;
}

function count(pass: Pass, rule: string): void {
  pass.counts.set(rule, (pass.counts.get(rule) ?? 0) + 1);
}

function summarize(counts: Map<string, number>): RedactionSummary {
  const hits = [...counts].map(([rule, n]) => ({ rule, count: n })).sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  return { total: hits.reduce((sum, hit) => sum + hit.count, 0), hits };
}

function applyRule(text: string, rule: RedactionRule, pass: Pass): string {
  return text.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
    const last = rest.at(-1);
    const groups = typeof last === "object" && last !== null ? (last as Record<string, string | undefined>) : {};
    const secret = groups.secret ?? match;
    if (secret === "" || rule.keep?.(secret)) return match;
    count(pass, rule.id);
    return `${groups.pre ?? ""}${rule.replacement ?? `[REDACTED:${rule.id}]`}${groups.post ?? ""}`;
  });
}

function redactString(text: string, pass: Pass): string {
  let out = text;
  for (const rule of pass.rules) out = applyRule(out, rule, pass);
  return out;
}

/** A string under a secret-named key (`password`, `authorization`…) is a secret as a whole. */
function redactEntry(key: string, value: string, pass: Pass): string {
  const text = redactString(value, pass);
  const rule = keyRuleFor(key);
  if (!rule) return text;
  const scheme = rule.scheme ? (SCHEME_PREFIX.exec(text)?.[0] ?? "") : "";
  if (isPlaceholder(text.slice(scheme.length))) return text;
  count(pass, rule.id);
  return `${scheme}[REDACTED:${rule.id}]`;
}

function walk(value: unknown, pass: Pass, path: string): unknown {
  if (typeof value === "string") return redactString(value, pass);
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
    for (const [key, child] of Object.entries(value)) {
      const base = redactString(key, pass);
      const outChild = typeof child === "string" ? redactEntry(key, child, pass) : walk(child, pass, `${path}.${base}`);
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

function newPass(options: RedactOptions | undefined): Pass {
  return { rules: rulesFor(options), counts: new Map(), ancestors: new Set() };
}

/**
 * Deep-copies `value`, replacing every secret in every string (object keys included) with
 * `[REDACTED:<rule>]` and home directories with `~`. Copies what JSON.stringify would see: own
 * enumerable string keys, toJSON() results, Dates as Dates. A cyclic value throws an internal
 * LokiError naming the path. Non-string leaves (numbers, booleans, null…) are returned as they are.
 */
export function redact<T>(value: T, options?: RedactOptions): { value: Redacted<T>; summary: RedactionSummary } {
  const pass = newPass(options);
  const out = walk(value, pass, "$");
  return { value: out as Redacted<T>, summary: summarize(pass.counts) };
}

/** redact() for one string (a log line, a file path, a whole document). */
export function redactText(text: string, options?: RedactOptions): { text: string; summary: RedactionSummary } {
  const pass = newPass(options);
  const out = redactString(text, pass);
  return { text: out, summary: summarize(pass.counts) };
}
