// One compact line per iteration — k/N, duration, spend, checkpoint, gate counts — and under it the
// reasons of the gates that did not pass, in place of a line per gate. The tally and the lines are
// pure; iterationLog decides when an iteration has all it will get and hands its lines on.
import type { LokiEvent } from "../core/run-schema.ts";
import type { GateStatus } from "../core/schema.ts";
import { formatDuration, formatMoney, iterationOf } from "./live-line.ts";
import { oneLine } from "./terminal-text.ts";

export type IterationTally = {
  iteration: number;
  startedAt: string;
  /** The time of the last event seen in the iteration: where its duration ends. */
  lastAt: string;
  /** Dollars of this iteration's build calls. */
  usd: number;
  checkpoint: { sha: string | null; changed: boolean } | null;
  agent: { ok: boolean; errorClass: string | null; claimedDone: boolean } | null;
  gates: { gate: string; status: GateStatus; reason: string }[];
  budgetExceeded: boolean;
};

/** The run around the iteration, when known: the iteration cap and the run's spend so far. */
export type RunTotals = { cap: number | null; spentUsd: number | null; limitUsd: number | null };

/** Reasons shown under the line (the rest are counted; --verbose shows every gate). */
export const MAX_REASONS = 3;
const MAX_REASON_LENGTH = 160;
const MAX_NAMES = 3;

export function newTally(started: { iteration: number; ts: string }): IterationTally {
  const at = started.ts;
  return {
    iteration: started.iteration,
    startedAt: at,
    lastAt: at,
    usd: 0,
    checkpoint: null,
    agent: null,
    gates: [],
    budgetExceeded: false,
  };
}

export function tallyEvent(tally: IterationTally, e: LokiEvent): IterationTally {
  const next = { ...tally, lastAt: e.ts };
  if (e.kind === "agent_finished")
    return { ...next, usd: next.usd + e.usd, agent: { ok: e.ok, errorClass: e.error_class, claimedDone: e.claimed_done } };
  if (e.kind === "checkpoint") return { ...next, checkpoint: { sha: e.sha, changed: e.changed } };
  if (e.kind === "gate_result") return { ...next, gates: [...next.gates, { gate: e.gate, status: e.status, reason: e.reason }] };
  if (e.kind === "budget_exceeded") return { ...next, budgetExceeded: true };
  return next;
}

/** After the checkpoint, the loop verifies only when the call succeeded within the budget (loop/reflect.ts). */
export function verifySkipped(tally: IterationTally): boolean {
  return tally.checkpoint !== null && (tally.budgetExceeded || tally.agent?.ok === false);
}

/** The iteration's line, then (unless verbose, which prints every gate already) its non-passing gates' reasons. */
export function iterationLines(tally: IterationTally, totals: RunTotals, verbose: boolean): string[] {
  const ms = Date.parse(tally.lastAt) - Date.parse(tally.startedAt);
  const run = totals.spentUsd === null ? "" : ` (run ${formatMoney(totals.spentUsd, totals.limitUsd)})`;
  const parts = [
    `iteration ${iterationOf(tally.iteration, totals.cap)}`,
    formatDuration(Number.isFinite(ms) ? ms : 0),
    `$${tally.usd.toFixed(2)}${run}`,
  ];
  if (tally.agent && !tally.agent.ok)
    parts.push(tally.agent.errorClass === "stopped" ? "agent stopped" : `agent failed (${tally.agent.errorClass ?? "error"})`);
  if (tally.checkpoint)
    parts.push(tally.checkpoint.changed && tally.checkpoint.sha ? `checkpoint ${tally.checkpoint.sha.slice(0, 10)}` : "no changes");
  parts.push(tally.gates.length > 0 ? `gates: ${gateCounts(tally.gates)}` : "gates not run");
  if (tally.agent?.claimedDone) parts.push("agent claims done");
  const line = parts.join(" · ");
  if (verbose) return [line];
  const open = [...tally.gates.filter((g) => g.status === "fail"), ...tally.gates.filter((g) => g.status === "inconclusive")];
  const reasons = open.slice(0, MAX_REASONS).map((g) => `  ${g.gate}: ${oneLine(g.reason).slice(0, MAX_REASON_LENGTH)}`);
  const more = open.length > MAX_REASONS ? [`  … ${open.length - MAX_REASONS} more (--verbose shows every gate)`] : [];
  return [line, ...reasons, ...more];
}

const ORDER: readonly GateStatus[] = ["pass", "fail", "inconclusive", "skipped"];
const NAMED: ReadonlySet<GateStatus> = new Set(["fail", "inconclusive"]);

/** `9 pass, 1 fail (tests), 2 inconclusive (mutation, deps)`: names only for the gates that did not pass. */
export function gateCounts(gates: readonly { gate: string; status: GateStatus }[]): string {
  return ORDER.flatMap((status) => {
    const names = gates.filter((g) => g.status === status).map((g) => g.gate);
    if (names.length === 0) return [];
    if (!NAMED.has(status)) return [`${names.length} ${status}`];
    const shown = names.slice(0, MAX_NAMES).join(", ");
    return [`${names.length} ${status} (${shown}${names.length > MAX_NAMES ? `, +${names.length - MAX_NAMES}` : ""})`];
  }).join(", ");
}

export type IterationLog = { event: (e: LokiEvent) => void; close: () => void };

/**
 * Feeds events into the tally of the iteration in progress and prints its lines once it has all it
 * will get: right after its gate results (the loop emits them in one synchronous batch, so a
 * microtask sees them all), after a checkpoint that ends it without gates, or, whatever else happened,
 * before any later event of the run. Call event() before printing the event's own line.
 */
export function iterationLog(print: (lines: string[]) => void, totals: () => RunTotals, verbose: boolean): IterationLog {
  let tally: IterationTally | null = null;
  let scheduled = false;
  const flush = () => {
    if (tally) print(iterationLines(tally, totals(), verbose));
    tally = null;
  };
  return {
    event: (e) => {
      const ends = e.kind === "iteration_started" || e.kind === "run_finished";
      // Without gates, the iteration lasted until this event; with them, it ended with them.
      if (tally && ends && tally.gates.length === 0) tally = tallyEvent(tally, e);
      if (tally && (ends || (tally.gates.length > 0 && e.kind !== "gate_result"))) flush();
      if (e.kind === "iteration_started") tally = newTally(e);
      else if (tally) tally = tallyEvent(tally, e);
      if (tally && e.kind === "checkpoint" && verifySkipped(tally)) flush();
      if (tally && e.kind === "gate_result" && !scheduled) {
        scheduled = true;
        queueMicrotask(() => {
          scheduled = false;
          flush();
        });
      }
    },
    close: flush,
  };
}
