// `loki memory list|search|show|stats|forget|reindex`: what this project's memory holds (one episode per
// iteration of every run), searched the way a run's prompt will be, whether it helped (repeat failures
// with and without memories given), episodes removed for good, and its index rebuilt. --json on each.
import type { Episode } from "../core/run-schema.ts";
import { usageError } from "../core/errors.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { color, info, out, outJson } from "../core/log.ts";
import { findRoot, workspaceAt } from "../core/workspace.ts";
import { givenMemories, memoryStats } from "../memory/stats.ts";
import { episodeId, forgetEpisodes, readEpisodes, reindex, searchEpisodes } from "../memory/store.ts";

const line = (e: Episode) => {
  const errors = e.errors?.map((error) => error.type) ?? [];
  const what = errors.length > 0 ? `failed ${errors.join(", ")}` : e.failures.length > 0 ? e.failures[0] : e.result.replaceAll("_", " ");
  return `${episodeId(e)}  ${e.ts.slice(0, 19).replace("T", " ")}  ${e.result.padEnd(12)} ${what}`;
};

export async function runMemoryList(options: { last?: number; json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const episodes = readEpisodes(ws).slice(-(options.last ?? 20));
  if (options.json) outJson({ episodes });
  else if (episodes.length === 0) info("no episodes yet: each iteration of `loki start` records one");
  else for (const e of episodes) out(line(e));
  return COMMAND_EXIT.ok;
}

export async function runMemorySearch(query: string, options: { limit?: number; json?: boolean }): Promise<ExitCode> {
  if (query.trim() === "") throw usageError('loki memory search needs words to look for, e.g. loki memory search "cannot find module"');
  const ws = workspaceAt(findRoot());
  const found = searchEpisodes(ws, query, options.limit ?? 5);
  if (options.json) outJson({ query, results: found.map((f) => ({ id: episodeId(f.episode), score: f.score, episode: f.episode })) });
  else if (found.length === 0) info(`nothing in this project's memory matches "${query}"`);
  else for (const f of found) out(`${color.dim(f.score.toFixed(2))}  ${line(f.episode)}`);
  return COMMAND_EXIT.ok;
}

export async function runMemoryShow(id: string, options: { json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const episode = readEpisodes(ws).find((e) => episodeId(e) === id);
  if (!episode) throw usageError(`no episode ${id} in this project's memory`, { hint: "loki memory list shows their ids" });
  if (options.json) {
    outJson(episode);
    return COMMAND_EXIT.ok;
  }
  out(line(episode));
  out(`run ${episode.run_id}, iteration ${episode.iteration}, ${episode.provider}${episode.model ? ` (${episode.model})` : ""}`);
  if (episode.goal) out(`goal: ${episode.goal.split("\n")[0]}`);
  for (const error of episode.errors ?? []) out(`  ${error.type}: ${error.message}  [${error.fingerprint}]`);
  for (const failure of episode.failures) out(`  ${failure}`);
  if (episode.files?.length) out(`files: ${episode.files.join(", ")}`);
  return COMMAND_EXIT.ok;
}

export async function runMemoryReindex(options: { json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const result = reindex(ws);
  if (options.json) outJson(result);
  else out(`rebuilt the memory index: ${result.episodes} episodes`);
  return COMMAND_EXIT.ok;
}

export async function runMemoryForget(ids: string[], options: { json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const known = new Set(readEpisodes(ws).map(episodeId));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw usageError(`no episode ${unknown.join(", ")} in this project's memory; nothing was removed`, {
      hint: "loki memory list shows their ids",
    });
  const removed = forgetEpisodes(ws, ids);
  if (options.json) outJson({ removed });
  else out(`forgot ${removed.length} episode${removed.length === 1 ? "" : "s"}: ${removed.join(", ")}`);
  return COMMAND_EXIT.ok;
}

export async function runMemoryStats(options: { json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const stats = memoryStats(readEpisodes(ws), givenMemories(ws));
  if (options.json) {
    outJson(stats);
    return COMMAND_EXIT.ok;
  }
  if (stats.runs.length === 0) {
    info("no runs recorded yet: each iteration of `loki start` records an episode");
    return COMMAND_EXIT.ok;
  }
  const rate = (g: typeof stats.with_memory) =>
    g.repeat_rate === null ? "no failures" : `${(g.repeat_rate * 100).toFixed(0)} % of ${g.failures} failures were repeats`;
  out(`runs given memories:     ${stats.with_memory.runs}  (${rate(stats.with_memory)})`);
  out(`runs without memories:   ${stats.without_memory.runs}  (${rate(stats.without_memory)})`);
  const again = stats.runs.reduce((sum, r) => sum + r.hit_again, 0);
  out(`failures a given memory had described, hit again: ${again}`);
  out("a repeat: a failure (by fingerprint) an earlier run of this project had already hit");
  return COMMAND_EXIT.ok;
}
