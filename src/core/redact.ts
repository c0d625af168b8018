// The redaction engine: secrets and home directories out of one string — the rules in redact-rules.ts
// (recall first: headers, assignments, truncated keys), then every hit of the secrets gate's own
// detector (core/secrets/), so nothing the gate would flag survives. Behind proofs (proof/redact.ts
// walks a value with it), transcripts and log files. Pure: no fs, no network. Never mutates its input.
import { homedir } from "node:os";
import { HOME_RULES, SCHEME_PREFIX, SECRET_RULES, homeRule, isPlaceholder, keyRuleFor, type RedactionRule } from "./redact-rules.ts";
import { findSecrets } from "./secrets/detect.ts";

export type RedactionHit = { rule: string; count: number };
export type RedactionSummary = { total: number; hits: RedactionHit[] };
export type RedactOptions = { home?: string };

/** A pattern rule, or the secrets gate's detector as one step. */
export type RedactionStep = RedactionRule | "detector";
/** One redaction's steps and what they matched so far. */
export type RedactionPass = { rules: readonly RedactionStep[]; counts: Map<string, number> };

let cached: { home: string; rules: readonly RedactionStep[] } | undefined;

/** Secret rules, then the detector, then the actual home directory, then anyone's home directory. */
function rulesFor(options: RedactOptions | undefined): readonly RedactionStep[] {
  // workspace.ts's userHome(), inlined: workspace.ts logs through log.ts, which redacts with this.
  const home = options?.home ?? (process.env.HOME || homedir());
  if (cached?.home !== home) {
    const own = homeRule(home);
    cached = { home, rules: [...SECRET_RULES, "detector", ...(own ? [own] : []), ...HOME_RULES] };
  }
  return cached.rules;
}

export function newRedactionPass(options?: RedactOptions): RedactionPass {
  return { rules: rulesFor(options), counts: new Map() };
}

function count(pass: RedactionPass, rule: string): void {
  pass.counts.set(rule, (pass.counts.get(rule) ?? 0) + 1);
}

export function summarizePass(pass: RedactionPass): RedactionSummary {
  const hits = [...pass.counts].map(([rule, n]) => ({ rule, count: n })).sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  return { total: hits.reduce((sum, hit) => sum + hit.count, 0), hits };
}

function applyRule(text: string, rule: RedactionRule, pass: RedactionPass): string {
  return text.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
    const last = rest.at(-1);
    const groups = typeof last === "object" && last !== null ? (last as Record<string, string | undefined>) : {};
    const secret = groups.secret ?? match;
    if (secret === "" || rule.keep?.(secret)) return match;
    count(pass, rule.id);
    return `${groups.pre ?? ""}${rule.replacement ?? `[REDACTED:${rule.id}]`}${groups.post ?? ""}`;
  });
}

/** Every hit of the gate's detector, found in the text as its escapes decode (so `\"token\": \"…\"` in a
 *  JSON transcript line reads as it was written) and replaced in the text as it is. */
function applyDetector(text: string, pass: RedactionPass): string {
  const view = decodeEscapes(text);
  const spans = findSecrets(view.text).filter((s) => !s.secret.includes("[REDACTED:") && !isPlaceholder(s.secret));
  if (spans.length === 0) return text;
  let out = "";
  let at = 0;
  for (const span of spans.sort((a, b) => a.start - b.start)) {
    const start = view.at(span.start);
    if (start < at) continue;
    count(pass, span.rule.id);
    out += `${text.slice(at, start)}[REDACTED:${span.rule.id}]`;
    at = view.at(span.end);
  }
  return out + text.slice(at);
}

/** Every rule over one string, counted in `pass`. */
export function redactString(text: string, pass: RedactionPass): string {
  let out = text;
  for (const rule of pass.rules) out = rule === "detector" ? applyDetector(out, pass) : applyRule(out, rule, pass);
  return out;
}

/** A string under a secret-named key (`password`, `authorization`…) is a secret as a whole. */
export function redactEntry(key: string, value: string, pass: RedactionPass): string {
  const text = redactString(value, pass);
  const rule = keyRuleFor(key);
  if (!rule) return text;
  const scheme = rule.scheme ? (SCHEME_PREFIX.exec(text)?.[0] ?? "") : "";
  if (isPlaceholder(text.slice(scheme.length))) return text;
  count(pass, rule.id);
  return `${scheme}[REDACTED:${rule.id}]`;
}

/** Redaction of one string (a log line, a transcript line, a file path, a whole document). */
export function redactText(text: string, options?: RedactOptions): { text: string; summary: RedactionSummary } {
  const pass = newRedactionPass(options);
  const out = redactString(text, pass);
  return { text: out, summary: summarizePass(pass) };
}

const ESCAPE = /\\[nrt"'\\/]|&(?:quot|apos|amp|lt|gt|#0?3[49]|#x2[27]);/g;
const DECODED: Record<string, string> = {
  "\\n": "\n",
  "\\r": "\r",
  "\\t": "\t",
  '\\"': '"',
  "\\'": "'",
  "\\\\": "\\",
  "\\/": "/",
  "&quot;": '"',
  "&apos;": "'",
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&#34;": '"',
  "&#034;": '"',
  "&#39;": "'",
  "&#039;": "'",
  "&#x22;": '"',
  "&#x27;": "'",
};

/**
 * The text with one level of JSON/JS string escapes and HTML entities decoded, and `at(i)`: where
 * the decoded text's index i (or its end) falls in the original. Up to three levels are decoded, for
 * escaped JSON inside a JSON string inside a transcript line.
 */
export function decodeEscapes(text: string): { text: string; at: (index: number) => number } {
  let current = { text, at: (i: number) => i };
  for (let level = 0; level < 3; level++) {
    ESCAPE.lastIndex = 0;
    if (!ESCAPE.test(current.text)) break;
    // matchAll starts where the pattern's lastIndex is: back to the start, or the first escape is skipped.
    ESCAPE.lastIndex = 0;
    const source = current;
    // map[i]: where the decoded text's character i starts in `source` (never longer than it).
    const map = new Int32Array(source.text.length);
    let n = 0;
    let decoded = "";
    let last = 0;
    for (const m of source.text.matchAll(ESCAPE)) {
      for (let i = last; i < m.index; i++) map[n++] = i;
      const value = DECODED[m[0]] ?? m[0];
      for (let k = 0; k < value.length; k++) map[n++] = m.index;
      decoded += source.text.slice(last, m.index) + value;
      last = m.index + m[0].length;
    }
    for (let i = last; i < source.text.length; i++) map[n++] = i;
    decoded += source.text.slice(last);
    const length = source.text.length;
    current = { text: decoded, at: (i) => source.at(i < n ? (map[i] as number) : length) };
  }
  return current;
}
