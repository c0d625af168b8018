// Ctrl+C during a REAL Claude Code call (against a fake Anthropic API on 127.0.0.1): the agent's
// process group dies with loki, the run exits 130 as interrupted, `loki status` says so and names
// `loki resume` — and that resume finishes the same run, verified.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cwd, startFakeAnthropic, type AnthropicTurn } from "../helpers/fake-anthropic.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox } from "../helpers/real-cli.ts";
import { run } from "../../src/core/exec.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { PRD } from "../helpers/scenario.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";

const BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin");
const CLI = cliBundle();
const MATH = "export const add = (a, b) => a + b;\nexport const sub = (a, b) => a - b;\n";
const TESTS =
  'import { test } from "node:test";\nimport assert from "node:assert";\nimport { add, sub } from "./math.js";\ntest("add", () => assert.strictEqual(add(2, 3), 5));\ntest("sub", () => assert.strictEqual(sub(5, 3), 2));\n';
const REVIEW = /# (Held-out acceptance check|Review: |Devil's advocate)/;
// Unique per run: `sleeping()` looks at every process on the machine, where another suite may run this test too.
const MARK = `loki-interrupt-marker-${process.pid}-${Date.now()}`;

describe("Ctrl+C with the real claude", () => {
  test("SIGINT mid-call: exit 130, status says interrupted and `loki resume`, which then verifies the same run", async () => {
    const write = (file: string, content: string): AnthropicTurn => ({
      toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), file), content }) },
    });
    // The first build call runs a long shell command; once interrupted, later calls build the library.
    const after: AnthropicTurn[] = [
      write("package.json", JSON.stringify({ name: "m", type: "module", scripts: { test: "node --test" } })),
      write("math.js", MATH),
      write("math.test.js", TESTS),
      { text: "Done.\nLOKI_DONE" },
    ];
    let interrupted = false;
    let builds = 0;
    await using api = await startFakeAnthropic((req) => {
      const asked = JSON.stringify(req.body.messages ?? []);
      if (REVIEW.test(asked)) {
        const items = [...asked.matchAll(/- \[(ac-[0-9a-f]+(?:-\d+)?)\]/g)].map((m) => ({
          id: m[1],
          status: "pass",
          evidence: "math.js:1",
        }));
        return { text: `\`\`\`json\n${JSON.stringify({ verdict: "APPROVE", findings: [], items })}\n\`\`\`` };
      }
      // Until the interruption, the build agent (the call offered Bash) starts a long command.
      if (!interrupted)
        return req.tools.includes("Bash")
          ? { toolUse: { name: "Bash", input: { command: `node -e "setTimeout(() => {}, 60000)" # ${MARK}`, description: "wait" } } }
          : { text: "" };
      return after[Math.min(builds++, after.length - 1)] as AnthropicTurn;
    });
    await using box = await cliSandbox();
    await using repo = await tmpdir({ commit: true, files: { "prd.md": PRD } });
    // No council (its reviewers through the real CLI are claude-run.test.ts's): the interruption is the subject.
    const env = { ...claudeEnv(box, api.url), LOKI_COUNCIL: "false", PATH: `${BIN}:${process.env.PATH}` };
    const proc = Bun.spawn([process.execPath, CLI, "start", "prd.md", "--yes"], { cwd: repo.path, env, stdout: "pipe", stderr: "pipe" });
    const deadline = Date.now() + 30_000;
    while (!(await sleeping()) && Date.now() < deadline) await Bun.sleep(100);
    if (!(await sleeping())) {
      proc.kill("SIGINT");
      await proc.exited;
      const transcript = readFileSync(join(repo.path, ".loki/iterations/1/agent.jsonl"), "utf8");
      throw new Error(`the agent's command never ran:\n${transcript.slice(-3000)}\n${await new Response(proc.stderr).text()}`);
    }
    interrupted = true;
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    // Nothing the call started outlives it.
    await Bun.sleep(300);
    expect(await sleeping()).toBe(false);

    const status = await loki(["status", "--json"], { cwd: repo.path, env });
    expect(status.json()).toMatchObject({ outcome: "interrupted", pid_alive: false });
    expect(status.json<{ next: string }>().next).toContain("loki resume");
    const human = await loki(["status"], { cwd: repo.path, env });
    expect(human.stdout).toContain("interrupted");
    expect(human.stdout).toContain("loki resume");
    const runId = JSON.parse(readFileSync(join(repo.path, ".loki/state/completion.json"), "utf8")).run_id;

    const resumed = await loki(["resume"], { cwd: repo.path, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const completion = JSON.parse(readFileSync(join(repo.path, ".loki/state/completion.json"), "utf8"));
    expect(completion).toMatchObject({ run_id: runId, outcome: "verified" });
    expect((await loki(["status", "--json"], { cwd: repo.path, env })).json()).toMatchObject({
      outcome: "verified",
      next: completion.next,
    });
  });
});

/** Whether the agent's long command (tagged with MARK) is running anywhere on the machine. */
async function sleeping(): Promise<boolean> {
  const ps = await run(["ps", "-eo", "args"], { timeoutMs: 5000 });
  return ps.stdout.split("\n").some((line) => line.includes(MARK) && !line.includes("ps -eo"));
}
