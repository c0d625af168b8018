// The iteration timeline: one row per iteration from the event stream — when it started and ended, the
// engine's measured phases (phase_finished), its gate counts and checkpoint — and its cost from the
// ledger. Pure. Nothing is inferred: a run without phase events shows no phases; an open row, no end.
import type { CostEntry, LokiEvent } from "../core/run-schema.ts";

export type PhaseSpan = { phase: string; started_at: string; ms: number };
export type GateCounts = { pass: number; fail: number; skip: number; inconclusive: number };

export type IterationView = {
  iteration: number;
  started_at: string;
  /** The end of its last measured phase, else its last recorded event, once a later iteration or the
   *  run's end closed it; null while it is open. */
  finished_at: string | null;
  phases: PhaseSpan[];
  /** null: the ledger is unknown (absent). */
  usd: number | null;
  gates: GateCounts;
  checkpoint: string | null;
  /** null: no checkpoint recorded yet. */
  changed: boolean | null;
};

/** Control events say when someone acted, not when the iteration worked: they never extend its end. */
const CONTROL: ReadonlySet<string> = new Set(["paused", "resumed", "model_switched", "budget_raised", "stop_requested", "warning"]);

type Row = IterationView & { lastWork: string; closed: boolean };

export function projectTimeline(events: readonly LokiEvent[], ledger: readonly CostEntry[] | null): IterationView[] {
  const rows = new Map<number, Row>();
  for (const event of events) {
    if (event.kind === "iteration_started") {
      // A resumed run redoes an unfinished iteration: its gates run again, so they are counted again.
      const redone = rows.get(event.iteration);
      if (redone) Object.assign(redone, { closed: false, gates: { pass: 0, fail: 0, skip: 0, inconclusive: 0 } });
      else rows.set(event.iteration, newRow(event.iteration, event.ts));
      for (const [n, row] of rows) if (n < event.iteration) row.closed = true;
      continue;
    }
    const row = rows.get(event.iteration);
    if (!row) continue;
    if (!CONTROL.has(event.kind)) row.lastWork = event.ts;
    applyEvent(row, event);
  }
  return [...rows.values()]
    .sort((a, b) => a.iteration - b.iteration)
    .map(({ lastWork, closed, ...row }) => ({
      ...row,
      finished_at: closed ? (phaseEnd(row.phases) ?? lastWork) : null,
      usd: ledger === null ? null : costOf(ledger, row.iteration),
    }));
}

function newRow(iteration: number, ts: string): Row {
  return {
    iteration,
    started_at: ts,
    finished_at: null,
    phases: [],
    usd: null,
    gates: { pass: 0, fail: 0, skip: 0, inconclusive: 0 },
    checkpoint: null,
    changed: null,
    lastWork: ts,
    closed: false,
  };
}

function applyEvent(row: Row, event: LokiEvent): void {
  if (event.kind === "phase_finished") row.phases.push({ phase: event.phase, started_at: event.started_at, ms: event.ms });
  else if (event.kind === "gate_result") {
    const key = event.status === "skipped" ? "skip" : event.status;
    row.gates[key] += 1;
  } else if (event.kind === "checkpoint") {
    row.checkpoint = event.sha;
    row.changed = event.changed;
  } else if (event.kind === "run_finished") row.closed = true;
}

/** The end of the latest measured phase, or null when none was measured. */
function phaseEnd(phases: readonly PhaseSpan[]): string | null {
  let end: number | null = null;
  for (const phase of phases) {
    const at = Date.parse(phase.started_at) + phase.ms;
    if (Number.isFinite(at) && (end === null || at > end)) end = at;
  }
  return end === null ? null : new Date(end).toISOString();
}

function costOf(ledger: readonly CostEntry[], iteration: number): number {
  const usd = ledger.reduce((total, entry) => (entry.iteration === iteration ? total + entry.usd : total), 0);
  return Math.round(usd * 1e6) / 1e6;
}
