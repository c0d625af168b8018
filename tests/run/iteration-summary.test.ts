// The compact iteration line: gate counts with the names of the gates that did not pass, duration,
// spend, checkpoint, the reasons under it (at most a few; none with --verbose), and when the log
// prints it (right after the gates, after a checkpoint that ends the iteration, or before anything later).
import { describe, expect, test } from "bun:test";
import type { LokiEvent } from "../../src/core/run-schema.ts";
import { gateCounts, iterationLines, iterationLog, newTally, tallyEvent, verifySkipped } from "../../src/run/iteration-summary.ts";

const at = (secs: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, secs)).toISOString();
const base = { run_id: "r", iteration: 2 };
const started: LokiEvent = { ...base, ts: at(0), kind: "iteration_started" };
const finished = (ok: boolean, secs = 40): LokiEvent => ({
  ...base,
  ts: at(secs),
  kind: "agent_finished",
  provider: "claude",
  model: "m",
  call_id: "c",
  ok,
  exit_code: ok ? 0 : 1,
  error_class: ok ? null : "rate_limit",
  usd: 0.31,
  basis: "exact",
  duration_ms: 40_000,
  claimed_done: false,
});
const checkpoint: LokiEvent = { ...base, ts: at(41), kind: "checkpoint", sha: "1a2b3c4d5e6f7a8b9c0d", changed: true };
const gate = (id: string, status: "pass" | "fail" | "inconclusive" | "skipped", reason = `${id} said so`): LokiEvent => ({
  ...base,
  ts: at(48),
  kind: "gate_result",
  gate: id,
  status,
  reason,
});
const GATES = [
  ...["build", "lint", "types", "secrets", "tamper", "scope", "drift", "size", "git"].map((id) => gate(id, "pass")),
  gate("tests", "fail", "tests failed: 1 failed\n  at math.test.js:3"),
  gate("mutation", "inconclusive", "no mutation tool"),
  gate("deps", "inconclusive", "no lockfile"),
];
const totals = { cap: 25, spentUsd: 0.73, limitUsd: 5 };

describe("iteration line", () => {
  const tally = [finished(true), checkpoint, ...GATES].reduce(tallyEvent, newTally({ iteration: 2, ts: at(0) }));

  test("one line: k/N, duration, spend, checkpoint, gate counts; the non-passing reasons under it", () => {
    expect(iterationLines(tally, totals, false)).toEqual([
      "iteration 2/25 · 48 s · $0.31 (run $0.73/$5.00) · checkpoint 1a2b3c4d5e · gates: 9 pass, 1 fail (tests), 2 inconclusive (mutation, deps)",
      "  tests: tests failed: 1 failed at math.test.js:3",
      "  mutation: no mutation tool",
      "  deps: no lockfile",
    ]);
  });

  test("--verbose: the line alone (every gate's own line is printed already)", () => {
    expect(iterationLines(tally, { cap: null, spentUsd: null, limitUsd: null }, true)).toEqual([
      "iteration 2 · 48 s · $0.31 · checkpoint 1a2b3c4d5e · gates: 9 pass, 1 fail (tests), 2 inconclusive (mutation, deps)",
    ]);
  });

  test("at most three reasons; the rest are counted", () => {
    const many = ["a", "b", "c", "d", "e"].map((id) => gate(id, "fail")).reduce(tallyEvent, tally);
    const lines = iterationLines(many, totals, false);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toContain("gates: 9 pass, 6 fail (tests, a, b, +3), 2 inconclusive (mutation, deps)");
    expect(lines.at(-1)).toBe("  … 5 more (--verbose shows every gate)");
  });

  test("an iteration whose call failed: no gates, and it says why", () => {
    const failed = [finished(false), { ...checkpoint, sha: null, changed: false }].reduce(
      tallyEvent,
      newTally({ iteration: 3, ts: at(0) }),
    );
    expect(verifySkipped(failed)).toBe(true);
    expect(iterationLines(failed, totals, false)).toEqual([
      "iteration 3/25 · 41 s · $0.31 (run $0.73/$5.00) · agent failed (rate_limit) · no changes · gates not run",
    ]);
  });

  test("gate counts: skipped counted, not named", () => {
    expect(
      gateCounts([
        { gate: "a", status: "skipped" },
        { gate: "b", status: "pass" },
      ]),
    ).toBe("1 pass, 1 skipped");
  });
});

describe("iteration log", () => {
  const run = () => {
    const printed: string[][] = [];
    return {
      printed,
      log: iterationLog(
        (lines) => printed.push(lines),
        () => totals,
        false,
      ),
    };
  };

  test("prints once, right after the iteration's gates (one synchronous batch), before the ship gate's line", async () => {
    const { printed, log } = run();
    for (const e of [started, finished(true), checkpoint, ...GATES]) log.event(e);
    expect(printed).toEqual([]);
    await Promise.resolve();
    expect(printed).toHaveLength(1);
    expect(printed[0]?.[0]).toStartWith("iteration 2/25 · 48 s");
    log.event({ ...base, ts: at(90), kind: "ship_gate", verdict: "BLOCKED", reasons: ["x"], trigger: "t" });
    log.close();
    expect(printed).toHaveLength(1);
  });

  test("a checkpoint after a failed call ends the iteration: printed at once", () => {
    const { printed, log } = run();
    for (const e of [started, finished(false), checkpoint]) log.event(e);
    expect(printed).toHaveLength(1);
    expect(printed[0]?.[0]).toContain("agent failed (rate_limit)");
  });

  test("whatever else happened, an iteration is printed before the next one starts or the run ends", () => {
    const { printed, log } = run();
    log.event(started);
    log.event({ ...started, iteration: 3, ts: at(5) });
    log.event({ ...base, iteration: 3, ts: at(9), kind: "run_finished", outcome: "interrupted", exit_code: 130, reason: "interrupted" });
    expect(printed.map((lines) => lines[0])).toEqual([
      "iteration 2/25 · 5 s · $0.00 (run $0.73/$5.00) · gates not run",
      "iteration 3/25 · 4 s · $0.00 (run $0.73/$5.00) · gates not run",
    ]);
  });
});
