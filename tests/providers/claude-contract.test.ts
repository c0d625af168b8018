// Contract tests for the REAL `claude` CLI (devDependency) against the fake Anthropic API on
// 127.0.0.1: tools offered, tools executed, read-only review, API errors, the prompt on stdin (never
// argv) and the transcript loki keeps (redacted, 0600). No other network.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { cwd, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import type { AnthropicScript } from "../helpers/fake-anthropic.ts";
import { CLAUDE_BIN, claudeEnv, cliSandbox, helpOf, loopbackOnly, netnsAvailable, runCli } from "../helpers/real-cli.ts";
import type { CliRun } from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";
import type { Role } from "../../src/core/models.ts";
import { callProvider } from "../../src/providers/call.ts";
import { claude } from "../../src/providers/claude.ts";
import type { HelpInfo, ProviderEvent } from "../../src/providers/provider.ts";

const MODEL = "claude-opus-5-5";
const WRITE_HELLO: AnthropicScript = [
  { toolUse: { name: "Write", input: (req) => ({ file_path: join(cwd(req), "hello.txt"), content: "hi\n" }) } },
  { text: "DONE\nLOKI_DONE" },
];

/** Runs `claude -p` the PROVIDERS.md §2.2 way, with `flags` after the fixed ones. */
async function runClaude(script: AnthropicScript, flags: string[], options: { loopbackOnly?: boolean } = {}) {
  const api = await startFakeAnthropic(script);
  const repo = await tmpdir({ git: true, commit: true });
  const box = await cliSandbox();
  const argv = [CLAUDE_BIN, "-p", "create hello.txt", "--output-format", "stream-json", "--verbose", "--model", MODEL, ...flags];
  await using netns = options.loopbackOnly ? await loopbackOnly(api.url, box) : null;
  const run = await runCli(netns ? netns.wrap(argv) : argv, { cwd: repo.path, env: claudeEnv(box, api.url) });
  return {
    api,
    repo,
    box,
    run,
    [Symbol.asyncDispose]: async () => void (await Promise.all([api, repo, box].map((d) => d[Symbol.asyncDispose]()))),
  };
}

function resultOf(run: CliRun): Record<string, unknown> {
  const result = run.events.find((e) => e.type === "result");
  if (!result)
    throw new Error(`no result line; exit ${run.exitCode}\nstdout: ${run.stdout.slice(-2000)}\nstderr: ${run.stderr.slice(-2000)}`);
  return result;
}

describe("claude CLI against the fake Anthropic API", () => {
  test("build: a scripted Write tool_use creates the file, then the run succeeds", async () => {
    await using t = await runClaude(WRITE_HELLO, ["--dangerously-skip-permissions"]);
    const result = resultOf(t.run);
    expect(t.run.exitCode).toBe(0);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    expect(result.is_error).toBe(false);
    expect(result.result).toBe("DONE\nLOKI_DONE");
    const calls = t.api.modelCalls();
    expect(calls).toHaveLength(2);
    expect(calls[0]?.model).toBe(MODEL);
    expect(calls[0]?.tools).toContain("Write");
    expect(calls[0]?.stream).toBe(true);
    expect(calls[0]?.headers["x-api-key"]).toBe("fake");
    expect(t.api.requests.filter((r) => r.path === "/api/hello")).toHaveLength(0);
  });

  test.skipIf(!netnsAvailable())("build in a network namespace with only loopback (no route out) still succeeds", async () => {
    await using t = await runClaude(WRITE_HELLO, ["--dangerously-skip-permissions"], { loopbackOnly: true });
    expect(t.run.exitCode, t.run.stderr).toBe(0);
    expect(resultOf(t.run).is_error).toBe(false);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    expect(t.api.modelCalls()).toHaveLength(2);
  });

  test.skipIf(!netnsAvailable())("the loopback-only wrapper really leaves only `lo`", async () => {
    await using box = await cliSandbox();
    await using netns = await loopbackOnly("http://127.0.0.1:9", box);
    const run = await runCli(netns.wrap(["ip", "-o", "link", "show"]), { cwd: box.dir, env: claudeEnv(box, "http://127.0.0.1:9") });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(
      run.stdout
        .trim()
        .split("\n")
        .map((line) => line.split(":")[1]?.trim()),
    ).toEqual(["lo"]);
  });

  test("review: Edit/Write/NotebookEdit disallowed are not offered, and a forced Write is not run", async () => {
    await using t = await runClaude(WRITE_HELLO, ["--disallowedTools", "Edit Write NotebookEdit"]);
    const result = resultOf(t.run);
    expect(t.run.exitCode).toBe(0);
    const tools = t.api.modelCalls()[0]?.tools ?? [];
    expect(tools).toContain("Read");
    for (const name of ["Write", "Edit", "NotebookEdit"]) expect(tools).not.toContain(name);
    expect(existsSync(join(t.repo.path, "hello.txt"))).toBe(false);
    const toolResult = t.run.events.find((e) => e.type === "user");
    expect(JSON.stringify(toolResult)).toContain("No such tool available: Write");
    expect(result.is_error).toBe(false);
  });

  test("the fake also serves non-streaming calls, count_tokens and HEAD /api/hello", async () => {
    await using api = await startFakeAnthropic([{ text: "hello", usage: { input: 7, output: 3 } }]);
    const post = (path: string, body: unknown) => fetch(`${api.url}${path}`, { method: "POST", body: JSON.stringify(body) });
    const message = await (await post("/v1/messages?beta=true", { model: "m", messages: [] })).json();
    expect(message).toMatchObject({
      type: "message",
      model: "m",
      content: [{ type: "text", text: "hello" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 7, output_tokens: 3 },
    });
    expect(await (await post("/v1/messages/count_tokens", { model: "m", messages: [] })).json()).toEqual({
      input_tokens: expect.any(Number),
    });
    expect((await fetch(`${api.url}/api/hello`, { method: "HEAD" })).status).toBe(200);
    expect(api.modelCalls()).toHaveLength(1);
  });

  for (const status of [500, 429] as const) {
    test(`API error ${status}: exit non-zero, result is_error with api_error_status`, async () => {
      await using t = await runClaude([{ status, headers: { "retry-after": "0" } }], ["--dangerously-skip-permissions"]);
      const result = resultOf(t.run);
      expect(t.run.exitCode).not.toBe(0);
      expect(result.is_error).toBe(true);
      expect(result.api_error_status).toBe(status);
      // CLAUDE_CODE_MAX_RETRIES=1: the first call and one retry.
      expect(t.api.modelCalls()).toHaveLength(2);
    });
  }
});

let help: Promise<HelpInfo> | undefined;

/** Runs claude with the argv/env `claude.invocation` builds (binary swapped in, fake URL forced). */
async function runByProvider(script: AnthropicScript, role: Role) {
  const api = await startFakeAnthropic(script);
  const repo = await tmpdir({ git: true, commit: true });
  const box = await cliSandbox();
  const env = claudeEnv(box, api.url);
  help ??= helpOf(CLAUDE_BIN, [], env, box.dir);
  const req = { prompt: "create hello.txt", model: MODEL, role, cwd: repo.path, scratchDir: box.tmp, denyRead: [], allowRoot: true };
  const { argv, env: extra, stdin } = claude.invocation(req, await help);
  expect(argv[0]).toBe("claude");
  expect(argv.some((a) => a.includes(req.prompt))).toBe(false);
  const run = await runCli([CLAUDE_BIN, ...argv.slice(1)], {
    cwd: repo.path,
    env: { ...env, ...extra, ANTHROPIC_BASE_URL: api.url },
    ...(stdin === undefined ? {} : { input: stdin }),
  });
  const events: ProviderEvent[] = run.stdout.split("\n").flatMap((line) => claude.parse(line));
  return {
    api,
    repo,
    run,
    events,
    [Symbol.asyncDispose]: async () => void (await Promise.all([api, repo, box].map((d) => d[Symbol.asyncDispose]()))),
  };
}

function parsedResult(events: ProviderEvent[]): Extract<ProviderEvent, { kind: "result" }> {
  const result = events.find((e) => e.kind === "result");
  if (result?.kind !== "result") throw new Error(`claude.parse gave no result event: ${JSON.stringify(events)}`);
  return result;
}

describe("claude provider record (invocation + parse) against the real CLI", () => {
  test("build: the file is written and the parsed result carries the exact cost of this run", async () => {
    await using t = await runByProvider(WRITE_HELLO, "build");
    expect(t.run.exitCode, t.run.stderr).toBe(0);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    const raw = resultOf(t.run).model_usage_since_last_result as Record<string, { costUSD: number }>;
    const result = parsedResult(t.events);
    expect(result.isError).toBe(false);
    expect(result.errorClass).toBeNull();
    expect(result.costUsd).toBe(Object.values(raw).reduce((sum, m) => sum + m.costUSD, 0));
    // 2 calls × (1000 in, 50 out) at Claude Code's opus-5-5 list price, $4 / $20 per million.
    expect(result.costUsd).toBeCloseTo(0.01, 9);
    expect(result.usage[MODEL]).toEqual({ input: 2000, output: 100, cache_read: 0, cache_write: 0 });
    expect(t.events).toContainEqual(expect.objectContaining({ kind: "tool_use", tool: "Write" }));
    expect(t.events).toContainEqual(expect.objectContaining({ kind: "init", model: MODEL }));
  });

  test("review: write tools are not offered and a forced Write comes back as an error tool_result", async () => {
    await using t = await runByProvider(WRITE_HELLO, "review");
    expect(t.run.exitCode, t.run.stderr).toBe(0);
    for (const name of ["Write", "Edit", "NotebookEdit"]) expect(t.api.modelCalls()[0]?.tools).not.toContain(name);
    expect(existsSync(join(t.repo.path, "hello.txt"))).toBe(false);
    expect(t.events).toContainEqual(expect.objectContaining({ kind: "tool_result", isError: true }));
    expect(parsedResult(t.events).isError).toBe(false);
  });

  test("429: parsed as a retry, then a rate_limit result", async () => {
    await using t = await runByProvider([{ status: 429 }], "build");
    expect(t.run.exitCode).toBe(1);
    expect(t.events).toContainEqual(expect.objectContaining({ kind: "retry", errorStatus: 429 }));
    expect(parsedResult(t.events)).toMatchObject({ isError: true, errorClass: "rate_limit" });
  });
});

/** The text of every user message the API received, joined: where a prompt sent on stdin must arrive. */
function userText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [];
  return messages
    .filter((m) => m.role === "user")
    .flatMap((m) => (typeof m.content === "string" ? [m.content] : Array.isArray(m.content) ? m.content : []))
    .map((part) => (typeof part === "string" ? part : String((part as Record<string, unknown>).text ?? "")))
    .join("\n");
}

/** One call through loki's own callProvider (invocation, stdin, transcript) on the real CLI; `argv` is what was spawned. */
async function callClaude(script: AnthropicScript, prompt: string, systemPrompt: string) {
  const api = await startFakeAnthropic(script);
  const repo = await tmpdir({ git: true, commit: true });
  const box = await cliSandbox();
  const env = claudeEnv(box, api.url);
  help ??= helpOf(CLAUDE_BIN, [], env, box.dir);
  const transcript = join(box.dir, "iterations", "1", "agent.jsonl");
  let argv: string[] = [];
  const result = await callProvider(claude, {
    prompt,
    systemPrompt,
    model: MODEL,
    role: "build",
    cwd: repo.path,
    scratchDir: box.tmp,
    denyRead: [],
    allowRoot: true,
    binaryPath: CLAUDE_BIN,
    help: await help,
    transcript,
    timeoutMs: 60_000,
    idleTimeoutMs: 60_000,
    env,
    wrap: (spawned, callEnv) => {
      argv = spawned;
      return { argv: spawned, env: callEnv };
    },
  });
  return {
    api,
    result,
    argv,
    transcript,
    [Symbol.asyncDispose]: async () => void (await Promise.all([api, repo, box].map((d) => d[Symbol.asyncDispose]()))),
  };
}

describe("loki's call to the real claude: the prompt on stdin, the transcript redacted and private", () => {
  test("a 170 KB prompt (past Linux's 128 KiB per-argument limit) and the system prompt arrive whole; argv carries neither", async () => {
    const prompt = `# Task: marker-7f3a\n${Array.from({ length: 6000 }, (_, i) => `- [i${i}] line ${i}: build the thing`).join("\n")}\n`;
    expect(Buffer.byteLength(prompt)).toBeGreaterThan(128 * 1024);
    await using t = await callClaude([{ text: "DONE\nLOKI_DONE" }], prompt, "SYSTEM-MARKER-9 follow the house rules");
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(t.result.claimedDone).toBe(true);
    const sent = userText(t.api.modelCalls()[0]?.body ?? {});
    expect(sent).toContain(prompt.trimEnd());
    expect(sent).toContain("SYSTEM-MARKER-9 follow the house rules");
    expect(t.argv[0]).toBe(CLAUDE_BIN);
    expect(t.argv.some((a) => a.includes("marker-7f3a") || a.includes("SYSTEM-MARKER-9"))).toBe(false);
    expect(t.argv.join(" ").length).toBeLessThan(1024);
  });

  test("the transcript is 0600 and redacted; the parsed stream (what loki decides on) is not", async () => {
    const token = `ghp_${"A1b2C3d4E5".repeat(4).slice(0, 36)}`;
    await using t = await callClaude([{ text: `here is the token ${token}\nLOKI_DONE` }], "# Task: leak a token", "SYS");
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(t.result.finalText).toContain(token);
    const written = readFileSync(t.transcript, "utf8");
    expect(written).not.toContain(token);
    expect(written).toContain("[REDACTED:github-token]");
    expect(written.endsWith("\n")).toBe(true);
    for (const line of written.trimEnd().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    expect(statSync(t.transcript).mode & 0o777).toBe(0o600);
    expect(statSync(join(t.transcript, "..")).mode & 0o777).toBe(0o700);
  });
});
