// Whether memory helped, from the record alone: per run (in order), its failure fingerprints, how many
// an earlier run had already hit (repeats), whether its prompts were given memories, and whether it hit
// again a failure one of those memories described. memoryStats is pure; runMemory reads the record.
import { type Episode, LokiEvent } from "../core/run-schema.ts";
import { readJsonl, type Workspace } from "../core/workspace.ts";
import { readEpisodes } from "./store.ts";

export type RunStats = {
  run_id: string;
  started: string;
  failures: number;
  repeats: number;
  /** Memories its prompts were given (ids, from prompt_built events). */
  memories: string[];
  /** Failures an injected memory had described, hit again all the same. */
  hit_again: number;
};

export type Group = { runs: number; failures: number; repeats: number; repeat_rate: number | null };
export type MemoryStats = { runs: RunStats[]; with_memory: Group; without_memory: Group };

const fingerprints = (episode: Episode) =>
  episode.errors?.length ? episode.errors.map((e) => e.fingerprint) : episode.failures.map((f) => `line:${f.split("\n")[0] ?? f}`);

export function memoryStats(episodes: readonly Episode[], given: ReadonlyMap<string, readonly string[]>): MemoryStats {
  const byRun = new Map<string, Episode[]>();
  for (const episode of episodes) byRun.set(episode.run_id, [...(byRun.get(episode.run_id) ?? []), episode]);
  const byId = new Map(episodes.map((episode) => [episode.id ?? `ep_${episode.run_id}_${episode.iteration}`, episode]));
  const seen = new Set<string>();
  const runs: RunStats[] = [];
  const ordered = [...byRun].sort(([, a], [, b]) => ((a[0]?.ts ?? "") < (b[0]?.ts ?? "") ? -1 : 1));
  for (const [runId, list] of ordered) {
    const mine = new Set(list.flatMap(fingerprints));
    const memories = [...new Set(given.get(runId) ?? [])];
    const warned = new Set(memories.flatMap((id) => (byId.get(id) ? fingerprints(byId.get(id) as Episode) : [])));
    runs.push({
      run_id: runId,
      started: list[0]?.ts ?? "",
      failures: mine.size,
      repeats: [...mine].filter((f) => seen.has(f)).length,
      memories,
      hit_again: [...mine].filter((f) => warned.has(f)).length,
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
  for (const event of readJsonl(ws.events, LokiEvent, () => {}))
    if (event.kind === "prompt_built" && event.memories?.length)
      given.set(event.run_id, [...(given.get(event.run_id) ?? []), ...event.memories]);
  return given;
}

/** What memory did for run `runId` (the proof's `memory`); undefined when the run recorded no episode. Never throws. */
export function runMemory(
  ws: Workspace,
  runId: string,
): { given: string[]; failures: number; repeats: number; hit_again: number } | undefined {
  try {
    const stats = memoryStats(readEpisodes(ws), givenMemories(ws));
    const run = stats.runs.find((r) => r.run_id === runId);
    return run ? { given: run.memories.slice(0, 200), failures: run.failures, repeats: run.repeats, hit_again: run.hit_again } : undefined;
  } catch {
    return undefined;
  }
}
