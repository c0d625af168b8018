// loki.yaml `mcp.children: true` with the REAL claude and codex CLIs against fake model APIs on 127.0.0.1: the build
// agent is offered loki's MCP server (loki_verify alone), calls it from inside the run's sandbox and gets
// the gates' verdict on its uncommitted work; without the setting the tool does not exist, and the child
// set never offers the run tools (an agent cannot start, stop or watch runs through it).
import { describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { Completion } from "../../src/core/run-schema.ts";
import { type AnthropicRequest, type AnthropicTurn, cwd, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { cwd as codexCwd, execCommand, type ResponsesRequest, type ResponsesTurn, startFakeOpenAI } from "../helpers/fake-openai.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox, codexEnv } from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { MATH4, MATH4_TESTS, PRD_MATH4 } from "../helpers/scenario.ts";
import { readFileSync } from "node:fs";

const BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin");
const GRADER = /# (Held-out acceptance check|Acceptance check|Review: |Devil's advocate)/;

function approve(asked: string): string {
  const items = [...asked.matchAll(/- \[(ac-[0-9a-f]+(?:-\d+)?)\]/g)].map((m) => ({ id: m[1], status: "pass", evidence: "math.js:1" }));
  return `Verdict:\n\n\`\`\`json\n${JSON.stringify({ verdict: "APPROVE", findings: [], items })}\n\`\`\``;
}

/** Each tool_result the agent's CLI sent back for a tool_use named `name` (once: every request repeats the history). */
function toolResults(calls: AnthropicRequest[], name: string): { text: string; isError: boolean }[] {
  const ids = new Map<string, string>();
  const out = new Map<string, { text: string; isError: boolean }>();
  for (const call of calls)
    for (const message of (call.body.messages ?? []) as { content: unknown }[]) {
      if (!Array.isArray(message.content)) continue;
      for (const block of message.content as Record<string, unknown>[]) {
        if (block.type === "tool_use") ids.set(String(block.id), String(block.name));
        if (block.type === "tool_result" && ids.get(String(block.tool_use_id)) === name) {
          const content = block.content;
          const text = typeof content === "string" ? content : JSON.stringify(content);
          out.set(String(block.tool_use_id), { text, isError: block.is_error === true });
        }
      }
    }
  return [...out.values()];
}

/** Writes the solution, asks loki_verify (and, `probe`, a run tool the child set must not have), claims done. */
function builder(probe: string | null) {
  const build: AnthropicTurn[] = [
    { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.js"), content: MATH4 }) } },
    { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "math.test.js"), content: MATH4_TESTS }) } },
    { toolUse: { name: "mcp__loki__loki_verify", input: {} } },
    ...(probe ? [{ toolUse: { name: probe, input: { spec: "prd.md" } } }] : []),
    { text: "Implemented and checked with loki_verify.\nLOKI_DONE" },
  ];
  let builds = 0;
  return (req: AnthropicRequest): AnthropicTurn => {
    const asked = JSON.stringify(req.body.messages ?? []);
    if (GRADER.test(asked)) return { text: approve(asked) };
    return build[Math.min(builds++, build.length - 1)] as AnthropicTurn;
  };
}

async function run(config: string, probe: string | null) {
  const api = await startFakeAnthropic(builder(probe));
  const box = await cliSandbox();
  const repo = await tmpdir({
    commit: true,
    files: {
      "package.json": JSON.stringify({ name: "m", type: "module", private: true, scripts: { test: "node --test" } }),
      "prd.md": PRD_MATH4,
      "loki.yaml": `allow_root: true\ncouncil: false\nproviders:\n  claude:\n    base_url: ${api.url}\n    api_key_env: GATEWAY_KEY\n    model: local-coder\n    price: { input: 0, output: 0 }\n${config}`,
    },
  });
  const env: Record<string, string | undefined> = {
    ...claudeEnv(box, "http://127.0.0.1:1"),
    PATH: `${BIN}:${process.env.PATH}`,
    GATEWAY_KEY: "sk-gateway",
    // Only loki.yaml points claude anywhere.
    ANTHROPIC_BASE_URL: undefined,
    ANTHROPIC_API_KEY: undefined,
  };
  const result = await loki(["start", "prd.md", "--max-iterations", "2"], { cwd: repo.path, env });
  const completion = Completion.parse(JSON.parse(readFileSync(join(repo.path, ".loki", "state", "completion.json"), "utf8")));
  return {
    result,
    completion,
    calls: api.modelCalls(),
    [Symbol.asyncDispose]: async () => {
      await api[Symbol.asyncDispose]();
      await Promise.all([box, repo].map((d) => d[Symbol.asyncDispose]()));
    },
  };
}

describe("mcp.children", () => {
  test("on: the build agent calls loki_verify inside its sandbox and reads the gates' verdict on its uncommitted work", async () => {
    await using r = await run("mcp:\n  children: true\n", "mcp__loki__loki_start");
    expect(r.result.code, r.result.stderr).toBe(0);
    expect(r.completion.outcome).toBe("verified");
    const verified = toolResults(r.calls, "mcp__loki__loki_verify");
    expect(verified).toHaveLength(1);
    expect(verified[0]?.isError, verified[0]?.text).toBe(false);
    const verdict = JSON.parse(JSON.parse(verified[0]?.text as string)[0].text) as {
      verdict: string;
      subject: { files: number; includes_worktree: boolean };
    };
    // The agent's two files, not yet committed (loki checkpoints after the call), graded against the run's start.
    expect(verdict.verdict).toBe("VERIFIED");
    expect(verdict.subject.includes_worktree).toBe(true);
    expect(verdict.subject.files).toBeGreaterThanOrEqual(2);
    // The child set is loki_verify alone: the run tools do not exist for the agent.
    const start = toolResults(r.calls, "mcp__loki__loki_start");
    expect(start).toHaveLength(1);
    expect(start[0]?.isError).toBe(true);
  }, 240_000);

  test("off (the default): the agent has no loki tool", async () => {
    await using r = await run("", null);
    const verified = toolResults(r.calls, "mcp__loki__loki_verify");
    expect(verified).toHaveLength(1);
    expect(verified[0]?.isError).toBe(true);
  }, 240_000);
});

/** The codex side: exec_command writes the solution, then loki_verify in the `mcp__loki` namespace, then done. */
function codexBuilder() {
  return (req: ResponsesRequest, step: number): ResponsesTurn => {
    const asked = JSON.stringify(req.body.input ?? []);
    if (GRADER.test(asked)) return { text: approve(asked) };
    // A conversation's first request is step 1.
    if (step <= 1) {
      const dir = codexCwd(req);
      const write = (name: string, text: string) => `cat > ${join(dir, name)} <<'EOF'\n${text}EOF`;
      return execCommand(`${write("math.js", MATH4)}\n${write("math.test.js", MATH4_TESTS)}`);
    }
    if (step === 2) return { functionCall: { name: "loki_verify", namespace: "mcp__loki", arguments: {} } };
    return { text: "Implemented and checked with loki_verify.\nLOKI_DONE" };
  };
}

/** What codex sent back for each function call named `name` (its output item), once per call. */
function codexOutputs(calls: ResponsesRequest[], name: string): string[] {
  const ids = new Set<string>();
  const out = new Map<string, string>();
  for (const call of calls)
    for (const item of (call.body.input ?? []) as Record<string, unknown>[]) {
      if (item.type === "function_call" && item.name === name) ids.add(String(item.call_id));
      if (item.type === "function_call_output" && ids.has(String(item.call_id))) out.set(String(item.call_id), JSON.stringify(item.output));
    }
  return [...out.values()];
}

describe("mcp.children with codex", () => {
  test("unsandboxed (codex's own workspace-write sandbox): the tool is approved up front, so exec calls it headlessly", async () => {
    await using api = await startFakeOpenAI(codexBuilder());
    await using box = await cliSandbox();
    await using repo = await tmpdir({
      commit: true,
      files: {
        "package.json": JSON.stringify({ name: "m", type: "module", private: true, scripts: { test: "node --test" } }),
        "prd.md": PRD_MATH4,
        "loki.yaml": `provider: codex\nallow_root: true\nsandbox: false\ncouncil: false\nmcp:\n  children: true\nproviders:\n  codex:\n    base_url: ${api.url}/v1\n    api_key_env: CORP_LLM_KEY\n    model: fake-model\n    price: { input: 0, output: 0 }\n`,
      },
    });
    const env: Record<string, string | undefined> = {
      ...codexEnv(box),
      PATH: `${BIN}:${process.env.PATH}`,
      CORP_LLM_KEY: "sk-corp",
      OPENAI_API_KEY: undefined,
    };
    const result = await loki(["start", "prd.md", "--max-iterations", "2"], { cwd: repo.path, env });
    expect(result.code, result.stderr).toBe(0);
    const outputs = codexOutputs(api.modelCalls(), "loki_verify");
    expect(outputs).toHaveLength(1);
    expect(outputs[0]).not.toContain("requires approval");
    expect(outputs[0]).toContain('\\"verdict\\":\\"VERIFIED\\"');
  }, 240_000);
});
