// Budget and backoff arithmetic for the loop. Pure: the loop feeds it spend and time, it answers
// what to do. Unknown cost is never free: estimated dollars count against the cap like exact ones.

export type BudgetCheck = "ok" | "warn" | "exceeded";
export const WARN_FRACTION = 0.8;

/** ok below 80 % of the cap, warn from 80 %, exceeded at 100 %. No cap → always ok. */
export function checkBudget(spentUsd: number, limitUsd: number | null): BudgetCheck {
  if (limitUsd === null) return "ok";
  if (spentUsd >= limitUsd) return "exceeded";
  return spentUsd >= WARN_FRACTION * limitUsd ? "warn" : "ok";
}

/** Dollars left for the next call's own cap (claude --max-budget-usd); undefined without a cap. */
export function remainingBudget(spentUsd: number, limitUsd: number | null): number | undefined {
  if (limitUsd === null) return undefined;
  return Math.max(0, Math.floor((limitUsd - spentUsd) * 100) / 100);
}

export type BackoffInput = {
  attempt: number;
  baseSeconds: number;
  maxSeconds: number;
  /** A wait the provider asked for (retry-after, reset time), honored when longer. */
  requestedMs?: number;
  /** Active time left before --max-duration; the wait never runs past it. */
  remainingMs: number | null;
  random: () => number;
};

/** Exponential backoff with jitter: base·2^attempt ± 25 %, at least what the provider asked for,
 *  capped by backoff_max and by the run's remaining time. */
export function backoffMs(input: BackoffInput): number {
  const exp = input.baseSeconds * 1000 * 2 ** Math.min(input.attempt, 20);
  const jittered = exp * (0.75 + input.random() * 0.5);
  const wanted = Math.max(jittered, input.requestedMs ?? 0);
  const capped = Math.min(wanted, input.maxSeconds * 1000);
  const bounded = input.remainingMs === null ? capped : Math.min(capped, Math.max(0, input.remainingMs));
  return Math.round(bounded);
}
