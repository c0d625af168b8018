// The run history summed up as `loki trust` and `loki cost` need it, one record at a time: the trust
// events' tally and the ledger's per run and per iteration, in the order the records came. Pure folds
// (core/jsonl.ts keeps them on disk, the ledger's as ledger-columns.ts lays it out); the figures are metrics.ts's.
import pkg from "../../package.json" with { type: "json" };
import type { TrustEvent } from "../core/evidence-schema.ts";
import type { Fold } from "../core/jsonl.ts";
import type { CostEntry } from "../core/run-schema.ts";

type Counts = { usd: number; calls: number; estimated: number; declared: number };

// The summaries are read back by hand, not with zod: they are rebuilt at any doubt, and zod's cost
// over a thousand runs' tallies would be most of `loki cost`'s time. Anything unexpected: null.
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const asArray = (v: unknown): unknown[] => {
  if (!Array.isArray(v)) throw new TypeError("not a tally");
  return v;
};
const need = (ok: boolean) => {
  if (!ok) throw new TypeError("not a tally");
};
const encodeJson = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");
const decoding =
  <S>(decode: (bytes: Uint8Array) => S) =>
  (bytes: Uint8Array): S | null => {
    try {
      return decode(bytes);
    } catch {
      return null;
    }
  };

export type TrustTally = {
  runs: Set<string>;
  /** The latest completion of each run, in the order of each run's first completion. */
  latest: Map<string, { outcome: unknown; iterations: unknown }>;
  /** Council votes per run and iteration. */
  rounds: Map<string, { approve: number; all: number }>;
  gates: { pass: number; all: number };
  heldout: { failed: number; all: number };
  mutations: number;
};

export function addTrustEvent(t: TrustTally, e: TrustEvent): void {
  if (e.kind === "run_start") t.runs.add(e.run_id);
  else if (e.kind === "completion") t.latest.set(e.run_id, { outcome: e.data.outcome, iterations: e.data.iterations });
  else if (e.kind === "council_vote") {
    const key = `${e.run_id}#${e.iteration}`;
    const r = t.rounds.get(key) ?? { approve: 0, all: 0 };
    r.all += 1;
    if (e.data.verdict === "APPROVE") r.approve += 1;
    t.rounds.set(key, r);
  } else if (e.kind === "gate_result" && e.data.status !== "skipped") {
    t.gates.all += 1;
    if (e.data.status === "pass") t.gates.pass += 1;
  } else if (e.kind === "heldout_eval") {
    t.heldout.all += 1;
    if (Number(e.data.failed) > 0) t.heldout.failed += 1;
  } else if (e.kind === "reviewer_mutation") t.mutations += 1;
}

export const TRUST_FOLD: Fold<TrustEvent, TrustTally> = {
  version: `${pkg.version}/trust-tally/2`,
  empty: () => ({
    runs: new Set(),
    latest: new Map(),
    rounds: new Map(),
    gates: { pass: 0, all: 0 },
    heldout: { failed: 0, all: 0 },
    mutations: 0,
  }),
  add: addTrustEvent,
  encode: (t) =>
    encodeJson([
      [...t.runs],
      [...t.latest].map(([runId, c]) => [
        runId,
        c.outcome ?? null,
        c.iterations ?? null,
        c.outcome === undefined,
        c.iterations === undefined,
      ]),
      [...t.rounds].map(([key, r]) => [key, r.approve, r.all]),
      [t.gates.pass, t.gates.all, t.heldout.failed, t.heldout.all, t.mutations],
    ]),
  decode: decoding((bytes) => {
    const [runs, latest, rounds, counts] = asArray(JSON.parse(Buffer.from(bytes).toString("utf8"))).map(asArray);
    need(
      runs !== undefined &&
        latest !== undefined &&
        rounds !== undefined &&
        counts !== undefined &&
        counts.length === 5 &&
        counts.every(isCount),
    );
    const t = TRUST_FOLD.empty();
    for (const id of runs ?? []) {
      need(typeof id === "string");
      t.runs.add(id as string);
    }
    for (const c of latest ?? []) {
      const [runId, outcome, iterations, noOutcome, noIterations] = asArray(c);
      need(typeof runId === "string" && typeof noOutcome === "boolean" && typeof noIterations === "boolean");
      t.latest.set(runId as string, { outcome: noOutcome ? undefined : outcome, iterations: noIterations ? undefined : iterations });
    }
    for (const r of rounds ?? []) {
      const [key, approve, all] = asArray(r);
      need(typeof key === "string" && isCount(approve) && isCount(all));
      t.rounds.set(key as string, { approve: approve as number, all: all as number });
    }
    const [pass, all, failed, heldout, mutations] = counts as number[];
    return { ...t, gates: { pass, all }, heldout: { failed, all: heldout }, mutations } as TrustTally;
  }),
};

/** One run's bill so far: its dollars summed in ledger order (rounded only when shown), and per iteration. */
export type RunTally = Counts & { first: string; iterations: Map<number, Counts & { roles: string[] }> };
export type LedgerTally = Map<string, RunTally>;

const count = (c: Counts, e: CostEntry) => {
  c.usd += e.usd;
  c.calls += 1;
  if (e.basis === "estimated") c.estimated += 1;
  if (e.basis === "declared") c.declared += 1;
};

export function addCostEntry(ledger: LedgerTally, e: CostEntry): void {
  const run = ledger.get(e.run_id) ?? { first: e.ts, usd: 0, calls: 0, estimated: 0, declared: 0, iterations: new Map() };
  ledger.set(e.run_id, run);
  count(run, e);
  const it = run.iterations.get(e.iteration) ?? { usd: 0, calls: 0, estimated: 0, declared: 0, roles: [] };
  run.iterations.set(e.iteration, it);
  count(it, e);
  if (!it.roles.includes(e.role)) it.roles.push(e.role);
}
