// The lazy keyword automaton behind the secret detector against the eager DFA it replaced
// (helpers/eager-keyword-automaton.ts): on seeded random keyword sets and texts, and on the real rules'
// keywords, both wake the same rules with the same hit count, whether its rows are fresh or carried over.
import { describe, expect, test } from "bun:test";
import { type KeywordAutomaton, keywordAutomaton, wake } from "../../src/core/secrets/automaton.ts";
import { SECRET_RULES } from "../../src/core/secrets/detect.ts";
import { type EagerAutomaton, eagerAutomaton, eagerWake } from "../helpers/eager-keyword-automaton.ts";

type Random = { next: () => number; int: (n: number) => number; pick: <T>(items: readonly T[]) => T };

function seeded(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    state = (state ^ (state >>> 13)) >>> 0;
    return state / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)] as (typeof items)[number] };
}

/** Lowercase alphabets small enough that keywords overlap and share prefixes and suffixes. */
const ALPHABETS = ["ab", "abc", "abcd", "ab_-", "xyz01", "abcdefghijklmnopqrstuvwxyz0123456789_-.:/=", "a\0b"];
/** Code units beside the keywords' own: non-ASCII (some of which Unicode folds to ASCII letters, which the
 *  automaton must not), NUL (where non-ASCII lands), controls, an emoji and a lone surrogate, upper case,
 *  and the ASCII neighbours of the letters. */
const FOREIGN = [..."éſ\u212aİß\u0080\u00ff\u0100\t\n\0 AZ@[`{", "😀", "\ud800"];

function keywordSets(random: Random): string[][] {
  const alphabet = random.pick(ALPHABETS);
  const word = (max: number) => Array.from({ length: 1 + random.int(max) }, () => random.pick([...alphabet])).join("");
  const all: string[] = [];
  const fresh = (): string => {
    const roll = random.next();
    if (all.length > 0 && roll < 0.15) return random.pick(all); // duplicate, within a rule or across rules
    if (all.length > 0 && roll < 0.3) return random.pick(all).slice(0, 1 + random.int(4)); // prefix
    if (all.length > 0 && roll < 0.45) return random.pick(all).slice(-1 - random.int(4)); // suffix
    if (all.length > 0 && roll < 0.55) return random.pick(all) + word(3); // extension
    if (roll < 0.6) return random.pick([...alphabet]); // one character
    if (roll < 0.61) return ""; // empty: wakes its rule at every code unit, in both
    return word(random.pick([2, 4, 8]));
  };
  return Array.from({ length: 1 + random.int(12) }, () =>
    Array.from({ length: 1 + random.int(5) }, () => {
      const keyword = fresh();
      all.push(keyword);
      return keyword;
    }),
  );
}

function text(random: Random, keywords: readonly string[]): string {
  const parts: string[] = [];
  const length = random.int(60);
  for (let i = 0; i < length; i++) {
    const roll = random.next();
    let part: string;
    if (roll < 0.4 && keywords.length > 0) {
      const keyword = random.pick(keywords);
      const from = random.int(keyword.length + 1);
      part = keyword.slice(from, from + 1 + random.int(keyword.length + 1)); // a fragment, often the whole
    } else if (roll < 0.6) part = random.pick(FOREIGN);
    else part = String.fromCharCode(random.int(128));
    parts.push(random.next() < 0.3 ? part.toUpperCase() : part);
  }
  return parts.join("");
}

type Woken = { rules: Set<number>; hits: number };

function lazyWake(a: KeywordAutomaton, value: string, from = 0, to = value.length): Woken {
  const hits = wake(a, value, from, to);
  const rules = new Set<number>();
  a.woken.forEach((generation, rule) => {
    if (generation === a.generation) rules.add(rule);
  });
  return { rules, hits };
}

const shown = (w: Woken) => `rules ${[...w.rules].sort((x, y) => x - y).join(",")} hits ${w.hits}`;

/** Compares the two on `value` and one of its subranges, with `reused` (rows carried over) and a fresh
 *  automaton; a difference fails with the keywords and the text, kept short enough to read. */
function same(eager: EagerAutomaton, reused: KeywordAutomaton, keywordsByRule: string[][], value: string, random: Random): void {
  const from = random.int(value.length + 1);
  const to = from + random.int(value.length - from + 1);
  const expected = shown(eagerWake(eager, value));
  const got = [shown(lazyWake(reused, value)), shown(lazyWake(keywordAutomaton(keywordsByRule), value))];
  const part = [shown(lazyWake(reused, value, from, to)), shown(eagerWake(eager, value, from, to))];
  if (got[0] === expected && got[1] === expected && part[0] === part[1]) return;
  const where = keywordsByRule.length > 20 ? "the rules' keywords" : JSON.stringify(keywordsByRule);
  expect({ where, value, from, to, whole: got, part: part[0] }).toEqual({
    where,
    value,
    from,
    to,
    whole: [expected, expected],
    part: part[1],
  });
}

describe("the lazy keyword automaton wakes what the eager DFA wakes", () => {
  test("random keyword sets (overlaps, prefixes, suffixes, duplicates, single characters) on random texts", () => {
    const random = seeded(20240611);
    for (let set = 0; set < 400; set++) {
      const keywordsByRule = keywordSets(random);
      const eager = eagerAutomaton(keywordsByRule);
      const reused = keywordAutomaton(keywordsByRule);
      const keywords = keywordsByRule.flat();
      for (let i = 0; i < 40; i++) same(eager, reused, keywordsByRule, text(random, keywords), random);
    }
  });

  test("the rules' own keywords, on their samples, on keyword fragments and on random text, rows carried over", () => {
    const random = seeded(7);
    const keywordsByRule = SECRET_RULES.map((rule) => [...rule.keywords]);
    const keywords = keywordsByRule.flat();
    const eager = eagerAutomaton(keywordsByRule);
    const reused = keywordAutomaton(keywordsByRule);
    const samples = SECRET_RULES.flatMap((rule) => [...rule.samples.tp, ...rule.samples.fp]);
    for (const sample of samples) {
      same(eager, reused, keywordsByRule, sample, random);
      same(eager, reused, keywordsByRule, sample.toUpperCase(), random);
    }
    for (let i = 0; i < 3000; i++) same(eager, reused, keywordsByRule, text(random, keywords), random);
    // Every keyword, alone and run together with its neighbours: each state of the trie is reached.
    for (let i = 0; i < keywords.length; i++) {
      same(eager, reused, keywordsByRule, keywords[i] as string, random);
      same(eager, reused, keywordsByRule, keywords.slice(i, i + 4).join(""), random);
    }
  });

  test("a long text through one automaton: one pass over it equals the eager pass", () => {
    const random = seeded(99);
    const keywordsByRule = SECRET_RULES.map((rule) => [...rule.keywords]);
    const keywords = keywordsByRule.flat();
    const value = Array.from({ length: 2000 }, () => text(random, keywords)).join("");
    const reused = keywordAutomaton(keywordsByRule);
    expect(lazyWake(reused, value)).toEqual(eagerWake(eagerAutomaton(keywordsByRule), value));
  });

  test("a keyword that is not lowercase ASCII is refused, by both", () => {
    for (const bad of [["Key"], ["ké"], ["ok", "\u0100"]]) {
      expect(() => eagerAutomaton([bad])).toThrow("must be lowercase ASCII");
      expect(() => keywordAutomaton([bad])).toThrow("must be lowercase ASCII");
    }
  });
});
