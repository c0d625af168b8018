// kill -9 at the end of a run and in the middle of a gate, then `loki resume` (or `loki stop`): the
// end of the run is completed — summary, proof, state, event, once each — and nothing the dead run
// started is left running.
import { describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { userHome } from "../../src/core/workspace.ts";
import { alive, PRD, packageJson, NO_COUNCIL, scenarioRepo, type Scenario } from "../helpers/scenario.ts";
import { git } from "../helpers/tmp.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";

const CLI = cliBundle();

function spawnLoki(s: Scenario, args: string[], extraEnv: Record<string, string> = {}) {
  return Bun.spawn([process.execPath, CLI, ...args], {
    cwd: s.path,
    env: { ...process.env, ...s.env, ...extraEnv },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
}

/** A run reaches its hold in seconds; a 2-core machine running other test files beside it may need far longer. */
async function until(check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await Bun.sleep(25);
  }
}

const proofPath = (s: Scenario, runId: string) => join(s.path, ".loki", "proofs", runId, "proof.json");

/** Start a run that holds before finish step `step`, and kill -9 it there. */
async function killedBefore(s: Scenario, step: string): Promise<void> {
  const held = join(s.path, ".loki", "tmp", "held-at");
  const proc = spawnLoki(s, ["start", "prd.md"], { LOKI_TEST_HOLD_AT: `finish:${step}` });
  await until(() => existsSync(held));
  expect(readFileSync(held, "utf8").trim()).toBe(`finish:${step}`);
  proc.kill("SIGKILL");
  await proc.exited;
  rmSync(held);
}

describe("a run killed while finishing", () => {
  test("between the summary and the proof: no proof, the state not finished; resume writes the proof and exits 0", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    await killedBefore(s, "proof");
    const runId = s.completion().run_id;
    expect(s.completion().outcome).toBe("verified");
    expect(existsSync(proofPath(s, runId))).toBe(false);
    expect(s.orchestrator().outcome).toBeNull();
    expect((await s.loki(["status", "--json"])).json()).toMatchObject({ status: "dead", outcome: null });

    const resumed = await s.loki(["resume"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain("killed while finishing");
    expect(s.proof().payload.run).toMatchObject({ id: runId, outcome: "verified", finished_at: s.completion().finished_at });
    expect(s.orchestrator()).toMatchObject({ run_id: runId, outcome: "verified", status: "completed" });
    // The run was finished, not run again: one agent run, one start, one end.
    expect(s.events().filter((e) => e.kind === "run_started")).toHaveLength(1);
    expect(s.events().filter((e) => e.kind === "run_finished")).toHaveLength(1);
    expect((await s.loki(["proof", "verify", runId])).code).toBe(0);
    expect((await s.loki(["status", "--json"])).json()).toMatchObject({ status: "completed", outcome: "verified" });
    // Whole now: a further resume refuses as for any verified run.
    const again = await s.loki(["resume"]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("already finished verified");
  }, 90_000);

  for (const step of ["completion", "state", "event"]) {
    test(`before the ${step} step: resume completes the same run's end, once`, async () => {
      await using s = await scenarioRepo("honest", NO_COUNCIL);
      await killedBefore(s, step);
      const runId = s.orchestrator().run_id;
      const calls = s.events().filter((e) => e.kind === "agent_started").length;
      const resumed = await s.loki(["resume"]);
      expect(resumed.code).toBe(0);
      // Its end is written, nothing is run again.
      expect(s.events().filter((e) => e.kind === "agent_started")).toHaveLength(calls);
      expect(s.completion()).toMatchObject({ run_id: runId, outcome: "verified" });
      expect(s.proof().payload.run).toMatchObject({ id: runId, outcome: "verified", finished_at: s.completion().finished_at });
      expect(s.orchestrator()).toMatchObject({ outcome: "verified", status: "completed" });
      expect(s.events().filter((e) => e.kind === "run_finished")).toHaveLength(1);
      expect(s.trustEvents().filter((e) => e.kind === "completion")).toHaveLength(1);
    }, 90_000);
  }

  test("a VERIFIED verdict from an earlier leg is not this leg's: resume grades again instead of writing verified", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    await killedBefore(s, "completion");
    const calls = s.events().filter((e) => e.kind === "agent_started").length;
    // What a resumed leg that redid the iteration without a ship gate leaves (a blocked run resumed, or a
    // kill between the verdict's save and the run's end): last_verdict VERIFIED, no gate graded since.
    const started = s.events().findLast((e) => e.kind === "run_started");
    appendFileSync(
      join(s.path, ".loki", "events.jsonl"),
      `${JSON.stringify({ ...started, ts: new Date(Date.now() + 1000).toISOString() })}\n`,
    );
    expect(s.orchestrator()).toMatchObject({ phase: "done", last_verdict: "VERIFIED", outcome: null });
    const resumed = await s.loki(["resume"]);
    expect(resumed.stderr).not.toContain("killed while finishing");
    // Graded again: the agent was called, and a ship gate of this leg decided the outcome.
    expect(s.events().filter((e) => e.kind === "agent_started").length).toBeGreaterThan(calls);
    expect(s.completion().reason).not.toContain("killed before it wrote the run's end");
  }, 90_000);

  test("a state that says finished verified without its proof and summary: resume writes both instead of refusing", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    expect((await s.loki(["start", "prd.md"])).code).toBe(0);
    const runId = s.orchestrator().run_id;
    // What loki used to leave when killed after saving the outcome: neither summary nor proof.
    rmSync(join(s.path, ".loki", "state", "completion.json"));
    rmSync(join(s.path, ".loki", "proofs", runId), { recursive: true });
    const resumed = await s.loki(["resume"]);
    expect(resumed.code).toBe(0);
    expect(s.completion()).toMatchObject({ run_id: runId, outcome: "verified" });
    expect(s.completion().reason).toContain("killed while finishing");
    expect(s.proof().payload.run).toMatchObject({ id: runId, outcome: "verified" });
    expect((await s.loki(["proof", "verify", runId])).code).toBe(0);
  }, 90_000);
});

/** A test file whose first run records its pid outside the repository and sleeps: a gate that hangs once. */
function sleepingTest(marker: string): string {
  return `import { test } from "node:test";
import { existsSync, writeFileSync } from "node:fs";
test("slow once", async () => {
  if (existsSync(${JSON.stringify(marker)})) return;
  writeFileSync(${JSON.stringify(marker)}, String(process.pid));
  await new Promise((resolve) => setTimeout(resolve, 120000));
});
`;
}

/** Unsandboxed (--no-sandbox): a sandboxed gate's test command dies with loki (see below). */
async function killedInGate(s: Scenario, marker: string): Promise<number> {
  const proc = spawnLoki(s, ["start", "prd.md", "--no-sandbox"]);
  await until(() => existsSync(marker) && readFileSync(marker, "utf8") !== "");
  const sleeper = Number(readFileSync(marker, "utf8"));
  proc.kill("SIGKILL");
  await proc.exited;
  // What kill -9 leaves: the gate's test process runs on without loki.
  expect(alive(sleeper)).toBe(true);
  const children = JSON.parse(readFileSync(join(s.path, ".loki", "state", "children.json"), "utf8")) as { children: { command: string }[] };
  expect(children.children.some((c) => c.command.includes("node --test"))).toBe(true);
  return sleeper;
}

/** The honest scenario with the once-sleeping test committed; the marker lives outside the repository. */
async function gateRepo(): Promise<{ s: Scenario; marker: string }> {
  const marker = join(mkdtempSync(join(userHome(), "sleeper-")), "sleeper.pid");
  // node --test runs each test file in a process of its own: the one these tests find and kill.
  const s = await scenarioRepo("honest", NO_COUNCIL, {}, PRD, {
    "package.json": packageJson("node --test"),
    "slow.test.js": sleepingTest(marker),
  });
  return { s, marker };
}

describe("a run killed during a gate's test command", () => {
  test("resume ends the test process the dead run left running, then finishes the run", async () => {
    const { s: repo, marker } = await gateRepo();
    await using s = repo;
    const sleeper = await killedInGate(s, marker);
    const resumed = await s.loki(["resume"]);
    expect(alive(sleeper)).toBe(false);
    expect(resumed.stderr).toContain("the dead run left running");
    expect(resumed.code).toBe(0);
    expect(s.completion().outcome).toBe("verified");
    // The iteration killed in its gate was redone, and its checkpoint folded into the redo's: once in history.
    const subjects = git(s.path, ["log", "--format=%s"]).trim().split("\n");
    expect(subjects.filter((line) => line.startsWith("loki: iteration 1"))).toHaveLength(1);
    expect(new Set(subjects).size).toBe(subjects.length);
  }, 90_000);

  test("sandboxed, the gate's test command dies with loki (kill -9): nothing is left to end, and resume finishes", async () => {
    const { s: repo, marker } = await gateRepo();
    await using s = repo;
    const proc = spawnLoki(s, ["start", "prd.md"]);
    await until(() => existsSync(marker) && readFileSync(marker, "utf8") !== "");
    const testFile = join(s.path, "slow.test.js");
    const running = () => Bun.spawnSync(["ps", "-eo", "args"]).stdout.toString().includes(testFile);
    expect(running()).toBe(true);
    proc.kill("SIGKILL");
    await proc.exited;
    await until(() => !running());
    const resumed = await s.loki(["resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(s.completion().outcome).toBe("verified");
  }, 90_000);

  test("`loki stop` on the dead run ends it too", async () => {
    const { s: repo, marker } = await gateRepo();
    await using s = repo;
    const sleeper = await killedInGate(s, marker);
    expect((await s.loki(["stop"])).code).toBe(0);
    expect(alive(sleeper)).toBe(false);
  }, 90_000);
});
