// Acceptance: `loki start --yes --bg` as root, driving the REAL Claude Code CLI against a fake
// Anthropic API on 127.0.0.1, unsandboxed (so only --yes lets claude run as root). The detached
// child gets the parent's flags (--yes, --model), the run verifies, and `loki status` says so with
// the completion summary's own next step.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cwd, startFakeAnthropic, type AnthropicTurn } from "../helpers/fake-anthropic.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox } from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { PRD } from "../helpers/scenario.ts";

const BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin");
const MATH = "export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b;\n";
const TESTS =
  'import { test } from "node:test";\nimport assert from "node:assert";\nimport { add, sub } from "./math.js";\ntest("add", () => assert.strictEqual(add(2, 3), 5));\ntest("sub", () => assert.strictEqual(sub(5, 3), 2));\n';
const READ_ONLY = /# (Held-out acceptance check|Review: |Devil's advocate)/;

type Delegated = { dir: string; status: string; outcome: string | null; next: string };

describe("loki --bg + real claude", () => {
  test("start --yes --bg as root: the background run verifies and status shows it", async () => {
    const build: AnthropicTurn[] = [
      { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.js"), content: MATH }) } },
      { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.test.js"), content: TESTS }) } },
      { text: "Implemented add and sub with tests.\nLOKI_DONE" },
    ];
    let builds = 0;
    await using api = await startFakeAnthropic((req) => {
      const asked = JSON.stringify(req.body.messages ?? []);
      if (READ_ONLY.test(asked)) {
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
        // No allow_root here: as root, unsandboxed, the user's --yes is the only opt-in.
        "loki.yaml": "sandbox: false\n",
      },
    });
    const env = { ...claudeEnv(box, api.url), PATH: `${BIN}:${process.env.PATH}` };
    const started = await loki(["start", "prd.md", "--yes", "--bg", "--model", "opus"], { cwd: repo.path, env });
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain("continues in the background");

    const status = async () => (await loki(["status", "--json"], { cwd: repo.path, env })).json<{ next: string; delegated: Delegated[] }>();
    const dir = (await status()).delegated[0]?.dir ?? "";
    const completionFile = join(dir, ".loki", "state", "completion.json");
    const deadline = Date.now() + 50_000;
    while (!existsSync(completionFile) || (await status()).delegated[0]?.status !== "completed") {
      if (Date.now() > deadline)
        throw new Error(
          `the background run did not finish; its log:\n${readFileSync(join(dir, ".loki", "logs", readdirLog(dir)), "utf8")}`,
        );
      await Bun.sleep(250);
    }
    const completion = JSON.parse(readFileSync(completionFile, "utf8")) as { outcome: string; next: string; iterations: number };
    expect(completion).toMatchObject({ outcome: "verified", iterations: 1 });
    const report = await status();
    expect(report.delegated[0]).toMatchObject({ status: "completed", outcome: "verified", next: completion.next });
    expect(report.next).toBe(completion.next);
    expect(readFileSync(join(dir, ".loki", "COMPLETION.txt"), "utf8")).toContain(`next:       ${completion.next}`);
    const human = (await loki(["status"], { cwd: repo.path, env })).stdout;
    expect(human).toContain("delegated: verified");
    expect(human).toContain(`next: ${completion.next}`);

    // --model reached the child: the build agent and every read-only reviewer used it.
    const calls = api.modelCalls();
    expect(calls.filter((c) => READ_ONLY.test(JSON.stringify(c.body.messages ?? []))).length).toBeGreaterThanOrEqual(4);
    expect(new Set(calls.map((c) => c.model))).toEqual(new Set(["claude-opus-5-5"]));
  });
});

function readdirLog(dir: string): string {
  const state = JSON.parse(readFileSync(join(dir, ".loki", "session.json"), "utf8")) as { run_id: string };
  return `run-${state.run_id}.log`;
}
