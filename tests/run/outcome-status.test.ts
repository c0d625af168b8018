// `loki status` agrees with the run's completion summary: each way a run ends keeps its own name
// (interrupted, stopped, stalled…) and status's next step is COMPLETION.txt's, word for word. A
// stall names what blocks it (the last iteration's failing or inconclusive gates), not "try harder".
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NO_COUNCIL, scenarioRepo, type Scenario } from "../helpers/scenario.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";

const CLI = cliBundle();

type Report = { status: string; outcome: string | null; reason: string | null; log: string | null; next: string; pid_alive: boolean };

function spawnLoki(s: Scenario, args: string[]) {
  return Bun.spawn([process.execPath, CLI, ...args], {
    cwd: s.path,
    env: { ...process.env, ...s.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await Bun.sleep(50);
  }
}

const agentRunning = (s: Scenario) => () =>
  existsSync(join(s.path, ".loki", "events.jsonl")) && s.events().some((e) => e.kind === "agent_started");

/** status --json and the human status of a finished run, checked against its completion summary. */
async function expectStatusAgrees(s: Scenario, outcome: string, label: string): Promise<Report> {
  const completion = s.completion();
  const report = (await s.loki(["status", "--json"])).json<Report>();
  expect(report).toMatchObject({ outcome, reason: completion.reason, next: completion.next, pid_alive: false });
  expect(report.log).not.toBeNull();
  expect(readFileSync(join(s.path, ".loki", "COMPLETION.txt"), "utf8")).toContain(`next:       ${completion.next}`);
  const human = (await s.loki(["status"])).stdout;
  expect(human).toMatch(new RegExp(`^loki: ${label.replace(/[()]/g, "\\$&")}  run `, "m"));
  expect(human).toContain(`reason: ${completion.reason}`);
  expect(human).toContain(`next: ${completion.next}`);
  return report;
}

describe("status agrees with how the run ended", () => {
  test("Ctrl+C: exit 130, interrupted, next is loki resume", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, { FAKE_AGENT_SLEEP_MS: "5000" });
    const proc = spawnLoki(s, ["start", "prd.md"]);
    await until(agentRunning(s));
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    const report = await expectStatusAgrees(s, "interrupted", "interrupted");
    expect(report.status).toBe("stopped");
    expect(report.next).toContain("loki resume");
  });

  test("`loki stop`: stopped, next is loki resume", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, { FAKE_AGENT_SLEEP_MS: "5000" });
    const proc = spawnLoki(s, ["start", "prd.md"]);
    await until(agentRunning(s));
    expect((await s.loki(["stop"])).code).toBe(0);
    expect(await proc.exited).toBe(1);
    const report = await expectStatusAgrees(s, "stopped", "stopped");
    expect(report.next).toContain("loki resume");
  });

  test("an iteration cap: capped, with how to give it more room", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    expect((await s.loki(["start", "prd.md", "--max-iterations", "1"])).code).toBe(1);
    const report = await expectStatusAgrees(s, "max_iterations", "capped (iterations)");
    expect(report.next).toContain("loki resume --max-iterations");
  });

  test("a verified run: status's next step is the summary's", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    expect((await s.loki(["start", "prd.md"])).code).toBe(0);
    const report = await expectStatusAgrees(s, "verified", "verified");
    expect(report.status).toBe("completed");
  });

  test("a stall names the real blocker: tests inconclusive, no test runner — set verify.test", async () => {
    await using s = await scenarioRepo("honest", `${NO_COUNCIL}stagnation_limit: 2\n`, {}, undefined, {
      "package.json": JSON.stringify({ name: "math", type: "module", private: true }, null, 2),
    });
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code).toBe(1);
    const completion = s.completion();
    expect(completion.outcome).toBe("stalled");
    expect(completion.reason).toContain("tests inconclusive: no test runner found (set verify.test in loki.yaml)");
    expect(completion.next).toContain("tests inconclusive: no test runner found (set verify.test in loki.yaml)");
    expect(completion.next).toContain("loki start prd.md");
    expect(completion.next).not.toContain("sharpen the spec");
    await expectStatusAgrees(s, "stalled", "stalled");
  });
});
