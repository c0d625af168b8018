// Run history as numbers: the trust trajectory across runs (`loki trust`) and the bill per run and
// iteration (`loki cost`), read from the trust-event stream and the cost ledger. Nothing recorded
// is "no data", never a row of zeros.
import { TrustEvent } from "../core/evidence-schema.ts";
import { CostEntry } from "../core/run-schema.ts";
import { type BillBasis, basisOfCounts } from "../core/models.ts";
import { type Fold, foldJsonl, type View, viewJsonl } from "../core/jsonl.ts";
import type { Workspace } from "../core/workspace.ts";
import { type LedgerTally, TRUST_FOLD, type TrustTally } from "./history-tally.ts";
import { type KeptLedger, LEDGER_FOLD, readKeptLedger, rolesOf } from "./ledger-columns.ts";

const rate = (hit: number, all: number) => (all === 0 ? null : Math.round((hit / all) * 1000) / 1000);
const median = (values: number[]) => {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export type Trajectory = {
  runs: number;
  /** Runs with no completion yet (running, or dead before they finished). */
  unfinished: number;
  outcomes: Record<string, number>;
  verified_runs: number;
  council_pass_rate: number | null;
  council_rounds: number;
  gate_pass_rate: number | null;
  gate_results: number;
  reviewer_mutations: number;
  heldout_fail_rate: number | null;
  iterations_to_completion: number | null;
  cost_per_verified_run_usd: number | null;
};

/** Computed from trust events and the cost ledger; null where there is nothing to compute from. */
export function trajectory(events: readonly TrustEvent[], ledger: readonly CostEntry[]): Trajectory | null {
  return trajectoryOf(tallied(TRUST_FOLD, events), dollarsOf(tallied(LEDGER_FOLD, ledger)));
}

/** The same from the trust events' tally and each run's dollars (as the ledger summed them). */
export function trajectoryOf(t: TrustTally, dollars: ReadonlyMap<string, number>): Trajectory | null {
  if (t.runs.size === 0) return null;
  // A resumed run completes again: only its latest outcome counts (a stall later verified is one verified run).
  const completions = [...t.latest];
  const outcomes: Record<string, number> = {};
  for (const [, c] of completions) outcomes[String(c.outcome)] = (outcomes[String(c.outcome)] ?? 0) + 1;
  const verified = completions.filter(([, c]) => c.outcome === "verified");
  const rounds = [...t.rounds.values()];
  const costOf = (runId: string) => dollars.get(runId) ?? 0;
  return {
    runs: t.runs.size,
    unfinished: [...t.runs].filter((id) => !t.latest.has(id)).length,
    outcomes,
    verified_runs: verified.length,
    council_pass_rate: rate(rounds.filter((r) => r.approve >= 2).length, rounds.length),
    council_rounds: rounds.length,
    gate_pass_rate: rate(t.gates.pass, t.gates.all),
    gate_results: t.gates.all,
    reviewer_mutations: t.mutations,
    heldout_fail_rate: rate(t.heldout.failed, t.heldout.all),
    iterations_to_completion: median(verified.map(([, c]) => Number(c.iterations))),
    cost_per_verified_run_usd:
      verified.length === 0
        ? null
        : Math.round((verified.reduce((sum, [runId]) => sum + costOf(runId), 0) / verified.length) * 10000) / 10000,
  };
}

const tallied = <R, S>(fold: Fold<R, S>, records: readonly R[]): S => {
  const state = fold.empty();
  for (const record of records) fold.add(state, record);
  return state;
};

export type RunBill = {
  run_id: string;
  first: string;
  usd: number;
  basis: Exclude<BillBasis, "none">;
  calls: number;
  iterations: { iteration: number; usd: number; basis: Exclude<BillBasis, "none">; roles: string[] }[];
};

/** Never "none": a bill is made only of entries. */
const basisOf = (counts: Parameters<typeof basisOfCounts>[0]): RunBill["basis"] => {
  const basis = basisOfCounts(counts);
  return basis === "none" ? "exact" : basis;
};

const cents = (usd: number) => Math.round(usd * 10000) / 10000;

/** Per run (oldest first), per iteration, with whether the dollars are exact or estimated. */
export function bills(ledger: readonly CostEntry[]): RunBill[] {
  return billsOf(tallied(LEDGER_FOLD, ledger));
}

/** The same from the ledger's tally. */
export function billsOf(ledger: LedgerTally): RunBill[] {
  return [...ledger].map(([runId, run]) => ({
    run_id: runId,
    first: run.first,
    usd: cents(run.usd),
    basis: basisOf(run),
    calls: run.calls,
    iterations: [...run.iterations].map(([iteration, it]) => ({ iteration, usd: cents(it.usd), basis: basisOf(it), roles: it.roles })),
  }));
}

/** The same straight from the ledger's summary, row by row (ledger-columns.ts checked them), with no tally built. */
export function billsOfKept({ ids, firsts, nums, counts }: KeptLedger): RunBill[] {
  const out: RunBill[] = new Array(ids.length);
  let at = 0;
  let c = 0;
  for (let r = 0; r < ids.length; r++) {
    const size = counts[c + 3] as number;
    const iterations: RunBill["iterations"] = new Array(size);
    const calls = counts[c] as number;
    const run = { calls, estimated: counts[c + 1] as number, declared: counts[c + 2] as number };
    const usd = cents(nums[at] as number);
    at += 1;
    c += 4;
    for (let k = 0; k < size; k++, at += 2, c += 4) {
      const it = { calls: counts[c] as number, estimated: counts[c + 1] as number, declared: counts[c + 2] as number };
      const roles = rolesOf(counts[c + 3] as number);
      iterations[k] = { iteration: nums[at] as number, usd: cents(nums[at + 1] as number), basis: basisOf(it), roles };
    }
    out[r] = { run_id: ids[r] as string, first: firsts[r] as string, usd, basis: basisOf(run), calls, iterations };
  }
  return out;
}

const BILLS: View<LedgerTally, RunBill[]> = {
  of: billsOf,
  kept: (bytes) => {
    const kept = readKeptLedger(bytes);
    return kept && billsOfKept(kept);
  },
};

/** Each run's dollars, unrounded. */
const dollarsOf = (ledger: LedgerTally) => new Map([...ledger].map(([runId, run]) => [runId, run.usd]));

/** The same straight from the ledger's summary: each run's first number (its row is 1 + 2 per iteration long). */
function dollarsOfKept({ ids, nums, counts }: KeptLedger): Map<string, number> {
  const dollars = new Map<string, number>();
  let at = 0;
  let c = 0;
  for (const id of ids) {
    const size = counts[c + 3] as number;
    dollars.set(id, nums[at] as number);
    at += 1 + 2 * size;
    c += 4 * (1 + size);
  }
  return dollars;
}

const DOLLARS: View<LedgerTally, Map<string, number>> = {
  of: dollarsOf,
  kept: (bytes) => {
    const kept = readKeptLedger(bytes);
    return kept && dollarsOfKept(kept);
  },
};

/** `loki trust`'s figures for the repository's whole history. */
export function readTrajectory(ws: Workspace): Trajectory | null {
  const dollars = viewJsonl(ws.costLedger, ws.summary("cost"), CostEntry, LEDGER_FOLD, DOLLARS);
  return trajectoryOf(foldJsonl(ws.trustEvents, ws.summary("trust-events"), TrustEvent, TRUST_FOLD), dollars);
}

/** `loki cost`'s bills for the repository's whole history. */
export function readBills(ws: Workspace): RunBill[] {
  return viewJsonl(ws.costLedger, ws.summary("cost"), CostEntry, LEDGER_FOLD, BILLS);
}
