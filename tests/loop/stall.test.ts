// What a stall names as its blocker: the newest graded iteration's failing gates, then its
// inconclusive ones (capped), an older iteration's when the newest graded nothing, else the
// latest feedback once.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { GateResult } from "../../src/core/schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { gateBlockers, lastBlockers, stallReason } from "../../src/loop/stall.ts";
import { tmpdir } from "../helpers/tmp.ts";

const gate = (id: string, status: GateResult["status"], reason: string): GateResult => ({
  id,
  title: id,
  status,
  reason,
  duration_ms: 1,
  findings: [],
});

const NO_RUNNER = gate("tests", "inconclusive", "no test runner found (set verify.test in loki.yaml)");

describe("stall blockers", () => {
  test("failing gates first, then inconclusive ones; passing and skipped ones are not blockers", () => {
    const gates = [
      gate("diff", "pass", "2 files"),
      NO_RUNNER,
      gate("build", "skipped", "no build command"),
      gate("secrets", "fail", "a secret in a.js"),
      gate("mutation", "inconclusive", "no mutant"),
      gate("deps", "inconclusive", "audit unavailable"),
    ];
    expect(gateBlockers(gates)).toEqual([
      "secrets fail: a secret in a.js",
      "tests inconclusive: no test runner found (set verify.test in loki.yaml)",
      "mutation inconclusive: no mutant",
    ]);
  });

  test("the newest graded iteration's gates; an older one when the newest graded nothing; else the feedback once", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    dir.write(join(".loki", "iterations", "2", "gates.json"), JSON.stringify([NO_RUNNER]));
    // Iteration 3's agent call failed: it has no gates.json.
    expect(lastBlockers(ws, 3, [])).toEqual(["tests inconclusive: no test runner found (set verify.test in loki.yaml)"]);
    dir.write(join(".loki", "iterations", "3", "gates.json"), JSON.stringify([gate("tests", "pass", "4 passed")]));
    const feedback = ["council: REJECT — add() ignores floats\nmore", "council: REJECT — add() ignores floats"];
    expect(lastBlockers(ws, 3, feedback)).toEqual(["council: REJECT — add() ignores floats"]);
    expect(lastBlockers(ws, 3, [])).toEqual([]);
  });

  test("the reason says how long nothing changed and what still blocks", () => {
    expect(stallReason(3, [])).toBe("no change to the code in 3 iterations");
    expect(stallReason(2, ["tests inconclusive: x", "secrets fail: y"])).toBe(
      "no change to the code in 2 iterations; still blocking: tests inconclusive: x; secrets fail: y",
    );
  });
});
