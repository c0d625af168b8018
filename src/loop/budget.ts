// Budget and backoff arithmetic for the loop. Pure: the loop feeds it spend and time, it answers
// what to do. Unknown cost is never free: estimated dollars count against the cap like exact ones.
// The cap covers every call (build, judge, reviewers, devil's advocate, retries): none starts once it is reached.

export type BudgetCheck = "ok" | "warn" | "exceeded";
export const WARN_FRACTION = 0.8;
/** The smallest bound a call can be given: claude's --max-budget-usd takes whole cents, so a call
 *  with less than a cent left would be handed a cent it does not have. */
export const MIN_CALL_USD = 0.01;

/** ok below 80 % of the cap, warn from 80 %, exceeded at 100 %. No cap → always ok. */
export function checkBudget(spentUsd: number, limitUsd: number | null): BudgetCheck {
  if (limitUsd === null) return "ok";
  if (spentUsd >= limitUsd) return "exceeded";
  return spentUsd >= WARN_FRACTION * limitUsd ? "warn" : "ok";
}

/** Dollars left for the next call's own cap (claude --max-budget-usd), rounded down to whole cents
 *  (a hair of slack so 0.15 − 0.14 is a cent, not 0.0099…); undefined without a cap. */
export function remainingBudget(spentUsd: number, limitUsd: number | null): number | undefined {
  if (limitUsd === null) return undefined;
  return Math.max(0, Math.floor((limitUsd - spentUsd) * 100 + 1e-6) / 100);
}

/** May the next call start, and with what bound? No cap: yes, unbounded. With a cap: only while at
 *  least MIN_CALL_USD is left; the call is then bounded by what is left (where the provider can be). */
export type NextCall = { ok: true; boundUsd?: number } | { ok: false };

export function nextCallBudget(spentUsd: number, limitUsd: number | null): NextCall {
  const left = remainingBudget(spentUsd, limitUsd);
  if (left === undefined) return { ok: true };
  if (spentUsd >= (limitUsd as number) || left < MIN_CALL_USD) return { ok: false };
  return { ok: true, boundUsd: left };
}

/** The 80 % warning is due once per run: from the first spend at or past 80 % — also when that same
 *  call went straight past 100 %. */
export function warningDue(spentUsd: number, limitUsd: number | null, warned: boolean): boolean {
  return limitUsd !== null && !warned && spentUsd >= WARN_FRACTION * limitUsd;
}

/** This call's cost took the spend from below the cap to at or past it. */
export function crossedCap(beforeUsd: number, afterUsd: number, limitUsd: number | null): boolean {
  return limitUsd !== null && beforeUsd < limitUsd && afterUsd >= limitUsd;
}

/**
 * Several calls may run at once under a cap only when what is left pays for all of them at the
 * costliest call seen so far in the run; otherwise they run one at a time, each decided with the
 * last one's cost known. Nothing seen yet: one at a time.
 */
export function parallelFits(spentUsd: number, limitUsd: number | null, calls: number, costliestUsd: number | null): boolean {
  if (limitUsd === null) return true;
  if (costliestUsd === null || costliestUsd <= 0) return false;
  return limitUsd - spentUsd >= calls * costliestUsd;
}

/** The reason a run ends on its budget, saying where: "budget reached at the ship gate ($0.15 of $0.15): council not run". */
export function budgetReason(where: string, spentUsd: number, limitUsd: number | null, what?: string): string {
  const cap = limitUsd === null ? "no cap" : usd(limitUsd);
  return `budget reached ${where} (${usd(spentUsd)} of ${cap})${what ? `: ${what}` : ""}`;
}

/** Cents, unless rounding to cents would hide why the cap was reached ($0.145 is not $0.14). */
function usd(value: number): string {
  const cents = Math.abs(value * 100 - Math.round(value * 100)) < 1e-6;
  return `$${cents ? value.toFixed(2) : value.toFixed(4).replace(/0+$/, "")}`;
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
