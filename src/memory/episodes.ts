// Episodic memory: one record per iteration (what was tried, what failed) and the retrieval of
// this project's recent failures for the next prompt's "PAST FAILURES TO AVOID".
import { appendJsonl, readJsonl, type Workspace } from "../core/workspace.ts";
import { Episode } from "../core/run-schema.ts";

export function recordEpisode(ws: Workspace, episode: Episode): void {
  appendJsonl(ws.episodes, Episode, episode);
}

/** Distinct failure lines from the most recent episodes (newest first), at most `limit`. */
export function pastFailures(ws: Workspace, limit = 5): string[] {
  const episodes = readJsonl(ws.episodes, Episode);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const episode of episodes.reverse()) {
    for (const failure of episode.failures) {
      const line = failure.split("\n")[0]?.trim() ?? "";
      if (line === "" || seen.has(line)) continue;
      seen.add(line);
      out.push(line);
      if (out.length >= limit) return out;
    }
  }
  return out;
}
