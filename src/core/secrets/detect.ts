// The secret detector: every rule of the six tables, behind one keyword automaton (Aho-Corasick over
// the rules' lowercase keywords, one pass per line, case-insensitive for ASCII), so a line runs only the
// regexes of the rules it woke. Shared by the secrets gate and redaction. Pure; never throws for input.
import { type KeywordAutomaton, keywordAutomaton, wake } from "./automaton.ts";
import { AI_RULES } from "./rules-ai.ts";
import { APP_RULES } from "./rules-apps.ts";
import { CLOUD_RULES } from "./rules-cloud.ts";
import { CODE_RULES } from "./rules-code.ts";
import { COMMERCE_RULES } from "./rules-commerce.ts";
import { GENERIC_RULES } from "./rules-generic.ts";
import { DOCUMENTED_EXAMPLES, type SecretRule } from "./rule.ts";

/** Every rule, in precedence order: where two rules find the same secret, the earlier one reports it. */
export const SECRET_RULES: readonly SecretRule[] = [
  ...CLOUD_RULES,
  ...CODE_RULES,
  ...AI_RULES,
  ...APP_RULES,
  ...COMMERCE_RULES,
  ...GENERIC_RULES,
];

export type ScanLine = { line: number; text: string };
/** A hit in a line: `start`/`end` index the secret in `text`. */
export type SecretHit = { rule: SecretRule; line: number; secret: string; text: string; start: number; end: number };
/** A hit in a whole text: `start`/`end` index the secret in that text. */
export type SecretSpan = { rule: SecretRule; secret: string; start: number; end: number };

/**
 * The compiled rules: the keyword automaton (automaton.ts; its rows are computed as scans reach their
 * states), and each rule's regex with `d` (the secret group's own indices, so a hit is located without
 * searching for it again), compiled the first time its rule wakes: most scans wake few. Built at the
 * first scan, not at import, so a loki process that never scans (`status`, `version`) pays nothing.
 */
type Tables = { regexes: (RegExp | undefined)[]; keywords: KeywordAutomaton };
let built: Tables | undefined;

function tables(): Tables {
  built ??= { regexes: new Array(SECRET_RULES.length), keywords: keywordAutomaton(SECRET_RULES.map((r) => r.keywords)) };
  return built;
}

function regexOf(t: Tables, index: number): RegExp {
  let regex = t.regexes[index];
  if (regex === undefined) {
    const { source, flags } = (SECRET_RULES[index] as SecretRule).regex;
    regex = t.regexes[index] = new RegExp(source, `${flags.replace(/[gd]/g, "")}gd`);
  }
  return regex;
}

const FILLER = /(.)\1{7}/;

/** Shannon entropy in bits per character: ~0 for "aaaa", ~6 for random base64. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) counts.set(text.charCodeAt(i), (counts.get(text.charCodeAt(i)) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

const HEX = /^[0-9a-f]+$/i;

function isCredential(rule: SecretRule, secret: string): boolean {
  if (rule.entropy !== undefined) {
    // Hex carries at most 4 bits a character: a random 32-digit hex key scores ~3.7, under floors meant for base62.
    const floor = HEX.test(secret) ? Math.min(rule.entropy, 3) : rule.entropy;
    if (shannonEntropy(secret) < floor || FILLER.test(secret)) return false;
  }
  if (rule.allow?.some((re) => re.test(secret))) return false;
  return !DOCUMENTED_EXAMPLES.some((example) => secret.includes(example));
}

/** The woken rules' hits in one line (already woken by `wake`): one per secret, earliest rule first. */
function matchLine(t: Tables, text: string, emit: (rule: SecretRule, start: number, end: number) => void): void {
  const spans: number[] = [];
  const { woken, generation } = t.keywords;
  for (let i = 0; i < SECRET_RULES.length; i++) {
    if (woken[i] !== generation) continue;
    const rule = SECRET_RULES[i] as SecretRule;
    const regex = regexOf(t, i);
    regex.lastIndex = 0;
    for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
      if (m[0] === "") regex.lastIndex++;
      const at = m.indices?.groups?.secret;
      const secret = m.groups?.secret;
      if (at === undefined || !secret || !isCredential(rule, secret)) continue;
      const [start, end] = at;
      let overlaps = false;
      for (let k = 0; k < spans.length; k += 2) if (start < (spans[k + 1] ?? 0) && end > (spans[k] ?? 0)) overlaps = true;
      if (overlaps) continue;
      spans.push(start, end);
      emit(rule, start, end);
    }
  }
}

/** Every rule hit in these lines, one per secret per line (the most specific rule wins). Pure but for
 *  state reused between calls (the automaton's rows and `woken`), which no caller can observe. */
export function scanLines(lines: readonly ScanLine[]): SecretHit[] {
  const hits: SecretHit[] = [];
  const t = tables();
  for (const { line, text } of lines) {
    if (wake(t.keywords, text, 0, text.length) === 0) continue;
    matchLine(t, text, (rule, start, end) => hits.push({ rule, line, secret: text.slice(start, end), text, start, end }));
  }
  return hits;
}

/** Every rule hit in a text of any number of lines, located in that text. */
export function findSecrets(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  const t = tables();
  for (let from = 0; from <= text.length; ) {
    const newline = text.indexOf("\n", from);
    const to = newline === -1 ? text.length : newline;
    if (wake(t.keywords, text, from, to) > 0) {
      const line = text.slice(from, to);
      matchLine(t, line, (rule, start, end) => spans.push({ rule, secret: line.slice(start, end), start: from + start, end: from + end }));
    }
    from = to + 1;
  }
  return spans;
}

/** The first characters only (fewer for short secrets, so most of it stays hidden). */
export function maskSecret(secret: string): string {
  return `${secret.trim().slice(0, Math.min(4, Math.floor(secret.trim().length / 3)))}…`;
}
