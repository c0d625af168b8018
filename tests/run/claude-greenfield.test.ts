// The most common first run there is: a repository holding only a PRD. The REAL Claude Code CLI (against
// a fake Anthropic API on 127.0.0.1) writes package.json — with its test and build scripts — code and
// tests in iteration 1; loki detects the new project on that iteration's tree and the run verifies.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ProofFile } from "../../src/core/proof-schema.ts";
import { startFakeAnthropic, cwd, type AnthropicTurn } from "../helpers/fake-anthropic.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox } from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { PRD } from "../helpers/scenario.ts";

const BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin");
const PACKAGE = `${JSON.stringify(
  { name: "math", type: "module", private: true, scripts: { test: "node --test", build: "node --check math.js" } },
  null,
  2,
)}\n`;
const MATH = "export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b;\n";
const TESTS =
  'import { test } from "node:test";\nimport assert from "node:assert";\nimport { add, sub } from "./math.js";\ntest("add", () => assert.strictEqual(add(2, 3), 5));\ntest("sub", () => assert.strictEqual(sub(5, 3), 2));\n';
const REVIEW = /# (Held-out acceptance check|Review: |Devil's advocate)/;

/** Read-only calls answer APPROVE with every listed item passing; build calls follow `build`. */
function script(build: AnthropicTurn[]) {
  let builds = 0;
  return (req: { body: Record<string, unknown> }): AnthropicTurn => {
    const asked = JSON.stringify(req.body.messages ?? []);
    if (REVIEW.test(asked)) {
      const items = [...asked.matchAll(/- \[(ac-[0-9a-f]+(?:-\d+)?)\]/g)].map((m) => ({ id: m[1], status: "pass", evidence: "math.js:1" }));
      return { text: `\`\`\`json\n${JSON.stringify({ verdict: "APPROVE", findings: [], items })}\n\`\`\`` };
    }
    return build[Math.min(builds++, build.length - 1)] as AnthropicTurn;
  };
}

// The repository holds only prd.md, so the council is turned off through the environment: its
// reviewers run through the real CLI in claude-run.test.ts; here they would be four more real calls a run.
const NO_COUNCIL_ENV = { LOKI_COUNCIL: "false" };

const write = (file: string, content: string): AnthropicTurn => ({
  toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), file), content }) },
});

describe("greenfield first run with the real claude", () => {
  test("a repository with only prd.md: the project the agent creates in iteration 1 is detected and the run verifies", async () => {
    await using api = await startFakeAnthropic(
      script([write("package.json", PACKAGE), write("math.js", MATH), write("math.test.js", TESTS), { text: "Done.\nLOKI_DONE" }]),
    );
    await using box = await cliSandbox();
    await using repo = await tmpdir({ commit: true, files: { "prd.md": PRD } });
    const env = { ...claudeEnv(box, api.url), ...NO_COUNCIL_ENV, PATH: `${BIN}:${process.env.PATH}` };
    const result = await loki(["start", "prd.md", "--yes", "--budget", "5"], { cwd: repo.path, env });
    expect(result.code, result.stderr).toBe(0);

    const completion = JSON.parse(readFileSync(join(repo.path, ".loki/state/completion.json"), "utf8"));
    expect(completion).toMatchObject({ outcome: "verified", iterations: 1, diffstat: { files: 3 } });
    const gates = JSON.parse(readFileSync(join(repo.path, ".loki/iterations/1/gates.json"), "utf8")) as { id: string; status: string }[];
    expect(gates.find((g) => g.id === "tests")?.status).toBe("pass");
    expect(gates.find((g) => g.id === "build")?.status).toBe("pass");
    // What was detected, and when: iteration 1's tree had the agent's package.json, and its frozen
    // grading configuration (taken in the empty repository) had no commands to run instead.
    const evidence = JSON.parse(readFileSync(join(repo.path, ".loki/verify/evidence.json"), "utf8"));
    expect(evidence.detection).toHaveLength(1);
    expect(evidence.detection[0]).toMatchObject({
      iteration: 1,
      kinds: ["node"],
      test: { command: "node --test" },
      build: { command: "node --check math.js" },
    });
    expect(evidence.detection[0].test.source).toContain("detected on the current tree");
    expect(result.stderr).toContain("grading now runs test `node --test`, build `node --check math.js`");
    const proof = ProofFile.parse(JSON.parse(readFileSync(join(repo.path, ".loki/proofs", completion.run_id, "proof.json"), "utf8")));
    expect(proof.payload.run).toMatchObject({ id: completion.run_id, outcome: "verified" });
  });

  test("a test runner that appears in iteration 2 is graded from iteration 2 on, and the evidence says when", async () => {
    await using api = await startFakeAnthropic(
      script([
        write("math.js", MATH),
        { text: "Wrote the functions; tests next." },
        write("package.json", PACKAGE),
        write("math.test.js", TESTS),
        { text: "Tests added.\nLOKI_DONE" },
      ]),
    );
    await using box = await cliSandbox();
    await using repo = await tmpdir({ commit: true, files: { "prd.md": PRD } });
    const env = { ...claudeEnv(box, api.url), ...NO_COUNCIL_ENV, PATH: `${BIN}:${process.env.PATH}` };
    const result = await loki(["start", "prd.md", "--yes", "--budget", "5"], { cwd: repo.path, env });
    expect(result.code, result.stderr).toBe(0);
    const gates = (n: number) =>
      JSON.parse(readFileSync(join(repo.path, `.loki/iterations/${n}/gates.json`), "utf8")) as { id: string; status: string }[];
    expect(gates(1).find((g) => g.id === "tests")?.status).toBe("inconclusive");
    expect(gates(2).find((g) => g.id === "tests")?.status).toBe("pass");
    const evidence = JSON.parse(readFileSync(join(repo.path, ".loki/verify/evidence.json"), "utf8"));
    expect(
      evidence.detection.map((d: { iteration: number; test: { command: string } | null }) => [d.iteration, d.test?.command ?? null]),
    ).toEqual([
      [1, null],
      [2, "node --test"],
    ]);
  });
});
