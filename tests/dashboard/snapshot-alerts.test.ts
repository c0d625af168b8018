// The snapshot's "needs you" alerts over hand-written .loki/ fixtures: a live run paused, stopping,
// blocked, stalled, refused its credentials and rate-limited until a time that passes; a dead run.
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "../helpers/tmp.ts";
import { at, event, session, snap, state, writeLoki } from "./snapshot-fixture.ts";

describe("snapshot: alerts", () => {
  test("a live run paused, stopping, rate-limited until later, blocked, stalled, refused its credentials", async () => {
    await using dir = await tmpdir();
    writeLoki(dir.path, {
      "session.json": session(),
      "state/orchestrator.json": state({ iteration: 3 }),
      PAUSE: "",
      STOP: "",
      "events.jsonl": [
        event("iteration_started", 3, 40),
        event("ship_gate", 3, 41, { verdict: "BLOCKED", reasons: ["tests: 2 failed"], trigger: "the agent claimed done" }),
        event("stalled", 3, 42, { count: 3 }),
        event("agent_finished", 3, 50, {
          provider: "claude",
          model: "m",
          call_id: "c",
          ok: false,
          exit_code: 1,
          error_class: "auth",
          usd: 0,
          basis: "exact",
          duration_ms: 5,
          claimed_done: false,
        }),
        event("retry", 3, 55, { provider: "claude", error_class: "rate_limit", wait_ms: 10 * 60_000, attempt: 2 }),
        event("paused", 3, 56),
      ],
    });
    const s = await snap(dir.path);
    expect(s.status.status).toBe("paused");
    expect(s.alerts.map((a) => [a.kind, a.since])).toEqual([
      ["paused", at(56)],
      ["stopping", statSync(join(dir.path, ".loki", "STOP")).mtime.toISOString()],
      ["blocked", at(41)],
      ["stalled", at(42)],
      ["auth", at(50)],
      ["rate_limited", at(55)],
    ]);
    expect(s.alerts.find((a) => a.kind === "rate_limited")?.message).toBe(`claude: rate_limit; retrying at ${at(65)} (attempt 2)`);
    // Once the wait is over, the rate limit is history.
    expect((await snap(dir.path, 70)).alerts.some((a) => a.kind === "rate_limited")).toBe(false);
  });

  test("a run whose process is gone is dead, and says what to run", async () => {
    await using dir = await tmpdir();
    writeLoki(dir.path, { "session.json": session({ pid: 2_000_000_000 }), "state/orchestrator.json": state() });
    const s = await snap(dir.path);
    expect(s.alerts).toMatchObject([{ kind: "dead", since: at(0) }]);
    expect(s.alerts[0]?.message).toContain("loki resume");
  });
});
