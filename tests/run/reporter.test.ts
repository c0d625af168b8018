// The run's reporter in each mode: plain lines (every event's with --verbose, else one compact line
// per iteration) without control codes, the TTY status line redrawn in place, JSON events on stdout,
// and the pinned line of every event kind.
import { describe, expect, test } from "bun:test";
import { LokiEvent, type OrchestratorState } from "../../src/core/run-schema.ts";
import { createReporter, describeEvent, reporterMode } from "../../src/run/reporter.ts";

/** The reporter's microtask (an iteration's gates are in) has run. */
const settled = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

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

  test("plain --verbose: one line per event, on the message stream, then the iteration's compact line", async () => {
    const err: string[] = [];
    const out: string[] = [];
    const reporter = createReporter("plain", { verbose: true, write: (t) => err.push(t), writeOut: (t) => out.push(t) });
    for (const e of events) reporter.event(e);
    expect(err.join("")).toBe(
      "iteration 2\n  agent finished in 4 s, $0.25 exact, claims done\n  gate tests: fail — tests failed: 1 failed\n",
    );
    await settled();
    expect(err.slice(3).join("")).toBe("iteration 2 · 0 s · $0.25 (run $0.25) · gates: 1 fail (tests) · agent claims done\n");
    expect(out).toEqual([]);
  });

  test("plain: the compact line and the failing gate's reason stand for the per-event lines", async () => {
    const err: string[] = [];
    const reporter = createReporter("plain", { write: (t) => err.push(t) });
    for (const e of events) reporter.event(e);
    await settled();
    reporter.close();
    expect(err.join("")).toBe(
      "iteration 2 · 0 s · $0.25 (run $0.25) · gates: 1 fail (tests) · agent claims done\n  tests: tests failed: 1 failed\n",
    );
  });

  test("plain: not one control code, whatever the agent put in a reason or a message", async () => {
    const hostile = "red\x1b[2J\x1b]0;owned\x07\r\ttext\u202e";
    for (const verbose of [false, true]) {
      const err: string[] = [];
      const reporter = createReporter("plain", { verbose, write: (t) => err.push(t) });
      reporter.event({ ...base, kind: "iteration_started" });
      reporter.event({ ...base, kind: "gate_result", gate: "tests", status: "fail", reason: hostile });
      reporter.event({ ...base, kind: "warning", message: hostile });
      reporter.notice(hostile);
      reporter.warn(hostile);
      await settled();
      const text = err.join("");
      expect(text).toContain(verbose ? "  gate tests: fail — red[2J]0;owned text\n" : "  tests: red[2J]0;owned text\n");
      expect(text).toContain("  warning: red[2J]0;owned text\n");
      expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    }
  });

  test("tty: one status line redrawn in place with k/N, phase, spend of the followed state; messages above it", async () => {
    const err: string[] = [];
    let now = 1_000_000;
    const state = {
      iteration: 2,
      phase: "verify",
      status: "running",
      provider: "claude",
      caps: { max_iterations: 25, max_duration_s: null },
      budget: { limit_usd: 5, spent_usd: 0.42, estimated_usd: 0, warned: false },
      elapsed_ms: 60_000,
    } as unknown as OrchestratorState;
    const reporter = createReporter("tty", { write: (t) => err.push(t), columns: () => 80, now: () => now });
    reporter.follow?.({ root: "/repo", state: () => state });
    now += 12_000;
    for (const e of events) reporter.event(e);
    await settled();
    reporter.close();
    const text = err.join("");
    expect(text).toContain("\r\x1b[2Kloki 2/25 · verify · $0.42/$5.00 · 1:12");
    expect(text).toContain("\r\x1b[2Kiteration 2/25 · 0 s · $0.25 (run $0.42/$5.00) · gates: 1 fail (tests) · agent claims done\n");
    expect(text).toContain("\r\x1b[2K  tests: tests failed: 1 failed\n");
    expect(text).not.toContain("gate tests: fail");
    expect(text.endsWith("\r\x1b[2K")).toBe(true);
  });

  test("tty: the agent's latest tool call shows while it acts, cut to the terminal's width", () => {
    const err: string[] = [];
    const state = {
      iteration: 1,
      phase: "act",
      status: "running",
      provider: "claude",
      caps: { max_iterations: 3, max_duration_s: null },
      budget: { limit_usd: null, spent_usd: 0, estimated_usd: 0, warned: false },
      elapsed_ms: 0,
    } as unknown as OrchestratorState;
    const reporter = createReporter("tty", { write: (t) => err.push(t), columns: () => 52, now: () => 0 });
    reporter.follow?.({ root: "/repo", state: () => state });
    reporter.toolCall?.({ tool: "Bash", input: { command: "npm test -- --reporter=spec --coverage --watch=false" } });
    reporter.close();
    const drawn = err.filter((t) => t.startsWith("\r\x1b[2Kloki")).map((t) => t.slice("\r\x1b[2K".length));
    expect(drawn.at(-1)).toBe("loki 1/3 · act (claude) · $0.00 · 0:00 · Bash npm…");
    for (const line of drawn) expect(Bun.stringWidth(line)).toBeLessThanOrEqual(51);
  });

  test("--quiet: nothing on stderr in any mode; with --json the events still stream on stdout", async () => {
    for (const mode of ["plain", "tty", "json"] as const) {
      const err: string[] = [];
      const out: string[] = [];
      const reporter = createReporter(mode, { quiet: true, write: (t) => err.push(t), writeOut: (t) => out.push(t), columns: () => 80 });
      for (const e of events) reporter.event(e);
      reporter.notice("budget: $4.00 of $5.00 spent (80 % warning)");
      reporter.warn("the proof of run could not be written");
      await settled();
      reporter.close();
      expect({ mode, err }).toEqual({ mode, err: [] });
      expect(out.map((line) => JSON.parse(line) as LokiEvent)).toEqual(mode === "json" ? events : []);
    }
  });

  test("tty --verbose: the per-event lines print above the status line too", () => {
    const err: string[] = [];
    const reporter = createReporter("tty", { verbose: true, write: (t) => err.push(t), columns: () => 80 });
    for (const e of events) reporter.event(e);
    reporter.close();
    expect(err.join("")).toContain("\r\x1b[2K  gate tests: fail — tests failed: 1 failed\n");
  });

  test("every event kind has its line, or is silent on purpose (the output of each kind is pinned)", async () => {
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
      [
        { ...base, kind: "memory_learned", id: "lr_0123456789abcdef", symptom: "static: cannot find module", global: true },
        "  learned lr_0123456789abcdef from the fix of: static: cannot find module (kept for your other projects too)",
      ],
      [
        {
          ...base,
          kind: "project_detected",
          detection: {
            iteration: 1,
            at: "2026-01-01T00:00:00.000Z",
            kinds: ["node"],
            test: { command: "node --test", source: "package.json scripts.test" },
            build: null,
            lint: null,
          },
        },
        "  grading now runs test `node --test`, build (none), lint (none)",
      ],
      [
        { ...base, kind: "plan_made", source: "planner", tasks: 4, calls: 1, architecture: "docs/architecture.md" },
        "planned 4 tasks; architecture note docs/architecture.md",
      ],
      [
        { ...base, kind: "plan_made", source: "fallback", tasks: 1, calls: 2, architecture: null, note: "the plan was unusable twice" },
        "planned 1 task (no usable plan: the plan was unusable twice; working the checklist as one task)",
      ],
      [{ ...base, kind: "plan_made", source: "checklist", tasks: 1, calls: 0, architecture: null }, null],
      [
        { ...base, kind: "task_started", task: "t2", title: "Add the API", role: "backend", attempt: 2 },
        "  task t2: Add the API (attempt 2)",
      ],
      [{ ...base, kind: "task_started", task: "checklist", title: "Build every item", role: "backend", attempt: 1 }, null],
      [{ ...base, kind: "task_finished", task: "t2", outcome: "done", attempts: 1 }, "  task t2 done"],
      [{ ...base, kind: "task_finished", task: "t2", outcome: "retry", attempts: 1 }, null],
      [
        { ...base, kind: "task_finished", task: "t2", outcome: "dead_letter", attempts: 5 },
        "  task t2 dead-lettered after 5 failed attempts",
      ],
      [{ ...base, kind: "replanned", tasks: ["fix", "fix-2"], reasons: 2 }, "  ship gate findings became 2 new tasks: fix, fix-2"],
      [{ ...base, kind: "phase_finished", phase: "act", started_at: "2026-01-01T00:00:00.000Z", ms: 1200 }, null],
      [
        { ...base, kind: "model_switched", from: "claude-sonnet-5-5", to: "claude-haiku-5-5", by: "dashboard" },
        "  model claude-sonnet-5-5 → claude-haiku-5-5 from this iteration on (asked by dashboard)",
      ],
      [{ ...base, kind: "budget_raised", from: 5, to: 12.5, by: "dashboard" }, "  budget cap $5.00 → $12.50 (asked by dashboard)"],
      [{ ...base, kind: "run_finished", outcome: "verified", exit_code: 0, reason: "done" }, "finished: verified (exit 0) — done"],
    ];
    expect([...new Set(lines.map(([e]) => e.kind))].sort()).toEqual(LokiEvent.options.map((o) => o.shape.kind.value).sort());
    for (const [e, line] of lines) expect({ kind: e.kind, line: describeEvent(e) }).toEqual({ kind: e.kind, line });
  });

  test("json mode: events on stdout", () => {
    const out: string[] = [];
    createReporter("json", { write: () => {}, writeOut: (t) => out.push(t) }).event(events[0]!);
    expect(JSON.parse(out[0]!)).toMatchObject({ kind: "iteration_started" });
    expect(reporterMode(false, true, {})).toBe("tty");
    expect(reporterMode(false, true, { CI: "true" })).toBe("plain");
    expect(reporterMode(true, true, {})).toBe("json");
  });
});
