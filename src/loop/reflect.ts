// Reflect, the third phase of an iteration: whatever the agent left on disk is checkpointed (success
// or not), stagnation is counted from the tree, and a failed call or a spent budget stops here.
// On resume, an iteration about to be redone first takes back its own checkpoints (foldCheckpoints).
import { commitCheckpoint, git } from "../core/git.ts";
import { type GradingRevisions, headForGrading } from "../core/git-repo.ts";
import type { OrchestratorState } from "../core/run-schema.ts";
import { episodeGoal, iterationCost, newEpisodeId, recordEpisode, seenHashes } from "../memory/episodes.ts";
import { readEpisodes } from "../memory/store.ts";
import type { CallResult } from "../providers/call.ts";
import { budgetReason, checkBudget } from "./budget.ts";
import { updateContinuity } from "./continuity.ts";
import type { LoopEnv, LoopResult } from "./env.ts";
import { isAbsolute, relative } from "node:path";
import { specPaths } from "../sandbox/spec-paths.ts";

/** The subject of iteration `n`'s checkpoint commit: what foldCheckpoints looks for. */
export const checkpointMessage = (n: number) => `loki: iteration ${n}`;

/** `sha`: the iteration's checkpoint commit (memory diffs a later fix from it). `stagnation`: saved
 *  here when the iteration stops or skips its checks, else with the verify phase's save (one write less).
 *  `grading`: what the verify phase reads first, read with HEAD in the checkpoint's own rev-parse. */
export type Reflected = {
  changed: boolean;
  sha: string | null;
  grading: GradingRevisions | null;
  stop?: LoopResult;
  skipVerify: boolean;
  stagnation: OrchestratorState["stagnation"];
};

export async function reflect(
  env: LoopEnv,
  call: CallResult & { provider: string },
  failure: { stop?: LoopResult; note: string } | undefined,
): Promise<Reflected> {
  const { record } = env;
  const n = record.state.iteration;
  record.save({ phase: "reflect" });
  // The spec is never staged, whatever a .gitignore the agent wrote says: its held-out items stay out of history.
  const checkpoint = await commitCheckpoint(record.ws.root, checkpointMessage(n), specInCheckout(env), (root) =>
    headForGrading(root, record.state.start_sha),
  );
  const { grading } = checkpoint;
  record.emit({ kind: "checkpoint", sha: checkpoint.sha, changed: checkpoint.changed });
  const tree = checkpoint.tree;
  const stagnant = tree !== null && tree === record.state.stagnation.last_tree;
  const stagnation = { count: stagnant ? record.state.stagnation.count + 1 : 0, last_tree: tree };
  const overBudget = checkBudget(record.state.budget.spent_usd, record.state.budget.limit_usd) === "exceeded";
  if (failure || overBudget) record.save({ stagnation });
  if (failure?.stop || overBudget) {
    updateContinuity(record.ws, [`iteration ${n}: ${failure?.stop?.reason ?? "budget exhausted"}`]);
    const stop = failure?.stop ?? {
      outcome: "budget_exceeded",
      reason: budgetReason(
        `by iteration ${n}'s build call`,
        record.state.budget.spent_usd,
        record.state.budget.limit_usd,
        "its work is checkpointed; the gates, held-out check and council not run",
      ),
    };
    return { changed: checkpoint.changed, sha: checkpoint.sha, grading, stop, skipVerify: true, stagnation };
  }
  if (failure) {
    recordEpisode(
      record.ws,
      {
        ts: new Date().toISOString(),
        run_id: record.state.run_id,
        iteration: n,
        provider: call.provider,
        result: "agent_error",
        files_changed: 0,
        failures: [failure.note],
        claimed_done: false,
        id: newEpisodeId(readEpisodes(record.ws), record.state.run_id, n),
        goal: episodeGoal(env.spec.title, env.visible),
        seen: seenHashes(env.visible),
        ...(checkpoint.sha ? { sha: checkpoint.sha } : {}),
        model: record.state.model,
        usd: iterationCost(record.ws, record.state.run_id, n),
      },
      "boundary",
    );
    return { changed: checkpoint.changed, sha: checkpoint.sha, grading, skipVerify: true, stagnation };
  }
  return { changed: checkpoint.changed, sha: checkpoint.sha, grading, skipVerify: false, stagnation };
}

/** How many commits back foldCheckpoints looks: an iteration commits once, a few kills a few times. */
const FOLD_DEPTH = 20;

/**
 * A run that died mid-iteration redoes that iteration on resume (loop.ts): checkpoint commits of it
 * at HEAD — recorded, or one in flight that landed after loki died — would show the iteration twice
 * in history. They are taken back with a soft reset: their work stays in the index and the working
 * tree, and the redo's own checkpoint commits it once. Only a linear run of such commits since the
 * run's start is touched; a commit of anyone else's on top leaves history alone.
 */
export async function foldCheckpoints(
  root: string,
  state: Pick<OrchestratorState, "phase" | "iteration" | "start_sha">,
): Promise<{ to: string; commits: number } | null> {
  const redo = state.phase !== "done" && state.phase !== "starting" && state.iteration > 0;
  if (!redo) return null;
  const log = await git(["log", "--first-parent", `--max-count=${FOLD_DEPTH}`, "--format=%H %P%x00%s", "HEAD"], {
    cwd: root,
    timeoutMs: 30_000,
  });
  if (!log.ok) return null;
  const subject = checkpointMessage(state.iteration);
  let commits = 0;
  let to: string | null = null;
  for (const line of log.stdout.split("\n").filter(Boolean)) {
    const [shas = "", message = ""] = line.split("\0");
    const [sha, ...parents] = shas.split(" ");
    if (sha === state.start_sha || message !== subject || parents.length !== 1) break;
    commits += 1;
    to = parents[0] ?? null;
  }
  if (commits === 0 || to === null) return null;
  const ancestor = await git(["merge-base", "--is-ancestor", state.start_sha, to], { cwd: root, timeoutMs: 30_000 });
  if (!ancestor.ok) return null;
  const reset = await git(["reset", "--soft", "--quiet", to], { cwd: root, timeoutMs: 60_000 });
  return reset.ok ? { to, commits } : null;
}

/** The spec's path in the run's checkout, when it lies there (repository-relative), for the checkpoint to skip. */
function specInCheckout(env: LoopEnv): string[] {
  const root = env.record.ws.root;
  return specPaths(env.spec.source.path, [root])
    .map((path) => relative(root, path))
    .filter((rel) => rel !== "" && !rel.startsWith("..") && !isAbsolute(rel));
}
