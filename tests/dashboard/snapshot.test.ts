// The snapshot over hand-written .loki/ fixtures: nothing there, torn and invalid lines, an invalid
// state file, a lost ledger — unknown is null, never 0 — and the cost arithmetic (sums, burn rate over
// 30 minutes, the cap's ETA, the 80 % warning pinned to the engine's, exceeded as the engine decided).
import { describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LokiEvent } from "../../src/core/run-schema.ts";
import { WARN_FRACTION as ENGINE_WARN_FRACTION } from "../../src/loop/budget.ts";
import { burnRate, WARN_FRACTION } from "../../src/dashboard/snapshot-cost.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { at, cost, event, RUN_ID, session, snap, state, writeLoki } from "./snapshot-fixture.ts";

describe("snapshot: unknown is null, never 0", () => {
  test("a repository without .loki/: every panel unknown or empty, no alert", async () => {
    await using dir = await tmpdir();
    const s = await snap(dir.path);
    expect(s).toMatchObject({ schema_version: 1, offset: 0, run: null, cost: null, timeline: [], checklist: null, gates: null });
    expect(s).toMatchObject({ council: [], events: [], alerts: [], outcome: null, app: null, models: ["claude-sonnet-5-5"] });
    expect(s.status.status).toBe("inactive");
    expect(Object.values(s.ages)).toEqual([null, null, null, null, null, null, null, null]);
  });

  test("events: a torn last line, invalid JSON and an off-schema line are skipped; offset stops at the last newline", async () => {
    await using dir = await tmpdir();
    const good = [
      event("run_started", 0, 0, { provider: "claude", model: "m", spec: "prd.md", start_sha: "a", resumed: false, budget_usd: null }),
      event("iteration_started", 1, 1),
    ];
    const complete = `${JSON.stringify(good[0])}\n{not json\n${JSON.stringify(event("no_such_kind", 1, 1))}\n${JSON.stringify(good[1])}\n`;
    writeLoki(dir.path, { "events.jsonl": `${complete}{"ts":"2026-01-01T12:0` });
    const s = await snap(dir.path);
    expect(s.events).toEqual(good.map((e) => LokiEvent.parse(e)));
    expect(s.offset).toBe(Buffer.byteLength(complete));
    expect(s.timeline).toMatchObject([
      { iteration: 1, started_at: at(1), finished_at: null, phases: [], usd: null, checkpoint: null, changed: null },
    ]);
  });

  test("events read again as they grow: the torn line once completed, appended lines; a replaced file from its start", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, ".loki", "events.jsonl");
    const first = JSON.stringify(event("iteration_started", 1, 1));
    const second = JSON.stringify(event("iteration_started", 2, 2));
    writeLoki(dir.path, { "events.jsonl": `${first}\n${second.slice(0, 20)}` });
    expect((await snap(dir.path)).events.map((e) => e.iteration)).toEqual([1]);
    appendFileSync(path, `${second.slice(20)}\n${JSON.stringify(event("iteration_started", 3, 3))}\n`);
    const grown = await snap(dir.path);
    expect(grown.events.map((e) => e.iteration)).toEqual([1, 2, 3]);
    expect(grown.offset).toBe(Buffer.byteLength(readFileSync(path)));
    // Replaced by a rename (a new file, shorter): what it holds now, nothing left over from the old one.
    writeFileSync(`${path}.new`, `${JSON.stringify(event("iteration_started", 7, 7))}\n`);
    renameSync(`${path}.new`, path);
    expect((await snap(dir.path)).events.map((e) => e.iteration)).toEqual([7]);
  });

  test("an invalid state file is no run; the ledger alone still gives the spend, with the cap unknown", async () => {
    await using dir = await tmpdir();
    writeLoki(dir.path, {
      "state/orchestrator.json": "{not json",
      "metrics/cost.jsonl": [cost(1, 0, 0.25)],
      "checklist/checklist.json": { items: 3 },
    });
    const s = await snap(dir.path);
    expect(s.run).toBeNull();
    expect(s.checklist).toBeNull();
    expect(s.cost).toMatchObject({ spent_usd: 0.25, limit_usd: null, calls: 1, warn: false, exceeded: false, cap_in_s: null });
  });

  test("a lost ledger with spend in the state: the state's total, the breakdown unknown", async () => {
    await using dir = await tmpdir();
    writeLoki(dir.path, {
      "state/orchestrator.json": state({ budget: { limit_usd: 2, spent_usd: 0.3, estimated_usd: 0, warned: false } }),
      "events.jsonl": [event("iteration_started", 1, 0)],
    });
    const s = await snap(dir.path);
    expect(s.cost).toMatchObject({
      spent_usd: 0.3,
      limit_usd: 2,
      exact_usd: null,
      estimated_usd: null,
      calls: null,
      per_role: null,
      burn_usd_per_hour: null,
    });
    expect(s.timeline[0]?.usd).toBeNull();
  });

  test("no ledger before the first call is billed (state spent 0): a known zero", async () => {
    await using dir = await tmpdir();
    writeLoki(dir.path, { "state/orchestrator.json": state(), "events.jsonl": [event("iteration_started", 1, 0)] });
    const s = await snap(dir.path);
    expect(s.cost).toMatchObject({ spent_usd: 0, exact_usd: 0, calls: 0, per_iteration: [], burn_usd_per_hour: null });
    expect(s.timeline[0]?.usd).toBe(0);
  });
});

describe("snapshot: cost", () => {
  const ledger = [
    cost(1, 0, 0.1),
    cost(2, 40, 0.3, { basis: "estimated", role: "review" }),
    cost(2, 50, 0.25),
    cost(2, 60, 0.25, { role: "judge" }),
  ];

  test("sums by basis, iteration and role; burn over the last 30 minutes; the cap's ETA; warned at 80 %", async () => {
    await using dir = await tmpdir();
    writeLoki(dir.path, {
      "state/orchestrator.json": state({ budget: { limit_usd: 1, spent_usd: 0.9, estimated_usd: 0.3, warned: false } }),
      "metrics/cost.jsonl": ledger,
    });
    const s = await snap(dir.path);
    const c = s.cost;
    expect(s.alerts).toEqual([{ kind: "budget_warning", message: "$0.90 of the $1.00 budget spent (80 % or more)", since: null }]);
    // The window holds the entries of minutes 40, 50 and 60: $0.80 over 20 minutes.
    expect(c).toMatchObject({
      spent_usd: 0.9,
      limit_usd: 1,
      exact_usd: 0.6,
      estimated_usd: 0.3,
      calls: 4,
      burn_usd_per_hour: 2.4,
      cap_in_s: 150,
    });
    expect(c).toMatchObject({ warn: true, exceeded: false, per_role: { build: 0.35, review: 0.3, judge: 0.25 } });
    expect(c?.per_iteration).toEqual([
      { iteration: 1, usd: 0.1 },
      { iteration: 2, usd: 0.8 },
    ]);
    // Two calls 1 s each, 2 s apart, make no rate (it would read seconds as an hour's pace).
    const burst = [cost(1, 0, 0.1, { duration_ms: 1000 }), cost(1, 2 / 60, 0.1, { duration_ms: 1000, call_id: "b" })];
    expect(burnRate(burst, Date.parse(at(1)))).toBeNull();
    // Long after: nothing in the window, so no rate and no projection.
    expect((await snap(dir.path, 200)).cost).toMatchObject({ burn_usd_per_hour: null, cap_in_s: null });
  });

  test("an earlier run's spend, events and blocks are not this run's (events.jsonl and the ledger hold every run)", async () => {
    await using dir = await tmpdir();
    const old = { run_id: "20251231-000000-old" };
    writeLoki(dir.path, {
      "state/orchestrator.json": state({ budget: { limit_usd: 10, spent_usd: 1, estimated_usd: 0, warned: false } }),
      "metrics/cost.jsonl": [cost(1, -300, 9, { ...old, call_id: "old-1" }), cost(1, 50, 1)],
      "events.jsonl": [
        event("iteration_started", 1, -310, old),
        event("budget_exceeded", 1, -300, { ...old, spent_usd: 9, limit_usd: 8 }),
        event("ship_gate", 1, -299, { ...old, verdict: "BLOCKED", reasons: ["red tests"], trigger: "claimed done" }),
        event("iteration_started", 1, 40),
      ],
    });
    const s = await snap(dir.path);
    expect(s.cost).toMatchObject({ spent_usd: 1, exceeded: false, calls: 1, per_iteration: [{ iteration: 1, usd: 1 }] });
    expect(s.alerts).toEqual([]);
    expect(s.timeline.map((row) => row.started_at)).toEqual([at(40)]);
    expect(s.events.every((e) => e.run_id !== old.run_id)).toBe(true);
  });

  test("a run live again after a resume does not show its earlier ending as its outcome", async () => {
    await using dir = await tmpdir();
    const ending = {
      schema_version: 1,
      run_id: RUN_ID,
      outcome: "blocked",
      exit_code: 2,
      reason: "red tests",
      start_sha: "a",
      head_sha: "b",
      branch: null,
      iterations: 1,
      diffstat: { files: 1, insertions: 1, deletions: 0 },
      cost: { usd: 0.1, basis: "exact" },
      pr_url: null,
      next: "loki resume",
      finished_at: at(10),
    };
    // The session names this test process: `loki status` reads the run as running.
    writeLoki(dir.path, { "session.json": session(), "state/orchestrator.json": state(), "state/completion.json": ending });
    const live = await snap(dir.path);
    expect(live.status.status).toBe("running");
    expect(live.outcome).toBeNull();
    expect(live.alerts.map((a) => a.kind)).not.toContain("blocked");
  });

  test("the dashboard's 80 % is the engine's (loop/budget.ts)", () => {
    expect(WARN_FRACTION).toBe(ENGINE_WARN_FRACTION);
  });

  test("exceeded is the engine's event, until a higher cap answers it", async () => {
    await using dir = await tmpdir();
    const exceeded = event("budget_exceeded", 2, 60, { spent_usd: 0.9, limit_usd: 0.5 });
    writeLoki(dir.path, {
      "state/orchestrator.json": state({ budget: { limit_usd: 0.5, spent_usd: 0.9, estimated_usd: 0, warned: true } }),
      "metrics/cost.jsonl": ledger,
      "events.jsonl": [event("iteration_started", 2, 30), exceeded],
    });
    const s = await snap(dir.path);
    expect(s.cost).toMatchObject({ exceeded: true, warn: true, cap_in_s: 0 });
    expect(s.alerts.filter((a) => a.kind.startsWith("budget"))).toEqual([
      { kind: "budget_exceeded", message: "budget cap reached: $0.90 of $0.50", since: at(60) },
    ]);
    writeLoki(dir.path, {
      "state/orchestrator.json": state({ budget: { limit_usd: 5, spent_usd: 0.9, estimated_usd: 0, warned: true } }),
      "events.jsonl": [event("iteration_started", 2, 30), exceeded, event("budget_raised", 2, 61, { from: 0.5, to: 5, by: "dashboard" })],
    });
    const raised = await snap(dir.path);
    expect(raised.cost).toMatchObject({ exceeded: false, warn: false, limit_usd: 5 });
    expect(raised.alerts).toEqual([]);
  });
});
