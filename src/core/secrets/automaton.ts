// The secret detector's keyword automaton: Aho-Corasick over lowercase ASCII keywords, case-insensitive
// for ASCII, whose DFA rows are computed the first time a scan reaches their state (a small diff visits
// a few hundred of the rules' ~1,100 states), so building it costs only the trie and its failure links.
import { internalError } from "../errors.ts";

/**
 * The trie (sparse: each state's children in a sibling list, the root's in a dense row), its failure
 * links and each state's own rules, built eagerly; then the DFA rows of the states reached so far, one
 * 128-entry slot each in `delta` (room for every state, taken in the order the scans reach them), with
 * the rules each slot wakes (`out`, merged along the failure links).
 * An entry of `delta` holds the target's slot offset (slot × 128), plus 1 if the target wakes any rule,
 * once the target has a row; else -2 × state - 1, which the scan resolves and patches on first use: an
 * even entry is the common step (no rule woken, row known), told apart by one test.
 * `woken[rule] === generation` for the rules the last `wake` woke.
 */
export type KeywordAutomaton = {
  rootChild: Int32Array;
  firstChild: Int32Array;
  nextSibling: Int32Array;
  edgeCode: Uint8Array;
  fail: Int32Array;
  own: (number[] | undefined)[];
  offsetOf: Int32Array;
  delta: Int32Array;
  out: Int32Array[];
  slots: number;
  woken: Uint32Array;
  generation: number;
};

/** ASCII folded to lower case; every other code unit is 0, which no keyword holds. */
const FOLD = Uint8Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));
const NONE: Int32Array = new Int32Array(0);

/** The automaton of `keywordsByRule[rule]` for each rule; throws if a keyword is not lowercase ASCII. */
export function keywordAutomaton(keywordsByRule: readonly (readonly string[])[]): KeywordAutomaton {
  const size = keywordsByRule.reduce((n, keywords) => n + keywords.reduce((m, k) => m + k.length, 0), 1);
  const rootChild = new Int32Array(128);
  const firstChild = new Int32Array(size).fill(-1);
  const nextSibling = new Int32Array(size).fill(-1);
  const edgeCode = new Uint8Array(size);
  const own: (number[] | undefined)[] = new Array(size).fill(undefined);
  let states = 1;
  keywordsByRule.forEach((keywords, rule) => {
    for (const keyword of keywords) {
      let state = 0;
      for (let i = 0; i < keyword.length; i++) {
        const code = keyword.charCodeAt(i);
        if (code > 127 || (code >= 65 && code <= 90)) throw internalError(`secret rule keyword "${keyword}" must be lowercase ASCII`);
        let to = state === 0 ? (rootChild[code] as number) : child(firstChild, nextSibling, edgeCode, state, code);
        if (to <= 0) {
          to = states++;
          edgeCode[to] = code;
          if (state === 0) rootChild[code] = to;
          else {
            nextSibling[to] = firstChild[state] as number;
            firstChild[state] = to;
          }
        }
        state = to;
      }
      const rules = (own[state] ??= []);
      if (!rules.includes(rule)) rules.push(rule);
    }
  });
  // Breadth-first: a state's failure link is complete before its children need it.
  const fail = new Int32Array(states);
  const queue = new Int32Array(states);
  let tail = 0;
  for (let c = 0; c < 128; c++) if ((rootChild[c] as number) > 0) queue[tail++] = rootChild[c] as number;
  for (let head = 0; head < tail; head++) {
    const state = queue[head] as number;
    for (let to = firstChild[state] as number; to !== -1; to = nextSibling[to] as number) {
      const code = edgeCode[to] as number;
      let link = fail[state] as number;
      while (link !== 0 && child(firstChild, nextSibling, edgeCode, link, code) === -1) link = fail[link] as number;
      fail[to] = link === 0 ? (rootChild[code] as number) : child(firstChild, nextSibling, edgeCode, link, code);
      queue[tail++] = to;
    }
  }
  const a: KeywordAutomaton = {
    rootChild,
    firstChild,
    nextSibling,
    edgeCode,
    fail,
    own,
    offsetOf: new Int32Array(states).fill(-1),
    delta: new Int32Array(states * 128),
    out: [],
    slots: 0,
    woken: new Uint32Array(keywordsByRule.length),
    generation: 0,
  };
  rowOf(a, 0); // the root's row is slot 0, offset 0: where every scan starts
  return a;
}

/** The child of a non-root state along `code`, or -1. */
function child(firstChild: Int32Array, nextSibling: Int32Array, edgeCode: Uint8Array, state: number, code: number): number {
  let to = firstChild[state] as number;
  while (to !== -1 && edgeCode[to] !== code) to = nextSibling[to] as number;
  return to;
}

/** The entry that leads to `state` (its row's offset, plus 1 if it wakes a rule), its row computed (with
 *  its merged rules) on the first call: its failure link's row with the trie's own edges written over it. */
function rowOf(a: KeywordAutomaton, state: number): number {
  const known = a.offsetOf[state] as number;
  if (known !== -1) return known;
  const link = state === 0 ? -1 : rowOf(a, a.fail[state] as number) & ~1;
  const slot = a.slots++;
  const offset = slot * 128;
  const { delta, offsetOf } = a;
  const target = (to: number) => ((offsetOf[to] as number) === -1 ? -2 * to - 1 : (offsetOf[to] as number));
  if (state === 0) for (let c = 0; c < 128; c++) delta[c] = target(a.rootChild[c] as number);
  else {
    delta.copyWithin(offset, link, link + 128);
    for (let to = a.firstChild[state] as number; to !== -1; to = a.nextSibling[to] as number)
      delta[offset + (a.edgeCode[to] as number)] = target(to);
  }
  const inherited = state === 0 ? NONE : (a.out[link >> 7] as Int32Array);
  const mine = a.own[state];
  let rules = inherited;
  if (mine !== undefined) {
    const merged = new Set<number>(inherited);
    for (const rule of mine) merged.add(rule);
    rules = Int32Array.from([...merged].sort((x, y) => x - y));
  }
  a.out[slot] = rules;
  offsetOf[state] = offset + (rules.length > 0 ? 1 : 0);
  return offsetOf[state] as number;
}

/** Resolves the entry `delta[at]`, which names a state with no row yet (or one computed since): computes
 *  that row if needed and patches the entry, so the next step along it is a plain table read. */
function resolve(a: KeywordAutomaton, at: number, state: number): number {
  const offset = rowOf(a, state);
  a.delta[at] = offset;
  return offset;
}

/** Wakes the rules whose keywords occur in text[from, to) (`woken[rule] === generation` after); returns
 *  how many keyword hits there were. The hot loop of the detector: one table step per code unit, no
 *  allocation once the states it reaches have rows. */
export function wake(a: KeywordAutomaton, text: string, from: number, to: number): number {
  const generation = (a.generation = (a.generation + 1) >>> 0 || 1);
  const woken = a.woken;
  const { delta, out } = a;
  let row = 0;
  let hits = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    const at = row + (code < 128 ? (FOLD[code] as number) : 0);
    let next = delta[at] as number;
    if ((next & 1) === 0) {
      row = next;
      continue;
    }
    if (next < 0) {
      next = resolve(a, at, (-1 - next) >> 1);
      if ((next & 1) === 0) {
        row = next;
        continue;
      }
    }
    row = next - 1;
    hits++;
    const rules = out[row >> 7] as Int32Array;
    for (let k = 0; k < rules.length; k++) woken[rules[k] as number] = generation;
  }
  return hits;
}
