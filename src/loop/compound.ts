// Compound, the last phase of an iteration: continuity notes and the episode memory keeps, then the
// decision whether to ask for the ship gate (the agent claimed done, or all is green and settled).
import { existsSync } from "node:fs";
import { episodeErrors, episodeFiles, episodeGoal, recordEpisode } from "../memory/episodes.ts";
import { updateContinuity } from "./continuity.ts";
import type { LoopEnv } from "./env.ts";
import { doneSignalPath } from "./signals.ts";
import type { Verified } from "./verify.ts";

/** The reason to run the ship gate now, or undefined to keep iterating. */
export function compound(
  env: LoopEnv,
  call: { provider: string; claimedDone: boolean },
  changed: boolean,
  verified: Verified,
): string | undefined {
  const { record } = env;
  const n = record.state.iteration;
  const { change, verdict, feedback } = verified;
  const claimed = call.claimedDone || existsSync(doneSignalPath(record.ws));
  updateContinuity(
    record.ws,
    [`iteration ${n}: ${verdict.verdict}; ${change.files.length} files changed since start`],
    feedback[0]?.split("\n")[0],
  );
  recordEpisode(record.ws, {
    ts: new Date().toISOString(),
    run_id: record.state.run_id,
    iteration: n,
    provider: call.provider,
    result: !changed ? "no_change" : verdict.verdict === "VERIFIED" ? "progress" : "gates_failed",
    files_changed: change.files.length,
    failures: feedback.map((f) => f.split("\n")[0] ?? f),
    claimed_done: claimed,
    id: `ep_${record.state.run_id}_${n}`,
    model: record.state.model,
    goal: episodeGoal(env.spec.title, env.visible),
    errors: episodeErrors(verified.gates),
    files: episodeFiles(change.files.map((file) => file.path)),
  });
  const looksMet = verdict.verdict === "VERIFIED" && !changed && n > 1;
  return claimed ? "the agent claimed done" : looksMet ? "all checks green and the agent made no further changes" : undefined;
}
