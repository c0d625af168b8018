// Pure parts of the loop: budget thresholds and per-call caps, backoff bounds, the prompt (visible
// items only, feedback digest, past failures), skills selection, and HUMAN_INPUT safety.
import { describe, expect, test } from "bun:test";
import { existsSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LokiEvent } from "../../src/core/run-schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { backoffMs, checkBudget, remainingBudget } from "../../src/loop/budget.ts";
import { renderPrompt } from "../../src/loop/prompt.ts";
import { takeHumanInput } from "../../src/loop/signals.ts";
import { parseSkill, skillsFor } from "../../src/loop/skills.ts";
import { tmpdir } from "../helpers/tmp.ts";

describe("budget", () => {
  test("thresholds: ok below 80 %, warn from 80 %, exceeded at 100 %", () => {
    expect(checkBudget(3.99, 5)).toBe("ok");
    expect(checkBudget(4, 5)).toBe("warn");
    expect(checkBudget(5, 5)).toBe("exceeded");
    expect(checkBudget(1e9, null)).toBe("ok");
  });

  test("the per-call cap is what is left, rounded down to cents", () => {
    expect(remainingBudget(1.234, 5)).toBe(3.76);
    expect(remainingBudget(6, 5)).toBe(0);
    expect(remainingBudget(1, null)).toBeUndefined();
  });

  test("backoff grows, honors a longer requested wait, and never passes the time left", () => {
    const base = { baseSeconds: 1, maxSeconds: 600, remainingMs: null, random: () => 0.5 };
    expect(backoffMs({ ...base, attempt: 0 })).toBe(1000);
    expect(backoffMs({ ...base, attempt: 3 })).toBe(8000);
    expect(backoffMs({ ...base, attempt: 0, requestedMs: 30_000 })).toBe(30_000);
    expect(backoffMs({ ...base, attempt: 20 })).toBe(600_000);
    expect(backoffMs({ ...base, attempt: 5, remainingMs: 2500 })).toBe(2500);
    expect(backoffMs({ ...base, attempt: 0, random: () => 0 })).toBe(750);
  });
});

describe("prompt", () => {
  const input = {
    spec: { title: "Shop", summary: "A small shop." },
    items: [{ id: "ac-1", text: "Users can pay" }],
    heldOutCount: 2,
    iteration: 2,
    maxIterations: 10,
    feedback: ["Tests: tests failed: 1 failed\nFAIL pay.test.js"],
    pastFailures: ["tests failed: 3 failed"],
    skills: skillsFor("build", "build"),
  };

  test("lists visible items one per line with ids, counts the held-out ones, carries feedback", () => {
    const { prompt, system } = renderPrompt(input);
    expect(prompt).toContain("- [ac-1] Users can pay");
    expect(prompt).toContain("1 shown; 2 more are held out");
    expect(prompt).toContain("## Fix these first");
    expect(prompt).toContain("FAIL pay.test.js");
    expect(prompt).toContain("## PAST FAILURES TO AVOID\n- tests failed: 3 failed");
    expect(system).toContain("LOKI_DONE");
    expect(system).not.toContain("read-only reviewer");
  });

  test("no feedback sections when there is nothing to say", () => {
    const { prompt } = renderPrompt({ ...input, feedback: [], pastFailures: [] });
    expect(prompt).not.toContain("Fix these first");
    expect(prompt).not.toContain("PAST FAILURES");
  });

  test("skills parse their front matter and are ordered", () => {
    const skill = parseSkill("x", "---\nphases: [build]\nroles: [build]\norder: 5\n---\nBody\n");
    expect(skill).toEqual({ name: "x", phases: ["build"], roles: ["build"], order: 5, body: "Body" });
    expect(skillsFor("build", "build").map((s) => s.name)).toEqual(["build-core", "build-done"]);
    expect(skillsFor("ship", "review").map((s) => s.name)).toEqual(["review-core"]);
  });
});

describe("HUMAN_INPUT.md", () => {
  test("ignored unless LOKI_PROMPT_INJECTION=true; read once; symlinks and oversize refused", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    dir.write(".loki/HUMAN_INPUT.md", "use PostgreSQL");
    expect(takeHumanInput(ws, {}, 1)).toBeNull();
    expect(takeHumanInput(ws, { LOKI_PROMPT_INJECTION: "true" }, 1)).toEqual({ text: "use PostgreSQL" });
    expect(existsSync(ws.humanInput)).toBe(false);
    writeFileSync(join(dir.path, "secret.txt"), "x");
    symlinkSync(join(dir.path, "secret.txt"), ws.humanInput);
    expect(takeHumanInput(ws, { LOKI_PROMPT_INJECTION: "true" }, 2)).toMatchObject({ refused: expect.stringContaining("symlink") });
    dir.write(".loki/HUMAN_INPUT.md", "x".repeat(20_000));
    expect(takeHumanInput(ws, { LOKI_PROMPT_INJECTION: "true" }, 3)).toMatchObject({ refused: expect.stringContaining("limit") });
  });
});

describe("reporter", () => {
  const base = { ts: "2026-01-01T00:00:00.000Z", run_id: "r", iteration: 2 };
  const events = [
    { ...base, kind: "iteration_started" as const },
    {
      ...base,
      kind: "agent_finished" as const,
      provider: "claude",
      model: "m",
      call_id: "c",
      ok: true,
      exit_code: 0,
      error_class: null,
      usd: 0.25,
      basis: "exact" as const,
      duration_ms: 4000,
      claimed_done: true,
    },
    { ...base, kind: "gate_result" as const, gate: "tests", status: "fail" as const, reason: "tests failed: 1 failed" },
  ];

  test("plain mode: one line per event, on the message stream", async () => {
    const { createReporter } = await import("../../src/run/reporter.ts");
    const err: string[] = [];
    const out: string[] = [];
    const reporter = createReporter(
      "plain",
      (t) => err.push(t),
      (t) => out.push(t),
    );
    for (const e of events) reporter.event(e);
    expect(err.join("")).toBe(
      "iteration 2\n  agent finished in 4 s, $0.25 exact, claims done\n  gate tests: fail — tests failed: 1 failed\n",
    );
    expect(out).toEqual([]);
  });

  test("tty mode: one status line redrawn in place, messages above it", async () => {
    const { createReporter } = await import("../../src/run/reporter.ts");
    const err: string[] = [];
    const reporter = createReporter("tty", (t) => err.push(t));
    for (const e of events) reporter.event(e);
    reporter.close();
    const text = err.join("");
    expect(text).toContain("\r\x1b[2K");
    expect(text).toMatch(/iter 2 · verify · 0:0\d · \$0\.25 · tests fail/);
    expect(text).toContain("  gate tests: fail — tests failed: 1 failed\n");
  });

  test("every event kind has its line, or is silent on purpose (the output of each kind is pinned)", async () => {
    const { describeEvent } = await import("../../src/run/reporter.ts");
    const lines: [LokiEvent, string | null][] = [
      [
        { ...base, kind: "run_started", provider: "claude", model: "m", spec: "prd.md", start_sha: "abc", resumed: true, budget_usd: 5 },
        "resumed run r: claude (m) on prd.md",
      ],
      [{ ...base, kind: "iteration_started" }, "iteration 2"],
      [{ ...base, kind: "prompt_built", bytes: 10, items: 3 }, null],
      [{ ...base, kind: "agent_started", provider: "claude", model: "m", call_id: "c" }, null],
      [
        {
          ...base,
          kind: "agent_finished",
          provider: "claude",
          model: "m",
          call_id: "c",
          ok: false,
          exit_code: 1,
          error_class: "rate_limit",
          usd: 0.1,
          basis: "estimated",
          duration_ms: 1600,
          claimed_done: false,
        },
        "  agent failed (rate_limit) in 2 s, $0.10 estimated",
      ],
      [{ ...base, kind: "checkpoint", sha: "0123456789abcdef", changed: true }, "  checkpoint 0123456789"],
      [{ ...base, kind: "gate_result", gate: "tests", status: "pass", reason: "ok" }, "  gate tests: pass"],
      [
        { ...base, kind: "ship_gate", verdict: "BLOCKED", reasons: ["tests failed", "more"], trigger: "claimed done" },
        "  ship gate (claimed done): BLOCKED — tests failed",
      ],
      [{ ...base, kind: "budget_warning", spent_usd: 4, limit_usd: 5 }, null],
      [{ ...base, kind: "budget_exceeded", spent_usd: 5.5, limit_usd: 5 }, "  budget exhausted: $5.50 of $5.00"],
      [
        { ...base, kind: "retry", provider: "claude", error_class: "rate_limit", wait_ms: 2500, attempt: 2 },
        "  claude rate_limit: retry 2 in 3 s",
      ],
      [{ ...base, kind: "provider_failover", from: "claude", to: "codex", reason: "rate_limit" }, "  failover claude → codex (rate_limit)"],
      [
        { ...base, kind: "model_fallback", provider: "claude", from: "opus", to: "haiku", reason: "overloaded" },
        "  claude switched model opus → haiku (overloaded)",
      ],
      [{ ...base, kind: "paused" }, null],
      [{ ...base, kind: "resumed" }, null],
      [{ ...base, kind: "stalled", count: 3 }, "  no code changes in 3 iterations"],
      [{ ...base, kind: "warning", message: "careful" }, "  warning: careful"],
      [{ ...base, kind: "run_finished", outcome: "verified", exit_code: 0, reason: "done" }, "finished: verified (exit 0) — done"],
    ];
    expect(lines.map(([e]) => e.kind).sort()).toEqual(LokiEvent.options.map((o) => o.shape.kind.value).sort());
    for (const [e, line] of lines) expect({ kind: e.kind, line: describeEvent(e) }).toEqual({ kind: e.kind, line });
  });

  test("json mode: events on stdout", async () => {
    const { createReporter, reporterMode } = await import("../../src/run/reporter.ts");
    const out: string[] = [];
    createReporter(
      "json",
      () => {},
      (t) => out.push(t),
    ).event(events[0]!);
    expect(JSON.parse(out[0]!)).toMatchObject({ kind: "iteration_started" });
    expect(reporterMode(false, true, {})).toBe("tty");
    expect(reporterMode(false, true, { CI: "true" })).toBe("plain");
    expect(reporterMode(true, true, {})).toBe("json");
  });
});
