// The BM25 index memory retrieval ranks with: postings with term frequencies, document lengths and
// document frequencies, built from {id, text} documents, grown in memory (a JSONL tail), merged, and
// searched several at once with shared statistics (= one index over their union). Pure: no I/O.
import { queryTerms, textHash, tokenize } from "./tokenize.ts";

export type Doc = { id: string; text: string };

/** One term's documents (ordinals, ascending) and how often the term occurs in each. */
export type Posting = { docs: Uint32Array | number[]; tfs: Uint32Array | number[] };

export type Bm25Index = {
  /** Document ordinal → id. */
  ids: string[];
  /** Document ordinal → length in terms. */
  lengths: number[];
  /** Document ordinal → textHash of its text (tokenize.ts), what search dedupes on. */
  hashes: number[];
  totalLength: number;
  /** Term → its posting; postings[term].docs.length is the term's document frequency. */
  postings: Map<string, Posting>;
};

export const K1 = 1.2;
export const B = 0.75;

export function emptyIndex(): Bm25Index {
  return { ids: [], lengths: [], hashes: [], totalLength: 0, postings: new Map() };
}

export function buildIndex(docs: readonly Doc[]): Bm25Index {
  const index = emptyIndex();
  addDocuments(index, docs);
  return index;
}

/** Appends documents to `index` in place (ordinals continue); a loaded posting becomes a growable array. */
export function addDocuments(index: Bm25Index, docs: readonly Doc[]): void {
  for (const doc of docs) {
    const ordinal = index.ids.length;
    const terms = tokenize(doc.text);
    index.ids.push(doc.id);
    index.lengths.push(terms.length);
    index.hashes.push(textHash(doc.text));
    index.totalLength += terms.length;
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    for (const [term, tf] of counts) {
      let posting = index.postings.get(term);
      if (!posting) index.postings.set(term, (posting = { docs: [], tfs: [] }));
      else if (!Array.isArray(posting.docs)) {
        posting = { docs: Array.from(posting.docs), tfs: Array.from(posting.tfs) };
        index.postings.set(term, posting);
      }
      (posting.docs as number[]).push(ordinal);
      (posting.tfs as number[]).push(tf);
    }
  }
}

/** One index holding `a`'s documents then `b`'s (what a save of a loaded index plus its tail writes). */
export function mergeIndexes(a: Bm25Index, b: Bm25Index): Bm25Index {
  const shift = a.ids.length;
  const postings = new Map<string, Posting>();
  for (const [term, p] of a.postings) postings.set(term, { docs: Array.from(p.docs), tfs: Array.from(p.tfs) });
  for (const [term, p] of b.postings) {
    const into = postings.get(term) ?? { docs: [], tfs: [] };
    const docs = into.docs as number[];
    const tfs = into.tfs as number[];
    for (let i = 0; i < p.docs.length; i++) {
      docs.push((p.docs[i] as number) + shift);
      tfs.push(p.tfs[i] as number);
    }
    postings.set(term, into);
  }
  return {
    ids: [...a.ids, ...b.ids],
    lengths: [...a.lengths, ...b.lengths],
    hashes: [...a.hashes, ...b.hashes],
    totalLength: a.totalLength + b.totalLength,
    postings,
  };
}

/** A hit: which of the searched indexes, the document's ordinal there, its id and BM25 score. */
export type Hit = { index: number; ordinal: number; id: string; score: number };

/** Higher score first; equal scores by id, then by index position: the same order on every run. */
export function compareHits(a: Hit, b: Hit): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return a.index - b.index;
}

/**
 * The top `k` documents of all `indexes` for `query`, scored with N, df and average length summed over
 * them, so the ranking is exactly that of one index over their union (MEMORY.md, merging stores).
 */
export function searchMany(indexes: readonly Bm25Index[], query: string, k: number): Hit[] {
  return searchTerms(indexes, queryTerms(query), k);
}

export function searchTerms(indexes: readonly Bm25Index[], terms: readonly string[], k: number): Hit[] {
  let n = 0;
  let totalLength = 0;
  for (const index of indexes) {
    n += index.ids.length;
    totalLength += index.totalLength;
  }
  if (n === 0 || k <= 0) return [];
  const avgdl = totalLength / n;
  const weights = terms.map((term) => {
    let df = 0;
    for (const index of indexes) df += index.postings.get(term)?.docs.length ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  });
  const top: Hit[] = [];
  indexes.forEach((index, position) => accumulate(index, position, terms, weights, avgdl, top, k));
  return top;
}

/** Per index, a score per ordinal, reused across queries (zeroed after each): no allocation per query. */
const scratch = new WeakMap<Bm25Index, Float64Array>();

/** Term-at-a-time BM25 over one index, each scored document offered to `top`. */
function accumulate(
  index: Bm25Index,
  position: number,
  terms: readonly string[],
  weights: readonly number[],
  avgdl: number,
  top: Hit[],
  k: number,
): void {
  const count = index.ids.length;
  let scores = scratch.get(index);
  if (!scores || scores.length < count) scratch.set(index, (scores = new Float64Array(Math.max(count, 64) * 2)));
  const touched: number[] = [];
  const { lengths } = index;
  terms.forEach((term, t) => {
    const posting = index.postings.get(term);
    if (!posting) return;
    const idf = weights[t] as number;
    const { docs, tfs } = posting;
    for (let i = 0; i < docs.length; i++) {
      const ordinal = docs[i] as number;
      const tf = tfs[i] as number;
      const norm = K1 * (1 - B + (B * (lengths[ordinal] as number)) / avgdl);
      if (scores[ordinal] === 0) touched.push(ordinal);
      scores[ordinal] = (scores[ordinal] as number) + (idf * tf * (K1 + 1)) / (tf + norm);
    }
  });
  for (const ordinal of touched) {
    const last = top.length === k ? (top[k - 1] as Hit).score : -1;
    if ((scores[ordinal] as number) >= last)
      offer(top, { index: position, ordinal, id: index.ids[ordinal] as string, score: scores[ordinal] as number }, k);
    scores[ordinal] = 0;
  }
}

/** Keeps `top` the best `k` hits, sorted: a hit that cannot enter costs one comparison. */
function offer(top: Hit[], hit: Hit, k: number): void {
  if (top.length === k && compareHits(hit, top[k - 1] as Hit) >= 0) return;
  let at = top.length;
  while (at > 0 && compareHits(hit, top[at - 1] as Hit) < 0) at--;
  top.splice(at, 0, hit);
  if (top.length > k) top.pop();
}
