// A loop that throws still ends like every run: outcome `error`, exit 3, the completion summary and
// the proof written, the stack in the log after the events and commands that led to it. Real CLI,
// real git, the scripted fake agent.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { scenarioRepo } from "../helpers/scenario.ts";

describe("an internal failure inside the loop", () => {
  test("a checkpoint that git refuses: exit 3, COMPLETION.txt and the proof exist, the log has the details", async () => {
    // The agent leaves .git/index.lock behind, so loki's own `git add` throws inside runLoop.
    await using s = await scenarioRepo("lock-git");
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).toBe(3);

    const log = join(s.path, ".loki", "logs", "loki.log");
    const completion = s.completion();
    expect(completion).toMatchObject({ outcome: "error", exit_code: 3, iterations: 1, next: "fix the error above, then loki resume" });
    expect(completion.reason).toContain("git add failed");
    expect(completion.reason).toContain(`details in ${log}`);

    const text = readFileSync(join(s.path, ".loki", "COMPLETION.txt"), "utf8");
    expect(text).toContain(`loki run ${completion.run_id}: ERROR`);
    expect(result.stdout).toContain("git add failed");

    const proof = s.proof();
    expect(proof.payload.run).toMatchObject({ id: completion.run_id, outcome: "error", exit_code: 3 });
    expect(existsSync(join(s.path, ".loki", "proofs", completion.run_id, "index.html"))).toBe(true);

    expect(s.events().at(-1)).toMatchObject({ kind: "run_finished", outcome: "error", exit_code: 3 });
    expect(s.orchestrator()).toMatchObject({ status: "failed", outcome: "error" });
    expect(readFileSync(log, "utf8")).toContain("the loop failed");

    // The log the reason names holds what led to the error, in order: the run's events (debug, with
    // run id, iteration and phase), the failing `git add` with its exit code and digest, then the stack.
    const lines = readFileSync(log, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const at = (match: (line: Record<string, unknown>) => boolean) => lines.findIndex(match);
    const order = [
      at((l) => l.msg === "event run_started" && l.run_id === completion.run_id && l.iteration === 0 && l.phase === "starting"),
      at((l) => l.msg === "event agent_finished" && l.level === 20 && l.iteration === 1 && l.phase === "act"),
      at(
        (l) =>
          l.msg === "exec finished" &&
          Array.isArray(l.cmd) &&
          l.cmd.includes("add") &&
          l.exit === 128 &&
          String(l.digest).includes("index.lock"),
      ),
      at((l) => l.msg === "the loop failed" && l.level === 50 && l.run_id === completion.run_id),
    ];
    expect(
      order.every((i) => i >= 0),
      JSON.stringify(order),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(statSync(log).mode & 0o777).toBe(0o600);
  });
});
