// `loki start` driving the REAL Claude Code CLI against a fake Anthropic API on 127.0.0.1: the
// agent writes code through its Write tool, loki checkpoints it, runs the tests, reads the exact
// cost from the result event, and the run verifies.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CostEntry } from "../../src/core/run-schema.ts";
import { readJsonl } from "../../src/core/workspace.ts";
import { cwd, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox } from "../helpers/real-cli.ts";
import { git, tmpdir } from "../helpers/tmp.ts";
import { PRD } from "../helpers/scenario.ts";

const BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin");
const MATH = "export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b;\n";
const TESTS = 'import { test } from "node:test";\nimport assert from "node:assert";\nimport { add, sub } from "./math.js";\ntest("add", () => assert.strictEqual(add(2, 3), 5));\ntest("sub", () => assert.strictEqual(sub(5, 3), 2));\n';

describe("loki + real claude", () => {
  test("an iteration writes files through claude's Write tool, is checkpointed, billed exactly, and verifies", async () => {
    await using api = await startFakeAnthropic([
      { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.js"), content: MATH }) } },
      { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.test.js"), content: TESTS }) } },
      { text: "Implemented add and sub with tests.\nLOKI_DONE" },
    ]);
    await using box = await cliSandbox();
    await using repo = await tmpdir({
      commit: true,
      files: { "package.json": JSON.stringify({ name: "m", type: "module", private: true, scripts: { test: "node --test" } }), "prd.md": PRD, "loki.yaml": "allow_root: true\n" },
    });
    const env = { ...claudeEnv(box, api.url), PATH: `${BIN}:${process.env.PATH}` };
    const result = await loki(["start", "prd.md", "--model", "opus"], { cwd: repo.path, env });
    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);

    const completion = JSON.parse(readFileSync(join(repo.path, ".loki/state/completion.json"), "utf8"));
    expect(completion).toMatchObject({ outcome: "verified", iterations: 1, diffstat: { files: 2 } });
    expect(git(repo.path, ["show", "--stat", "--format=%s", "HEAD"])).toMatch(/loki: iteration 1[\s\S]*math\.js/);
    const [entry, ...rest] = readJsonl(join(repo.path, ".loki/metrics/cost.jsonl"), CostEntry);
    expect(rest).toHaveLength(0);
    expect(entry).toMatchObject({ provider: "claude", model: "claude-opus-5-5", basis: "exact" });
    expect(entry?.usd).toBeCloseTo(3 * (1000 * 4 + 50 * 20) / 1_000_000, 6);

    const calls = api.modelCalls();
    expect(calls).toHaveLength(3);
    expect(calls[0]?.model).toBe("claude-opus-5-5");
    expect(calls[0]?.tools).toContain("Write");
    expect(calls[0]?.system).toContain("How this work is judged");
    const sent = JSON.stringify(calls.map((c) => c.body));
    const items = ["add(a, b) returns the sum", "sub(a, b) returns the difference", "math.js exports both", "every function has a unit test"];
    expect(items.filter((text) => !sent.includes(text))).toHaveLength(1);
    const transcript = readFileSync(join(repo.path, ".loki/iterations/1/agent.jsonl"), "utf8");
    expect(transcript).toContain('"type":"result"');
  });
});
