// Contract tests for the REAL `codex` CLI (devDependency) against the fake Responses API on
// 127.0.0.1 through a custom model provider: commands run, sandbox modes, usage, the prompt on stdin
// (never argv). No other network.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { codeModeExec, execCommand, startFakeOpenAI } from "../helpers/fake-openai.ts";
import type { ResponsesScript } from "../helpers/fake-openai.ts";
import {
  CODEX_BIN,
  cliSandbox,
  codexEnv,
  codexProviderArgs,
  codexProviderConfig,
  helpOf,
  loopbackOnly,
  netnsAvailable,
  runCli,
} from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";
import type { Role } from "../../src/core/models.ts";
import { callProvider } from "../../src/providers/call.ts";
import { CODEX_CONFIG_ENV, codex, DISPATCHED_MODEL } from "../../src/providers/codex.ts";
import type { HelpInfo, Invocation, ProviderEvent } from "../../src/providers/provider.ts";

const WRITE_HELLO: ResponsesScript = [execCommand("printf 'hi\\n' > hello.txt"), { text: "DONE\nLOKI_DONE" }];

type RunOptions = { retries?: boolean; loopbackOnly?: boolean /** null: codex's default model (code mode). */; model?: string | null };

/** Runs `codex exec --json` the PROVIDERS.md §3.2 way (classic tools via `-m fake-model` by default). */
async function runCodex(script: ResponsesScript, flags: string[], options: RunOptions = {}) {
  const api = await startFakeOpenAI(script);
  const repo = await tmpdir({ git: true, commit: true });
  const box = await cliSandbox();
  const model = options.model === undefined ? ["-m", "fake-model"] : options.model === null ? [] : ["-m", options.model];
  const argv = [CODEX_BIN, "exec", "--json", ...model, ...codexProviderArgs(api.url, options), ...flags, "create hello.txt"];
  await using netns = options.loopbackOnly ? await loopbackOnly(api.url, box) : null;
  const run = await runCli(netns ? netns.wrap(argv) : argv, { cwd: repo.path, env: codexEnv(box) });
  return {
    api,
    repo,
    box,
    run,
    [Symbol.asyncDispose]: async () => void (await Promise.all([api, repo, box].map((d) => d[Symbol.asyncDispose]()))),
  };
}

function describeRun(run: { exitCode: number | null; stdout: string; stderr: string }): string {
  return `exit ${run.exitCode}\nstdout: ${run.stdout.slice(-2000)}\nstderr: ${run.stderr.slice(-2000)}`;
}

describe("codex CLI against the fake Responses API", () => {
  test("build (workspace-write): a scripted exec_command writes the file; JSON shows the command and usage", async () => {
    await using t = await runCodex(WRITE_HELLO, ["-s", "workspace-write"]);
    expect(t.run.exitCode, describeRun(t.run)).toBe(0);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    const commands = t.run.events
      .filter((e) => e.type === "item.completed")
      .map((e) => e.item as Record<string, unknown>)
      .filter((i) => i.type === "command_execution");
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({ exit_code: 0, status: "completed" });
    expect(String(commands[0]?.command)).toContain("hello.txt");
    const messages = t.run.events.filter(
      (e) => e.type === "item.completed" && (e.item as Record<string, unknown>).type === "agent_message",
    );
    expect(messages.at(-1)).toMatchObject({ item: { text: "DONE\nLOKI_DONE" } });
    const done = t.run.events.find((e) => e.type === "turn.completed");
    expect(done).toMatchObject({ usage: { input_tokens: 2000, output_tokens: 100 } });
    const calls = t.api.modelCalls();
    expect(calls).toHaveLength(2);
    expect(calls[0]?.model).toBe("fake-model");
    expect(calls[0]?.tools).toContain("exec_command");
    expect(calls[0]?.headers.authorization).toBe("Bearer fake");
    expect(JSON.stringify(calls[1]?.body.input)).toContain("function_call_output");
  });

  test.skipIf(!netnsAvailable())("build in a network namespace with only loopback (no route out) still succeeds", async () => {
    await using t = await runCodex(WRITE_HELLO, ["-s", "workspace-write"], { loopbackOnly: true });
    expect(t.run.exitCode, describeRun(t.run)).toBe(0);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    expect(t.api.modelCalls()).toHaveLength(2);
  });

  // Where bubblewrap is installed, codex runs the command inside its read-only sandbox (where it
  // fails); without it, codex refuses to run it at all. Either way nothing is written.
  test("read-only: the same command does not create the file; a command that ran failed", async () => {
    await using t = await runCodex(WRITE_HELLO, ["-s", "read-only"]);
    expect(t.run.exitCode, describeRun(t.run)).toBe(0);
    expect(existsSync(join(t.repo.path, "hello.txt"))).toBe(false);
    const items = t.run.events.filter((e) => e.type === "item.completed").map((e) => e.item as Record<string, unknown>);
    for (const item of items.filter((i) => i.type === "command_execution")) expect(item).toMatchObject({ status: "failed", exit_code: 1 });
    const output = JSON.stringify(t.api.modelCalls()[1]?.body.input);
    expect(output).toContain("function_call_output");
    expect(output).toContain("Read-only file system");
  });

  test("code mode (default model): tools arrive as additional_tools; a custom_tool_call exec runs the command", async () => {
    await using t = await runCodex([codeModeExec("printf 'hi\\n' > hello.txt"), { text: "DONE" }], ["-s", "workspace-write"], {
      model: null,
    });
    expect(t.run.exitCode, describeRun(t.run)).toBe(0);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    const first = t.api.modelCalls()[0];
    expect(first?.body.tools).toBeUndefined();
    expect(first?.tools).toContain("functions.exec");
    expect(JSON.stringify(t.api.modelCalls()[1]?.body.input)).toContain("custom_tool_call_output");
    expect(t.run.events).toContainEqual(
      expect.objectContaining({ type: "item.completed", item: expect.objectContaining({ type: "command_execution", exit_code: 0 }) }),
    );
  });

  // codex answers "Process running with session ID n" for a command that outlives yield_time_ms
  // (10 s by default, easily reached on a loaded machine); a model then waits on it with write_stdin.
  test("a command that outlives codex's wait is polled with write_stdin, and the script goes on only once it ended", async () => {
    const slow = "sleep 1.5; printf 'hi\\n' > hello.txt";
    const script: ResponsesScript = [
      { functionCall: { name: "exec_command", arguments: { cmd: slow, yield_time_ms: 250 } } },
      { text: "DONE\nLOKI_DONE" },
    ];
    await using t = await runCodex(script, ["-s", "workspace-write"]);
    expect(t.run.exitCode, describeRun(t.run)).toBe(0);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    const calls = t.api.modelCalls();
    expect(calls).toHaveLength(3);
    expect(JSON.stringify(calls[1]?.body.input)).toContain("Process running with session ID");
    expect(JSON.stringify(calls[2]?.body.input)).toContain("write_stdin");
    expect(t.run.events.filter((e) => e.type === "item.completed").at(-1)).toMatchObject({ item: { text: "DONE\nLOKI_DONE" } });
  });

  // A retried request is the same conversation step, so it gets the same turn: the fake never skips
  // the command because an earlier attempt failed (turns were once picked by arrival order).
  test("a request codex retries after a 500 gets the same turn again: one command, then done", async () => {
    let requests = 0;
    const script: ResponsesScript = (_req, step) => (++requests === 1 ? { status: 500 } : (WRITE_HELLO[step - 1] ?? { text: "" }));
    await using t = await runCodex(script, ["-s", "workspace-write"]);
    expect(t.run.exitCode, describeRun(t.run)).toBe(0);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    const calls = t.api.modelCalls();
    expect(calls).toHaveLength(3);
    expect(calls[1]?.body.input).toEqual(calls[0]?.body.input);
    const commands = t.run.events.filter(
      (e) => e.type === "item.completed" && (e.item as Record<string, unknown>).type === "command_execution",
    );
    expect(commands).toHaveLength(1);
  });

  test("the fake answers non-streaming calls with the same response object", async () => {
    await using api = await startFakeOpenAI([{ text: "hello", usage: { input: 7, output: 3 } }]);
    const response = await fetch(`${api.url}/v1/responses`, { method: "POST", body: JSON.stringify({ model: "m", input: [] }) });
    expect(await response.json()).toMatchObject({
      status: "completed",
      output: [{ type: "message", content: [{ text: "hello" }] }],
      usage: { input_tokens: 7, output_tokens: 3 },
    });
  });

  test("API error 500 with retries off: exit 1, turn.failed", async () => {
    await using t = await runCodex([{ status: 500 }], ["-s", "workspace-write"], { retries: false });
    expect(t.run.exitCode, describeRun(t.run)).toBe(1);
    expect(t.run.events.some((e) => e.type === "turn.failed")).toBe(true);
    expect(t.api.modelCalls()).toHaveLength(1);
  });
});

let help: Promise<HelpInfo> | undefined;

/** `codex.invocation` with the fake as the custom provider (the way a gateway is configured). */
function invocationFor(req: Parameters<typeof codex.invocation>[0], info: HelpInfo, config: string[]): Invocation {
  const saved = process.env[CODEX_CONFIG_ENV];
  process.env[CODEX_CONFIG_ENV] = config.join("\n");
  try {
    return codex.invocation(req, info);
  } finally {
    if (saved === undefined) delete process.env[CODEX_CONFIG_ENV];
    else process.env[CODEX_CONFIG_ENV] = saved;
  }
}

/** Runs codex with the argv/env `codex.invocation` builds; refuses to spawn unless it targets the fake. */
async function runByProvider(script: ResponsesScript, role: Role, options: { retries?: boolean } = {}) {
  const api = await startFakeOpenAI(script);
  const repo = await tmpdir({ git: true, commit: true });
  const box = await cliSandbox();
  const env = codexEnv(box);
  help ??= helpOf(CODEX_BIN, ["exec"], env, box.dir);
  const config = codexProviderConfig(api.url, options);
  const req = { prompt: "create hello.txt", model: "fake-model", role, cwd: repo.path, scratchDir: box.tmp, denyRead: [], allowRoot: true };
  const { argv, env: extra, stdin } = invocationFor(req, await help, config);
  expect(argv.slice(0, 2)).toEqual(["codex", "exec"]);
  for (const pair of config) expect(argv).toContain(pair);
  expect(argv.at(-1)).toBe("-");
  const run = await runCli([CODEX_BIN, ...argv.slice(1)], {
    cwd: repo.path,
    env: { ...env, ...extra },
    ...(stdin === undefined ? {} : { input: stdin }),
  });
  const events: ProviderEvent[] = run.stdout.split("\n").flatMap((line) => codex.parse(line));
  return {
    api,
    repo,
    run,
    argv,
    events,
    [Symbol.asyncDispose]: async () => void (await Promise.all([api, repo, box].map((d) => d[Symbol.asyncDispose]()))),
  };
}

describe("codex provider record (invocation + parse) against the real CLI", () => {
  test("build: workspace-write runs the command; the parsed result has this turn's tokens and no cost", async () => {
    await using t = await runByProvider(WRITE_HELLO, "build");
    expect(t.run.exitCode, describeRun(t.run)).toBe(0);
    expect(t.argv).toContain("workspace-write");
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    expect(t.events).toContainEqual(expect.objectContaining({ kind: "tool_use", tool: "exec_command" }));
    expect(t.events).toContainEqual({ kind: "tool_result", isError: false, text: "" });
    expect(t.events).toContainEqual({ kind: "text", text: "DONE\nLOKI_DONE" });
    const result = t.events.find((e) => e.kind === "result");
    expect(result).toMatchObject({ isError: false, errorClass: null, costUsd: null });
    expect(result?.kind === "result" && result.usage[DISPATCHED_MODEL]).toEqual({
      input: 2000,
      output: 100,
      cache_read: 0,
      cache_write: 0,
    });
  });

  test("review: read-only sandbox, the command writes nothing; a command that ran is parsed as failed", async () => {
    await using t = await runByProvider(WRITE_HELLO, "review");
    expect(t.run.exitCode, describeRun(t.run)).toBe(0);
    expect(t.argv).toContain("read-only");
    expect(existsSync(join(t.repo.path, "hello.txt"))).toBe(false);
    const uses = t.events.filter((e) => e.kind === "tool_use").length;
    expect(t.events.filter((e) => e.kind === "tool_result" && !e.isError)).toHaveLength(0);
    expect(t.events.filter((e) => e.kind === "tool_result" && e.isError)).toHaveLength(uses);
    expect(t.events.find((e) => e.kind === "result")).toMatchObject({ isError: false });
  });

  test("401 with retries off: parsed as an auth failure", async () => {
    await using t = await runByProvider([{ status: 401 }], "build", { retries: false });
    expect(t.run.exitCode).toBe(1);
    expect(t.events.find((e) => e.kind === "result")).toMatchObject({ isError: true, errorClass: "auth" });
  });
});

/** The text of every user message item the Responses API received, joined. */
function userText(body: Record<string, unknown>): string {
  const input = Array.isArray(body.input) ? (body.input as Record<string, unknown>[]) : [];
  return input
    .filter((item) => item.role === "user" && Array.isArray(item.content))
    .flatMap((item) => item.content as Record<string, unknown>[])
    .map((part) => String(part.text ?? ""))
    .join("\n");
}

describe("loki's call to the real codex: the prompt on stdin", () => {
  test("a 170 KB prompt (past Linux's 128 KiB per-argument limit) and the system prompt arrive whole; argv carries neither", async () => {
    await using api = await startFakeOpenAI([{ text: "DONE\nLOKI_DONE" }]);
    await using repo = await tmpdir({ git: true, commit: true });
    await using box = await cliSandbox();
    const env = codexEnv(box);
    help ??= helpOf(CODEX_BIN, ["exec"], env, box.dir);
    const prompt = `# Task: marker-7f3a\n${Array.from({ length: 6000 }, (_, i) => `- [i${i}] line ${i}: build the thing`).join("\n")}\n`;
    expect(Buffer.byteLength(prompt)).toBeGreaterThan(128 * 1024);
    let argv: string[] = [];
    const saved = process.env[CODEX_CONFIG_ENV];
    // invocation() reads the gateway config when callProvider calls it, before the first await.
    process.env[CODEX_CONFIG_ENV] = codexProviderConfig(api.url, { retries: false }).join("\n");
    const pending = callProvider(codex, {
      prompt,
      systemPrompt: "SYSTEM-MARKER-9 follow the house rules",
      model: "fake-model",
      role: "build",
      cwd: repo.path,
      scratchDir: box.tmp,
      denyRead: [],
      allowRoot: true,
      binaryPath: CODEX_BIN,
      help: await help,
      transcript: join(box.dir, "iterations", "1", "agent.jsonl"),
      timeoutMs: 60_000,
      idleTimeoutMs: 60_000,
      env,
      wrap: (spawned, callEnv) => {
        argv = spawned;
        return { argv: spawned, env: callEnv };
      },
    });
    if (saved === undefined) delete process.env[CODEX_CONFIG_ENV];
    else process.env[CODEX_CONFIG_ENV] = saved;
    const result = await pending;
    expect(result.ok, result.stderrTail).toBe(true);
    expect(result.claimedDone).toBe(true);
    const sent = userText(api.modelCalls()[0]?.body ?? {});
    expect(sent).toContain(prompt.trimEnd());
    expect(sent).toContain("SYSTEM-MARKER-9 follow the house rules");
    expect(argv.at(-1)).toBe("-");
    expect(argv.some((a) => a.includes("marker-7f3a") || a.includes("SYSTEM-MARKER-9"))).toBe(false);
  });
});
