// Compound, the last phase of an iteration: continuity notes, the episode memory keeps and, when its
// checks pass after a failure, the learning (memory/learnings.ts); then the decision whether to ask for
// the ship gate (the agent claimed done, or all is green and settled).
import { existsSync } from "node:fs";
import type { Episode } from "../core/run-schema.ts";
import { episodeErrors, episodeFiles, episodeGoal, iterationCost, newEpisodeId, recordEpisode, seenHashes } from "../memory/episodes.ts";
import { learnFromFix } from "../memory/learnings.ts";
import { globalLearnings, readEpisodes } from "../memory/store.ts";
import { updateContinuity } from "./continuity.ts";
import type { LoopEnv } from "./env.ts";
import { doneSignalPath } from "./signals.ts";
import { settleTask, tasksLeft } from "./tasks.ts";
import type { Verified } from "./verify.ts";

/** The reason to run the ship gate now, or undefined to keep iterating. */
export async function compound(
  env: LoopEnv,
  call: { provider: string; claimedDone: boolean },
  reflected: { changed: boolean; sha: string | null },
  verified: Verified,
): Promise<string | undefined> {
  const { changed } = reflected;
  const { record } = env;
  const n = record.state.iteration;
  const { change, verdict, feedback } = verified;
  const claimed = call.claimedDone || existsSync(doneSignalPath(record.ws));
  updateContinuity(
    record.ws,
    [`iteration ${n}: ${verdict.verdict}; ${change.files.length} files changed since start`],
    feedback[0]?.split("\n")[0],
  );
  const runEpisodes = readEpisodes(record.ws).filter((e) => e.run_id === record.state.run_id);
  const episode: Episode = {
    ts: new Date().toISOString(),
    run_id: record.state.run_id,
    iteration: n,
    provider: call.provider,
    result: !changed ? "no_change" : verdict.verdict === "VERIFIED" ? "progress" : "gates_failed",
    files_changed: change.files.length,
    failures: feedback.map((f) => f.split("\n")[0] ?? f),
    claimed_done: claimed,
    id: newEpisodeId(runEpisodes, record.state.run_id, n),
    model: record.state.model,
    goal: episodeGoal(env.spec.title, env.visible),
    seen: seenHashes(env.visible),
    errors: episodeErrors(verified.gates, record.ws.root),
    files: episodeFiles(change.files.map((file) => file.path)),
    ...(reflected.sha ? { sha: reflected.sha } : {}),
    usd: iterationCost(record.ws, record.state.run_id, n),
  };
  recordEpisode(record.ws, episode, "boundary");
  // The task worked this iteration: done on passing checks (or, inconclusive ones, with a change made).
  const passed = verdict.verdict === "VERIFIED" || (verdict.verdict === "CONCERNS" && changed);
  settleTask(
    env,
    passed,
    feedback.map((f) => f.split("\n")[0] ?? f),
  );
  if (verdict.verdict === "VERIFIED") await learn(env, episode, runEpisodes);
  const looksMet = verdict.verdict === "VERIFIED" && !changed && n > 1 && !tasksLeft(env);
  return claimed ? "the agent claimed done" : looksMet ? "all checks green and the agent made no further changes" : undefined;
}

/** The learning from the failure this passing iteration fixed, if any; memory never fails an iteration. */
async function learn(env: LoopEnv, episode: Episode, runEpisodes: Episode[]): Promise<void> {
  const { record } = env;
  const warn = (message: string) => record.emit({ kind: "warning", message });
  try {
    const learning = await learnFromFix(record.ws, episode, runEpisodes, env.config.memory.global ? globalLearnings() : null, warn);
    if (learning)
      record.emit({ kind: "memory_learned", id: learning.id, symptom: learning.symptom[0] ?? "", global: env.config.memory.global });
  } catch (error) {
    warn(`memory: no learning recorded for iteration ${episode.iteration}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
