// Controlling a live run from outside: STOP, `loki stop`, PAUSE then `loki resume`, kill -9 then
// `loki resume` (same run, consistent state, one ledger), and --bg with a completion summary.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LokiEvent } from "../../src/core/run-schema.ts";
import { fakeBinDir } from "../helpers/cli.ts";
import { alive, HELD, NO_COUNCIL, scenarioRepo, type Scenario } from "../helpers/scenario.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";

const CLI = cliBundle();

function spawnLoki(s: Scenario, args: string[], extraEnv: Record<string, string> = {}) {
  return Bun.spawn([process.execPath, CLI, ...args], {
    cwd: s.path,
    env: { ...process.env, ...s.env, ...extraEnv },
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

const agentRunning =
  (s: Scenario, iteration = 1) =>
  () =>
    existsSync(join(s.path, ".loki", "events.jsonl")) && s.events().some((e) => e.kind === "agent_started" && e.iteration === iteration);

describe("controlling a run", () => {
  test("--json streams every event as a JSON line on stdout", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const result = await s.loki(["start", "prd.md", "--json"]);
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => LokiEvent.parse(JSON.parse(line)));
    expect(lines.map((e) => e.kind)).toEqual(s.events().map((e) => e.kind));
    expect(lines.at(-1)).toMatchObject({ kind: "run_finished", outcome: "verified" });
  });

  test("a STOP file ends the run at the next boundary (exit 1, stopped)", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD);
    const proc = spawnLoki(s, ["start", "prd.md"]);
    await until(agentRunning(s));
    writeFileSync(join(s.path, ".loki", "STOP"), "test\n");
    s.release();
    expect(await proc.exited).toBe(1);
    expect(s.completion()).toMatchObject({ outcome: "stopped", iterations: 1 });
    expect(existsSync(join(s.path, ".loki", "STOP"))).toBe(false);
  });

  test("`loki stop` interrupts the agent call and the run ends stopped; resume finishes it", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, { FAKE_AGENT_SLEEP_MS: "5000" });
    const proc = spawnLoki(s, ["start", "prd.md"]);
    await until(agentRunning(s));
    const stop = await s.loki(["stop"]);
    expect(stop.code).toBe(0);
    expect(await proc.exited).toBe(1);
    expect(s.completion().outcome).toBe("stopped");
    // The killed agent call was stopped by the user: not logged as a crash.
    const finished = s.events().filter((e) => e.kind === "agent_finished");
    expect(finished.map((e) => (e.kind === "agent_finished" ? e.error_class : null))).toEqual(["stopped"]);
    const resumed = await s.loki(["resume"], { FAKE_AGENT_SLEEP_MS: "0" });
    expect(resumed.code).toBe(0);
    expect(s.completion().outcome).toBe("verified");
  });

  test("PAUSE waits at the boundary; `loki resume` un-pauses the live run", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD);
    const proc = spawnLoki(s, ["start", "prd.md"]);
    await until(agentRunning(s));
    const pause = await s.loki(["pause"]);
    expect(pause.code).toBe(0);
    s.release();
    await until(() => s.events().some((e) => e.kind === "paused"));
    // Who paused it is part of the record (the dashboard's pause says "paused by dashboard").
    expect(s.events().find((e) => e.kind === "paused")).toMatchObject({ by: "paused by loki pause" });
    expect((await s.loki(["status", "--json"])).json()).toMatchObject({
      status: "paused",
      pid_alive: true,
      progress: { iteration: 1, max_iterations: 25, phase: "done", spent_usd: 0.05 },
    });
    await Bun.sleep(700);
    expect(s.events().some((e) => e.kind === "agent_started" && e.iteration === 2)).toBe(false);
    expect((await s.loki(["resume"])).stdout).toContain("resumed run");
    expect(await proc.exited).toBe(0);
    expect(s.events().some((e) => e.kind === "resumed")).toBe(true);
  });

  test("`loki stop` in the checkout reaches its one live --bg run in a worktree", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, { FAKE_AGENT_SLEEP_MS: "5000" });
    expect((await s.loki(["start", "prd.md", "--bg"])).code).toBe(0);
    const delegated = () =>
      s.loki(["status", "--json"]).then((r) => r.json<{ delegated: { dir: string; pid_alive: boolean; status: string }[] }>().delegated);
    await until(() => existsSync(join(s.path, ".loki", "worktrees")));
    let dir = "";
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const d = (await delegated())[0];
      if (
        d?.pid_alive &&
        existsSync(join(d.dir, ".loki", "events.jsonl")) &&
        readFileSync(join(d.dir, ".loki", "events.jsonl"), "utf8").includes("agent_started")
      ) {
        dir = d.dir;
        break;
      }
      await Bun.sleep(100);
    }
    expect(dir).not.toBe("");
    const stop = await s.loki(["stop"]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain("stopped run");
    expect((await delegated())[0]).toMatchObject({ status: "stopped", pid_alive: false });
    // …and `loki resume` in the checkout continues that run where it works, in its worktree.
    const resumed = await s.loki(["resume"], { FAKE_AGENT_SLEEP_MS: "0" });
    expect(resumed.code).toBe(0);
    expect((await delegated())[0]).toMatchObject({ status: "completed" });
    expect(existsSync(join(s.path, "math.js"))).toBe(false);
  });

  test("kill -9 mid-iteration, then `loki resume`: same run, consistent state, one ledger", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, { FAKE_AGENT_SLEEP_MS: "3000" });
    const proc = spawnLoki(s, ["start", "prd.md"]);
    await until(agentRunning(s));
    await until(() => s.orchestrator().active_call !== null);
    const before = s.orchestrator();
    proc.kill("SIGKILL");
    await proc.exited;
    expect((await s.loki(["status", "--json"])).json()).toMatchObject({ status: "dead", run_id: before.run_id });
    const resumed = await s.loki(["resume"], { FAKE_AGENT_SLEEP_MS: "0" });
    expect(resumed.code).toBe(0);
    const after = s.orchestrator();
    expect(after).toMatchObject({ run_id: before.run_id, start_sha: before.start_sha, outcome: "verified", active_call: null });
    const ledger = s.ledger();
    expect(new Set(ledger.map((e) => e.call_id)).size).toBe(ledger.length);
    expect(ledger.filter((e) => e.note?.includes("interrupted"))).toHaveLength(1);
    expect(s.completion().cost.usd).toBeCloseTo(
      ledger.reduce((sum, e) => sum + e.usd, 0),
      4,
    );
    expect(s.completion().iterations).toBe(after.iteration);
    expect(
      s
        .events()
        .filter((e) => e.kind === "run_started")
        .map((e) => e.kind === "run_started" && e.resumed),
    ).toEqual([false, true]);
    expect(alive(before.active_call?.pid ?? 0)).toBe(false);
  });

  test("--bg detaches into a worktree, records the child's pid, leaves a summary and a proof, and notifies", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const bin = fakeBinDir(s.state, { "notify-send": `#!/bin/sh\necho "$@" >> ${join(s.state, "notified")}\n` });
    const started = await s.loki(["start", "prd.md", "--bg"], { PATH: `${bin}:${s.env.PATH}` });
    expect(started.code).toBe(0);
    expect(started.stdout).toContain("continues in the background");
    const status = () =>
      s.loki(["status", "--json"]).then((r) => r.json<{ status: string; delegated: { dir: string; run_id: string; status: string }[] }>());
    const first = await status();
    expect(first.status).toBe("inactive");
    expect(first.delegated).toHaveLength(1);
    const dir = first.delegated[0]?.dir ?? "";
    expect(dir).toContain(join(".loki", "worktrees", "loki-run-"));
    await until(() => existsSync(join(dir, ".loki", "state", "completion.json")));
    const completion = JSON.parse(readFileSync(join(dir, ".loki", "state", "completion.json"), "utf8")) as {
      outcome: string;
      run_id: string;
    };
    expect(completion.outcome).toBe("verified");
    // The summary is written first, then the proof, the final event and the notification.
    const logPath = join(dir, ".loki", "logs", `run-${completion.run_id}.log`);
    await until(() => readFileSync(logPath, "utf8").includes("finished: verified"));
    expect(existsSync(join(dir, ".loki", "proofs", completion.run_id, "index.html"))).toBe(true);
    // The notifier's `>>` makes the file before it writes the line: wait for the line, not the file.
    const notified = join(s.state, "notified");
    await until(() => existsSync(notified) && readFileSync(notified, "utf8").includes("\n"));
    expect(readFileSync(notified, "utf8")).toContain("loki: verified");
    // The user's own checkout was never touched.
    expect(existsSync(join(s.path, "math.js"))).toBe(false);
  });
});
