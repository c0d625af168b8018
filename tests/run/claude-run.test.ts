// `loki start` driving the REAL Claude Code CLI against a fake Anthropic API on 127.0.0.1: the
// agent writes code through its Write tool, loki checkpoints it, runs the tests, reads the exact
// cost from the result event, and the run verifies.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CostEntry } from "../../src/core/run-schema.ts";
import { readJsonl } from "../../src/core/workspace.ts";
import { cwd, startFakeAnthropic, type AnthropicTurn } from "../helpers/fake-anthropic.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox } from "../helpers/real-cli.ts";
import { git, tmpdir } from "../helpers/tmp.ts";
import { PRD } from "../helpers/scenario.ts";

const BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin");
const MATH = "export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b;\n";
const TESTS =
  'import { test } from "node:test";\nimport assert from "node:assert";\nimport { add, sub } from "./math.js";\ntest("add", () => assert.strictEqual(add(2, 3), 5));\ntest("sub", () => assert.strictEqual(sub(5, 3), 2));\n';

describe("loki + real claude", () => {
  test("an iteration writes files through claude's Write tool, is checkpointed, billed exactly, and verifies", async () => {
    const build: AnthropicTurn[] = [
      { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.js"), content: MATH }) } },
      { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.test.js"), content: TESTS }) } },
      { text: "Implemented add and sub with tests.\nLOKI_DONE" },
    ];
    let builds = 0;
    // Read-only calls (held-out judge, reviewers, devil's advocate) answer with the verdict protocol.
    await using api = await startFakeAnthropic((req) => {
      const asked = JSON.stringify(req.body.messages ?? []);
      const review = /# (Held-out acceptance check|Review: |Devil's advocate)/.test(asked);
      if (review) {
        const items = [...asked.matchAll(/- \[(ac-[0-9a-f]+(?:-\d+)?)\]/g)].map((m) => ({
          id: m[1],
          status: "pass",
          evidence: "math.js:1",
        }));
        return { text: `Verdict:\n\n\`\`\`json\n${JSON.stringify({ verdict: "APPROVE", findings: [], items })}\n\`\`\`` };
      }
      return build[Math.min(builds++, build.length - 1)] as AnthropicTurn;
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
    const result = await loki(["start", "prd.md", "--model", "opus"], { cwd: repo.path, env });
    expect(result.stderr).not.toContain("error:");
    expect(result.code, result.stderr).toBe(0);

    const completion = JSON.parse(readFileSync(join(repo.path, ".loki/state/completion.json"), "utf8"));
    expect(completion).toMatchObject({ outcome: "verified", iterations: 1, diffstat: { files: 2 } });
    expect(git(repo.path, ["show", "--stat", "--format=%s", "HEAD"])).toMatch(/loki: iteration 1[\s\S]*math\.js/);
    const ledger = readJsonl(join(repo.path, ".loki/metrics/cost.jsonl"), CostEntry);
    const [entry, ...rest] = ledger.filter((e) => e.role === "build");
    expect(rest).toHaveLength(0);
    // The held-out judge, three reviewers and the devil's advocate ran through the real CLI too.
    expect(
      ledger
        .filter((e) => e.role !== "build")
        .map((e) => e.role)
        .sort(),
    ).toEqual(["judge", "review", "review", "review", "review"]);
    expect(ledger.every((e) => e.basis === "exact")).toBe(true);
    expect(entry).toMatchObject({ provider: "claude", model: "claude-opus-5-5", basis: "exact" });
    expect(entry?.usd).toBeCloseTo((3 * (1000 * 4 + 50 * 20)) / 1_000_000, 6);

    const calls = api
      .modelCalls()
      .filter((c) => !/# (Held-out acceptance check|Review: |Devil's advocate)/.test(JSON.stringify(c.body.messages ?? [])));
    expect(calls).toHaveLength(3);
    const reviews = api.modelCalls().filter((c) => /# Review: /.test(JSON.stringify(c.body.messages ?? [])));
    expect(reviews).toHaveLength(3);
    for (const review of reviews) expect(review.tools).not.toContain("Write");
    expect(calls[0]?.model).toBe("claude-opus-5-5");
    expect(calls[0]?.tools).toContain("Write");
    // loki's skills lead the prompt on stdin: this claude does not advertise --append-system-prompt-file,
    // and no prompt text goes in argv (claude.ts). They reach the model all the same.
    expect(JSON.stringify(calls[0]?.body.messages ?? [])).toContain("How this work is judged");
    const sent = JSON.stringify(calls.map((c) => c.body));
    const items = [
      "add(a, b) returns the sum",
      "sub(a, b) returns the difference",
      "math.js exports both",
      "every function has a unit test",
    ];
    expect(items.filter((text) => !sent.includes(text))).toHaveLength(1);
    const transcript = readFileSync(join(repo.path, ".loki/iterations/1/agent.jsonl"), "utf8");
    expect(transcript).toContain('"type":"result"');
  });
});
