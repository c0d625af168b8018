// When the ground moves under a provider call (real CLI, fake agent): the transcript's disk fills up (a
// real 64 KiB tmpfs), the agent prints a secret (redacted before agent.jsonl, which is 0600), the binary
// is deleted or made non-executable between iterations (no bill, no retry, the binary and `loki doctor` named).
import { describe, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { HELD, PRD_MATH4, scenarioRepo } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
const AGENTS = join(ROOT, "tests", "fixtures", "agents");

describe("the transcript", () => {
  test("on a full disk (a real 64 KiB tmpfs under .loki/iterations) the run ends: exit 3, the file and ENOSPC named, the call billed", async () => {
    await using s = await scenarioRepo("chatty", "", {}, PRD_MATH4);
    const iterations = join(s.path, ".loki", "iterations");
    mkdirSync(iterations, { recursive: true });
    // A private mount namespace: the tmpfs exists for this loki alone and goes with it.
    const mountThenRun = 'mount -t tmpfs -o size=64k tmpfs "$1" && shift && exec "$@"';
    const argv = [
      "unshare",
      "-rm",
      "sh",
      "-c",
      mountThenRun,
      "sh",
      iterations,
      process.execPath,
      join(ROOT, "src", "cli.ts"),
      "start",
      "prd.md",
    ];
    const proc = Bun.spawn(argv, { cwd: s.path, env: { ...process.env, ...s.env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);

    const transcript = join(iterations, "1", "agent.jsonl");
    expect(code, stderr).toBe(3);
    expect(stdout + stderr).toContain(`could not write ${transcript}: no space left on the device (ENOSPC)`);
    expect(stdout + stderr).not.toContain("internal error");
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(s.completion()).toMatchObject({ outcome: "error", exit_code: 3 });
    expect(s.completion().reason).toContain("(ENOSPC)");
    // The agent ran and spent: its call is in the ledger all the same.
    expect(s.ledger().filter((e) => e.role === "build")).toHaveLength(1);
    expect(s.events().some((e) => e.kind === "agent_finished")).toBe(true);
  });

  test("a leaky agent's secret never lands in agent.jsonl; the iteration's files are 0600 in 0700 directories", async () => {
    await using s = await scenarioRepo("secret", "max_iterations: 1\n", {}, PRD_MATH4);
    await s.loki(["start", "prd.md"]);
    const transcript = join(s.path, ".loki", "iterations", "1", "agent.jsonl");
    const text = readFileSync(transcript, "utf8");
    expect(text).toContain("config.js");
    expect(text).not.toContain("AKIAIOSFODNN7LOKITST");
    expect(text).not.toContain("wJalrXUtnFEMI/K7MDENG/bPxRfiCYLOKITESTKEY");
    expect(text).toContain("[REDACTED:aws-access-key-id]");
    for (const line of text.trimEnd().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    expect(statSync(transcript).mode & 0o777).toBe(0o600);
    expect(statSync(join(s.path, ".loki", "iterations", "1")).mode & 0o777).toBe(0o700);
    expect(statSync(join(s.path, ".loki", "iterations")).mode & 0o777).toBe(0o700);
    // The prompt too, and every reviewer's and the judge's transcript beside it.
    const files = readdirSync(join(s.path, ".loki", "iterations", "1"));
    expect(files).toContain("prompt.md");
    for (const name of files) expect(statSync(join(s.path, ".loki", "iterations", "1", name)).mode & 0o777, name).toBe(0o600);
  });
});

describe("a provider binary that cannot be started any more", () => {
  const breakages = [
    ["deleted", (bin: string) => rmSync(bin), "does not exist"],
    ["made non-executable", (bin: string) => chmodSync(bin, 0o644), "is not executable"],
  ] as const;

  test.each(breakages)(
    "%s between iterations: no bill, no retry; error naming the binary and `loki doctor`",
    async (_what, breakIt, why) => {
      await using outside = await tmpdir();
      // The run resolves a copy of the fake claude, so the test can take it away mid-run.
      const bin = join(realpathSync(outside.path), "agents");
      cpSync(AGENTS, bin, { recursive: true });
      const claudeBin = join(bin, "claude");
      await using s = await scenarioRepo("honest", "", HELD, PRD_MATH4);
      const run = s.loki(["start", "prd.md"], { PATH: `${bin}:${process.env.PATH}` });
      // Iteration 1's call has started (the fake counts it first, then is held): take the binary away, then let it go on.
      const calls = join(s.state, "calls");
      for (let waited = 0; !existsSync(calls) && waited < 30_000; waited += 50) await Bun.sleep(50);
      expect(existsSync(calls)).toBe(true);
      breakIt(claudeBin);
      s.release();
      const result = await run;

      expect(result.code, result.stderr).toBe(3);
      expect(readFileSync(calls, "utf8")).toBe("1");
      const completion = s.completion();
      expect(completion).toMatchObject({ outcome: "error", iterations: 2 });
      expect(completion.reason).toContain(`${claudeBin} ${why}`);
      expect(completion.reason).toContain("nothing was billed");
      expect(completion.reason).toContain("loki doctor");
      expect(result.stdout + result.stderr).toContain("loki doctor");
      // Iteration 1 was billed; the call that never started was not, and nothing retried it.
      expect(s.ledger().map((e) => [e.iteration, e.role])).toEqual([[1, "build"]]);
      expect(s.events().filter((e) => e.kind === "retry")).toEqual([]);
      const finished = s.events().flatMap((e) => (e.kind === "agent_finished" ? [e] : []));
      expect(finished.map((e) => [e.error_class, e.usd])).toEqual([
        [null, 0.05],
        ["not_started", 0],
      ]);
    },
  );
});
