// The redaction engine: secrets and home directories out of one string, by the rules in
// redact-rules.ts — the one detector behind proofs (proof/redact.ts walks a value with it),
// transcripts and log files. Pure: no fs, no network. Never mutates its input.
import { homedir } from "node:os";
import { HOME_RULES, SCHEME_PREFIX, SECRET_RULES, homeRule, isPlaceholder, keyRuleFor, type RedactionRule } from "./redact-rules.ts";

export type RedactionHit = { rule: string; count: number };
export type RedactionSummary = { total: number; hits: RedactionHit[] };
export type RedactOptions = { home?: string };

/** One redaction's rules and what they matched so far. */
export type RedactionPass = { rules: readonly RedactionRule[]; counts: Map<string, number> };

let cached: { home: string; rules: readonly RedactionRule[] } | undefined;

/** Secret rules, then the actual home directory, then anyone's home directory. */
function rulesFor(options: RedactOptions | undefined): readonly RedactionRule[] {
  // workspace.ts's userHome(), inlined: workspace.ts logs through log.ts, which redacts with this.
  const home = options?.home ?? (process.env.HOME || homedir());
  if (cached?.home !== home) {
    const own = homeRule(home);
    cached = { home, rules: [...SECRET_RULES, ...(own ? [own] : []), ...HOME_RULES] };
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

/** Every rule over one string, counted in `pass`. */
export function redactString(text: string, pass: RedactionPass): string {
  let out = text;
  for (const rule of pass.rules) out = applyRule(out, rule, pass);
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
