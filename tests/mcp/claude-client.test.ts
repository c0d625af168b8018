// `loki mcp` as a stdio MCP server of the REAL `claude` CLI (devDependency), whose model is the scripted
// fake Anthropic API on 127.0.0.1: a call of mcp__loki__loki_status reaches loki and its JSON goes back
// to the model when the tool is allowed; without an allow rule claude denies the call. No other network.
import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AnthropicRequest, type AnthropicScript, isRecord, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { CLAUDE_BIN, claudeEnv, cliSandbox, type CliRun, runCli } from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";

const MODEL = "claude-opus-5-5";
const LOKI_TOOLS = ["loki_status", "loki_start", "loki_events", "loki_verify", "loki_proof", "loki_stop"].map((n) => `mcp__loki__${n}`);
const ASK_STATUS: AnthropicScript = [{ toolUse: { name: "mcp__loki__loki_status", input: {} } }, { text: "loki is idle here." }];

/**
 * `claude -p` (prompt on stdin) in a fresh repository, with loki's stdio server as its only MCP server,
 * configured as a user would (`loki mcp`, started in the directory claude works in); `flags` are added to it.
 */
async function runClaudeWithLoki(flags: string[]) {
  const api = await startFakeAnthropic(ASK_STATUS);
  const repo = await tmpdir({ git: true, commit: true });
  const box = await cliSandbox();
  const config = join(box.dir, "mcp.json");
  writeFileSync(config, JSON.stringify({ mcpServers: { loki: { command: process.execPath, args: [cliBundle(), "mcp"] } } }));
  // --mcp-config and --allowedTools are variadic: each is given as --flag=value, with another flag after it.
  const argv = [
    CLAUDE_BIN,
    "-p",
    "--output-format",
    "stream-json",
    "--verbose",
    "--model",
    MODEL,
    `--mcp-config=${config}`,
    "--strict-mcp-config",
    ...flags,
    "--permission-mode",
    "acceptEdits",
  ];
  const run = await runCli(argv, {
    cwd: repo.path,
    // Connected before the first turn (claude connects MCP servers in the background by default).
    env: { ...claudeEnv(box, api.url), MCP_CONNECTION_NONBLOCKING: "0" },
    input: "What is loki doing in this repository?",
    timeoutMs: 120_000,
  });
  return {
    api,
    repo,
    run,
    [Symbol.asyncDispose]: async () => void (await Promise.all([api, repo, box].map((d) => d[Symbol.asyncDispose]()))),
  };
}

function eventOf(run: CliRun, type: string, subtype?: string): Record<string, unknown> {
  const event = run.events.find((e) => e.type === type && (subtype === undefined || e.subtype === subtype));
  if (!event)
    throw new Error(
      `no ${type}${subtype ? `/${subtype}` : ""} event; exit ${run.exitCode}\nstdout: ${run.stdout.slice(-3000)}\nstderr: ${run.stderr.slice(-2000)}`,
    );
  return event;
}

/** The tool_result block the second model call sends back for the scripted tool_use, its content as text. */
function toolResultOf(req: AnthropicRequest | undefined): { text: string; isError: boolean } {
  const messages = Array.isArray(req?.body.messages) ? req.body.messages.filter(isRecord) : [];
  const blocks = messages.flatMap((m) => (Array.isArray(m.content) ? m.content.filter(isRecord) : []));
  const result = blocks.find((b) => b.type === "tool_result" && b.tool_use_id === "toolu_fake_1");
  if (!result) throw new Error(`no tool_result for toolu_fake_1 in ${JSON.stringify(messages).slice(-2000)}`);
  const content = result.content;
  const text =
    typeof content === "string"
      ? content
      : Array.isArray(content)
        ? content
            .filter(isRecord)
            .map((b) => String(b.text ?? ""))
            .join("\n")
        : "";
  return { text, isError: result.is_error === true };
}

/** The repository root as loki reports it (real path: the temp dir may sit behind a symlink). */
const toplevel = (dir: string) => Bun.spawnSync(["git", "rev-parse", "--show-toplevel"], { cwd: dir }).stdout.toString().trim();

describe.skipIf(!existsSync(CLAUDE_BIN))("claude CLI with loki mcp as its MCP server", () => {
  test("allowed (mcp__loki__*): the model's loki_status call returns loki's status JSON to the model", async () => {
    await using t = await runClaudeWithLoki(["--allowedTools=mcp__loki__*"]);
    expect(t.run.exitCode, t.run.stderr).toBe(0);
    const init = eventOf(t.run, "system", "init");
    expect(init.mcp_servers).toContainEqual(expect.objectContaining({ name: "loki", status: "connected" }));
    expect(init.tools).toEqual(expect.arrayContaining(LOKI_TOOLS));
    expect(t.run.events.filter((e) => e.subtype === "permission_denied")).toEqual([]);

    const calls = t.api.modelCalls();
    expect(calls).toHaveLength(2);
    // claude may defer MCP tools (named in a reminder, not in body.tools), but the model is told of them.
    expect(JSON.stringify(calls[0]?.body)).toContain("mcp__loki__loki_status");
    const result = toolResultOf(calls[1]);
    expect(result.isError, result.text).toBe(false);
    expect(result.text).toContain('"status":"inactive"');
    const status = JSON.parse(result.text) as Record<string, unknown>;
    expect(status).toMatchObject({ status: "inactive", root: toplevel(t.repo.path), run_id: null, delegated: [] });

    const final = eventOf(t.run, "result");
    expect(final.is_error).toBe(false);
    expect(final.result).toBe("loki is idle here.");
  });

  test("no allow rule: claude denies the loki_status call and the model gets an error, not loki's JSON", async () => {
    await using t = await runClaudeWithLoki([]);
    expect(t.run.exitCode, t.run.stderr).toBe(0);
    // The server is up: the denial is claude's permission check, not a missing tool.
    expect(eventOf(t.run, "system", "init").mcp_servers).toContainEqual(expect.objectContaining({ name: "loki", status: "connected" }));
    expect(eventOf(t.run, "system", "permission_denied").tool_name).toBe("mcp__loki__loki_status");

    const calls = t.api.modelCalls();
    expect(calls).toHaveLength(2);
    const result = toolResultOf(calls[1]);
    expect(result.isError).toBe(true);
    expect(result.text).toContain("mcp__loki__loki_status");
    expect(result.text).toMatch(/permission/i);
    expect(result.text).not.toContain('"status"');
  });
});
