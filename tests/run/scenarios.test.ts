// The loop against the scripted fake agent: every scenario ends with the right outcome, exit code
// and durable record (state, events, cost ledger, checkpoints) — real processes, real git.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "../helpers/tmp.ts";
import { agentPrompt, PRD_MATH4, processesWith, scenarioRepo } from "../helpers/scenario.ts";

describe("loop scenarios", () => {
  test("an honest agent builds in 2 iterations and the run verifies (exit 0)", async () => {
    await using s = await scenarioRepo("honest");
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code).toBe(0);
    // Two build calls at $0.05, then the held-out judge, three reviewers and the devil's advocate at $0.01.
    expect(s.completion()).toMatchObject({ outcome: "verified", exit_code: 0, iterations: 2, cost: { usd: 0.15, basis: "exact" } });
    expect(git(s.path, ["log", "--format=%s"]).split("\n").slice(0, 2)).toEqual(["loki: iteration 2", "loki: iteration 1"]);
    expect(
      s
        .ledger()
        .filter((e) => e.role === "build")
        .map((e) => [e.iteration, e.usd, e.basis]),
    ).toEqual([
      [1, 0.05, "exact"],
      [2, 0.05, "exact"],
    ]);
    expect(
      s
        .ledger()
        .filter((e) => e.role !== "build")
        .map((e) => e.role)
        .sort(),
    ).toEqual(["judge", "review", "review", "review", "review"]);
    expect(s.events().at(-1)).toMatchObject({ kind: "run_finished", outcome: "verified" });
    expect(result.stdout).toContain("VERIFIED");
    expect(existsSync(join(s.path, ".loki", "COMPLETION.txt"))).toBe(true);
    const heldOut = JSON.parse(readFileSync(join(s.path, ".loki", "checklist", "held-out.json"), "utf8"));
    expect(heldOut.count).toBe(1);
    const prompt = agentPrompt(s, 1);
    const items = [
      "add(a, b) returns the sum",
      "sub(a, b) returns the difference",
      "math.js exports both",
      "every function has a unit test",
    ];
    expect(items.filter((text) => !prompt.includes(text))).toHaveLength(1);
    expect(prompt).toContain("1 more are held out");
  });

  test("an agent that writes nothing but claims done never completes (exit 1 at the cap)", async () => {
    await using s = await scenarioRepo("lazy", "stagnation_limit: 10\n");
    const result = await s.loki(["start", "prd.md", "--max-iterations", "2"]);
    expect(result.code).toBe(1);
    expect(s.completion()).toMatchObject({ outcome: "max_iterations", iterations: 2 });
    const ships = s.events().filter((e) => e.kind === "ship_gate");
    expect(ships.length).toBe(2);
    expect(ships.every((e) => e.kind === "ship_gate" && e.verdict !== "VERIFIED")).toBe(true);
    expect(git(s.path, ["log", "--format=%s"]).trim()).toBe("initial");
  });

  test("the same agent is stopped as stalled when the code stops changing", async () => {
    await using s = await scenarioRepo("lazy", "stagnation_limit: 2\n");
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code).toBe(1);
    expect(s.completion().outcome).toBe("stalled");
  });

  test("red tests block the ship gate; the failure reaches the next prompt; the fix verifies", async () => {
    await using s = await scenarioRepo("break-then-fix");
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code).toBe(0);
    const ships = s.events().filter((e) => e.kind === "ship_gate");
    expect(ships.map((e) => e.kind === "ship_gate" && e.verdict)).toEqual(["BLOCKED", "VERIFIED"]);
    expect(agentPrompt(s, 2)).toContain("Fix these first");
    expect(agentPrompt(s, 2)).toMatch(/tests/i);
  });

  test("a hanging agent is killed at the timeout with its whole process group", async () => {
    await using s = await scenarioRepo("hang", "agent_timeout_seconds: 1\nmax_retries: 0\n");
    const result = await s.loki(["start", "prd.md", "--max-iterations", "1"]);
    expect(result.code).toBe(1);
    const finished = s.events().find((e) => e.kind === "agent_finished");
    expect(finished).toMatchObject({ ok: false, error_class: "timeout" });
    const marker = readFileSync(join(s.state, "grandchild.marker"), "utf8");
    await Bun.sleep(200);
    expect(processesWith(["sleep", marker])).toEqual([]);
    expect(s.ledger()[0]?.usd).toBeGreaterThan(0);
  });

  test("a crashing agent is retried, billed as estimated (never $0), then the run fails (exit 1)", async () => {
    await using s = await scenarioRepo("crash", "max_retries: 1\n");
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code).toBe(1);
    expect(s.completion().outcome).toBe("failed");
    const ledger = s.ledger();
    expect(ledger.length).toBe(2);
    expect(ledger.every((e) => e.basis === "estimated" && e.usd > 0)).toBe(true);
    expect(s.events().filter((e) => e.kind === "retry")).toHaveLength(1);
  });

  test("rate-limited twice, then fine: backs off twice and verifies", async () => {
    await using s = await scenarioRepo("rate-limit-twice");
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code).toBe(0);
    const retries = s.events().filter((e) => e.kind === "retry");
    expect(retries.map((e) => e.kind === "retry" && e.error_class)).toEqual(["rate_limit", "rate_limit"]);
  });

  test("--failover: a rate-limited provider is switched at once, and the next one finishes", async () => {
    await using s = await scenarioRepo("rate-limit-always", "", { OPENAI_API_KEY: "test-key" });
    const result = await s.loki(["start", "prd.md", "--failover", "codex"]);
    expect(result.code).toBe(0);
    const failover = s.events().find((e) => e.kind === "provider_failover");
    expect(failover).toMatchObject({ from: "claude", to: "codex", reason: "rate_limit" });
    expect(s.events().some((e) => e.kind === "retry")).toBe(false);
    expect(
      s
        .ledger()
        .filter((e) => e.role === "build")
        .map((e) => [e.provider, e.basis]),
    ).toEqual([
      ["claude", "exact"],
      ["codex", "estimated"],
    ]);
    expect(s.ledger().every((e) => e.usd > 0 || e.basis === "exact")).toBe(true);
    expect(
      s
        .ledger()
        .filter((e) => e.role !== "build")
        .every((e) => e.provider === "codex"),
    ).toBe(true);
    const argv = JSON.parse(readFileSync(join(s.codexState, "codex-argv.jsonl"), "utf8").split("\n")[0] ?? "") as string[];
    expect(argv.slice(0, 2)).toEqual(["exec", "--json"]);
    // In loki's sandbox codex's own (which cannot nest) is off; loki's sandbox bounds the build.
    expect(argv).toContain("danger-full-access");
    expect(s.completion()).toMatchObject({ outcome: "verified", cost: { basis: "mixed" } });
  });

  test("a model fallback inside a call (--fallback-model) is an event and appears in the proof", async () => {
    await using s = await scenarioRepo("overloaded-fallback", "fallback_model: haiku\n", {}, PRD_MATH4);
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code).toBe(0);
    const argv = JSON.parse(readFileSync(join(s.state, "argv.jsonl"), "utf8").split("\n")[0] ?? "") as string[];
    expect(argv[argv.indexOf("--fallback-model") + 1]).toBe("claude-haiku-5-5");
    expect(s.events().find((e) => e.kind === "model_fallback")).toMatchObject({
      provider: "claude",
      to: "claude-haiku-5-5",
      reason: "overloaded",
    });
    expect(s.proof().payload.providers.failovers).toEqual([
      { iteration: 1, from: "claude-sonnet-5-5", to: "claude-haiku-5-5", reason: "model fallback (overloaded)" },
    ]);
  });

  test("a rejected login stops at once with exit 3 and the fix", async () => {
    await using s = await scenarioRepo("auth");
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code).toBe(3);
    expect(s.completion()).toMatchObject({ outcome: "error", iterations: 1 });
    expect(s.completion().reason).toContain("log in again");
  });

  test("overspending: warning at 80 %, stop at 100 % with exit 4", async () => {
    await using s = await scenarioRepo("lazy", "stagnation_limit: 10\n", { FAKE_AGENT_COST: "2" });
    const result = await s.loki(["start", "prd.md", "--budget", "5"]);
    expect(result.code).toBe(4);
    expect(s.completion()).toMatchObject({ outcome: "budget_exceeded", cost: { usd: 6 } });
    const kinds = s.events().map((e) => e.kind);
    expect(kinds.indexOf("budget_warning")).toBeGreaterThan(-1);
    expect(kinds.indexOf("budget_warning")).toBeLessThan(kinds.indexOf("budget_exceeded"));
    const argv = readFileSync(join(s.state, "argv.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as string[]);
    expect(argv.map((a) => a[a.indexOf("--max-budget-usd") + 1])).toEqual(["5.00", "3.00", "1.00"]);
  });
});
