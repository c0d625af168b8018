// The facts verify feeds the gates from .loki/: spec drift since `loki spec lock` (an unreadable
// spec is inconclusive, never a crash) and the current run's held-out result (a failed item blocks).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { HeldoutResult } from "../../src/core/evidence-schema.ts";
import { OrchestratorState } from "../../src/core/run-schema.ts";
import { workspaceAt, writeJson } from "../../src/core/workspace.ts";
import { loki } from "../helpers/cli.ts";
import { gateOf, NODE_FIX, NODE_PROJECT, verifyJson, verifyRepo } from "../helpers/verify-repo.ts";

// Each test runs the real CLI several times (and real test suites): well past the 5 s default.
setDefaultTimeout(60_000);

const PRD = "# Widget\n\n## Requirements\n\n- The widget adds two numbers\n- The widget rejects strings\n";

describe("spec drift", () => {
  test("no lock: skipped; locked and unchanged: pass; changed since the lock: BLOCKED", async () => {
    await using repo = await verifyRepo({ ...NODE_PROJECT, "prd.md": PRD }, NODE_FIX);
    expect(gateOf((await verifyJson(repo.path)).evidence, "spec_drift")).toMatchObject({
      status: "skipped",
      reason: "no spec lock (loki spec lock)",
    });
    expect((await loki(["spec", "lock", "prd.md"], { cwd: repo.path })).code).toBe(0);
    const locked = await verifyJson(repo.path);
    expect(locked.code).toBe(0);
    expect(gateOf(locked.evidence, "spec_drift")?.status).toBe("pass");
    repo.commit({ "prd.md": `${PRD}- The widget logs every call\n` });
    const drifted = await verifyJson(repo.path);
    expect(drifted.code).toBe(2);
    expect(gateOf(drifted.evidence, "spec_drift")).toMatchObject({
      status: "fail",
      findings: [{ rule: "spec-item-added", severity: "high" }],
    });
  });

  test("a locked spec that can no longer be read is inconclusive (CONCERNS), not a crash", async () => {
    await using repo = await verifyRepo({ ...NODE_PROJECT, "prd.md": PRD }, NODE_FIX);
    expect((await loki(["spec", "lock", "prd.md"], { cwd: repo.path })).code).toBe(0);
    rmSync(join(repo.path, "prd.md"));
    const { code, evidence } = await verifyJson(repo.path);
    expect(code).toBe(1);
    expect(gateOf(evidence, "spec_drift")?.status).toBe("inconclusive");
    expect(gateOf(evidence, "spec_drift")?.reason).toStartWith("the spec could not be re-read: ");
  });
});

function writeRun(root: string, runId: string, result: { passed: number; failed: number; unknown: number }, resultRunId = runId): void {
  const ws = workspaceAt(root);
  const now = "2026-01-01T00:00:00.000Z";
  writeJson(ws.orchestrator, OrchestratorState, {
    schema_version: 1,
    run_id: runId,
    status: "completed",
    phase: "done",
    iteration: 3,
    start_sha: "a".repeat(40),
    branch: "feature",
    spec: { ref: "prd.md", sha256: "b".repeat(64), title: "Widget" },
    provider: "claude",
    chain: ["claude"],
    model: "sonnet",
    budget: { limit_usd: null, spent_usd: 0, estimated_usd: 0, warned: false },
    retries: { consecutive: 0, total: 0 },
    stagnation: { count: 0, last_tree: null },
    caps: { max_iterations: 25, max_duration_s: null },
    elapsed_ms: 1000,
    feedback: [],
    last_verdict: null,
    active_call: null,
    outcome: null,
    updated_at: now,
  });
  const items = Array.from(
    { length: result.passed + result.failed + result.unknown },
    (_, i) =>
      ({
        id: `item-${i}`,
        status: i < result.passed ? "pass" : i < result.passed + result.failed ? "fail" : "unknown",
        method: "command",
        category: "requirement",
        evidence: "x",
      }) as const,
  );
  writeJson(ws.heldoutResult, HeldoutResult, {
    schema_version: 1,
    run_id: resultRunId,
    iteration: 3,
    evaluated_at: now,
    verdict: result.failed > 0 ? "BLOCKED" : "VERIFIED",
    items,
    ...result,
  });
}

describe("held-out result", () => {
  test("the current run's failed held-out item blocks, with the run id in the evidence", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX);
    writeRun(repo.path, "run-1", { passed: 2, failed: 1, unknown: 0 });
    const { code, evidence } = await verifyJson(repo.path);
    expect(code).toBe(2);
    expect(evidence.run_id).toBe("run-1");
    expect(gateOf(evidence, "heldout")).toMatchObject({ status: "fail", reason: "1 held-out item failed (2 passed, 0 undecided)" });
  });

  test("all passed: pass; a result from another run: skipped, saying so", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX);
    writeRun(repo.path, "run-2", { passed: 3, failed: 0, unknown: 0 });
    expect(gateOf((await verifyJson(repo.path)).evidence, "heldout")?.status).toBe("pass");
    writeRun(repo.path, "run-3", { passed: 0, failed: 2, unknown: 0 }, "run-old");
    const stale = await verifyJson(repo.path);
    expect(stale.code).toBe(0);
    expect(gateOf(stale.evidence, "heldout")).toMatchObject({
      status: "skipped",
      reason: "run run-3 has no held-out result yet (its ship gate has not evaluated the held-out items)",
    });
  });

  test("a corrupt run state makes the held-out gate inconclusive", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX);
    await Bun.write(workspaceAt(repo.path).orchestrator, "{ not json");
    const { code, evidence } = await verifyJson(repo.path);
    expect(code).toBe(1);
    expect(gateOf(evidence, "heldout")?.reason).toStartWith("the run's held-out result could not be read: ");
  });
});
