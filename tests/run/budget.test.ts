// --budget as the hard cap over every call, with the scripted fake agent: review calls at the ship
// gate are bounded and billed like build calls, a gate the budget stopped is never VERIFIED (exit 4,
// proof written), the 80 % warning prints once, and `loki resume --budget <more>` finishes the run.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { priceTokens } from "../../src/core/models.ts";
import { FLOOR_TOKENS } from "../../src/providers/outcome.ts";
import { PRD_MATH4, scenarioRepo, type Scenario } from "../helpers/scenario.ts";

const WARNING = "(80 % warning)";
const count = (text: string, part: string) => text.split(part).length - 1;
const total = (s: Scenario) => s.ledger().reduce((sum, e) => sum + e.usd, 0);
const costliest = (s: Scenario) => Math.max(...s.ledger().map((e) => e.usd));

describe("--budget covers every call", () => {
  // One build call ($0.05) builds everything; the judge and each reviewer cost $0.04.
  const env = { FAKE_AGENT_COST: "0.05", FAKE_REVIEW_COST: "0.04" };

  test("exhausted by review calls at the ship gate: exit 4, not VERIFIED, proof written, one warning; resume with more verifies", async () => {
    await using s = await scenarioRepo("full", "", env, PRD_MATH4);
    const result = await s.loki(["start", "prd.md", "--budget", "0.15"]);
    expect(result.code, result.stderr).toBe(4);

    const completion = s.completion();
    expect(completion).toMatchObject({ outcome: "budget_exceeded", exit_code: 4 });
    expect(completion.reason).toBe("budget reached at the ship gate ($0.17 of $0.15): council incomplete (review-security not run)");
    // $0.05 build + $0.04 judge + two reviewers; the third reviewer never started.
    expect(s.ledger().map((e) => e.role)).toEqual(["build", "judge", "review", "review"]);
    expect(total(s)).toBeLessThanOrEqual(0.15 + costliest(s) + 1e-9);
    expect(s.orchestrator().budget.spent_usd).toBeCloseTo(total(s), 9);
    // Near the cap the reviewers ran one at a time, each with what was left as its bound.
    expect(s.reviews().filter((r) => r.first.startsWith("# Review: "))).toHaveLength(2);

    const ship = s.events().filter((e) => e.kind === "ship_gate");
    expect(ship.map((e) => e.kind === "ship_gate" && e.verdict)).toEqual(["CONCERNS"]);
    expect(s.council(1)).toMatchObject({ passed: false });
    expect(s.council(1).reviewers.map((r) => r.verdict)).toEqual(["APPROVE", "APPROVE", "INCONCLUSIVE"]);
    expect(s.proof().payload.headline.verdict).not.toBe("VERIFIED");
    expect(existsSync(join(s.path, ".loki", "proofs", completion.run_id, "proof.json"))).toBe(true);

    // The 80 % warning: once, for the first reviewer's call that crossed it; the cap crossed once.
    expect(count(result.stderr, WARNING)).toBe(1);
    expect(s.events().filter((e) => e.kind === "budget_warning")).toHaveLength(1);
    expect(s.events().filter((e) => e.kind === "budget_exceeded")).toHaveLength(1);
    expect(
      s
        .trustEvents()
        .filter((e) => e.kind === "budget_warning")
        .map((e) => e.data.role),
    ).toEqual(["review"]);
    expect(result.stderr).toContain("finished: budget_exceeded (exit 4)");

    // Raising the cap continues the same run; the unchanged code's held-out verdict is reused.
    const resumed = await s.loki(["resume", "--budget", "1"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(s.completion()).toMatchObject({ outcome: "verified", run_id: completion.run_id });
    expect(s.ledger().filter((e) => e.role === "judge")).toHaveLength(1);
    expect(s.council(2)).toMatchObject({ passed: true });
    expect(count(resumed.stderr, WARNING)).toBe(0);
  });

  test("less than a cent left when the ship gate starts: neither judge nor council runs; a resume at the same cap stops at once", async () => {
    await using s = await scenarioRepo("full", "", { ...env, FAKE_AGENT_COST: "0.145" }, PRD_MATH4);
    const result = await s.loki(["start", "prd.md", "--budget", "0.15"]);
    expect(result.code, result.stderr).toBe(4);
    expect(s.completion().reason).toBe("budget reached at the ship gate ($0.145 of $0.15): held-out check and council not run");
    expect(s.ledger().map((e) => e.role)).toEqual(["build"]);
    expect(s.reviews()).toEqual([]);
    expect(existsSync(join(s.path, ".loki", "council"))).toBe(false);
    expect(existsSync(join(s.path, ".loki", "state", "heldout-result.json"))).toBe(false);
    expect(count(result.stderr, WARNING)).toBe(1);
    expect(s.proof().payload.headline.verdict).not.toBe("VERIFIED");

    // Resumed with the same cap: stopped before any call, and the warning is not given twice.
    const again = await s.loki(["resume"]);
    expect(again.code, again.stderr).toBe(4);
    expect(s.completion().reason).toBe("budget reached after iteration 1 ($0.145 of $0.15): no further call fits");
    expect(s.ledger()).toHaveLength(1);
    expect(count(again.stderr, WARNING)).toBe(0);
    expect(s.events().filter((e) => e.kind === "budget_warning")).toHaveLength(1);
  });

  test("a read-only call that dies without reporting a cost is billed at the floor, never $0", async () => {
    await using s = await scenarioRepo("full", "", { ...env, FAKE_REVIEW: "crash" }, PRD_MATH4);
    const result = await s.loki(["start", "prd.md", "--budget", "5", "--max-iterations", "1"]);
    expect(result.code, result.stderr).toBe(1);
    const judge = s.ledger().filter((e) => e.role === "judge");
    expect(judge.map((e) => e.basis)).toEqual(["estimated"]);
    expect(judge[0]?.usd).toBeCloseTo(priceTokens("claude-sonnet-5-5", FLOOR_TOKENS, "claude").usd, 9);
    expect(s.orchestrator().budget).toMatchObject({ spent_usd: 0.05 + (judge[0]?.usd ?? 0), estimated_usd: judge[0]?.usd });
  });

  test("the honest twin with enough budget verifies (exit 0) with no warning", async () => {
    await using s = await scenarioRepo("full", "", env, PRD_MATH4);
    const result = await s.loki(["start", "prd.md", "--budget", "1"]);
    expect(result.code, result.stderr).toBe(0);
    expect(s.completion()).toMatchObject({ outcome: "verified" });
    expect(
      s
        .ledger()
        .map((e) => e.role)
        .sort(),
    ).toEqual(["build", "judge", "review", "review", "review", "review"]);
    expect(total(s)).toBeCloseTo(0.25, 9);
    expect(count(result.stderr, WARNING)).toBe(0);
    expect(s.events().some((e) => e.kind === "budget_warning" || e.kind === "budget_exceeded")).toBe(false);
  });
});
