// Reflect, the third phase of an iteration: whatever the agent left on disk is checkpointed (success
// or not), stagnation is counted from the tree, and a failed call or a spent budget stops here.
import { commitCheckpoint, treeOfHead } from "../core/git.ts";
import { recordEpisode } from "../memory/episodes.ts";
import type { CallResult } from "../providers/call.ts";
import { budgetReason, checkBudget } from "./budget.ts";
import { updateContinuity } from "./continuity.ts";
import type { LoopEnv, LoopResult } from "./env.ts";

export type Reflected = { changed: boolean; stop?: LoopResult; skipVerify: boolean };

export async function reflect(
  env: LoopEnv,
  call: CallResult & { provider: string },
  failure: { stop?: LoopResult; note: string } | undefined,
): Promise<Reflected> {
  const { record } = env;
  const n = record.state.iteration;
  record.save({ phase: "reflect" });
  const checkpoint = await commitCheckpoint(record.ws.root, `loki: iteration ${n}`);
  record.emit({ kind: "checkpoint", sha: checkpoint.sha, changed: checkpoint.changed });
  const tree = await treeOfHead(record.ws.root);
  const stagnant = tree !== null && tree === record.state.stagnation.last_tree;
  record.save({ stagnation: { count: stagnant ? record.state.stagnation.count + 1 : 0, last_tree: tree } });
  const overBudget = checkBudget(record.state.budget.spent_usd, record.state.budget.limit_usd) === "exceeded";
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
    return { changed: checkpoint.changed, stop, skipVerify: true };
  }
  if (failure) {
    recordEpisode(record.ws, {
      ts: new Date().toISOString(),
      run_id: record.state.run_id,
      iteration: n,
      provider: call.provider,
      result: "agent_error",
      files_changed: 0,
      failures: [failure.note],
      claimed_done: false,
    });
    return { changed: checkpoint.changed, skipVerify: true };
  }
  return { changed: checkpoint.changed, skipVerify: false };
}
