// The live status line of a run on a TTY — iteration k/N, phase, spend against the budget, elapsed
// time and the agent's latest tool call — and the number formats the run's lines share. Pure: the
// reporter gathers a LiveView and redraws the line; nothing here knows about terminals but widths.
import type { Phase } from "../core/run-schema.ts";
import type { RunStatus } from "../core/session-schema.ts";
import { displayWidth, fitWidth, oneLine } from "./terminal-text.ts";

export type LiveView = {
  /** The iteration in progress (0 before the first). */
  iteration: number;
  /** The iteration cap; null when not known. */
  cap: number | null;
  /** Worded already (livePhase). */
  phase: string;
  spentUsd: number;
  limitUsd: number | null;
  elapsedMs: number;
  /** The agent's latest tool call (describeToolCall); null outside the act phase. */
  activity: string | null;
};

/** Below this many free columns the tool call is left out rather than cut to nothing. */
const MIN_ACTIVITY_COLUMNS = 8;

/** The line, at most `width` columns: the tool call goes last and is cut first. */
export function formatLiveLine(view: LiveView, width: number): string {
  const head = view.iteration > 0 ? `loki ${iterationOf(view.iteration, view.cap)}` : "loki";
  const base = [head, view.phase, formatMoney(view.spentUsd, view.limitUsd), formatClock(view.elapsedMs)].join(" · ");
  const room = width - displayWidth(base) - 3;
  const activity = view.activity === null ? "" : oneLine(view.activity);
  const line = activity !== "" && room >= MIN_ACTIVITY_COLUMNS ? `${base} · ${fitWidth(activity, room)}` : base;
  return fitWidth(oneLine(line), width);
}

/** `2/25`, or `2` when the cap is not known. */
export function iterationOf(iteration: number, cap: number | null): string {
  return cap === null ? String(iteration) : `${iteration}/${cap}`;
}

/** `$0.42/$5.00` against a budget, `$0.42` without one. */
export function formatMoney(spentUsd: number, limitUsd: number | null): string {
  return `$${spentUsd.toFixed(2)}${limitUsd === null ? "" : `/$${limitUsd.toFixed(2)}`}`;
}

/** A running clock: `0:05`, `12:34`, `1:02:03`. */
export function formatClock(ms: number): string {
  const secs = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = String(secs % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A span of time: `48 s`, `4 min 12 s`, `1 h 04 min`. */
export function formatDuration(ms: number): string {
  const secs = Math.max(0, Math.round(ms / 1000));
  if (secs < 60) return `${secs} s`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ${secs % 60} s`;
  return `${Math.floor(secs / 3600)} h ${String(Math.floor((secs % 3600) / 60)).padStart(2, "0")} min`;
}

const PHASE_WORD: Record<Phase, (provider: string) => string> = {
  starting: () => "starting",
  plan: (provider) => `planning (${provider})`,
  reason: () => "reason",
  act: (provider) => `act (${provider})`,
  reflect: () => "checkpoint",
  verify: () => "verify",
  compound: () => "verify",
  ship: () => "ship gate",
  done: () => "between iterations",
};

const ACTIVE: ReadonlySet<RunStatus> = new Set(["starting", "running"]);

/** What the run is doing, in words: a backoff, a pause or the end (summary, proof) says so before the loop phase does. */
export function livePhase(run: { phase: Phase; status: RunStatus; provider: string; backoffLeftMs: number | null }): string {
  if (run.backoffLeftMs !== null && run.backoffLeftMs > 0) return `backoff ${Math.ceil(run.backoffLeftMs / 1000)} s`;
  if (run.status === "paused") return "paused";
  if (!ACTIVE.has(run.status)) return "finishing";
  return PHASE_WORD[run.phase](run.provider);
}
