// A run whose held-out store is gone from this machine cannot verify here: it ends with an error
// naming the store — before the next agent call, or at the ship gate — instead of paying on until it stalls.
import { describe, expect, test } from "bun:test";
import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import { heldOutStorePath } from "../../src/spec/heldout-store.ts";
import { HELD, PRD_MATH4, scenarioRepo } from "../helpers/scenario.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";

const CLI = cliBundle();

describe("a missing held-out store", () => {
  test("on resume: exit 3 naming the store, before any agent call", async () => {
    await using s = await scenarioRepo("honest", "max_iterations: 1\n", {}, PRD_MATH4);
    const first = await s.loki(["start", "prd.md"]);
    expect(first.code, first.stderr).toBe(1);
    const runId = s.orchestrator().run_id;
    const store = heldOutStorePath(s.path, runId);
    expect(existsSync(store)).toBe(true);
    renameSync(store, `${store}.gone`);
    s.release();
    const calls = s.ledger().length;
    const resumed = await s.loki(["resume", "--max-iterations", "5"]);
    expect(resumed.code).toBe(3);
    expect(s.completion()).toMatchObject({ outcome: "error" });
    expect(s.completion().reason).toContain(`the held-out store of run ${runId} is not on this machine (${store})`);
    expect(s.ledger()).toHaveLength(calls);
  });

  test("gone mid-run: the ship gate ends the run with an error, not a CONCERNS to iterate on", async () => {
    await using s = await scenarioRepo("full", "", HELD, PRD_MATH4);
    const proc = Bun.spawn([process.execPath, CLI, "start", "prd.md"], {
      cwd: s.path,
      env: { ...process.env, ...s.env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const deadline = Date.now() + 30_000;
    while (
      !(existsSync(join(s.path, ".loki", "events.jsonl")) && s.events().some((e) => e.kind === "agent_started")) &&
      Date.now() < deadline
    )
      await Bun.sleep(50);
    const store = heldOutStorePath(s.path, s.orchestrator().run_id);
    renameSync(store, `${store}.gone`);
    s.release();
    expect(await proc.exited).toBe(3);
    expect(s.completion()).toMatchObject({ outcome: "error", iterations: 1 });
    expect(s.completion().reason).toContain("the held-out items could not be revealed");
    expect(s.ledger().filter((e) => e.role === "build")).toHaveLength(1);
  });
});
