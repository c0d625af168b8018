// The budget's pure rules: when the next call may start and with what bound, when the 80 % warning
// is due, when a call crossed the cap, when calls may run side by side, and how a budget stop reads.
import { describe, expect, test } from "bun:test";
import {
  budgetReason,
  crossedCap,
  MIN_CALL_USD,
  nextCallBudget,
  parallelFits,
  remainingBudget,
  warningDue,
} from "../../src/loop/budget.ts";

describe("the next call", () => {
  test("no cap: every call may start, unbounded", () => {
    expect(nextCallBudget(1e9, null)).toEqual({ ok: true });
  });

  test("under the cap: it may start, bounded by what is left in whole cents", () => {
    expect(nextCallBudget(0, 0.15)).toEqual({ ok: true, boundUsd: 0.15 });
    expect(nextCallBudget(0.12, 0.15)).toEqual({ ok: true, boundUsd: 0.03 });
    expect(nextCallBudget(1.234, 5)).toEqual({ ok: true, boundUsd: 3.76 });
  });

  test("a cent left is a cent (no float drift rounds it away)", () => {
    expect(remainingBudget(0.14, 0.15)).toBe(0.01);
    expect(nextCallBudget(0.14, 0.15)).toEqual({ ok: true, boundUsd: MIN_CALL_USD });
  });

  test("at or past the cap, or with less than the smallest bound a call can take, none starts", () => {
    expect(nextCallBudget(0.15, 0.15)).toEqual({ ok: false });
    expect(nextCallBudget(0.21, 0.15)).toEqual({ ok: false });
    // Half a cent left: claude's --max-budget-usd would be handed a cent the run does not have.
    expect(nextCallBudget(0.145, 0.15)).toEqual({ ok: false });
  });
});

describe("warning and cap", () => {
  test("the 80 % warning is due from 80 %, once: not when already given, never without a cap", () => {
    expect(warningDue(0.11, 0.15, false)).toBe(false);
    expect(warningDue(0.12, 0.15, false)).toBe(true);
    expect(warningDue(0.12, 0.15, true)).toBe(false);
    expect(warningDue(100, null, false)).toBe(false);
  });

  test("a call that jumps from below 80 % straight past the cap still owes the warning", () => {
    expect(warningDue(0.21, 0.15, false)).toBe(true);
  });

  test("the cap is crossed by the call that took the spend from below it to at or past it", () => {
    expect(crossedCap(0.12, 0.16, 0.15)).toBe(true);
    expect(crossedCap(0.12, 0.15, 0.15)).toBe(true);
    expect(crossedCap(0.16, 0.2, 0.15)).toBe(false);
    expect(crossedCap(0.1, 0.14, 0.15)).toBe(false);
    expect(crossedCap(0, 1e9, null)).toBe(false);
  });
});

describe("calls side by side", () => {
  test("without a cap the provider decides; under a cap only when what is left pays for all at the costliest call", () => {
    expect(parallelFits(100, null, 3, null)).toBe(true);
    expect(parallelFits(0.05, 1, 3, 0.05)).toBe(true);
    expect(parallelFits(0.12, 0.15, 3, 0.04)).toBe(false);
    expect(parallelFits(0.03, 0.15, 3, 0.04)).toBe(true);
  });

  test("nothing seen yet under a cap: one at a time", () => {
    expect(parallelFits(0, 10, 3, null)).toBe(false);
  });
});

describe("the reason", () => {
  test("says where the budget was reached, the dollars, and what did not run", () => {
    expect(budgetReason("at the ship gate", 0.15, 0.15, "held-out check and council not run")).toBe(
      "budget reached at the ship gate ($0.15 of $0.15): held-out check and council not run",
    );
    // Not rounded to cents where that would hide why the cap was reached.
    expect(budgetReason("after iteration 3", 0.145, 0.15)).toBe("budget reached after iteration 3 ($0.145 of $0.15)");
    expect(budgetReason("after iteration 3", 0.1, 0.15)).toBe("budget reached after iteration 3 ($0.10 of $0.15)");
  });
});
