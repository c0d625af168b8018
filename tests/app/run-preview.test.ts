// The Live App Preview during `loki start`: the run starts the app after iterations, takes it down
// while loki grades, and its summary says "Your app is live at <url>" only when three healthy answers
// said so — a crashing app is reported as not live, and never changes the verdict.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { HealthRecord } from "../../src/core/app-schema.ts";
import { loki } from "../helpers/cli.ts";
import { stopRun } from "../../src/run/control.ts";
import { HELD, NO_COUNCIL, processesWith, scenarioRepo, spawnLoki, until } from "../helpers/scenario.ts";

/** Runs `work`, then stops the repository's preview (before `await using` removes the repository). */
async function stopping(dir: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } finally {
    await loki(["preview", "stop"], { cwd: dir });
  }
}

const health = (dir: string) =>
  readFileSync(join(dir, ".loki", "app", "health.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => HealthRecord.parse(JSON.parse(line)));

describe("loki start with the preview on", () => {
  test("the app is live at the end, and the summary says where; it was down while loki graded", async () => {
    await using s = await scenarioRepo("honest", "app:\n  command: python3 -m http.server $PORT --bind 127.0.0.1\n");
    await stopping(s.path, async () => {
      const result = await s.loki(["start", "prd.md"], { LOKI_APP_PREVIEW: "on" });
      expect(result.code, result.stderr).toBe(0);
      const completion = s.completion();
      expect(completion.app?.status).toBe("live");
      const url = completion.app?.url ?? "";
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(result.stdout).toContain(`Your app is live at ${url}`);
      expect(readFileSync(join(s.path, ".loki", "COMPLETION.txt"), "utf8")).toContain(`Your app is live at ${url}`);
      // It serves the run's tree (the agent's math.js is there), from loki's sandbox.
      const listing = await (await fetch(url)).text();
      expect(listing).toContain("math.js");
      // The spec (it names the held-out items) is hidden from the app as from the agent: unreadable.
      const spec = await fetch(`${url}prd.md`);
      expect(spec.status).not.toBe(200);
      expect(await spec.text()).not.toContain("returns the sum of two numbers");
      // loki's own state is an empty directory to it.
      expect(await (await fetch(`${url}.loki/`)).text()).not.toContain("state/");
      const state = JSON.parse(readFileSync(join(s.path, ".loki", "app", "state.json"), "utf8"));
      expect(state).toMatchObject({ status: "live", run_id: completion.run_id, sandboxed: true, kind: "override" });
      // Started after the iteration, stopped before the ship gate graded it, live again at the end.
      const records = health(s.path).filter((r) => r.run_id === completion.run_id);
      const statuses = records.map((r) => r.status);
      expect(statuses.at(-1)).toBe("live");
      expect(records.some((r) => r.status === "stopped" && r.detail === `stopped by run ${completion.run_id} (loki grades the tree)`)).toBe(
        true,
      );
      // Each start records "starting" before it has a URL: after an iteration, and again at the end.
      expect(records.filter((r) => r.status === "starting" && r.url === null).length).toBeGreaterThanOrEqual(2);
      expect(statuses.indexOf("stopped")).toBeLessThan(statuses.lastIndexOf("live"));
    });
  }, 120_000);

  test("an app that crashes is reported as not live, with its reason; the run still verifies", async () => {
    await using s = await scenarioRepo("full", "app:\n  command: echo starting; exit 3\n  max_restarts: 0\n");
    await stopping(s.path, async () => {
      const result = await s.loki(["start", "prd.md"], { LOKI_APP_PREVIEW: "on" });
      expect(result.code, result.stderr).toBe(0);
      const completion = s.completion();
      expect(completion.outcome).toBe("verified");
      expect(completion.app).toMatchObject({ status: "crashed", url: null });
      expect(completion.app?.detail).toContain("it exited with code 3");
      expect(result.stdout).not.toContain("Your app is live");
      expect(result.stdout).toContain("not live (crashed: it exited with code 3");
    });
  }, 120_000);

  test("preview off (the tests' default, and auto under CI): no app, no app line", async () => {
    await using s = await scenarioRepo("full", "app:\n  command: python3 -m http.server $PORT --bind 127.0.0.1\n");
    const result = await s.loki(["start", "prd.md"], { CI: "true", LOKI_APP_PREVIEW: "auto" });
    expect(result.code, result.stderr).toBe(0);
    expect(s.completion().app).toBeUndefined();
    expect(result.stdout).not.toContain("app:");
  }, 120_000);
});

describe("the run contract in the build prompt", () => {
  const prd = (db: string) =>
    `# Notes\n\n## Acceptance criteria\n- [ ] add(a, b) returns the sum of two numbers\n- [ ] notes are stored in ${db}\n`;
  test("a spec that needs a database gets it; one that does not, does not", async () => {
    await using multi = await scenarioRepo("full", "", {}, prd("PostgreSQL"));
    expect((await multi.loki(["start", "prd.md"])).code).toBe(0);
    expect(readFileSync(join(multi.path, ".loki", "iterations", "1", "prompt.md"), "utf8")).toContain("## Run contract");
    await using single = await scenarioRepo("full", "", {}, prd("a JSON file"));
    expect((await single.loki(["start", "prd.md"])).code).toBe(0);
    expect(readFileSync(join(single.path, ".loki", "iterations", "1", "prompt.md"), "utf8")).not.toContain("## Run contract");
  }, 120_000);
});

describe("a run that is stopped", () => {
  test("ends at once: its app is taken down, not waited for, and the summary names no app", async () => {
    // An app that never answers: were the end to wait for it, it would wait out the 120 s ready timeout.
    await using s = await scenarioRepo("break-then-fix", `${NO_COUNCIL}app:\n  command: exec sleep 600\n`, HELD);
    await stopping(s.path, async () => {
      const run = spawnLoki(s, ["start", "prd.md", "--max-iterations", "3"], { LOKI_APP_PREVIEW: "on" });
      const count = (kind: string) =>
        existsSync(join(s.path, ".loki", "events.jsonl")) ? s.events().filter((e) => e.kind === kind).length : 0;
      // Call 1 goes; call 2 waits (FAKE_AGENT_HOLD) while the app, started after iteration 1's ship gate, runs.
      await until(() => count("agent_started") >= 1, 60_000);
      s.release();
      await until(() => count("agent_finished") >= 1, 60_000);
      rmSync(join(s.state, HELD.FAKE_AGENT_HOLD), { force: true });
      await until(() => count("agent_started") >= 2 && existsSync(join(s.path, ".loki", "app", "state.json")), 60_000);
      const started = Date.now();
      expect((await stopRun(s.path, "now", "test")).ok).toBe(true);
      s.release();
      expect(await run.exited).toBe(1);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(s.completion()).toMatchObject({ outcome: "stopped" });
      expect(s.completion().app).toBeUndefined();
      const state = JSON.parse(readFileSync(join(s.path, ".loki", "app", "state.json"), "utf8"));
      expect(state.status).toBe("stopped");
      expect(processesWith(["sleep", "600"])).toEqual([]);
    });
  }, 120_000);
});
