// Retrieval over the project's and the global memory store at once: BM25 with statistics shared by
// every index (bm25.ts searchMany), then a light rerank — project over global, failures that were
// fixed first, gentle recency — and near-identical documents collapsed to one. Pure: no I/O.
import { type Bm25Index, type Hit, searchMany } from "./bm25.ts";

export type StoreName = "project" | "global";

/** One store as index-file.ts loads it: the persisted index and the tail appended since. */
export type Store = { name: StoreName; index: Bm25Index; tail: Bm25Index };

/** What the rerank knows of an episode; `outcome` "failure" counts as a failure, anything else not. */
export type EpisodeMeta = { ts: string | number; outcome: string; hasFix?: boolean };

export type SearchOptions = {
  k: number;
  /** Reference time for recency (ms since the epoch); defaults to the clock. */
  now?: number;
  /** An episode's metadata, or undefined when unknown (then only the store boost applies). */
  meta?: (id: string) => EpisodeMeta | undefined;
};

export type Result = { id: string; store: StoreName; score: number };

/** research/MEMORY.md's multipliers: small, so BM25's relevance still decides. */
export const PROJECT_BOOST = 1.25;
export const FIXED_FAILURE_BOOST = 1.3;
export const FAILURE_BOOST = 1.15;
/** Recency factor 1 / (1 + age / RECENCY_DAYS): 0.5 at 90 days, never 0. */
export const RECENCY_DAYS = 90;
/** BM25 candidates per result wanted: enough for the rerank and the dedupe to reorder. */
const POOL_FACTOR = 5;
const MIN_POOL = 50;
const DAY_MS = 86_400_000;

export function searchStores(stores: readonly Store[], query: string, opts: SearchOptions): Result[] {
  if (opts.k <= 0) return [];
  const indexes = stores.flatMap((store) => [store.index, store.tail]);
  const pool = searchMany(indexes, query, Math.max(opts.k * POOL_FACTOR, MIN_POOL));
  const now = opts.now ?? Date.now();
  const ranked = pool.map((hit) => {
    const store = stores[Math.floor(hit.index / 2)] as Store;
    return { hit, store: store.name, score: hit.score * multiplier(store.name, hit.id, now, opts.meta) };
  });
  ranked.sort((a, b) => b.score - a.score || (a.hit.id < b.hit.id ? -1 : a.hit.id > b.hit.id ? 1 : a.hit.index - b.hit.index));
  const seenIds = new Set<string>();
  const seenTexts = new Set<number>();
  const out: Result[] = [];
  for (const { hit, store, score } of ranked) {
    const hash = textHashOf(indexes, hit);
    if (seenIds.has(hit.id) || seenTexts.has(hash)) continue;
    seenIds.add(hit.id);
    seenTexts.add(hash);
    out.push({ id: hit.id, store, score });
    if (out.length === opts.k) break;
  }
  return out;
}

function textHashOf(indexes: readonly Bm25Index[], hit: Hit): number {
  return (indexes[hit.index] as Bm25Index).hashes[hit.ordinal] as number;
}

/** The rerank factor of one hit: store, outcome, and age. */
export function multiplier(store: StoreName, id: string, now: number, meta: SearchOptions["meta"]): number {
  let factor = store === "project" ? PROJECT_BOOST : 1;
  const m = meta?.(id);
  if (!m) return factor;
  if (m.outcome === "failure") factor *= m.hasFix ? FIXED_FAILURE_BOOST : FAILURE_BOOST;
  const ts = typeof m.ts === "number" ? m.ts : Date.parse(m.ts);
  if (Number.isFinite(ts)) factor *= 1 / (1 + Math.max(0, now - ts) / DAY_MS / RECENCY_DAYS);
  return factor;
}
