// The trust trajectory and the bills as loki computed them before it kept summaries: every record
// of the whole history, folded afresh (fullReading), and today's reading through the summaries
// (summaryReading). Tests compare the two, which must not differ.
import { TrustEvent } from "../../src/core/evidence-schema.ts";
import { type BillBasis, billBasis } from "../../src/core/models.ts";
import { CostEntry } from "../../src/core/run-schema.ts";
import { readJsonl, type Workspace } from "../../src/core/workspace.ts";
import { listProofs } from "../../src/proof/store.ts";
import { listProofSummaries } from "../../src/proof/summaries.ts";
import { readBills, readTrajectory, type RunBill, type Trajectory } from "../../src/run/metrics.ts";

const rate = (hit: number, all: number) => (all === 0 ? null : Math.round((hit / all) * 1000) / 1000);
const median = (values: number[]) => {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export function oldTrajectory(events: TrustEvent[], ledger: CostEntry[]): Trajectory | null {
  const runs = new Set(events.filter((e) => e.kind === "run_start").map((e) => e.run_id));
  if (runs.size === 0) return null;
  // A resumed run completes again: only its latest outcome counts (a stall later verified is one verified run).
  const latest = new Map<string, TrustEvent>();
  for (const e of events) if (e.kind === "completion") latest.set(e.run_id, e);
  const completions = [...latest.values()];
  const outcomes: Record<string, number> = {};
  for (const c of completions) outcomes[String(c.data.outcome)] = (outcomes[String(c.data.outcome)] ?? 0) + 1;
  const verified = completions.filter((c) => c.data.outcome === "verified");
  const votes = events.filter((e) => e.kind === "council_vote");
  const rounds = new Map<string, { approve: number; all: number }>();
  for (const v of votes) {
    const key = `${v.run_id}#${v.iteration}`;
    const r = rounds.get(key) ?? { approve: 0, all: 0 };
    r.all += 1;
    if (v.data.verdict === "APPROVE") r.approve += 1;
    rounds.set(key, r);
  }
  const gates = events.filter((e) => e.kind === "gate_result" && e.data.status !== "skipped");
  const heldout = events.filter((e) => e.kind === "heldout_eval");
  const costOf = (runId: string) => ledger.filter((l) => l.run_id === runId).reduce((sum, l) => sum + l.usd, 0);
  return {
    runs: runs.size,
    unfinished: [...runs].filter((id) => !latest.has(id)).length,
    outcomes,
    verified_runs: verified.length,
    council_pass_rate: rate([...rounds.values()].filter((r) => r.approve >= 2).length, rounds.size),
    council_rounds: rounds.size,
    gate_pass_rate: rate(gates.filter((g) => g.data.status === "pass").length, gates.length),
    gate_results: gates.length,
    reviewer_mutations: events.filter((e) => e.kind === "reviewer_mutation").length,
    heldout_fail_rate: rate(heldout.filter((h) => Number(h.data.failed) > 0).length, heldout.length),
    iterations_to_completion: median(verified.map((c) => Number(c.data.iterations))),
    cost_per_verified_run_usd:
      verified.length === 0 ? null : Math.round((verified.reduce((sum, c) => sum + costOf(c.run_id), 0) / verified.length) * 10000) / 10000,
  };
}

const basisOf = (entries: CostEntry[]): Exclude<BillBasis, "none"> => {
  const basis = billBasis(entries);
  return basis === "none" ? "exact" : basis;
};

export function oldBills(ledger: CostEntry[]): RunBill[] {
  const byRun = new Map<string, CostEntry[]>();
  for (const entry of ledger) byRun.set(entry.run_id, [...(byRun.get(entry.run_id) ?? []), entry]);
  return [...byRun.entries()].map(([runId, entries]) => {
    const byIteration = new Map<number, CostEntry[]>();
    for (const e of entries) byIteration.set(e.iteration, [...(byIteration.get(e.iteration) ?? []), e]);
    return {
      run_id: runId,
      first: entries[0]?.ts ?? "",
      usd: Math.round(entries.reduce((sum, e) => sum + e.usd, 0) * 10000) / 10000,
      basis: basisOf(entries),
      calls: entries.length,
      iterations: [...byIteration.entries()].map(([iteration, es]) => ({
        iteration,
        usd: Math.round(es.reduce((s, e) => s + e.usd, 0) * 10000) / 10000,
        basis: basisOf(es),
        roles: [...new Set(es.map((e) => e.role))],
      })),
    };
  });
}

const quiet = () => {};

/** What the commands showed before any summary existed: every line and every proof of `ws` parsed afresh. */
export function fullReading(ws: Workspace) {
  const events = readJsonl(ws.trustEvents, TrustEvent, quiet);
  const ledger = readJsonl(ws.costLedger, CostEntry, quiet);
  const proofs = listProofs(ws).map((p) => ({
    run_id: p.run_id,
    path: p.json,
    finished_at: p.file?.payload.run.finished_at ?? null,
    headline: p.file?.payload.headline.verdict ?? null,
    cost_usd: p.file?.payload.bill.total_usd ?? null,
    cost_basis: p.file?.payload.bill.basis ?? null,
    files: p.file?.payload.change.diffstat.files ?? null,
    problem: p.problem,
  }));
  return { trajectory: oldTrajectory(events, ledger), bills: oldBills(ledger), proofs };
}

/** The same three figures as the commands compute them today, through their summaries. */
export function summaryReading(ws: Workspace) {
  return { trajectory: readTrajectory(ws), bills: readBills(ws), proofs: listProofSummaries(ws) };
}
