// kill -9 where the loop holds a change for its next save (loop/run-state.ts stage): before the build
// call starts, after the call is billed, and at an iteration's end (its compound phase held too). Each time the state on disk is the
// save before, whole; no file under .loki/ is torn; and `loki resume` redoes the iteration and verifies,
// with every call billed once, the iteration's checkpoint in history once, and the run's reports rendered
// at its end from the evidence it ends with (the loop writes evidence.json alone).
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { HoldPoint } from "../../src/loop/hold.ts";
import { NO_COUNCIL, type Scenario, scenarioRepo, spawnLoki, until } from "../helpers/scenario.ts";
import { git } from "../helpers/tmp.ts";
import { RENDERERS } from "../../src/verify/report/formats.ts";

/** Start a run held at `point` and kill -9 it there. */
async function killedAt(s: Scenario, point: HoldPoint): Promise<void> {
  const held = join(s.path, ".loki", "tmp", "held-at");
  const proc = spawnLoki(s, ["start", "prd.md"], { LOKI_TEST_HOLD_AT: point });
  await until(() => existsSync(held), 60_000);
  expect(readFileSync(held, "utf8").trim()).toBe(point);
  proc.kill("SIGKILL");
  await proc.exited;
  rmSync(held);
}

/** Every JSON file under .loki/ parses, and every line of every JSONL stream: nothing torn. */
function expectNothingTorn(s: Scenario): void {
  const dir = join(s.path, ".loki");
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (entry.name.endsWith(".json")) expect(() => JSON.parse(readFileSync(path, "utf8"))).not.toThrow();
    if (entry.name.endsWith(".jsonl"))
      for (const line of readFileSync(path, "utf8").split("\n").filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  }
}

/** What each hold leaves on disk: the state of the save before the staged change. */
const LEFT: Record<"loop:act" | "loop:billed" | "loop:iteration-end", (s: Scenario) => void> = {
  "loop:act": (s) => {
    expect(s.orchestrator()).toMatchObject({ iteration: 1, phase: "reason", active_call: null });
    expect(s.ledger()).toHaveLength(0);
  },
  "loop:billed": (s) => {
    const state = s.orchestrator();
    expect(state).toMatchObject({ iteration: 1, phase: "act" });
    // The call is in the ledger, synced before the clearing that was held: resume must not bill it again.
    expect(s.ledger().map((e) => e.call_id)).toEqual([state.active_call?.call_id ?? "(none)"]);
  },
  "loop:iteration-end": (s) => {
    expect(s.orchestrator()).toMatchObject({ iteration: 1, phase: "verify", active_call: null });
    // The events were written as they happened: the compound phase's end is there.
    expect(s.events().some((e) => e.kind === "phase_finished" && e.phase === "compound" && e.iteration === 1)).toBe(true);
    expect(git(s.path, ["log", "--format=%s"]).split("\n")).toContain("loki: iteration 1");
    // The iteration's evidence is written; its reports are the run's end's.
    expect(s.evidence().run_id).toBe(s.orchestrator().run_id);
    expect(existsSync(join(s.path, ".loki", "verify", "report.md"))).toBe(false);
  },
};

describe("a run killed while a change waits for the next save", () => {
  for (const point of Object.keys(LEFT) as (keyof typeof LEFT)[]) {
    test(`at ${point}: the previous save whole, nothing torn; resume redoes iteration 1 and verifies`, async () => {
      await using s = await scenarioRepo("honest", NO_COUNCIL);
      await killedAt(s, point);
      expectNothingTorn(s);
      LEFT[point](s);
      const runId = s.orchestrator().run_id;

      const resumed = await s.loki(["resume"]);
      expect(resumed.code).toBe(0);
      expectNothingTorn(s);
      expect(s.orchestrator()).toMatchObject({ run_id: runId, outcome: "verified", status: "completed", active_call: null });
      // Every call billed once, the interrupted one included: each build call started has one ledger line.
      const calls = s.ledger().map((e) => e.call_id);
      expect(new Set(calls).size).toBe(calls.length);
      const builds = s.ledger().flatMap((e) => (e.role === "build" ? [e.call_id] : []));
      expect(builds).toEqual(s.events().flatMap((e) => (e.kind === "agent_started" ? [e.call_id] : [])));
      // Iteration 1 redone: its checkpoint (if the dead run made one) folded back, committed once.
      const subjects = git(s.path, ["log", "--format=%s"]).split("\n");
      expect(subjects.filter((line) => line === "loki: iteration 1")).toHaveLength(1);
      expect(s.events().filter((e) => e.kind === "iteration_started" && e.iteration === 1)).toHaveLength(2);
      const verify = (name: string) => readFileSync(join(s.path, ".loki", "verify", name), "utf8");
      const evidence = s.evidence();
      expect(evidence.run_id).toBe(runId);
      expect([verify("report.md"), verify("results.sarif"), verify("junit.xml")]).toEqual([
        RENDERERS.markdown(evidence),
        RENDERERS.sarif(evidence),
        RENDERERS.junit(evidence),
      ]);
    }, 120_000);
  }
});
