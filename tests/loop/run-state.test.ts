// The run's record (loop/run-state.ts): which saves a power loss may take back to the iteration's
// boundary and which are synced at once, session.json rewritten only when what it says changes, a
// staged change held in state until the next save writes it, and the fingerprints kept out of the file.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Config } from "../../src/core/config.ts";
import { syncOwed, workspaceAt } from "../../src/core/workspace.ts";
import { initialState, openRunRecord, saveDurability } from "../../src/loop/run-state.ts";
import { tmpdir } from "../helpers/tmp.ts";

const state = () =>
  initialState({
    runId: "20260101-000000-abcd",
    startSha: "a".repeat(40),
    branch: "main",
    spec: { ref: "prd.md", sha256: "b".repeat(64), title: "t" },
    chain: ["claude"],
    model: "claude-sonnet-5-5",
    config: Config.parse({}),
    maxDurationS: null,
    sandboxed: true,
    now: new Date("2026-01-01T00:00:00Z"),
  });

describe("how long a save must last", () => {
  const s = state();
  test("what a redo of the iteration rebuilds waits for the boundary", () => {
    expect(saveDurability({ phase: "act" }, s)).toBe("boundary");
    expect(saveDurability({ iteration: 3, phase: "reason", elapsed_ms: 10 }, s)).toBe("boundary");
    expect(saveDurability({ stagnation: { count: 1, last_tree: null } }, s)).toBe("boundary");
    expect(saveDurability({ phase: "compound", feedback: ["x"] }, s)).toBe("boundary");
    expect(saveDurability({ active_call: null }, s)).toBe("boundary");
    expect(saveDurability({ budget: { ...s.budget, spent_usd: 1 } }, s)).toBe("boundary");
  });

  test("a running call, a violation, a verdict, a status, a raised cap or a provider switch is synced at once", () => {
    const call = { pid: 1, iteration: 1, call_id: "i1", started_at: "2026-01-01T00:00:00Z" };
    expect(saveDurability({ active_call: call }, s)).toBe("power");
    expect(saveDurability({ violations: ["build: read ~/.loki"] }, s)).toBe("power");
    expect(saveDurability({ last_verdict: "BLOCKED", feedback: [] }, s)).toBe("power");
    expect(saveDurability({ status: "running" }, s)).toBe("power");
    expect(saveDurability({ budget: { ...s.budget, limit_usd: 5 } }, s)).toBe("power");
    expect(saveDurability({ provider: "codex" }, s)).toBe("power");
    expect(saveDurability({ phase: "done", outcome: "verified" }, s)).toBe("power");
    expect(saveDurability({}, s)).toBe("power");
  });
});

describe("the record's saves", () => {
  test("every save is on disk for readers at once; session.json changes with its status or a new iteration, not each phase", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    let clock = Date.parse("2026-01-01T00:00:00Z");
    const record = openRunRecord(
      ws,
      state(),
      () => {},
      () => new Date((clock += 1000)),
    );
    const session = () => JSON.parse(readFileSync(ws.session, "utf8")) as { status: string; updated_at: string };
    const orchestrator = () =>
      JSON.parse(readFileSync(ws.orchestrator, "utf8")) as { phase: string; iteration: number; updated_at: string };

    record.save({ status: "running" });
    const first = session().updated_at;
    expect(session().status).toBe("running");
    record.save({ iteration: 1, phase: "reason" });
    const started = session().updated_at;
    expect(started > first).toBe(true);
    record.save({ phase: "act" });
    record.save({ phase: "reflect" });
    expect(orchestrator()).toMatchObject({ phase: "reflect", iteration: 1 });
    expect(session().updated_at).toBe(started);
    record.save({ status: "paused" });
    expect(session().status).toBe("paused");
    record.save({ iteration: 2, phase: "reason" });
    expect(session().updated_at).toBe(orchestrator().updated_at);
    syncOwed();
  });

  test("a staged change is in state at once and on disk with the next save; one that must be synced at once cannot wait", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    let clock = Date.parse("2026-01-01T00:00:00Z");
    const phases: string[] = [];
    const record = openRunRecord(
      ws,
      state(),
      (event) => {
        if (event.kind === "phase_finished") phases.push(event.phase);
      },
      () => new Date((clock += 1000)),
    );
    const orchestrator = () =>
      JSON.parse(readFileSync(ws.orchestrator, "utf8")) as { phase: string; iteration: number; active_call: unknown };
    record.save({ iteration: 1, phase: "reason" });
    syncOwed();
    record.stage({ phase: "act" });
    expect(record.state.phase).toBe("act");
    expect(orchestrator().phase).toBe("reason");
    // The phase left is told when it is left, staged or saved.
    expect(phases).toEqual(["reason"]);
    const call = { pid: 1, iteration: 1, call_id: "i1", started_at: "2026-01-01T00:00:00Z" };
    record.save({ active_call: call });
    expect(orchestrator()).toMatchObject({ phase: "act", active_call: call });
    record.stage({ active_call: null, budget: { ...record.state.budget, spent_usd: 0.5 } });
    expect(orchestrator().active_call).toEqual(call);
    record.save({ phase: "reflect" });
    expect(orchestrator()).toMatchObject({ phase: "reflect", active_call: null, budget: { spent_usd: 0.5 } });
    syncOwed();
    for (const patch of [
      { status: "paused" as const },
      { violations: ["x"] },
      { active_call: call },
      { budget: { ...record.state.budget, limit_usd: 9 } },
    ])
      expect(() => record.stage(patch)).toThrow("must be saved at once");
    expect(orchestrator()).toMatchObject({ phase: "reflect", active_call: null });
  });

  test("the run's fingerprints go to state/integrity.json once, stay in state, and are not rewritten with every save", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    const record = openRunRecord(ws, state(), () => {});
    const integrity = { loki: { "/opt/loki": "1:2:3:4:abc" }, provider: { "/usr/bin/claude": "5:6:7:8:def" }, config: {} };
    record.save({ status: "running", integrity });
    expect(JSON.parse(readFileSync(ws.integrity, "utf8"))).toEqual({ schema_version: 1, run_id: record.state.run_id, ...integrity });
    const onDisk = () => JSON.parse(readFileSync(ws.orchestrator, "utf8")) as Record<string, unknown>;
    expect(onDisk().integrity).toBeUndefined();
    record.save({ iteration: 1, phase: "reason" });
    record.stage({ phase: "act" });
    record.save({ phase: "reflect" });
    expect(record.state.integrity).toEqual(integrity);
    expect(onDisk()).toMatchObject({ phase: "reflect", iteration: 1 });
    expect(onDisk().integrity).toBeUndefined();
    syncOwed();
  });
});
