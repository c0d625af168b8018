// Background and delegated runs get every flag the user gave: the parent saves the flags it resolved
// in the run's state and the --bg child runs with them (no argv of its own). A child that dies —
// on start, or killed mid-run — is never a bare `dead`: status says why, where its log is, what next.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildProgram } from "../../src/program.ts";
import { flagsOf, INVOCATION_OPTIONS } from "../../src/commands/run.ts";
import { OrchestratorState, RunFlags } from "../../src/core/run-schema.ts";
import { parseLogTail } from "../../src/run/run-log.ts";
import { definedFlags } from "../../src/run/start.ts";
import { fakeBinDir } from "../helpers/cli.ts";
import { IS_ROOT } from "../helpers/real-cli.ts";
import { alive, NO_COUNCIL, scenarioRepo, type Scenario } from "../helpers/scenario.ts";

/** The scenario's loop settings without its `allow_root: true`, unsandboxed: as root, only --yes lets claude run. */
const NO_ROOT_OPT_IN = { "loki.yaml": "backoff_base_seconds: 0.01\nbackoff_max_seconds: 0.05\nsandbox: false\n" };

type Delegated = {
  dir: string;
  run_id: string;
  status: string;
  pid_alive: boolean;
  outcome: string | null;
  reason: string | null;
  log: string | null;
  next: string;
};
type Report = { status: string; outcome: string | null; next: string; delegated: Delegated[] };

const status = async (s: Scenario) => (await s.loki(["status", "--json"])).json<Report>();
const stateIn = (dir: string) =>
  OrchestratorState.parse(JSON.parse(readFileSync(join(dir, ".loki", "state", "orchestrator.json"), "utf8")));

async function until(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await Bun.sleep(100);
  }
}

/** A value commander accepts for each run option that takes one. */
const VALUES: Record<string, string> = {
  provider: "claude",
  model: "opus",
  failover: "codex",
  budget: "9",
  maxIterations: "7",
  maxDuration: "1h",
};

describe("flags reach the run", () => {
  test("every run option of start and resume is either a run flag or says it shapes only the invocation", async () => {
    for (const name of ["start", "resume"]) {
      const program = buildProgram();
      const command = program.commands.find((c) => c.name() === name);
      if (!command) throw new Error(`no ${name} command`);
      let seen: Record<string, unknown> = {};
      command.action((...args: unknown[]) => {
        seen = (args.at(-1) as { opts: () => Record<string, unknown> }).opts();
      });
      const run = command.options.filter((o) => !(INVOCATION_OPTIONS as readonly string[]).includes(o.attributeName()));
      const argv = run.flatMap((o) => {
        const flag = o.long ?? o.short ?? "";
        return o.required || o.optional ? [flag, VALUES[o.attributeName()] ?? "1"] : [flag];
      });
      await program.parseAsync([name, ...argv], { from: "user" });
      const flags = definedFlags(flagsOf(seen));
      // A new run option that flagsOf does not map is dropped on the way to the run: this count catches it.
      expect(Object.keys(flags).sort(), `${name}: ${run.map((o) => o.long).join(" ")}`).toHaveLength(run.length);
      expect(Object.keys(flags).sort()).toEqual(Object.keys(RunFlags.shape).sort());
    }
  });

  test("--yes --bg as root: the child runs with the parent's flags and verifies; status agrees with COMPLETION.txt", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, {}, undefined, NO_ROOT_OPT_IN);
    const args = [
      "--yes",
      "--bg",
      "--max-iterations",
      "7",
      "--budget",
      "9",
      "--model",
      "opus",
      "--failover",
      "codex",
      "--accept-config-change",
      "--no-sandbox",
    ];
    const started = await s.loki(["start", "prd.md", ...args]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain("continues in the background");
    const dir = (await status(s)).delegated[0]?.dir ?? "";
    await until(() => existsSync(join(dir, ".loki", "state", "completion.json")));
    await until(async () => (await status(s)).delegated[0]?.status === "completed");
    const state = stateIn(dir);
    expect(state).toMatchObject({ outcome: "verified", caps: { max_iterations: 7 }, budget: { limit_usd: 9 }, accept_config_change: true });
    expect(state.flags).toMatchObject({ allow_root: true, model: "opus", failover: ["codex"], sandbox: false, accept_config_change: true });
    // The build agent ran with the --model the parent was given.
    const argv = readFileSync(join(s.state, "argv.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as string[]);
    expect(argv.every((a) => a[a.indexOf("--model") + 1] === "claude-opus-5-5")).toBe(true);

    const completion = JSON.parse(readFileSync(join(dir, ".loki", "state", "completion.json"), "utf8")) as { next: string };
    const text = readFileSync(join(dir, ".loki", "COMPLETION.txt"), "utf8");
    const report = await status(s);
    expect(report.delegated[0]).toMatchObject({ status: "completed", outcome: "verified", next: completion.next });
    expect(report.next).toBe(completion.next);
    expect(text).toContain(`next:       ${completion.next}`);
    const human = (await s.loki(["status"])).stdout;
    expect(human).toContain("delegated: verified");
    expect(human).toContain(`next: ${completion.next}`);
  });

  test.skipIf(!IS_ROOT)("as root without --yes (and unsandboxed), the parent refuses up front: exit 3 with the hint", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, {}, undefined, NO_ROOT_OPT_IN);
    const started = await s.loki(["start", "prd.md", "--bg"]);
    expect(started.code).toBe(3);
    expect(started.stdout).not.toContain("continues in the background");
    expect(started.stderr).toMatch(/^error: loki is running as root/m);
    expect(started.stderr).toMatch(/^hint: .*--yes/m);
    expect((await status(s)).delegated).toEqual([]);
  });

  test("`loki resume --bg` gives the child the flags given to resume", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, {}, undefined, NO_ROOT_OPT_IN);
    const first = await s.loki(["start", "prd.md", "--yes", "--max-iterations", "1"]);
    expect(first.code).toBe(1);
    expect(s.completion().outcome).toBe("max_iterations");
    // --yes is carried from the start; the new cap is the resume's own.
    const resumed = await s.loki(["resume", "--bg", "--max-iterations", "5"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    await until(() => s.orchestrator().outcome === "verified");
    expect(s.orchestrator()).toMatchObject({ caps: { max_iterations: 5 }, flags: { allow_root: true } });
  });
});

describe("a background child that dies", () => {
  test("on start, after the parent's checks passed: the parent fails with the child's error; status shows it", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    // A sandbox that works for the parent but not in the detached child (as in a different session).
    const bwrap = Bun.which("bwrap");
    const bin = fakeBinDir(s.state, {
      bwrap: `#!/bin/sh\nif [ "$LOKI_BACKGROUND" = 1 ]; then echo "bwrap: setting up uid map: Permission denied" >&2; exit 1; fi\nexec ${bwrap} "$@"\n`,
    });
    const started = await s.loki(["start", "prd.md", "--bg"], { PATH: `${bin}:${s.env.PATH}` });
    expect(started.code).toBe(3);
    expect(started.stderr).toMatch(/^error: the background run \S+ ended before it started: no sandbox for the agent/m);
    expect(started.stderr).toMatch(/^hint: .*loki resume .*its log: .*\.loki\/logs\/run-/m);
    const d = (await status(s)).delegated[0];
    expect(d).toMatchObject({
      status: "dead",
      pid_alive: false,
      outcome: null,
      reason: expect.stringContaining("no sandbox for the agent"),
    });
    expect(d?.log).toContain(join(".loki", "logs", `run-${d?.run_id}.log`));
    expect(d?.next).toContain("loki resume");
    const human = (await s.loki(["status"])).stdout;
    expect(human).toContain("delegated: dead");
    expect(human).toMatch(/reason: no sandbox for the agent/);
    expect(human).toMatch(/log: .*run-.*\.log/);
    expect(human).toMatch(/next: .*loki resume/);
  });

  test("killed mid-run: status says dead, why, where the log is, and to resume", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, { FAKE_AGENT_SLEEP_MS: "4000" });
    expect((await s.loki(["start", "prd.md", "--bg"])).code).toBe(0);
    const dir = (await status(s)).delegated[0]?.dir ?? "";
    await until(
      () =>
        existsSync(join(dir, ".loki", "events.jsonl")) &&
        readFileSync(join(dir, ".loki", "events.jsonl"), "utf8").includes("agent_started"),
    );
    const pid = (JSON.parse(readFileSync(join(dir, ".loki", "session.json"), "utf8")) as { pid: number }).pid;
    process.kill(pid, "SIGKILL");
    await until(() => !alive(pid));
    const d = (await status(s)).delegated[0];
    expect(d).toMatchObject({ status: "dead", pid_alive: false, outcome: null });
    expect(d?.reason).toContain(`its process (pid ${pid}) ended without finishing the run`);
    expect(d?.reason).toContain("in iteration 1");
    expect(d?.log).toContain(join(".loki", "logs", `run-${d?.run_id}.log`));
    expect(d?.next).toBe("continue it from its saved state: loki resume");
    expect((await status(s)).next).toBe(d?.next ?? "");
  });
});

describe("a run log's tail", () => {
  test("the last error and the hint printed under it, colors stripped", () => {
    const text = [
      "started run r1: claude (sonnet) on prd.md",
      "\u001b[31merror:\u001b[39m an older error",
      "resumed run r1",
      "\u001b[31merror:\u001b[39m loki is running as root, and Claude Code refuses to skip permission prompts as root",
      "\u001b[2mhint:\u001b[22m run as a normal user, or opt in with --yes",
      "",
    ].join("\n");
    expect(parseLogTail(text, 5)).toEqual({
      error: "loki is running as root, and Claude Code refuses to skip permission prompts as root",
      hint: "run as a normal user, or opt in with --yes",
      last: "hint: run as a normal user, or opt in with --yes",
      modifiedMs: 5,
    });
  });

  test("no error: only the last line", () => {
    expect(parseLogTail("iteration 1\n  agent finished in 3 s\n\n", 0)).toMatchObject({
      error: null,
      hint: null,
      last: "agent finished in 3 s",
    });
  });
});
