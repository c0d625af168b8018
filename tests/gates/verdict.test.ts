// The runner and the verdict: every verdict branch (inconclusive is never VERIFIED), results in
// input order while gates run concurrently, throws and malformed results as data, fingerprints.
import { describe, expect, test } from "bun:test";
import { Config } from "../../src/core/config.ts";
import type { Finding, GateResult, GateStatus, Severity } from "../../src/core/schema.ts";
import { fingerprint, runGates, verdictOf, type Gate, type GateContext } from "../../src/gates/gate.ts";
import { subjectOf } from "../helpers/subject.ts";

const finding = (severity: Severity): Finding => ({ severity, message: `${severity} thing`, fingerprint: "f" });
const result = (id: string, status: GateStatus, findings: Finding[] = [], reason = `${id} ${status}`): GateResult => ({
  id,
  title: id,
  status,
  reason,
  duration_ms: 1,
  findings,
});

const CTX: GateContext = {
  subject: subjectOf([], { root: "/nonexistent", base: "a".repeat(40), head: "b".repeat(40), includesWorktree: false }),
  project: { kinds: [], test: null, build: null, lint: null },
  config: Config.parse({}),
};

describe("verdictOf", () => {
  const cases: { name: string; results: GateResult[]; blockOn?: Severity[]; verdict: string; reasons: string[] }[] = [
    { name: "all passed", results: [result("a", "pass"), result("b", "pass"), result("c", "skipped")], verdict: "VERIFIED", reasons: [] },
    {
      name: "a high finding blocks",
      results: [result("a", "pass"), result("secrets", "fail", [finding("low"), finding("high")])],
      verdict: "BLOCKED",
      reasons: ["secrets: fail — secrets fail"],
    },
    {
      name: "a fail with no findings (red tests) blocks",
      results: [result("tests", "fail")],
      verdict: "BLOCKED",
      reasons: ["tests: fail — tests fail"],
    },
    {
      name: "a fail below blockOn is a concern",
      results: [result("lint", "fail", [finding("medium")]), result("b", "pass")],
      verdict: "CONCERNS",
      reasons: ["lint: fail — lint fail"],
    },
    {
      name: "blockOn is configurable",
      results: [result("lint", "fail", [finding("medium")])],
      blockOn: ["critical", "high", "medium"],
      verdict: "BLOCKED",
      reasons: ["lint: fail — lint fail"],
    },
    {
      name: "inconclusive is a concern, never VERIFIED",
      results: [result("a", "pass"), result("tests", "inconclusive", [], "no test runner found")],
      verdict: "CONCERNS",
      reasons: ["tests: inconclusive — no test runner found"],
    },
    {
      name: "BLOCKED outranks CONCERNS",
      results: [result("x", "inconclusive"), result("y", "fail", [finding("critical")])],
      verdict: "BLOCKED",
      reasons: ["x: inconclusive — x inconclusive", "y: fail — y fail"],
    },
    {
      name: "nothing ran",
      results: [result("a", "skipped", [], "no TS files")],
      verdict: "CONCERNS",
      reasons: ["no gate ran (1 skipped)", "a: skipped — no TS files"],
    },
    { name: "no gates at all", results: [], verdict: "CONCERNS", reasons: ["no gate ran (0 skipped)"] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      expect(verdictOf(c.results, c.blockOn)).toEqual({ verdict: c.verdict as "VERIFIED", reasons: c.reasons });
    });
  }

  test("no mix of statuses that includes an inconclusive gate is VERIFIED", () => {
    const statuses: GateStatus[] = ["pass", "fail", "inconclusive", "skipped"];
    for (const a of statuses)
      for (const b of statuses)
        expect(verdictOf([result("x", "inconclusive"), result("a", a), result("b", b)]).verdict).not.toBe("VERIFIED");
  });
});

describe("runGates", () => {
  const gate = (id: string, run: Gate["run"], when: Gate["when"] = () => true): Gate => ({ id, title: `Gate ${id}`, when, run });

  test("runs concurrently, returns results in input order with ids, titles and durations", async () => {
    const order: string[] = [];
    const delayed = (id: string, ms: number) =>
      gate(id, async () => {
        await Bun.sleep(ms);
        order.push(id);
        return { status: "pass", reason: `${id} ok`, findings: [] };
      });
    const results = await runGates([delayed("slow", 120), delayed("fast", 10)], CTX);
    // Run one after another, "slow" would have finished first.
    expect(order).toEqual(["fast", "slow"]);
    expect(results.map((r) => [r.id, r.title, r.status])).toEqual([
      ["slow", "Gate slow", "pass"],
      ["fast", "Gate fast", "pass"],
    ]);
    expect(results[0]?.duration_ms).toBeGreaterThanOrEqual(100);
  });

  test("a throwing gate is inconclusive with its message; the others still run", async () => {
    const results = await runGates(
      [
        gate("boom", async () => {
          throw new Error("parser exploded\nstack trace line");
        }),
        gate("fine", async () => ({ status: "pass", reason: "ok", findings: [] })),
        gate(
          "bad-when",
          async () => ({ status: "pass", reason: "never", findings: [] }),
          () => {
            throw new Error("when failed");
          },
        ),
      ],
      CTX,
    );
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ["inconclusive", "parser exploded"],
      ["pass", "ok"],
      ["inconclusive", "when failed"],
    ]);
  });

  test("a skip carries its reason and never calls run; a malformed result is inconclusive", async () => {
    let ran = false;
    const skipped = gate(
      "s",
      async () => ((ran = true), { status: "pass", reason: "", findings: [] }),
      () => "no Python files changed",
    );
    const malformed = gate(
      "m",
      async () => ({ status: "pass", reason: "ok", findings: [{ severity: "huge", message: "x", fingerprint: "f" }] }) as never,
    );
    const [s, m] = await runGates([skipped, malformed], CTX);
    expect(ran).toBe(false);
    expect(s).toMatchObject({ status: "skipped", reason: "no Python files changed", findings: [] });
    expect(m?.status).toBe("inconclusive");
    expect(m?.reason).toContain("findings.0.severity");
  });

  test("an aborted signal makes every gate inconclusive without running it", async () => {
    const controller = new AbortController();
    controller.abort();
    const [r] = await runGates([gate("x", async () => ({ status: "pass", reason: "ok", findings: [] }))], {
      ...CTX,
      signal: controller.signal,
    });
    expect(r).toMatchObject({ status: "inconclusive", reason: "cancelled before it ran" });
  });
});

describe("fingerprint", () => {
  test("16 hex chars, stable under whitespace changes, different per rule and file", () => {
    const a = fingerprint("aws-key", "src/a.ts", 'const key = "AKIA…";');
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint("aws-key", "src/a.ts", '  const   key =\t"AKIA…";\n')).toBe(a);
    expect(fingerprint("aws-key", "src/b.ts", 'const key = "AKIA…";')).not.toBe(a);
    expect(fingerprint("gh-token", "src/a.ts", 'const key = "AKIA…";')).not.toBe(a);
    expect(fingerprint("rule", undefined, "x")).not.toBe(fingerprint("rule", "", "x y"));
  });
});
