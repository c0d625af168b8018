// This project's memory store: .loki/memory/episodes.jsonl (the source of truth) and episodes.idx beside
// it, loaded and refreshed under the store's lock, searched with search.ts's rerank. What an episode
// contributes to the index is its goal, failures and errors, and the files it touched.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Episode } from "../core/run-schema.ts";
import { readJsonl, withLock, type Workspace, writeFileAtomic } from "../core/workspace.ts";
import type { Doc } from "./bm25.ts";
import { type LoadedIndex, loadIndex, refreshIndex } from "./index-file.ts";
import { type Result, searchStores } from "./search.ts";

/** An episode as the index and the commands name it: its id, or (older episodes) run and iteration. */
export const episodeId = (episode: Episode) => episode.id ?? `ep_${episode.run_id}_${episode.iteration}`;

/** The indexed text of one JSONL record; null for a record that is no episode. */
export function episodeDoc(line: unknown): Doc | null {
  const parsed = Episode.safeParse(line);
  if (!parsed.success) return null;
  const e = parsed.data;
  const errors = (e.errors ?? []).map((error) => `${error.type}: ${error.message}`);
  const text = [e.goal ?? "", ...e.failures, ...errors, ...(e.files ?? [])].join("\n");
  return { id: episodeId(e), text };
}

export const indexPath = (ws: Workspace) => join(ws.dir, "memory", "episodes.idx");

/** Lines past the persisted index before a search writes it again (research/MEMORY.md's compaction). */
const COMPACT_TAIL = 1000;

/**
 * The store's index, up to date with the JSONL: the persisted index plus the appended tail, read without
 * the lock (a torn last line waits for a later load). Written again, under the lock, only when it had
 * to be rebuilt or its tail passed COMPACT_TAIL lines — not on every iteration's search.
 */
export function openStore(ws: Workspace): LoadedIndex {
  const loaded = loadIndex(ws.episodes, indexPath(ws), episodeDoc);
  const stale = (loaded.rebuilt !== null && loaded.rebuilt !== "no JSONL") || loaded.tail.ids.length > COMPACT_TAIL;
  return stale ? withLock(ws.episodes, () => refreshIndex(ws.episodes, indexPath(ws), episodeDoc)) : loaded;
}

export function readEpisodes(ws: Workspace): Episode[] {
  return existsSync(ws.episodes) ? readJsonl(ws.episodes, Episode) : [];
}

export type Found = { episode: Episode; score: number };

/** The `k` episodes most relevant to `query`, failures that were later fixed and recent ones first. */
/** How many BM25 candidates a filtered search ranks before cutting to k. */
const FILTER_POOL = 200;

/**
 * The `k` episodes most relevant to `query`, failures that were later fixed and recent ones first;
 * `keep` filters before the cut; `episodes` saves a second read of the JSONL when the caller has it.
 */
export function searchEpisodes(
  ws: Workspace,
  query: string,
  k: number,
  options: { keep?: (episode: Episode) => boolean; episodes?: Episode[] } = {},
): Found[] {
  // No memory yet: nothing to search, and nothing (not even .loki/) written to find that out.
  if (!existsSync(ws.episodes)) return [];
  const episodes = options.episodes ?? readEpisodes(ws);
  try {
    return rankEpisodes(openStore(ws), episodes, query, k, options.keep);
  } catch {
    // A block the checksum passed but that does not decode (a crafted or miswritten index): rebuilt, once.
    rmSync(indexPath(ws), { force: true });
    return rankEpisodes(openStore(ws), episodes, query, k, options.keep);
  }
}

function rankEpisodes(loaded: LoadedIndex, episodes: Episode[], query: string, k: number, keep?: (episode: Episode) => boolean): Found[] {
  const byId = new Map(episodes.map((episode) => [episodeId(episode), episode]));
  const fixed = fixedRuns(episodes);
  const results: Result[] = searchStores([{ name: "project", index: loaded.index, tail: loaded.tail }], query, {
    k: keep ? Math.max(k, FILTER_POOL) : k,
    meta: (id) => {
      const e = byId.get(id);
      if (!e) return undefined;
      const failed = (e.errors?.length ?? 0) > 0 || e.failures.length > 0;
      return { ts: e.ts, outcome: failed ? "failure" : "success", hasFix: failed && fixed.has(e.run_id) };
    },
  });
  return results
    .flatMap((result) => {
      const episode = byId.get(result.id);
      return episode && (!keep || keep(episode)) ? [{ episode, score: result.score }] : [];
    })
    .slice(0, k);
}

/** Runs whose last recorded iteration made progress with no failure: their earlier failures were fixed. */
function fixedRuns(episodes: readonly Episode[]): Set<string> {
  const last = new Map<string, Episode>();
  for (const episode of episodes) last.set(episode.run_id, episode);
  return new Set([...last].filter(([, e]) => e.result === "progress" && e.failures.length === 0).map(([run]) => run));
}

/** Drops the persisted index and builds it again from the JSONL. */
export function reindex(ws: Workspace): { episodes: number; rebuilt: string | null } {
  if (!existsSync(ws.episodes)) return { episodes: 0, rebuilt: "no episodes yet" };
  return withLock(ws.episodes, () => {
    rmSync(indexPath(ws), { force: true });
    const loaded = refreshIndex(ws.episodes, indexPath(ws), episodeDoc);
    return { episodes: loaded.index.ids.length + loaded.tail.ids.length, rebuilt: loaded.rebuilt };
  });
}

/**
 * Removes the named episodes from the store (the JSONL rewritten atomically under the store's lock; the
 * index dropped, to be rebuilt). Lines that are no episode stay as they were. Returns the ids removed.
 */
export function forgetEpisodes(ws: Workspace, ids: readonly string[]): string[] {
  if (!existsSync(ws.episodes)) return [];
  const wanted = new Set(ids);
  return withLock(ws.episodes, () => {
    const removed: string[] = [];
    const kept: string[] = [];
    for (const line of readFileSync(ws.episodes, "utf8").split("\n")) {
      if (line === "") continue;
      let id: string | null = null;
      try {
        const parsed = Episode.safeParse(JSON.parse(line));
        id = parsed.success ? episodeId(parsed.data) : null;
      } catch {
        id = null;
      }
      if (id !== null && wanted.has(id)) removed.push(id);
      else kept.push(line);
    }
    if (removed.length === 0) return removed;
    // The index first: a crash between the two must not leave an index that a longer JSONL later matches.
    rmSync(indexPath(ws), { force: true });
    writeFileAtomic(ws.episodes, kept.length > 0 ? `${kept.join("\n")}\n` : "");
    return removed;
  });
}
