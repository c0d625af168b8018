// Whether memory helped, from the record alone: per run (in order), its failure fingerprints, how many
// an earlier run had already hit (repeats), whether its prompts were given memories, and whether it hit
// again a failure one of those memories described. memoryStats is pure; runMemory reads the record.
import { type Episode, LokiEvent } from "../core/run-schema.ts";
import { readJsonlAgain } from "../core/jsonl-again.ts";
import type { Workspace } from "../core/workspace.ts";
import { type Entry, readEntries } from "./query.ts";
import { globalLearnings, readEpisodes } from "./store.ts";

export type RunStats = {
  run_id: string;
  started: string;
  failures: number;
  repeats: number;
  /** Memories its prompts were given (ids, from prompt_built events). */
  memories: string[];
  /** Failures an injected memory had described, hit again all the same. */
  hit_again: number;
  /** The fingerprints behind `repeats` and `hit_again`. */
  repeated: string[];
  hit_again_of: string[];
};

export type Group = { runs: number; failures: number; repeats: number; repeat_rate: number | null };
export type MemoryStats = { runs: RunStats[]; with_memory: Group; without_memory: Group };

const fingerprints = (episode: Episode) =>
  episode.errors?.length ? episode.errors.map((e) => e.fingerprint) : episode.failures.map((f) => `line:${f.split("\n")[0] ?? f}`);

/**
 * `entries` (query.ts readEntries) lets a given learning's fingerprints count as warned: a run given
 * "x failed, fixed by y" that fails x all the same hit it again.
 */
export function memoryStats(
  episodes: readonly Episode[],
  given: ReadonlyMap<string, readonly string[]>,
  entries: readonly Entry[] = [],
): MemoryStats {
  const byRun = new Map<string, Episode[]>();
  for (const episode of episodes) byRun.set(episode.run_id, [...(byRun.get(episode.run_id) ?? []), episode]);
  const warns = new Map<string, string[]>(
    episodes.map((episode) => [episode.id ?? `ep_${episode.run_id}_${episode.iteration}`, fingerprints(episode)]),
  );
  for (const entry of entries) if (entry.kind === "learning") warns.set(entry.id, entry.record.fingerprints);
  const seen = new Set<string>();
  const runs: RunStats[] = [];
  const ordered = [...byRun].sort(([, a], [, b]) => ((a[0]?.ts ?? "") < (b[0]?.ts ?? "") ? -1 : 1));
  for (const [runId, list] of ordered) {
    const mine = new Set(list.flatMap(fingerprints));
    const memories = [...new Set(given.get(runId) ?? [])];
    const warned = new Set(memories.flatMap((id) => warns.get(id) ?? []));
    const repeated = [...mine].filter((f) => seen.has(f));
    const again = [...mine].filter((f) => warned.has(f));
    runs.push({
      run_id: runId,
      started: list[0]?.ts ?? "",
      failures: mine.size,
      repeats: repeated.length,
      memories,
      hit_again: again.length,
      repeated,
      hit_again_of: again,
    });
    for (const f of mine) seen.add(f);
  }
  const group = (list: RunStats[]): Group => {
    const failures = list.reduce((sum, r) => sum + r.failures, 0);
    const repeats = list.reduce((sum, r) => sum + r.repeats, 0);
    return { runs: list.length, failures, repeats, repeat_rate: failures === 0 ? null : repeats / failures };
  };
  return {
    runs,
    with_memory: group(runs.filter((r) => r.memories.length > 0)),
    without_memory: group(runs.filter((r) => r.memories.length === 0)),
  };
}

/** Memories each run's prompts were given, from the prompt_built events. */
export function givenMemories(ws: Workspace): Map<string, string[]> {
  const given = new Map<string, string[]>();
  for (const event of readJsonlAgain(ws.events, LokiEvent, () => {}))
    if (event.kind === "prompt_built" && event.memories?.length)
      given.set(event.run_id, [...(given.get(event.run_id) ?? []), ...event.memories]);
  return given;
}

/** What memory did for run `runId` (the proof's and the evidence's `memory`). */
export type RunMemory = {
  given: string[];
  failures: number;
  repeats: number;
  hit_again: number;
  repeated: string[];
  hit_again_of: string[];
};

/**
 * What memory did for run `runId`; undefined when the run recorded no episode and `pending` is empty.
 * `pending`: the fingerprints of failures the run has hit but not yet recorded (the evidence is written
 * before the iteration's episode). Never throws.
 */
export function runMemory(ws: Workspace, runId: string, pending: readonly string[] = []): RunMemory | undefined {
  try {
    const episodes = readEpisodes(ws);
    if (pending.length > 0)
      episodes.push({
        ts: new Date().toISOString(),
        run_id: runId,
        iteration: 0,
        provider: "",
        result: "gates_failed",
        files_changed: 0,
        failures: [],
        claimed_done: false,
        errors: pending.map((fingerprint) => ({ type: "", message: "", fingerprint })),
      });
    const stats = memoryStats(episodes, givenMemories(ws), readEntries({ ws, global: globalLearnings() }));
    const run = stats.runs.find((r) => r.run_id === runId);
    if (!run) return undefined;
    const { memories, failures, repeats, hit_again, repeated, hit_again_of } = run;
    return {
      given: memories.slice(0, 200),
      failures,
      repeats,
      hit_again,
      repeated: repeated.slice(0, 200),
      hit_again_of: hit_again_of.slice(0, 200),
    };
  } catch {
    return undefined;
  }
}
