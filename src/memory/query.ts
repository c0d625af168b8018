// One search over every memory store at once — this project's episodes and learnings, and the global
// learnings when memory.global is on — with shared BM25 statistics and search.ts's rerank: project over
// global, failures that were fixed first (a learning is one), recency, duplicates collapsed.
import { rmSync } from "node:fs";
import type { Episode, Learning } from "../core/run-schema.ts";
import type { Workspace } from "../core/workspace.ts";
import type { LoadedIndex } from "./index-file.ts";
import { type EpisodeMeta, type StoreName, searchStores } from "./search.ts";
import {
  episodeId,
  globalLearnings,
  openStore,
  projectEpisodes,
  projectLearnings,
  readEpisodes,
  readLearnings,
  type StoreFile,
} from "./store.ts";

/** A record of some store: an episode (one iteration) or a learning (a failure and its fix). */
export type Entry = { id: string; store: StoreName } & ({ kind: "episode"; record: Episode } | { kind: "learning"; record: Learning });
export type Found = Entry & { score: number };

/** Which stores to search: the project's, and the global one unless memory.global is off (null). */
export type Scope = { ws: Workspace; global: StoreFile | null };
export const defaultScope = (ws: Workspace, global: boolean): Scope => ({ ws, global: global ? globalLearnings() : null });

/** Every record of the scope's stores, project first; `episodes` saves a second read when the caller has them. */
export function readEntries(scope: Scope, episodes?: Episode[]): Entry[] {
  const out: Entry[] = (episodes ?? readEpisodes(scope.ws)).map((record) => ({
    id: episodeId(record),
    store: "project",
    kind: "episode",
    record,
  }));
  const learnings = (file: StoreFile): Entry[] =>
    readLearnings(file).map((record) => ({ id: record.id, store: file.name, kind: "learning", record }));
  out.push(...learnings(projectLearnings(scope.ws)));
  if (scope.global) out.push(...learnings(scope.global));
  return out;
}

export const storeFiles = (scope: Scope): StoreFile[] => [
  projectEpisodes(scope.ws),
  projectLearnings(scope.ws),
  ...(scope.global ? [scope.global] : []),
];

/** How many BM25 candidates a filtered search ranks before cutting to k. */
const FILTER_POOL = 200;

/**
 * The `k` records most relevant to `query` over the scope's stores; `keep` filters before the cut.
 * Never writes a store that does not exist yet (no .loki/ made to find there is no memory).
 */
export function searchMemory(
  scope: Scope,
  query: string,
  k: number,
  options: { keep?: (entry: Entry) => boolean; entries?: Entry[]; now?: number } = {},
): Found[] {
  const entries = options.entries ?? readEntries(scope);
  if (entries.length === 0) return [];
  const files = storeFiles(scope);
  try {
    return rank(files, files.map(openStore), entries, query, k, options);
  } catch {
    // A block the checksum passed but that does not decode (a crafted or miswritten index): rebuilt, once.
    for (const file of files) rmSync(file.idx, { force: true });
    return rank(files, files.map(openStore), entries, query, k, options);
  }
}

function rank(
  files: StoreFile[],
  loaded: LoadedIndex[],
  entries: Entry[],
  query: string,
  k: number,
  options: { keep?: (entry: Entry) => boolean; now?: number },
): Found[] {
  const byKey = new Map(entries.map((entry) => [`${entry.store}:${entry.id}`, entry]));
  const fixed = fixedRuns(entries.flatMap((entry) => (entry.kind === "episode" ? [entry.record] : [])));
  const meta = (id: string): EpisodeMeta | undefined => {
    const entry = byKey.get(`project:${id}`) ?? byKey.get(`global:${id}`);
    if (!entry) return undefined;
    if (entry.kind === "learning") return { ts: entry.record.ts, outcome: "failure", hasFix: true };
    const e = entry.record;
    const failed = (e.errors?.length ?? 0) > 0 || e.failures.length > 0;
    return { ts: e.ts, outcome: failed ? "failure" : "success", hasFix: failed && fixed.has(e.run_id) };
  };
  const stores = files.map((file, i) => ({
    name: file.name,
    index: (loaded[i] as LoadedIndex).index,
    tail: (loaded[i] as LoadedIndex).tail,
  }));
  const results = searchStores(stores, query, {
    k: options.keep ? Math.max(k, FILTER_POOL) : k,
    meta,
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  const out: Found[] = [];
  for (const result of results) {
    const entry = byKey.get(`${result.store}:${result.id}`);
    if (!entry || (options.keep && !options.keep(entry))) continue;
    out.push({ ...entry, score: result.score });
    if (out.length === k) break;
  }
  return out;
}

/** Runs whose last recorded iteration made progress with no failure: their earlier failures were fixed. */
function fixedRuns(episodes: readonly Episode[]): Set<string> {
  const last = new Map<string, Episode>();
  for (const episode of episodes) last.set(episode.run_id, episode);
  return new Set([...last].filter(([, e]) => e.result === "progress" && e.failures.length === 0).map(([run]) => run));
}
