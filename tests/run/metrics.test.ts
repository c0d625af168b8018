// The trust trajectory across runs: a resumed run counts once, with its latest outcome; its cost and
// iterations are the run's whole.
import { describe, expect, test } from "bun:test";
import type { TrustEvent } from "../../src/core/evidence-schema.ts";
import type { CostEntry } from "../../src/core/run-schema.ts";
import { trajectory } from "../../src/run/metrics.ts";

const at = (n: number) => new Date(Date.UTC(2026, 11, 1, 0, n)).toISOString();
const event = (run: string, n: number, kind: TrustEvent["kind"], data: Record<string, unknown> = {}): TrustEvent =>
  ({ ts: at(n), run_id: run, iteration: 0, kind, data }) as TrustEvent;
const cost = (run: string, usd: number): CostEntry =>
  ({
    ts: at(0),
    run_id: run,
    iteration: 1,
    call_id: "c",
    role: "build",
    provider: "claude",
    model: "m",
    usd,
    basis: "exact",
    tokens: {},
    duration_ms: 1,
  }) as CostEntry;

describe("trust trajectory", () => {
  test("a run that stalled and was resumed to verified is one verified run, not a stall and a verification", () => {
    const events = [
      event("r1", 1, "run_start"),
      event("r1", 2, "completion", { outcome: "stalled", iterations: 3, usd: 0.5 }),
      event("r1", 3, "run_start"),
      event("r1", 4, "completion", { outcome: "verified", iterations: 4, usd: 0.7 }),
    ];
    const t = trajectory(events, [cost("r1", 0.5), cost("r1", 0.2)]);
    expect(t).toMatchObject({
      runs: 1,
      outcomes: { verified: 1 },
      verified_runs: 1,
      iterations_to_completion: 4,
      cost_per_verified_run_usd: 0.7,
    });
  });

  test("two runs with their own outcomes, and a run still going counted as unfinished", () => {
    const events = [
      event("r1", 1, "run_start"),
      event("r1", 2, "completion", { outcome: "verified", iterations: 2 }),
      event("r2", 3, "run_start"),
      event("r2", 4, "completion", { outcome: "budget_exceeded", iterations: 5 }),
      event("r3", 5, "run_start"),
    ];
    expect(trajectory(events, [])).toMatchObject({
      runs: 3,
      unfinished: 1,
      outcomes: { verified: 1, budget_exceeded: 1 },
      verified_runs: 1,
    });
  });

  test("no run recorded: no trajectory", () => {
    expect(trajectory([], [])).toBeNull();
  });
});
