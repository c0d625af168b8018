// What memory puts in a build prompt: the earlier runs' failures most relevant to what is being built
// now, one line each (the failed checks' own words and the files involved), within a byte budget, with
// the ids logged by the caller. Only episodes `keep` allows (episodes.ts safeFor: none from a run that
// could see an item held out now), none of this run's own, each line made one line.
import type { Episode } from "../core/run-schema.ts";
import type { Workspace } from "../core/workspace.ts";
import { oneLine } from "./episodes.ts";
import { episodeId, searchEpisodes } from "./store.ts";

export type Memory = { id: string; line: string };

/** Bytes of the RELEVANT MEMORIES block at most: memory informs the prompt, it must not crowd it. */
export const MEMORY_BUDGET = 1500;
const LINE_CHARS = 300;

/** The failures of earlier runs (not `runId`'s own: its feedback already says those) relevant to `query`. */
export function relevantMemories(
  ws: Workspace,
  query: string,
  runId: string,
  options: { k?: number; keep?: (episode: Episode) => boolean; episodes?: Episode[] } = {},
): Memory[] {
  const k = options.k ?? 5;
  const keep = options.keep ?? (() => true);
  let found: ReturnType<typeof searchEpisodes>;
  try {
    // Filtered before the top-k cut: this run's own episodes match best and must not crowd the rest out.
    found = searchEpisodes(ws, query, k * 3, {
      keep: (episode) => episode.run_id !== runId && keep(episode),
      ...(options.episodes ? { episodes: options.episodes } : {}),
    });
  } catch {
    // Memory only ever helps: a store that cannot be read leaves the prompt without it.
    return [];
  }
  const out: Memory[] = [];
  let bytes = 0;
  for (const { episode } of found) {
    // The gates' errors when recorded (the feedback lines say the same in other words), else the lines.
    const failures = episode.errors?.length ? episode.errors.map((e) => `${e.type}: ${e.message}`) : episode.failures;
    if (failures.length === 0) continue;
    const files = (episode.files ?? []).slice(0, 3);
    const text = oneLine(`${[...new Set(failures)].slice(0, 2).join("; ")}${files.length > 0 ? ` (files: ${files.join(", ")})` : ""}`);
    const line = text.length > LINE_CHARS ? `${text.slice(0, LINE_CHARS - 1)}…` : text;
    const size = Buffer.byteLength(line) + 40;
    if (bytes + size > MEMORY_BUDGET) break;
    bytes += size;
    out.push({ id: episodeId(episode), line });
    if (out.length >= k) break;
  }
  return out;
}
