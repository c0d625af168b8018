// Contract tests for the REAL `cline` CLI (devDependency) configured only by what loki generates for
// `providers.cline` (cline.prepare + invocation, through callProvider) against fake model APIs on
// 127.0.0.1: the endpoint, key and model used; read-only review tools; 429; ~/.cline never touched.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Role } from "../../src/core/models.ts";
import { callProvider } from "../../src/providers/call.ts";
import { cline, prepareClineCall } from "../../src/providers/cline.ts";
import type { Endpoint, HelpInfo, Provider, ProviderEvent } from "../../src/providers/provider.ts";
import { startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { startFakeChat } from "../helpers/fake-chat.ts";
import type { AnthropicRequest, AnthropicScript, FakeAnthropic } from "../helpers/fake-anthropic.ts";
import { claudeEnv, cliSandbox, helpOf, jsonLines } from "../helpers/real-cli.ts";
import { tmpdir } from "../helpers/tmp.ts";

const CLINE_BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin", "cline");
const HAS_CLINE = existsSync(CLINE_BIN);
const MODEL = "local-coder";
const KEY = "sk-local-7f3a";
const LOGIN_KEY = "sk-user-login";
const DONE = { text: "DONE\nLOKI_DONE" };
const endpointAt = (url: string, api: Endpoint["api"] = "anthropic", config: Record<string, unknown> = {}): Endpoint => ({
  baseUrl: url,
  api,
  apiKeyEnv: "LOCAL_LLM_KEY",
  apiKey: KEY,
  extraArgs: [],
  config,
});

let help: Promise<HelpInfo> | undefined;

type Options = {
  script: AnthropicScript;
  role?: Role;
  endpoint?: (api: FakeAnthropic) => Endpoint;
  model?: string;
  /** A cline login in the throwaway HOME, pointing at the `decoy` fake with its own key and model. */
  login?: boolean;
};

/**
 * One call through loki's callProvider on the real cline, in a throwaway HOME, with the env of a claude
 * user (ANTHROPIC_BASE_URL at the decoy, ANTHROPIC_API_KEY=fake): an endpoint call must use neither.
 */
async function callCline(options: Options) {
  const api = await startFakeAnthropic(options.script);
  const decoy = await startFakeAnthropic([{ text: "DECOY\nLOKI_DONE" }]);
  const repo = await tmpdir({ git: true, commit: true });
  const box = await cliSandbox();
  const login = join(box.home, ".cline", "data", "settings", "providers.json");
  if (options.login) {
    mkdirSync(join(login, ".."), { recursive: true });
    const settings = { provider: "anthropic", apiKey: LOGIN_KEY, model: "user-model", baseUrl: `${decoy.url}/v1` };
    const entry = { settings, updatedAt: new Date().toISOString(), tokenSource: "manual" };
    writeFileSync(login, JSON.stringify({ version: 1, lastUsedProvider: "anthropic", providers: { anthropic: entry } }));
  }
  const loginBefore = options.login ? readFileSync(login, "utf8") : null;
  // E2E_TEST=true turns off cline's feature-flag fetch (data.cline.bot): the tests send nothing off the machine.
  const env = { ...claudeEnv(box, decoy.url), E2E_TEST: "true" };
  help ??= helpOf(CLINE_BIN, [], env, box.dir);
  const scratchDir = join(box.dir, "scratch");
  const transcript = join(box.dir, "iterations", "1", "agent.jsonl");
  const provider: Provider = { ...cline, prepare: (req) => void prepareClineCall(req, box.home) };
  const events: ProviderEvent[] = [];
  const result = await callProvider(provider, {
    prompt: "Create hello.txt in the repository.",
    model: options.model ?? MODEL,
    role: options.role ?? "build",
    cwd: repo.path,
    scratchDir,
    denyRead: [],
    allowRoot: true,
    ...(options.endpoint ? { endpoint: options.endpoint(api) } : {}),
    binaryPath: CLINE_BIN,
    help: await help,
    transcript,
    timeoutMs: 90_000,
    idleTimeoutMs: 90_000,
    env,
    onEvent: (event) => events.push(event),
  });
  return {
    api,
    decoy,
    repo,
    box,
    result,
    events,
    scratchDir,
    transcript,
    loginUnchanged: () => readFileSync(login, "utf8") === loginBefore,
    clineHome: () => (existsSync(join(box.home, ".cline")) ? readdirSync(join(box.home, ".cline"), { recursive: true }).sort() : null),
    [Symbol.asyncDispose]: async () => void (await Promise.all([api, decoy, repo, box].map((d) => d[Symbol.asyncDispose]()))),
  };
}

/** The working directory cline names in its system prompt: the repository the call runs in. */
const workdir = (req: AnthropicRequest) => workdirIn(req.system);
function workdirIn(system: string): string {
  const match = /Working Directory: (.+)/.exec(system);
  if (!match?.[1]) throw new Error("fake anthropic: no 'Working Directory' in cline's system prompt");
  return match[1].trim();
}

const WRITE_HELLO: AnthropicScript = (req, step) =>
  step === 1 ? { toolUse: { name: "editor", input: { path: join(workdir(req), "hello.txt"), new_text: "hi\n" } } } : DONE;

describe.skipIf(!HAS_CLINE)("cline CLI configured by loki's endpoint settings, against the fake Anthropic API", () => {
  test("build: a scripted editor call writes the file; every request carries the endpoint's model and key", async () => {
    await using t = await callCline({ script: WRITE_HELLO, endpoint: (api) => endpointAt(api.url) });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
    const calls = t.api.modelCalls();
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.path).toBe("/v1/messages");
      expect(call.model).toBe(MODEL);
      expect(call.headers["x-api-key"]).toBe(KEY);
    }
    // The build keeps cline's tools but Anthropic's server-side web search, which a custom endpoint cannot run.
    expect(calls[0]?.tools).toEqual(expect.arrayContaining(["editor", "run_commands", "read_files"]));
    expect(calls[0]?.tools).not.toContain("web_search");
    // The environment's ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY were not used; cline made no ~/.cline.
    expect(t.decoy.requests).toHaveLength(0);
    expect(t.clineHome()).toBeNull();
    // The generated settings held the key: gone once the call is over.
    expect(existsSync(join(t.scratchDir, "cline", "settings", "providers.json"))).toBe(false);
  });

  test("the parser reads what cline emits: init, the tool call and its result, the text, the result per model", async () => {
    await using t = await callCline({ script: WRITE_HELLO, endpoint: (api) => endpointAt(api.url) });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(t.events[0]).toEqual({ kind: "init", sessionId: expect.stringMatching(/^conv_/) });
    expect(t.events).toContainEqual({
      kind: "tool_use",
      tool: "editor",
      input: { path: join(t.repo.path, "hello.txt"), new_text: "hi\n" },
    });
    expect(t.events).toContainEqual(expect.objectContaining({ kind: "tool_result", isError: false }));
    expect(t.events).toContainEqual({ kind: "text", text: "DONE\nLOKI_DONE" });
    expect(t.events.at(-1)).toEqual({
      kind: "result",
      isError: false,
      text: "DONE\nLOKI_DONE",
      errorClass: null,
      // cline prices only the models it knows: $0 for this one, which loki reads as "not reported".
      costUsd: null,
      usage: { [MODEL]: { input: 2000, output: 100, cache_read: 0, cache_write: 0 } },
      permissionDenials: 0,
    });
    expect(t.result).toMatchObject({ claimedDone: true, toolUses: 1 });
    // Every line type cline printed is one the parser knows (a new one shows up here first).
    const types = new Set(jsonLines(readFileSync(t.transcript, "utf8")).map((line) => String(line.type)));
    expect(
      [...types].filter((type) => !["hook_event", "agent_event", "run_result", "run_start", "error", "run_aborted"].includes(type)),
    ).toEqual([]);
  });

  for (const role of ["review", "judge"] as const) {
    test(`${role}: only read tools are offered; a forced shell command is refused and runs nothing`, async () => {
      const script: AnthropicScript = (req, step) =>
        step === 1
          ? { toolUse: { name: "run_commands", input: { commands: [`echo x > ${join(workdir(req), "ran.txt")}`] } } }
          : step === 2
            ? { toolUse: { name: "read_files", input: { files: [{ path: join(workdir(req), "README.md") }] } } }
            : { text: "APPROVE" };
      await using t = await callCline({ script, role, endpoint: (api) => endpointAt(api.url) });
      const calls = t.api.modelCalls();
      expect(calls.length).toBeGreaterThanOrEqual(3);
      for (const call of calls) expect([...call.tools].sort()).toEqual(["read_files", "search_codebase"]);
      expect(existsSync(join(t.repo.path, "ran.txt"))).toBe(false);
      const results = t.events.filter((e) => e.kind === "tool_result");
      expect(results[0]).toMatchObject({ isError: true, text: expect.stringContaining("unavailable tool 'run_commands'") });
      expect(results[1]).toMatchObject({ isError: false, text: expect.stringContaining("# fixture") });
      expect(t.result.finalText).toBe("APPROVE");
      expect(t.result.ok, JSON.stringify(t.events)).toBe(true);
      expect(calls[0]?.model).toBe(MODEL);
      expect(t.decoy.requests).toHaveLength(0);
    });
  }

  test("429 from the endpoint: a failed call classified rate_limit", async () => {
    await using t = await callCline({ script: [{ status: 429, headers: { "retry-after": "0" } }], endpoint: (api) => endpointAt(api.url) });
    expect(t.result).toMatchObject({ ok: false, errorClass: "rate_limit" });
    expect(t.api.modelCalls().length).toBeGreaterThanOrEqual(1);
    expect(t.api.modelCalls().every((call) => call.model === MODEL && call.headers["x-api-key"] === KEY)).toBe(true);
    expect(t.decoy.requests).toHaveLength(0);
  });

  test("an OpenAI-compatible endpoint: chat completions at base_url, the key as a bearer token, a scripted editor call", async () => {
    const chat = await startFakeChat((req, step) =>
      step === 1 ? { toolCall: { name: "editor", arguments: { path: join(workdirIn(req.system), "hello.txt"), new_text: "hi\n" } } } : DONE,
    );
    try {
      await using t = await callCline({ script: [DONE], endpoint: () => endpointAt(`${chat.url}/v1`, "openai") });
      expect(t.result.ok, t.result.stderrTail).toBe(true);
      expect(readFileSync(join(t.repo.path, "hello.txt"), "utf8")).toBe("hi\n");
      const calls = chat.modelCalls();
      expect(calls).toHaveLength(2);
      for (const call of calls) expect([call.model, call.headers.authorization]).toEqual([MODEL, `Bearer ${KEY}`]);
      expect(t.api.requests).toHaveLength(0);
      expect(t.decoy.requests).toHaveLength(0);
    } finally {
      await chat[Symbol.asyncDispose]();
    }
  });

  test("adversarial: a cline login in HOME pointing elsewhere is never read, contacted or written when an endpoint is set", async () => {
    await using t = await callCline({ script: [DONE], endpoint: (api) => endpointAt(api.url), login: true });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(t.result.finalText).toBe("DONE\nLOKI_DONE");
    expect(t.api.modelCalls().every((call) => call.model === MODEL && call.headers["x-api-key"] === KEY)).toBe(true);
    expect(t.decoy.requests).toHaveLength(0);
    expect(t.loginUnchanged()).toBe(true);
    expect(t.clineHome()).toEqual(["data", "data/settings", "data/settings/providers.json"]);
    expect(existsSync(join(t.scratchDir, "cline", "settings", "providers.json"))).toBe(false);
    expect(readFileSync(t.transcript, "utf8")).not.toContain(LOGIN_KEY);
  });

  test("a keyless endpoint never receives the vendor key the environment holds", async () => {
    await using t = await callCline({ script: [DONE], endpoint: (api) => ({ ...endpointAt(api.url), apiKey: null }) });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    const calls = t.api.modelCalls();
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const call of calls) expect([call.headers["x-api-key"] ?? "", call.headers.authorization ?? ""]).not.toContain("fake");
  });

  test("no endpoint: the user's login drives cline, and loki's default model does not override the login's", async () => {
    await using t = await callCline({ script: [], model: "claude-sonnet-4-5", login: true });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    expect(t.result.finalText).toBe("DECOY\nLOKI_DONE");
    const calls = t.decoy.modelCalls();
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.every((call) => call.model === "user-model" && call.headers["x-api-key"] === LOGIN_KEY)).toBe(true);
    expect(t.loginUnchanged()).toBe(true);
  });

  test("no endpoint, review: a model the user chose for loki is passed, and the tools are read-only too", async () => {
    await using t = await callCline({ script: [], model: "claude-opus-5-5", role: "review", login: true });
    expect(t.result.ok, t.result.stderrTail).toBe(true);
    const calls = t.decoy.modelCalls();
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const call of calls) {
      expect(call.model).toBe("claude-opus-5-5");
      expect([...call.tools].sort()).toEqual(["read_files", "search_codebase"]);
    }
  });
});
