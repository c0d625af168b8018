// The reference for the secret detector's lazy keyword automaton (src/core/secrets/automaton.ts): the
// eager Aho-Corasick DFA the detector used before, every state's 128-entry row filled at build time by
// one breadth-first pass. Tests compare the rules the two wake, and their hit counts, on the same text.

/** ASCII folded to lower case; every other code unit is 0, which no keyword holds. */
const FOLD = Uint8Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));

export type EagerAutomaton = { delta: Int32Array; out: Int32Array[]; wakes: Uint8Array };

/** Aho-Corasick over the keywords: the trie's edges go straight into `delta` (-1 where none), then a
 *  breadth-first pass fills each missing edge from the state's failure link. */
export function eagerAutomaton(keywordsByRule: readonly (readonly string[])[]): EagerAutomaton {
  const size = keywordsByRule.reduce((n, keywords) => n + keywords.reduce((m, k) => m + k.length, 0), 1);
  let delta = new Int32Array(size * 128).fill(-1);
  const out: number[][] = [[]];
  keywordsByRule.forEach((keywords, rule) => {
    for (const keyword of keywords) {
      let state = 0;
      for (let i = 0; i < keyword.length; i++) {
        const code = keyword.charCodeAt(i);
        if (code > 127 || (code >= 65 && code <= 90)) throw new Error(`secret rule keyword "${keyword}" must be lowercase ASCII`);
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

/** The rules whose keywords occur in text[from, to), and how many keyword hits there were. */
export function eagerWake(t: EagerAutomaton, text: string, from = 0, to = text.length): { rules: Set<number>; hits: number } {
  const { delta, wakes, out } = t;
  const rules = new Set<number>();
  let row = 0;
  let hits = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    const state = delta[row + (code < 128 ? (FOLD[code] as number) : 0)] as number;
    row = state << 7;
    if (wakes[state] === 0) continue;
    hits++;
    for (const rule of out[state] as Int32Array) rules.add(rule);
  }
  return { rules, hits };
}
