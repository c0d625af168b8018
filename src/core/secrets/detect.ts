// The secret detector: every rule of the six tables, behind one keyword automaton (Aho-Corasick over
// the rules' lowercase keywords, one pass per line, case-insensitive for ASCII), so a line runs only the
// regexes of the rules it woke. Shared by the secrets gate and redaction. Pure; never throws for input.
import { internalError } from "../errors.ts";
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

/** ASCII folded to lower case; every other code unit is 0, which no keyword holds. */
const FOLD = Uint8Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));
const woken = new Uint32Array(SECRET_RULES.length);
let generation = 0;

/**
 * The compiled rules: the keyword automaton, a DFA over ASCII (upper case folded) whose `out[state]`
 * lists the rules it wakes, and each rule's regex with `d` (the secret group's own indices, so a hit is
 * located without searching for it again), compiled the first time its rule wakes: most scans wake few.
 * Built at the first scan, not at import, so a loki process that never scans (`status`, `version`) pays nothing.
 */
type Tables = { regexes: (RegExp | undefined)[]; delta: Int32Array; out: Int32Array[]; wakes: Uint8Array };
let built: Tables | undefined;

function tables(): Tables {
  built ??= { regexes: new Array(SECRET_RULES.length), ...buildAutomaton(SECRET_RULES.map((r) => r.keywords)) };
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

/** Aho-Corasick over the keywords: the trie's edges go straight into `delta` (-1 where none), then a
 *  breadth-first pass fills each missing edge from the state's failure link. Typed arrays throughout. */
function buildAutomaton(keywordsByRule: readonly (readonly string[])[]): Omit<Tables, "regexes"> {
  const size = keywordsByRule.reduce((n, keywords) => n + keywords.reduce((m, k) => m + k.length, 0), 1);
  let delta = new Int32Array(size * 128).fill(-1);
  const out: number[][] = [[]];
  keywordsByRule.forEach((keywords, rule) => {
    for (const keyword of keywords) {
      let state = 0;
      for (let i = 0; i < keyword.length; i++) {
        const code = keyword.charCodeAt(i);
        if (code > 127 || (code >= 65 && code <= 90)) throw internalError(`secret rule keyword "${keyword}" must be lowercase ASCII`);
        let to = delta[state * 128 + code] as number;
        if (to === -1) {
          to = out.length;
          out.push([]);
          delta[state * 128 + code] = to;
        }
        state = to;
      }
      if (!out[state]?.includes(rule)) out[state]?.push(rule);
    }
  });
  delta = delta.slice(0, out.length * 128);
  // Breadth-first: each state's failure link is complete before its children need it.
  const fail = new Int32Array(out.length);
  const queue = new Int32Array(out.length);
  let tail = 0;
  for (let c = 0; c < 128; c++) {
    if (delta[c] === -1) delta[c] = 0;
    else queue[tail++] = delta[c] as number;
  }
  for (let head = 0; head < tail; head++) {
    const state = queue[head] as number;
    const link = fail[state] as number;
    for (const rule of out[link] as number[]) if (!out[state]?.includes(rule)) out[state]?.push(rule);
    for (let c = 0; c < 128; c++) {
      const to = delta[state * 128 + c] as number;
      const fallback = delta[link * 128 + c] as number;
      if (to === -1) delta[state * 128 + c] = fallback;
      else {
        fail[to] = fallback;
        queue[tail++] = to;
      }
    }
  }
  return {
    delta,
    out: out.map((rules) => Int32Array.from(rules.sort((a, b) => a - b))),
    wakes: Uint8Array.from(out, (rules) => (rules.length > 0 ? 1 : 0)),
  };
}

/** Wakes the rules whose keywords occur in text[from, to); returns how many keyword hits there were.
 *  The hot loop of the detector: one table step per code unit, no allocation. */
function wake(t: Tables, text: string, from: number, to: number): number {
  generation = (generation + 1) >>> 0 || 1;
  const { delta, wakes, out } = t;
  let row = 0;
  let hits = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    const state = delta[row + (code < 128 ? (FOLD[code] as number) : 0)] as number;
    row = state << 7;
    if (wakes[state] === 0) continue;
    hits++;
    const rules = out[state] as Int32Array;
    for (let k = 0; k < rules.length; k++) woken[rules[k] as number] = generation;
  }
  return hits;
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
 *  scratch state reused between calls (`woken`), which no caller can observe. */
export function scanLines(lines: readonly ScanLine[]): SecretHit[] {
  const hits: SecretHit[] = [];
  const t = tables();
  for (const { line, text } of lines) {
    if (wake(t, text, 0, text.length) === 0) continue;
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
    if (wake(t, text, from, to) > 0) {
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
