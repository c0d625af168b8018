// The run's money around every agent call — build, held-out judge, reviewers, devil's advocate:
// before it, whether it may start and its bound (budget.ts decides); after it, the bill in the
// ledger and in state, the 80 % warning once per run and the crossing of the cap, before the next call.
import { CostEntry, type OrchestratorState } from "../core/run-schema.ts";
import { readJsonlAgain } from "../core/jsonl-again.ts";
import { crossedCap, nextCallBudget, parallelFits, warningDue, type NextCall } from "./budget.ts";
import type { LoopEnv } from "./env.ts";
import type { RunRecord } from "./run-state.ts";
import { trust } from "./trust-sink.ts";

/** Whether the next call may start now, from the spend on record (every provider's calls count). */
export function nextCall(record: RunRecord): NextCall {
  return nextCallBudget(record.state.budget.spent_usd, record.state.budget.limit_usd);
}

/** Whether `calls` calls may start at once under the cap, judged by the costliest call of the run so far. */
export function roomForParallel(record: RunRecord, calls: number): boolean {
  const { spent_usd, limit_usd } = record.state.budget;
  if (limit_usd === null) return true;
  const runs = readJsonlAgain(record.ws.costLedger, CostEntry).filter((e) => e.run_id === record.state.run_id);
  const costliest = runs.length === 0 ? null : Math.max(...runs.map((e) => e.usd));
  return parallelFits(spent_usd, limit_usd, calls, costliest);
}

/** One call's cost: into the ledger, then into state (with `settled`, what the caller saves once the
 *  call is billed, in the same write; `write` "stage": held for the caller's next save, run-state.ts);
 *  then the 80 % warning (once per run, kept in state across resumes) and the budget_exceeded event
 *  when this call took the spend past the cap. */
export function chargeCall(
  env: Pick<LoopEnv, "record" | "notice">,
  entry: Omit<CostEntry, "ts" | "run_id">,
  settled: Partial<OrchestratorState> = {},
  write: "save" | "stage" = "save",
): void {
  const { record } = env;
  record.bill(entry);
  const before = record.state.budget;
  const spent = before.spent_usd + entry.usd;
  const limit = before.limit_usd;
  const warn = warningDue(spent, limit, before.warned);
  record[write]({
    ...settled,
    budget: {
      ...before,
      spent_usd: spent,
      estimated_usd: before.estimated_usd + (entry.basis === "estimated" ? entry.usd : 0),
      warned: before.warned || warn,
    },
  });
  if (limit === null) return;
  if (warn) {
    record.emit({ kind: "budget_warning", spent_usd: spent, limit_usd: limit });
    trust(record, "budget_warning", { spent_usd: spent, limit_usd: limit, role: entry.role });
    env.notice(`budget: $${spent.toFixed(2)} of $${limit.toFixed(2)} spent (80 % warning)`);
  }
  if (crossedCap(before.spent_usd, spent, limit)) record.emit({ kind: "budget_exceeded", spent_usd: spent, limit_usd: limit });
}
