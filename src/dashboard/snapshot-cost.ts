// The cost panel: the ledger (metrics/cost.jsonl) summed exact vs estimated, per iteration and role; the
// cap and the engine's own warning/exceeded decisions; a burn rate over the last 30 minutes of ledger
// entries and when the cap would be reached at it. Pure: unknown stays null, never $0.
import type { CostEntry, LokiEvent, OrchestratorState } from "../core/run-schema.ts";
import type { Ledger } from "./snapshot-read.ts";

/** The engine's warning threshold (loop/budget.ts WARN_FRACTION, which this layer may not import);
 *  tests/dashboard/snapshot.test.ts pins the two equal. */
export const WARN_FRACTION = 0.8;
/** The burn rate looks this far back from now. */
export const BURN_WINDOW_MS = 30 * 60_000;
/** Calls spread over less than this make no rate: two calls a second apart would read as $200/h. */
export const BURN_MIN_SPAN_MS = 60_000;

export type CostView = {
  /** The ledger's sum; the engine's own total (state) when the ledger is gone. */
  spent_usd: number | null;
  /** null: no cap (or no state to say). */
  limit_usd: number | null;
  exact_usd: number | null;
  estimated_usd: number | null;
  calls: number | null;
  burn_usd_per_hour: number | null;
  cap_in_s: number | null;
  warn: boolean;
  exceeded: boolean;
  per_iteration: { iteration: number; usd: number }[];
  per_role: { build: number; review: number; judge: number } | null;
};

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;
const sum = (entries: readonly CostEntry[]) => round(entries.reduce((total, entry) => total + entry.usd, 0));

export function projectCost(ledger: Ledger, state: OrchestratorState | null, events: readonly LokiEvent[], now: number): CostView | null {
  if (!ledger.present && state === null) return null;
  // No ledger while the state says nothing was spent: no call has been billed yet, a known zero.
  const known = ledger.present || state?.budget.spent_usd === 0;
  const entries = ledger.entries;
  const spent = known ? sum(entries) : (state?.budget.spent_usd ?? null);
  const limit = state?.budget.limit_usd ?? null;
  const burn = known ? burnRate(entries, now) : null;
  const exceeded = budgetExceeded(state, events);
  return {
    spent_usd: spent,
    limit_usd: limit,
    exact_usd: known ? sum(entries.filter((e) => e.basis === "exact")) : null,
    estimated_usd: known ? sum(entries.filter((e) => e.basis === "estimated")) : null,
    calls: known ? entries.length : null,
    burn_usd_per_hour: burn,
    cap_in_s: capIn(spent, limit, burn),
    warn: exceeded || atWarning(spent, limit) || budgetWarned(state, events),
    exceeded,
    per_iteration: known ? perIteration(entries) : [],
    per_role: known
      ? {
          build: sum(entries.filter((e) => e.role === "build")),
          review: sum(entries.filter((e) => e.role === "review")),
          judge: sum(entries.filter((e) => e.role === "judge")),
        }
      : null,
  };
}

function atWarning(spent: number | null, limit: number | null): boolean {
  return spent !== null && limit !== null && spent >= WARN_FRACTION * limit;
}

/** The engine's decision: the run ended on its budget, or a budget_exceeded event that no higher cap
 *  or resumed run has answered since. */
export function budgetExceeded(state: OrchestratorState | null, events: readonly LokiEvent[]): boolean {
  return state?.outcome === "budget_exceeded" || standing(events, "budget_exceeded") !== null;
}

/** The engine's 80 % warning, while no higher cap has answered it. */
export function budgetWarned(state: OrchestratorState | null, events: readonly LokiEvent[]): boolean {
  const raised = events.some((e) => e.kind === "budget_raised");
  return standing(events, "budget_warning") !== null || (!raised && state?.budget.warned === true);
}

/** The last event of `kind` that no budget_raised or resumed run_started followed; null when none stands. */
export function standing(events: readonly LokiEvent[], kind: "budget_warning" | "budget_exceeded"): LokiEvent | null {
  const last = events.findLastIndex((e) => e.kind === kind);
  if (last < 0) return null;
  const answered = events.slice(last + 1).some((e) => e.kind === "budget_raised" || (e.kind === "run_started" && e.resumed));
  return answered ? null : (events[last] ?? null);
}

/**
 * $/h over the ledger entries of the last 30 minutes: their dollars over the time from the first one's
 * call start to the last one's end. null with fewer than two entries or under a minute between them.
 */
export function burnRate(entries: readonly CostEntry[], now: number): number | null {
  const recent = entries.filter((e) => {
    const at = Date.parse(e.ts);
    return Number.isFinite(at) && at >= now - BURN_WINDOW_MS && at <= now;
  });
  if (recent.length < 2) return null;
  const starts = recent.map((e) => Date.parse(e.ts) - e.duration_ms);
  const ends = recent.map((e) => Date.parse(e.ts));
  const spanMs = Math.max(...ends) - Math.min(...starts);
  if (!(spanMs >= BURN_MIN_SPAN_MS)) return null;
  return round((sum(recent) / spanMs) * 3_600_000);
}

/** Seconds until the cap at this burn rate (0 once reached); null without a cap, a spend or a rate. */
function capIn(spent: number | null, limit: number | null, burn: number | null): number | null {
  if (spent === null || limit === null || burn === null || burn <= 0) return null;
  return Math.round((Math.max(0, limit - spent) / burn) * 3600);
}

function perIteration(entries: readonly CostEntry[]): { iteration: number; usd: number }[] {
  const by = new Map<number, number>();
  for (const entry of entries) by.set(entry.iteration, (by.get(entry.iteration) ?? 0) + entry.usd);
  return [...by].sort(([a], [b]) => a - b).map(([iteration, usd]) => ({ iteration, usd: round(usd) }));
}
