// The snapshot of real runs through the fake agent: a finished run's panels agree with its files, and
// the adversarial held-out case — mid-call and paused mid-run (with the held-out verdict and a council
// round naming the item under .loki/), no held-out id or text; once finished, the proof's reveal.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HeldOutStore } from "../../src/core/schema.ts";
import { readSnapshot } from "../../src/dashboard/snapshot.ts";
import { heldOutStorePath } from "../../src/spec/heldout-store.ts";
import { HELD, NO_COUNCIL, PRD_MATH4, scenarioRepo, spawnLoki, until, type Scenario } from "../helpers/scenario.ts";
import { deps } from "./snapshot-fixture.ts";

const hasEvent = (s: Scenario, kind: string, iteration?: number) => () =>
  existsSync(join(s.path, ".loki", "events.jsonl")) &&
  s.events().some((e) => e.kind === kind && (iteration === undefined || e.iteration === iteration));

describe("snapshot of a real run", () => {
  test("a finished run: status, run, cost, timeline, gates and outcome agree with its files", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    expect((await s.loki(["start", "prd.md"])).code).toBe(0);
    const snap = await readSnapshot(s.path, deps());
    const state = s.orchestrator();
    const ledger = s.ledger();
    const events = s.events();
    expect(snap.status).toMatchObject({ status: "completed", run_id: state.run_id, outcome: "verified" });
    expect(snap.run).toMatchObject({
      run_id: state.run_id,
      spec_title: "Math helpers",
      iteration: state.iteration,
      phase: "done",
      start_sha: state.start_sha,
    });
    expect(snap.cost).toMatchObject({ calls: ledger.length, limit_usd: null, warn: false, exceeded: false, cap_in_s: null });
    expect(snap.cost?.spent_usd).toBeCloseTo(
      ledger.reduce((sum, e) => sum + e.usd, 0),
      6,
    );
    expect(snap.timeline.map((row) => row.iteration)).toEqual(events.filter((e) => e.kind === "iteration_started").map((e) => e.iteration));
    expect(snap.timeline[0]?.phases.length).toBeGreaterThan(0);
    for (const row of snap.timeline) {
      expect(row.finished_at).not.toBeNull();
      // Phases are the engine's own measurements, never made up: exactly its phase_finished events.
      const measured = events.flatMap((e) =>
        e.kind === "phase_finished" && e.iteration === row.iteration ? [{ phase: e.phase, started_at: e.started_at, ms: e.ms }] : [],
      );
      expect(row.phases).toEqual(measured);
    }
    const last = state.iteration;
    expect(snap.gates).toEqual({
      iteration: last,
      results: s.gates(last).map((g) => ({ gate: g.id, status: g.status, reason: g.reason, findings: [] })),
    });
    expect(snap.outcome).toMatchObject({ outcome: "verified", exit_code: 0, proof: { run_id: state.run_id, url: "/proof" } });
    expect(snap.offset).toBe(statSync(join(s.path, ".loki", "events.jsonl")).size);
    expect(snap.events).toHaveLength(Math.min(300, events.length));
    expect(snap.alerts).toEqual([]);
    // Each panel's source file is there but the council's and the app's (this run has neither).
    const { council, app, ...others } = snap.ages;
    expect([council, app]).toEqual([null, null]);
    for (const age of Object.values(others)) expect(Date.parse(age ?? "")).toBeGreaterThan(0);
  });

  test("held-out: never named while the run is live, even paused with .loki/ naming it; revealed once finished", async () => {
    // The council's devil's advocate finds a blocker, so the run goes on to a second iteration after
    // the held-out judge and the requirements reviewer have both written the held-out id under .loki/.
    await using s = await scenarioRepo("full", "max_iterations: 2\n", { ...HELD, FAKE_REVIEW: "devil-blocker" }, PRD_MATH4);
    const proc = spawnLoki(s, ["start", "prd.md"]);
    await until(hasEvent(s, "agent_started", 1));
    const runId = s.orchestrator().run_id;
    // The test may read the user's store; the snapshot may not.
    const store = HeldOutStore.parse(JSON.parse(readFileSync(heldOutStorePath(s.path, runId), "utf8")));
    expect(store.items).toHaveLength(1);
    const hidden = store.items[0] as { id: string; text: string };
    const leaks = (text: string) => [hidden.id, hidden.text].filter((secret) => text.includes(secret));

    const held = await readSnapshot(s.path, deps());
    expect(held.status.status).toBe("running");
    expect(held.checklist).toMatchObject({ sealed: 1, revealed: null });
    expect(held.checklist?.items).toHaveLength(3);
    expect(leaks(JSON.stringify(held))).toEqual([]);

    writeFileSync(join(s.path, ".loki", "PAUSE"), "");
    s.release();
    await until(hasEvent(s, "paused"));
    const paused = await readSnapshot(s.path, deps());
    // .loki/ itself names the item now: the judge's verdict and the requirements reviewer's item list.
    expect(readFileSync(join(s.path, ".loki", "state", "heldout-result.json"), "utf8")).toContain(hidden.id);
    expect(readFileSync(join(s.path, ".loki", "council", "round-1.json"), "utf8")).toContain(hidden.id);
    expect(paused.status.status).toBe("paused");
    expect(paused.alerts.map((a) => a.kind)).toContain("paused");
    expect(paused.council).toMatchObject([{ round: 1, decision: "failed", devils_advocate: { verdict: "REJECT" } }]);
    expect(paused.checklist).toMatchObject({ sealed: 1, revealed: null });
    expect(leaks(JSON.stringify(paused))).toEqual([]);

    expect((await s.loki(["resume"])).code).toBe(0);
    await proc.exited;
    const done = await readSnapshot(s.path, deps());
    expect(done.outcome?.proof).toEqual({ run_id: runId, url: "/proof" });
    expect(done.checklist?.revealed).toEqual([{ id: hidden.id, text: hidden.text, status: "pass" }]);
  });
});
