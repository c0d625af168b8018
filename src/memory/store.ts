// The memory stores as files: this project's episodes and learnings (.loki/memory/) and the global
// learnings (~/.loki/memory/), each a JSONL (the source of truth) with a persisted index beside it,
// loaded without the lock and rewritten only under it. What a record contributes to its index is here.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Episode, Learning } from "../core/run-schema.ts";
import { readJsonlAgain } from "../core/jsonl-again.ts";
import { lokiHomeAt, readJsonl, withLock, type Workspace, writeFileAtomic } from "../core/workspace.ts";
import type { Doc } from "./bm25.ts";
import { type DocOf, type LoadedIndex, loadIndex, refreshIndex } from "./index-file.ts";
import type { StoreName } from "./search.ts";

export type StoreKind = "episode" | "learning";
/** One JSONL store and its index. */
export type StoreFile = { name: StoreName; kind: StoreKind; jsonl: string; idx: string };

export const projectEpisodes = (ws: Workspace): StoreFile => ({
  name: "project",
  kind: "episode",
  jsonl: ws.episodes,
  idx: join(ws.dir, "memory", "episodes.idx"),
});
export const projectLearnings = (ws: Workspace): StoreFile => ({
  name: "project",
  kind: "learning",
  jsonl: ws.learnings,
  idx: join(ws.dir, "memory", "learnings.idx"),
});
/** The global store: learnings from every project (memory.global), under ~/.loki/memory/ by default. */
export const globalLearnings = (dir: string = lokiHomeAt().memory): StoreFile => ({
  name: "global",
  kind: "learning",
  jsonl: join(dir, "learnings.jsonl"),
  idx: join(dir, "learnings.idx"),
});

/** An episode as the index and the commands name it: its id, or (older episodes) run and iteration. */
export const episodeId = (episode: Episode) => episode.id ?? `ep_${episode.run_id}_${episode.iteration}`;

/** The indexed text of one episode record; null for a record that is no episode. */
export function episodeDoc(line: unknown): Doc | null {
  const parsed = Episode.safeParse(line);
  if (!parsed.success) return null;
  const e = parsed.data;
  const errors = (e.errors ?? []).map((error) => `${error.type}: ${error.message}`);
  return { id: episodeId(e), text: [e.goal ?? "", ...e.failures, ...errors, ...(e.files ?? [])].join("\n") };
}

/** The indexed text of one learning: what was built, what failed and where, what fixed it, the tags. */
export function learningDoc(line: unknown): Doc | null {
  const parsed = Learning.safeParse(line);
  if (!parsed.success) return null;
  const l = parsed.data;
  return { id: l.id, text: [l.goal, ...l.symptom, l.cause, l.fix, ...l.files, ...l.tags].join("\n") };
}

const docOf = (kind: StoreKind): DocOf => (kind === "episode" ? episodeDoc : learningDoc);
const idOf = (kind: StoreKind, line: unknown): string | null => docOf(kind)(line)?.id ?? null;

/** Lines past the persisted index before a search writes it again (research/MEMORY.md's compaction). */
const COMPACT_TAIL = 1000;

/**
 * A store's index, up to date with its JSONL: the persisted index plus the appended tail, read without
 * the lock (a torn last line waits for a later load). Written again, under the lock, only when it had
 * to be rebuilt or its tail passed COMPACT_TAIL lines — not on every iteration's search.
 */
export function openStore(file: StoreFile): LoadedIndex {
  const loaded = loadIndex(file.jsonl, file.idx, docOf(file.kind));
  const stale = (loaded.rebuilt !== null && loaded.rebuilt !== "no JSONL") || loaded.tail.ids.length > COMPACT_TAIL;
  return stale ? withLock(file.jsonl, () => refreshIndex(file.jsonl, file.idx, docOf(file.kind))) : loaded;
}

export function readEpisodes(ws: Workspace): Episode[] {
  return readJsonlAgain(ws.episodes, Episode);
}

export function readLearnings(file: StoreFile): Learning[] {
  return existsSync(file.jsonl) ? readJsonl(file.jsonl, Learning) : [];
}

/** Drops a store's persisted index and builds it again from the JSONL; null when the store has no JSONL. */
export function reindexStore(file: StoreFile): { records: number; rebuilt: string | null } | null {
  if (!existsSync(file.jsonl)) return null;
  return withLock(file.jsonl, () => {
    rmSync(file.idx, { force: true });
    const loaded = refreshIndex(file.jsonl, file.idx, docOf(file.kind));
    return { records: loaded.index.ids.length + loaded.tail.ids.length, rebuilt: loaded.rebuilt };
  });
}

/**
 * Removes the named records from a store (the JSONL rewritten atomically under the store's lock; the
 * index dropped, to be rebuilt). Lines that are no record of the store's kind stay. Returns the ids removed.
 */
export function forgetIn(file: StoreFile, ids: readonly string[]): string[] {
  if (!existsSync(file.jsonl)) return [];
  const wanted = new Set(ids);
  return withLock(file.jsonl, () => {
    const removed: string[] = [];
    const kept: string[] = [];
    for (const line of readFileSync(file.jsonl, "utf8").split("\n")) {
      if (line === "") continue;
      let id: string | null = null;
      try {
        id = idOf(file.kind, JSON.parse(line));
      } catch {
        id = null;
      }
      if (id !== null && wanted.has(id)) removed.push(id);
      else kept.push(line);
    }
    if (removed.length === 0) return removed;
    // The index first: a crash between the two must not leave an index that a longer JSONL later matches.
    rmSync(file.idx, { force: true });
    writeFileAtomic(file.jsonl, kept.length > 0 ? `${kept.join("\n")}\n` : "");
    return removed;
  });
}
