// The snapshot's timeline and event window: a 5,000-event stream (the last 300 kept; every iteration's
// measured phases, gate counts, checkpoint and cost), and a run from before phase events (no phases).
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { LokiEvent } from "../../src/core/run-schema.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { T0, at, cost, event, snap, state, writeLoki } from "./snapshot-fixture.ts";

describe("snapshot: the timeline and a long stream", () => {
  test("5,000 events: the last 300 kept, every iteration's phases, gates, checkpoint and cost projected", async () => {
    await using dir = await tmpdir();
    const lines: Record<string, unknown>[] = [
      event("run_started", 0, 0, { provider: "claude", model: "m", spec: "prd.md", start_sha: "a", resumed: false, budget_usd: null }),
    ];
    const ledger = [];
    for (let n = 1; lines.length < 5000; n++) {
      const m = n * 0.5;
      lines.push(event("iteration_started", n, m));
      lines.push(event("phase_finished", n, m, { phase: "act", started_at: at(m), ms: 1000 }));
      for (let g = 0; g < 40; g++)
        lines.push(event("gate_result", n, m, { gate: `g${g}`, status: g % 4 === 0 ? "fail" : "pass", reason: "r" }));
      lines.push(event("checkpoint", n, m, { sha: `${n}`.padStart(40, "0"), changed: n % 2 === 0 }));
      lines.push(event("phase_finished", n, m, { phase: "verify", started_at: at(m), ms: 2000 }));
      ledger.push(cost(n, m, 0.01));
    }
    lines.length = 5000;
    writeLoki(dir.path, { "state/orchestrator.json": state(), "events.jsonl": lines, "metrics/cost.jsonl": ledger });
    // Timed in bench/ (well under 200 ms); here: the projection is right.
    const s = await snap(dir.path);
    expect(s.offset).toBe(statSync(join(dir.path, ".loki", "events.jsonl")).size);
    expect(s.events).toEqual(lines.slice(-300).map((e) => LokiEvent.parse(e)));
    const iterations = lines.filter((e) => e.kind === "iteration_started").length;
    expect(s.timeline).toHaveLength(iterations);
    expect(s.timeline[0]).toEqual({
      iteration: 1,
      started_at: at(0.5),
      finished_at: new Date(T0 + 30_000 + 2000).toISOString(),
      phases: [
        { phase: "act", started_at: at(0.5), ms: 1000 },
        { phase: "verify", started_at: at(0.5), ms: 2000 },
      ],
      usd: 0.01,
      gates: { pass: 30, fail: 10, skip: 0, inconclusive: 0 },
      checkpoint: "1".padStart(40, "0"),
      changed: false,
    });
    expect(s.timeline.at(-1)?.finished_at).toBeNull();
  });

  test("a run from before phase events: no phases, and an iteration ends at its last recorded work", async () => {
    await using dir = await tmpdir();
    writeLoki(dir.path, {
      "events.jsonl": [
        event("iteration_started", 1, 0),
        event("gate_result", 1, 2, { gate: "tests", status: "inconclusive", reason: "no test runner" }),
        event("paused", 1, 3),
        event("resumed", 1, 9),
        event("iteration_started", 2, 10),
      ],
    });
    const s = await snap(dir.path);
    expect(s.timeline.map((r) => [r.iteration, r.phases, r.finished_at, r.gates.inconclusive])).toEqual([
      [1, [], at(2), 1],
      [2, [], null, 0],
    ]);
  });
});
