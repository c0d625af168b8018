// What memory puts in a build prompt: the earlier runs' failures most relevant to what is being built
// now, one line each (the failed checks' own words and the files involved — text that already went to
// an agent once, so no held-out item's), within a byte budget, with the ids logged by the caller.
import type { Workspace } from "../core/workspace.ts";
import { episodeId, searchEpisodes } from "./store.ts";

export type Memory = { id: string; line: string };

/** Bytes of the RELEVANT MEMORIES block at most: memory informs the prompt, it must not crowd it. */
export const MEMORY_BUDGET = 1500;
const LINE_CHARS = 300;

/** The failures of earlier runs (not `runId`'s own: its feedback already says those) relevant to `query`. */
export function relevantMemories(ws: Workspace, query: string, runId: string, k = 5): Memory[] {
  let found: ReturnType<typeof searchEpisodes>;
  try {
    found = searchEpisodes(ws, query, k * 3);
  } catch {
    // Memory only ever helps: a store that cannot be read leaves the prompt without it.
    return [];
  }
  const out: Memory[] = [];
  let bytes = 0;
  for (const { episode } of found) {
    if (episode.run_id === runId) continue;
    const failures = [...(episode.errors ?? []).map((e) => `${e.type}: ${e.message}`), ...episode.failures];
    if (failures.length === 0) continue;
    const files = (episode.files ?? []).slice(0, 3);
    const text = `${[...new Set(failures)].slice(0, 2).join("; ")}${files.length > 0 ? ` (files: ${files.join(", ")})` : ""}`;
    const line = text.length > LINE_CHARS ? `${text.slice(0, LINE_CHARS - 1)}…` : text;
    const size = Buffer.byteLength(line) + 40;
    if (bytes + size > MEMORY_BUDGET) break;
    bytes += size;
    out.push({ id: episodeId(episode), line });
    if (out.length >= k) break;
  }
  return out;
}
