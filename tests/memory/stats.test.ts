// `loki memory stats`'s arithmetic on a known history: repeats are failures (by fingerprint) an earlier
// run already hit, counted apart for runs whose prompts were given memories and runs without, and a
// failure a given memory had described that the run hit all the same.
import { describe, expect, test } from "bun:test";
import type { Episode } from "../../src/core/run-schema.ts";
import { memoryStats } from "../../src/memory/stats.ts";

const ep = (run: string, n: number, ts: string, fps: string[]): Episode => ({
  ts,
  run_id: run,
  iteration: n,
  provider: "claude",
  result: fps.length > 0 ? "gates_failed" : "progress",
  files_changed: 1,
  failures: fps.map((f) => `failure ${f}`),
  claimed_done: false,
  id: `ep_${run}_${n}`,
  errors: fps.map((f) => ({ type: "tests", message: `failure ${f}`, fingerprint: f })),
});

describe("memory stats", () => {
  test("repeats with and without memories, and failures hit again despite a memory", () => {
    const episodes = [
      ep("a", 1, "2026-01-01T00:00:00Z", ["x", "y"]),
      ep("a", 2, "2026-01-01T00:01:00Z", []),
      // b is given a's first episode (x, y) and still hits x; z is new.
      ep("b", 1, "2026-01-02T00:00:00Z", ["x", "z"]),
      // c gets no memory and repeats y and z.
      ep("c", 1, "2026-01-03T00:00:00Z", ["y", "z", "w"]),
    ];
    const stats = memoryStats(episodes, new Map([["b", ["ep_a_1", "ep_a_1"]]]));
    expect(stats.runs.map((r) => [r.run_id, r.failures, r.repeats, r.hit_again])).toEqual([
      ["a", 2, 0, 0],
      ["b", 2, 1, 1],
      ["c", 3, 2, 0],
    ]);
    expect(stats.runs[1]?.memories).toEqual(["ep_a_1"]);
    expect(stats.with_memory).toEqual({ runs: 1, failures: 2, repeats: 1, repeat_rate: 0.5 });
    expect(stats.without_memory).toEqual({ runs: 2, failures: 5, repeats: 2, repeat_rate: 0.4 });
  });

  test("no failures: no rate rather than 0 %", () => {
    const stats = memoryStats([ep("a", 1, "2026-01-01T00:00:00Z", [])], new Map());
    expect(stats.without_memory).toEqual({ runs: 1, failures: 0, repeats: 0, repeat_rate: null });
    expect(stats.with_memory.repeat_rate).toBeNull();
  });
});
