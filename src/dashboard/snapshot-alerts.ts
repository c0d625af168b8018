// "Needs you": the alerts a run raises — paused, stopping, dead, budget warning or cap, blocked at the
// ship gate, stalled, rejected credentials, rate-limited until a time — each with a human message and
// when it began. Pure: derived from the status, the events, the cost view and the completion summary.
import type { Completion, LokiEvent } from "../core/run-schema.ts";
import { LIVE_STATUSES } from "../core/session-schema.ts";
import type { RunStatusView } from "./deps.ts";
import { standing, type CostView } from "./snapshot-cost.ts";

export type AlertKind =
  | "paused"
  | "budget_warning"
  | "budget_exceeded"
  | "blocked"
  | "stalled"
  | "auth"
  | "dead"
  | "rate_limited"
  | "stopping";
export type Alert = { kind: AlertKind; message: string; since: string | null };

export type AlertInput = {
  status: RunStatusView;
  events: readonly LokiEvent[];
  cost: CostView | null;
  completion: Completion | null;
  /** Ages of the PAUSE and STOP files (when they were set), or null. */
  signals: { pause: string | null; stop: string | null };
  now: number;
};

/** The statuses of a run whose process is (meant to be) working. */

const usd = (value: number | null) => (value === null ? "unknown" : `$${value.toFixed(2)}`);

export function projectAlerts(input: AlertInput): Alert[] {
  const { status, events, cost, completion } = input;
  const live = LIVE_STATUSES.includes(status.status);
  const last = <K extends LokiEvent["kind"]>(kind: K) => events.findLast((e): e is Extract<LokiEvent, { kind: K }> => e.kind === kind);
  const alerts: Alert[] = [];
  const add = (kind: AlertKind, message: string, since: string | null) => alerts.push({ kind, message, since });

  if (status.status === "dead")
    add("dead", `the run's process is gone${status.reason ? ` (${status.reason})` : ""}; ${status.next}`, status.updated_at);
  if (status.status === "paused") {
    const paused = last("paused");
    const acknowledged = paused !== undefined && !events.slice(events.lastIndexOf(paused)).some((e) => e.kind === "resumed");
    add(
      "paused",
      acknowledged ? "paused at an iteration boundary: resume to continue" : "pausing at the next iteration boundary",
      acknowledged ? paused.ts : input.signals.pause,
    );
  }
  if (live && (status.signals.stop || status.status === "stopping"))
    add("stopping", "stop requested: the run ends at its next boundary", input.signals.stop ?? lastKindTs(events, "stop_requested"));

  if (cost?.exceeded)
    add(
      "budget_exceeded",
      `budget cap reached: ${usd(cost.spent_usd)} of ${usd(cost.limit_usd)}`,
      standing(events, "budget_exceeded")?.ts ?? completion?.finished_at ?? null,
    );
  else if (cost?.warn)
    add(
      "budget_warning",
      `${usd(cost.spent_usd)} of the ${usd(cost.limit_usd)} budget spent (80 % or more)`,
      standing(events, "budget_warning")?.ts ?? null,
    );

  const ship = last("ship_gate");
  if (completion?.outcome === "blocked") add("blocked", `blocked at the ship gate: ${completion.reason}`, completion.finished_at);
  else if (ship?.verdict === "BLOCKED")
    add("blocked", `the ship gate blocked the change: ${ship.reasons.join("; ") || "no reason recorded"}`, ship.ts);

  const stalled = last("stalled");
  const progressed = stalled && events.slice(events.lastIndexOf(stalled)).some((e) => e.kind === "checkpoint" && e.changed);
  if (completion?.outcome === "stalled") add("stalled", `stalled: ${completion.reason}`, completion.finished_at);
  else if (stalled && !progressed) add("stalled", `no progress in ${stalled.count} iterations`, stalled.ts);

  const call = last("agent_finished");
  if (call && call.error_class === "auth")
    add("auth", `${call.provider} rejected its credentials: log in to ${call.provider} again, then loki resume`, call.ts);

  const retry = last("retry");
  if (live && retry) {
    const until = Date.parse(retry.ts) + retry.wait_ms;
    const started = events.slice(events.lastIndexOf(retry)).some((e) => e.kind === "agent_started");
    if (Number.isFinite(until) && until > input.now && !started)
      add(
        "rate_limited",
        `${retry.provider}: ${retry.error_class}; retrying at ${new Date(until).toISOString()} (attempt ${retry.attempt})`,
        retry.ts,
      );
  }
  return alerts;
}

/** When an event of a kind this build may not know yet (stop_requested) was last recorded. */
function lastKindTs(events: readonly LokiEvent[], kind: string): string | null {
  return events.findLast((e) => (e.kind as string) === kind)?.ts ?? null;
}
