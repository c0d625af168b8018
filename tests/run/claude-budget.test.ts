// `loki start --budget` driving the REAL Claude Code CLI against a fake Anthropic API on 127.0.0.1,
// with usage priced like a real run (~$0.04–0.05 a model turn on claude-opus-5-5): the build and the
// held-out judge spend the cap, the council is never started, the run ends budget_exceeded (exit 4).
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Completion, CostEntry, LokiEvent } from "../../src/core/run-schema.ts";
import { readJsonl } from "../../src/core/workspace.ts";
import { cwd, startFakeAnthropic, type AnthropicTurn, type Usage } from "../helpers/fake-anthropic.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox } from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { PRD } from "../helpers/scenario.ts";

const BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin");
const MATH = "export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b;\n";
const TESTS =
  'import { test } from "node:test";\nimport assert from "node:assert";\nimport { add, sub } from "./math.js";\ntest("add", () => assert.strictEqual(add(2, 3), 5));\ntest("sub", () => assert.strictEqual(sub(5, 3), 2));\n';
const REVIEW = /# (Held-out acceptance check|Review: |Devil's advocate)/;
// claude-opus-5-5 at $4 / $20 per million tokens: a build turn $0.036, a review turn $0.05.
const BUILD_TURN: Usage = { input: 8000, output: 200 };
const REVIEW_TURN: Usage = { input: 10_000, output: 500 };

describe("loki + real claude under --budget", () => {
  test("--budget 0.15 on a run that needs more: exit 4, spend within the cap plus one call, proof written, one warning", async () => {
    const build: AnthropicTurn[] = [
      { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.js"), content: MATH }) }, usage: BUILD_TURN },
      { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.test.js"), content: TESTS }) }, usage: BUILD_TURN },
      { text: "Implemented add and sub with tests.\nLOKI_DONE", usage: BUILD_TURN },
    ];
    let builds = 0;
    await using api = await startFakeAnthropic((req) => {
      const asked = JSON.stringify(req.body.messages ?? []);
      if (!REVIEW.test(asked)) return build[Math.min(builds++, build.length - 1)] as AnthropicTurn;
      const items = [...asked.matchAll(/- \[(ac-[0-9a-f]+(?:-\d+)?)\]/g)].map((m) => ({ id: m[1], status: "pass", evidence: "math.js:1" }));
      return { text: `Verdict:\n\n\`\`\`json\n${JSON.stringify({ verdict: "APPROVE", findings: [], items })}\n\`\`\``, usage: REVIEW_TURN };
    });
    await using box = await cliSandbox();
    await using repo = await tmpdir({
      commit: true,
      files: {
        "package.json": JSON.stringify({ name: "m", type: "module", private: true, scripts: { test: "node --test" } }),
        "prd.md": PRD,
        "loki.yaml": "allow_root: true\n",
      },
    });
    const env = { ...claudeEnv(box, api.url), PATH: `${BIN}:${process.env.PATH}` };
    const result = await loki(["start", "prd.md", "--model", "opus", "--budget", "0.15"], { cwd: repo.path, env });
    expect(result.stderr).not.toContain("error:");
    expect(result.code, result.stderr).toBe(4);

    const completion = Completion.parse(JSON.parse(readFileSync(join(repo.path, ".loki/state/completion.json"), "utf8")));
    expect(completion).toMatchObject({ outcome: "budget_exceeded", exit_code: 4, iterations: 1, diffstat: { files: 2 } });
    // claude stopped the judge itself at the bound loki gave it: its verdict is no pass, and the gate ends.
    expect(completion.reason).toBe(
      "budget reached at the ship gate ($0.158 of $0.15): held-out check incomplete (judge cut off at its bound); council not run",
    );
    const judge = readFileSync(join(repo.path, ".loki/iterations/1/judge.jsonl"), "utf8");
    expect(judge).toContain('"terminal_reason":"budget_exhausted"');
    expect(judge).toContain("($0.04)");
    expect(existsSync(join(repo.path, ".loki/proofs", completion.run_id, "proof.json"))).toBe(true);

    // Exact costs from claude's own result events: the build ($0.108), then the judge ($0.05), whose
    // bound was the $0.04 left; nothing was started after the cap was reached.
    const ledger = readJsonl(join(repo.path, ".loki/metrics/cost.jsonl"), CostEntry);
    expect(ledger.map((e) => [e.role, e.basis])).toEqual([
      ["build", "exact"],
      ["judge", "exact"],
    ]);
    expect(ledger[0]?.usd).toBeCloseTo(0.108, 6);
    expect(ledger[1]?.usd).toBeCloseTo(0.05, 6);
    const spent = ledger.reduce((sum, e) => sum + e.usd, 0);
    expect(spent).toBeLessThanOrEqual(0.15 + Math.max(...ledger.map((e) => e.usd)));
    expect(completion.cost.usd).toBeCloseTo(spent, 4);
    // Every model call the fake API saw is one of those two calls: no reviewer reached the API.
    const calls = api.modelCalls();
    expect(calls.filter((c) => /# Review: |# Devil's advocate/.test(JSON.stringify(c.body.messages ?? [])))).toHaveLength(0);
    expect(calls).toHaveLength(4);

    // The 80 % warning once, from the judge's call that crossed it (and the cap with it).
    expect(result.stderr.split("(80 % warning)").length - 1).toBe(1);
    const events = readJsonl(join(repo.path, ".loki/events.jsonl"), LokiEvent);
    expect(events.filter((e) => e.kind === "budget_warning")).toHaveLength(1);
    expect(events.filter((e) => e.kind === "ship_gate").map((e) => e.kind === "ship_gate" && e.verdict)).not.toContain("VERIFIED");
  });
});
