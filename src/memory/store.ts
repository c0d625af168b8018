// This project's memory store: .loki/memory/episodes.jsonl (the source of truth) and episodes.idx beside
// it, loaded and refreshed under the store's lock, searched with search.ts's rerank. What an episode
// contributes to the index is its goal, failures and errors, and the files it touched.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Episode } from "../core/run-schema.ts";
import { readJsonl, withLock, type Workspace } from "../core/workspace.ts";
import type { Doc } from "./bm25.ts";
import { type LoadedIndex, refreshIndex } from "./index-file.ts";
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

/** The store's index, brought up to date with the JSONL (persisted again when it had to be rebuilt or grew). */
export function openStore(ws: Workspace): LoadedIndex {
  return withLock(ws.episodes, () => refreshIndex(ws.episodes, indexPath(ws), episodeDoc));
}

export function readEpisodes(ws: Workspace): Episode[] {
  return existsSync(ws.episodes) ? readJsonl(ws.episodes, Episode) : [];
}

export type Found = { episode: Episode; score: number };

/** The `k` episodes most relevant to `query`, failures that were later fixed and recent ones first. */
export function searchEpisodes(ws: Workspace, query: string, k: number): Found[] {
  // No memory yet: nothing to search, and nothing (not even .loki/) written to find that out.
  if (!existsSync(ws.episodes)) return [];
  const loaded = openStore(ws);
  const episodes = readEpisodes(ws);
  const byId = new Map(episodes.map((episode) => [episodeId(episode), episode]));
  const fixed = fixedRuns(episodes);
  const results: Result[] = searchStores([{ name: "project", index: loaded.index, tail: loaded.tail }], query, {
    k,
    meta: (id) => {
      const e = byId.get(id);
      if (!e) return undefined;
      const failed = (e.errors?.length ?? 0) > 0 || e.failures.length > 0;
      return { ts: e.ts, outcome: failed ? "failure" : "success", hasFix: failed && fixed.has(e.run_id) };
    },
  });
  return results.flatMap((result) => {
    const episode = byId.get(result.id);
    return episode ? [{ episode, score: result.score }] : [];
  });
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
