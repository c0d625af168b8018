// `loki memory list|search|show|stats|forget|reindex`: what memory holds (this project's episodes, one per
// iteration, and learnings; the global store's learnings from every project), searched the way a run's
// prompt will be, whether it helped, records removed for good from every store, indexes rebuilt. --json on each.
import { loadConfig } from "../core/config.ts";
import { usageError } from "../core/errors.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { color, info, out, outJson } from "../core/log.ts";
import type { Episode, Learning } from "../core/run-schema.ts";
import { findRoot, type Workspace, workspaceAt } from "../core/workspace.ts";
import { type Entry, readEntries, type Scope, searchMemory, storeFiles } from "../memory/query.ts";
import { givenMemories, memoryStats } from "../memory/stats.ts";
import { episodeId, forgetIn, globalLearnings, projectLearnings, readEpisodes, readLearnings, reindexStore } from "../memory/store.ts";

const when = (ts: string) => ts.slice(0, 19).replace("T", " ");

const episodeLine = (e: Episode) => {
  const errors = e.errors?.map((error) => error.type) ?? [];
  const what =
    errors.length > 0
      ? `failed ${errors.join(", ")}`
      : e.failures.length > 0
        ? e.failures[0]
        : e.result === "progress"
          ? "checks passed"
          : e.result.replaceAll("_", " ");
  return `${episodeId(e)}  ${when(e.ts)}  ${e.result.padEnd(12)} ${what}`;
};
const learningLine = (l: Learning, store: string) =>
  `${l.id}  ${when(l.ts)}  ${`learning${store === "global" ? " (global)" : ""}`.padEnd(20)} ${l.symptom[0] ?? ""}`;
const entryLine = (e: Entry) => (e.kind === "episode" ? episodeLine(e.record) : learningLine(e.record, e.store));

/** The stores a command reads: the project's, and the global one unless memory.global is off or `global` is false. */
function scopeOf(global?: boolean): Scope {
  const ws = workspaceAt(findRoot());
  const on = global !== false && loadConfig(ws.root).config.memory.global;
  return { ws, global: on ? globalLearnings() : null };
}

export async function runMemoryList(options: { last?: number; global?: boolean; json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const last = options.last ?? 20;
  if (options.global) {
    const learnings = readLearnings(globalLearnings()).slice(-last);
    if (options.json) outJson({ learnings });
    else if (learnings.length === 0)
      info("the global store holds no learning yet: a run that fixes a failed check adds one (memory.global)");
    else for (const l of learnings) out(`${learningLine(l, "global")}  ${color.dim(`[${l.project}]`)}`);
    return COMMAND_EXIT.ok;
  }
  const episodes = readEpisodes(ws).slice(-last);
  const learnings = readLearnings(projectLearnings(ws)).slice(-last);
  if (options.json) outJson({ episodes, learnings });
  else if (episodes.length === 0 && learnings.length === 0) info("no episodes yet: each iteration of `loki start` records one");
  else {
    for (const e of episodes) out(episodeLine(e));
    for (const l of learnings) out(learningLine(l, "project"));
  }
  return COMMAND_EXIT.ok;
}

export async function runMemorySearch(query: string, options: { limit?: number; global?: boolean; json?: boolean }): Promise<ExitCode> {
  if (query.trim() === "") throw usageError('loki memory search needs words to look for, e.g. loki memory search "cannot find module"');
  const scope = scopeOf(options.global);
  const found = searchMemory(scope, query, options.limit ?? 5);
  if (options.json)
    outJson({ query, results: found.map((f) => ({ id: f.id, store: f.store, kind: f.kind, score: f.score, record: f.record })) });
  else if (found.length === 0) info(`nothing in memory matches "${query}"`);
  else for (const f of found) out(`${color.dim(f.score.toFixed(2))}  ${entryLine(f)}`);
  return COMMAND_EXIT.ok;
}

/** The record named `id` in any store (the project's copy of a learning before the global one). */
function find(ws: Workspace, id: string): Entry | undefined {
  return readEntries({ ws, global: globalLearnings() }).find((entry) => entry.id === id);
}

export async function runMemoryShow(id: string, options: { json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const entry = find(ws, id);
  if (!entry) throw usageError(`no episode or learning ${id} in memory`, { hint: "loki memory list (or list --global) shows their ids" });
  if (options.json) {
    outJson({ store: entry.store, kind: entry.kind, record: entry.record });
    return COMMAND_EXIT.ok;
  }
  out(entryLine(entry));
  if (entry.kind === "learning") {
    const l = entry.record;
    out(
      `project ${l.project}, run ${l.run_id}: iteration ${l.failed_iteration} failed, ${l.fixed_iteration} passed (${l.provider}${l.model ? `, ${l.model}` : ""})`,
    );
    out(`goal: ${l.goal.split("\n")[0]}`);
    for (const s of l.symptom) out(`  symptom: ${s}`);
    out(`  cause: ${l.cause}`);
    out(`  fix: ${l.fix}`);
    if (l.tags.length) out(`tags: ${l.tags.join(", ")}`);
    return COMMAND_EXIT.ok;
  }
  const e = entry.record;
  out(
    `run ${e.run_id}, iteration ${e.iteration}, ${e.provider}${e.model ? ` (${e.model})` : ""}${e.usd !== undefined ? `, $${e.usd.toFixed(2)}` : ""}`,
  );
  if (e.goal) out(`goal: ${e.goal.split("\n")[0]}`);
  for (const error of e.errors ?? []) out(`  ${error.type}: ${error.message}  [${error.fingerprint}]`);
  for (const failure of e.failures) out(`  ${failure}`);
  if (e.files?.length) out(`files: ${e.files.join(", ")}`);
  return COMMAND_EXIT.ok;
}

export async function runMemoryReindex(options: { json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const rebuilt = storeFiles({ ws, global: globalLearnings() }).flatMap((file) => {
    const result = reindexStore(file);
    return result ? [{ store: file.name, kind: file.kind, records: result.records }] : [];
  });
  if (options.json) outJson({ rebuilt });
  else if (rebuilt.length === 0) info("no memory yet: nothing to index");
  else for (const r of rebuilt) out(`rebuilt the ${r.store} ${r.kind} index: ${r.records} ${r.kind}s`);
  return COMMAND_EXIT.ok;
}

/**
 * Removes episodes (this project) and learnings (this project's store and the global one) for good; a
 * forgotten episode takes with it the learnings made from its failure (they quote it).
 */
export async function runMemoryForget(ids: string[], options: { json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const entries = readEntries({ ws, global: globalLearnings() });
  const known = new Set(entries.map((entry) => entry.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw usageError(`no episode or learning ${unknown.join(", ")} in memory; nothing was removed`, {
      hint: "loki memory list (or list --global) shows their ids",
    });
  const episodes = entries.flatMap((entry) => (entry.kind === "episode" && ids.includes(entry.id) ? [entry.record] : []));
  const derived = entries.flatMap((entry) =>
    entry.kind === "learning" && episodes.some((e) => e.run_id === entry.record.run_id && e.iteration === entry.record.failed_iteration)
      ? [entry.id]
      : [],
  );
  const wanted = [...new Set([...ids, ...derived])];
  const removed = storeFiles({ ws, global: globalLearnings() }).flatMap((file) =>
    forgetIn(file, wanted).map((id) => ({ id, store: file.name })),
  );
  if (options.json) outJson({ removed });
  else {
    for (const id of new Set(removed.map((r) => r.id)))
      out(
        `forgot ${id} (${removed
          .filter((r) => r.id === id)
          .map((r) => r.store)
          .join(" and ")})${ids.includes(id) ? "" : ": a learning made from a forgotten episode"}`,
      );
    info("prompts already sent keep their copy (.loki/iterations/<n>/prompt.md)");
  }
  return COMMAND_EXIT.ok;
}

export async function runMemoryStats(options: { json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const stats = memoryStats(readEpisodes(ws), givenMemories(ws), readEntries({ ws, global: globalLearnings() }));
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
