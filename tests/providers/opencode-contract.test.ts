// Contract tests for the REAL `opencode` CLI (devDependency opencode-ai) through loki's record and
// callProvider against the fake chat-completions and Anthropic APIs on 127.0.0.1: the generated config,
// the user's own config never read, read-only review tools, 429, usage. No other network.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import type { AnthropicScript, FakeModelApi } from "../helpers/fake-anthropic.ts";
import { cwd, isTitleRequest, startFakeChat, userText } from "../helpers/fake-chat.ts";
import type { ChatScript } from "../helpers/fake-chat.ts";
import { type CliSandbox, cliSandbox, helpOf, loopbackOnly, netnsAvailable } from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";
import type { Role } from "../../src/core/models.ts";
import { callProvider } from "../../src/providers/call.ts";
import { opencode } from "../../src/providers/opencode.ts";
import { stateRoot } from "../../src/providers/opencode-config.ts";
import type { Endpoint, HelpInfo, ProviderEvent } from "../../src/providers/provider.ts";

const OPENCODE_BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin", "opencode");
/** Installed, and not the 479-byte stub opencode-ai ships until its postinstall links the platform binary. */
const HAS_OPENCODE = existsSync(OPENCODE_BIN) && statSync(OPENCODE_BIN).size > 1_000_000;
const MODEL = "local-coder";
const KEY = "sk-local-5f1e";
const MARKER = "DECOY-MARKER-7c1";
const PROMPT = "create hello.txt";
const WRITE_HELLO: ChatScript = [
  { toolCall: { name: "write", arguments: (req) => ({ filePath: join(cwd(req), "hello.txt"), content: "hi\n" }) } },
  { text: "DONE\nLOKI_DONE" },
];
/** A session title would be a side call: the fake answers one outside the script (loki's --title makes none). */
const chat = (script: ChatScript) => startFakeChat(script, { side: (req) => (isTitleRequest(req) ? { text: "title" } : null) });

/** The sanitized test env with every proxy dropped and HOME/XDG/TMPDIR in the throwaway box. */
function boxEnv(box: CliSandbox, xdgRoot = box.home): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !/proxy$/i.test(name)) env[name] = value;
  const xdg = (...parts: string[]) => join(xdgRoot, ...parts);
  return {
    ...env,
    HOME: box.home,
    XDG_CONFIG_HOME: xdg(".config"),
    XDG_DATA_HOME: xdg(".local", "share"),
    XDG_STATE_HOME: xdg(".local", "state"),
    XDG_CACHE_HOME: xdg(".cache"),
    TMPDIR: box.tmp,
    NO_PROXY: "127.0.0.1,localhost",
    // Where "loki" was started, not where the call works: opencode must still work in the call's cwd.
    PWD: box.dir,
  };
}

/** The user's own opencode setup, each piece pointing at `decoy` or carrying MARKER: none of it may be read. */
function plantDecoys(home: string, decoyUrl: string): void {
  const config = JSON.stringify({
    mcp: { decoy: { type: "remote", url: `${decoyUrl}/mcp` } },
    provider: { loki: { options: { baseURL: `${decoyUrl}/v1` } } },
    instructions: [join(home, "marker.md")],
  });
  for (const dir of [".config/opencode", ".opencode", ".claude"]) mkdirSync(join(home, dir), { recursive: true });
  writeFileSync(join(home, "marker.md"), MARKER);
  writeFileSync(join(home, ".claude", "CLAUDE.md"), MARKER);
  writeFileSync(join(home, ".config", "opencode", "opencode.json"), config);
  writeFileSync(join(home, ".opencode", "opencode.json"), config);
}

function endpointFor(url: string, overrides: Partial<Endpoint> = {}): Endpoint {
  return { baseUrl: `${url}/v1`, api: "openai", apiKeyEnv: "LOCAL_LLM_KEY", apiKey: KEY, extraArgs: [], config: {}, ...overrides };
}

/** real-cli's namespace relay gives the CLI no stdin: inside it, the prompt comes from a file instead. */
function fromFile(argv: string[], box: CliSandbox): string[] {
  const prompt = join(box.dir, "prompt.md");
  writeFileSync(prompt, PROMPT);
  return ["sh", "-c", 'exec "$@" < "$0"', prompt, ...argv];
}

let help: Promise<HelpInfo> | undefined;

type CallOptions = { role?: Role; endpoint?: (url: string) => Endpoint; model?: string; loopbackOnly?: boolean; projectConfig?: unknown };

/** One call through loki's callProvider on the real opencode; the fake answers title requests outside the script. */
async function callOpencode<Req>(api: FakeModelApi<Req>, options: CallOptions = {}) {
  const decoy = await startFakeChat([{ text: "DECOY" }]);
  const repo = await tmpdir({ git: true, commit: true });
  const box = await cliSandbox();
  plantDecoys(box.home, decoy.url);
  if (options.projectConfig) writeFileSync(join(repo.path, "opencode.json"), JSON.stringify(options.projectConfig));
  help ??= helpOf(OPENCODE_BIN, ["run"], boxEnv(box, join(box.dir, "probe")), box.dir);
  const scratchDir = join(box.dir, "scratch");
  mkdirSync(scratchDir);
  const events: ProviderEvent[] = [];
  await using netns = options.loopbackOnly ? await loopbackOnly(api.url, box) : null;
  const result = await callProvider(opencode, {
    prompt: PROMPT,
    model: options.model ?? MODEL,
    role: options.role ?? "build",
    cwd: repo.path,
    scratchDir,
    denyRead: [],
    allowRoot: true,
    ...(options.endpoint ? { endpoint: options.endpoint(api.url) } : {}),
    binaryPath: OPENCODE_BIN,
    help: await help,
    transcript: join(box.dir, "iterations", "1", "agent.jsonl"),
    timeoutMs: 90_000,
    idleTimeoutMs: 90_000,
    env: { ...boxEnv(box), LOCAL_LLM_KEY: KEY },
    onEvent: (event) => events.push(event),
    ...(netns
      ? { wrap: (argv: string[], env: Record<string, string | undefined>) => ({ argv: netns.wrap(fromFile(argv, box)), env }) }
      : {}),
  });
  return {
    api,
    decoy,
    repo,
    box,
    scratchDir,
    result,
    events,
    [Symbol.asyncDispose]: async () => void (await Promise.all([api, decoy, repo, box].map((d) => d[Symbol.asyncDispose]()))),
  };
}

describe.skipIf(!HAS_OPENCODE)("opencode record against the real CLI and a fake chat-completions endpoint", () => {
  test("build: the generated provider writes the file; the model and key are the endpoint's; the user's setup is never read", async () => {
    await using t = await callOpencode(await chat(WRITE_HELLO), { endpoint: (url) => endpointFor(url) });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(t.result.claimedDone).toBe(true);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    const calls = t.api.modelCalls();
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.model).toBe(MODEL);
      expect(call.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(call.stream).toBe(true);
    }
    expect(calls[0]?.tools).toEqual(["bash", "edit", "glob", "grep", "read", "skill", "task", "todowrite", "webfetch", "write"]);
    expect(calls.map(userText).join("\n")).toContain("create hello.txt");
    // --title: no title-generating call. Usage: two steps of 1000 in / 50 out.
    expect(calls.some(isTitleRequest)).toBe(false);
    expect(t.result.usage["*"]).toEqual({ input: 2000, output: 100, cache_read: 0, cache_write: 0 });
    expect(t.events).toContainEqual(expect.objectContaining({ kind: "tool_use", tool: "write" }));
    // Nothing of the user's: no decoy request (MCP, provider URL), no marker text, no state dirs in HOME, no ~/.npm.
    expect(t.decoy.requests).toHaveLength(0);
    expect(JSON.stringify(calls.map((c) => c.body.messages))).not.toContain(MARKER);
    for (const dir of [".local/share/opencode", ".cache/opencode", ".local/state/opencode", ".npm"])
      expect(existsSync(join(t.box.home, dir)), dir).toBe(false);
    expect(readdirSync(join(t.box.home, ".config", "opencode"))).toEqual(["opencode.json"]);
    // The generated config: 0600, the key by name only; opencode's data went to the scratch dir.
    const root = stateRoot(t.scratchDir);
    const [config] = readdirSync(root).filter((f) => /^opencode-[0-9a-f]{16}\.json$/.test(f));
    const text = readFileSync(join(root, String(config)), "utf8");
    expect(statSync(join(root, String(config))).mode & 0o777).toBe(0o600);
    expect(text).toContain("{env:LOCAL_LLM_KEY}");
    expect(text).not.toContain(KEY);
    expect(existsSync(join(root, "data", "opencode", "opencode.db"))).toBe(true);
  });

  test.skipIf(!netnsAvailable())("build in a network namespace with only loopback: opencode needs no other network", async () => {
    await using t = await callOpencode(await chat(WRITE_HELLO), { endpoint: (url) => endpointFor(url), loopbackOnly: true });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    expect(t.api.modelCalls()).toHaveLength(2);
  });

  test("review: only read tools are offered, even when the project's opencode.json allows edits; a forced write is refused", async () => {
    const projectConfig = { permission: { edit: "allow", bash: "allow" }, agent: { plan: { permission: { edit: { "*": "allow" } } } } };
    await using t = await callOpencode(await chat(WRITE_HELLO), {
      role: "review",
      endpoint: (url) => endpointFor(url),
      projectConfig,
    });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(t.api.modelCalls()[0]?.tools).toEqual(["glob", "grep", "read", "skill", "todowrite"]);
    expect(existsSync(join(t.repo.path, "hello.txt"))).toBe(false);
    expect(t.events).toContainEqual(expect.objectContaining({ kind: "tool_result", isError: true }));
  });

  test("review without an endpoint of its own (config only): the same read-only tools, through OPENCODE_CONFIG_CONTENT", async () => {
    const api = await chat(WRITE_HELLO);
    const provider = { npm: "@ai-sdk/openai-compatible", options: { baseURL: `${api.url}/v1` }, models: { [MODEL]: {} } };
    await using t = await callOpencode(api, {
      role: "judge",
      model: `fake/${MODEL}`,
      endpoint: () => ({ ...endpointFor(api.url), baseUrl: null, apiKeyEnv: null, apiKey: null, config: { provider: { fake: provider } } }),
    });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(t.api.modelCalls()[0]?.tools).toEqual(["glob", "grep", "read", "skill", "todowrite"]);
    expect(existsSync(join(t.repo.path, "hello.txt"))).toBe(false);
  });

  test("429: the call fails as rate_limit with the server's retry-after", async () => {
    const api = await startFakeChat([{ status: 429, headers: { "retry-after": "0" } }]);
    await using t = await callOpencode(api, { endpoint: (url) => endpointFor(url) });
    expect(t.result.ok).toBe(false);
    expect(t.result.errorClass).toBe("rate_limit");
    expect(t.result.retryAfterMs).toBe(0);
    expect(t.api.modelCalls().length).toBeGreaterThan(0);
  });

  test("an Anthropic endpoint: opencode's anthropic provider at the base URL, the key in x-api-key", async () => {
    const script: AnthropicScript = [
      { toolUse: { name: "write", input: (req) => ({ filePath: join(cwd(req), "hello.txt"), content: "hi\n" }) } },
      { text: "DONE\nLOKI_DONE" },
    ];
    const api = await startFakeAnthropic(script);
    await using t = await callOpencode(api, {
      model: "claude-sonnet-5-5",
      endpoint: (url) => endpointFor(url, { baseUrl: url, api: "anthropic" }),
    });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    for (const call of t.api.modelCalls()) {
      expect(call.model).toBe("claude-sonnet-5-5");
      expect(call.headers["x-api-key"]).toBe(KEY);
    }
    expect(t.decoy.requests).toHaveLength(0);
  });
});

describe("the fake chat-completions API", () => {
  test("non-streaming JSON, streamed chunks with usage last, tool calls, GET /v1/models and OpenAI-style errors", async () => {
    const script: ChatScript = [
      { toolCall: { name: "read", arguments: { filePath: "/a" } }, usage: { input: 7, output: 3 } },
      { text: "ok" },
    ];
    await using api = await startFakeChat(script, { models: ["local-coder", "other"] });
    const post = (body: unknown) => fetch(`${api.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify(body) });
    const tools = [{ type: "function", function: { name: "read", parameters: {} } }];
    const json = await (await post({ model: "m", messages: [{ role: "user", content: "hi" }], tools })).json();
    expect(json).toMatchObject({
      object: "chat.completion",
      model: "m",
      choices: [
        { message: { role: "assistant", tool_calls: [{ type: "function", function: { name: "read", arguments: '{"filePath":"/a"}' } }] } },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    const toolResult = { role: "tool", tool_call_id: "call_fake_1", content: "text of /a" };
    const stream = await post({ model: "m", stream: true, stream_options: { include_usage: true }, messages: [toolResult] });
    const lines = (await stream.text()).split("\n\n").filter(Boolean);
    expect(lines.at(-1)).toBe("data: [DONE]");
    const chunks = lines.slice(0, -1).map((line) => JSON.parse(line.replace(/^data: /, "")));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? null).join("")).toBe("ok");
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 1000, completion_tokens: 50 } });
    expect(await (await fetch(`${api.url}/v1/models`)).json()).toMatchObject({ data: [{ id: "local-coder" }, { id: "other" }] });
    expect(api.modelCalls().map((c) => [c.model, c.tools, c.stream])).toEqual([
      ["m", ["read"], false],
      ["m", [], true],
    ]);
    await using limited = await startFakeChat([{ status: 429, message: "slow down" }]);
    const refused = await fetch(`${limited.url}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: { message: "slow down", type: "requests", param: null, code: "rate_limit_exceeded" } });
  });
});
