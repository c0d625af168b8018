// Unit tests for the opencode record's pure parts: the config it generates for a custom endpoint, the
// env that isolates the call, argv/env per role, what prepare() writes, and the parser on lines captured
// from the real opencode 1.18.33 (`run --format json` against tests/helpers/fake-chat.ts).
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "../helpers/tmp.ts";
import { opencode } from "../../src/providers/opencode.ts";
import { sdkBaseUrl } from "../../src/core/endpoints.ts";
import {
  endpointModel,
  FALLBACK_KEY_ENV,
  generatedConfig,
  isolates,
  READ_ONLY_PERMISSION,
  stateRoot,
} from "../../src/providers/opencode-config.ts";
import type { Endpoint, HelpInfo, InvocationRequest } from "../../src/providers/provider.ts";

const HELP: HelpInfo = { version: "1.18.33", flags: new Set(["--model", "--format", "--agent", "--auto", "--title"]) };
const LOCAL: Endpoint = {
  baseUrl: "http://127.0.0.1:11434/v1",
  api: "openai",
  apiKeyEnv: "LOCAL_LLM_KEY",
  apiKey: "sk-1",
  extraArgs: [],
  config: {},
};
const request = (overrides: Partial<InvocationRequest> = {}): InvocationRequest => ({
  prompt: "Implement it.",
  model: "local-coder",
  role: "build",
  cwd: "/repo",
  scratchDir: "/scratch/call-1",
  denyRead: [],
  allowRoot: false,
  ...overrides,
});
const contentOf = (env: Record<string, string>) => JSON.parse(env.OPENCODE_CONFIG_CONTENT ?? "null");

describe("opencode endpoint config", () => {
  test("an endpoint isolates the call when it sets a URL or a key; a model, args or config alone keep the user's setup", () => {
    expect(isolates(undefined)).toBe(false);
    expect(isolates(LOCAL)).toBe(true);
    expect(isolates({ ...LOCAL, baseUrl: null })).toBe(true);
    expect(isolates({ ...LOCAL, baseUrl: null, apiKeyEnv: null, apiKey: null, extraArgs: ["--variant", "high"] })).toBe(false);
  });

  test("base URLs: Anthropic's gets /v1, an unset one is the vendor's; models are <provider>/<model>", () => {
    expect(sdkBaseUrl({ baseUrl: "http://127.0.0.1:8080/", api: "anthropic" })).toBe("http://127.0.0.1:8080/v1");
    expect(sdkBaseUrl({ baseUrl: "http://gw/v1/", api: "openai" })).toBe("http://gw/v1");
    expect(sdkBaseUrl({ baseUrl: null, api: "openai" })).toBe("https://api.openai.com/v1");
    expect(endpointModel({ api: "openai" }, "local-coder")).toBe("loki/local-coder");
    expect(endpointModel({ api: "openai" }, "qwen/qwen3-coder")).toBe("loki/qwen/qwen3-coder");
    expect(endpointModel({ api: "anthropic" }, "anthropic/claude-sonnet-5-5")).toBe("anthropic/claude-sonnet-5-5");
  });

  test("build: one OpenAI-compatible provider, the key by variable name, `config` merged over it", () => {
    const config = generatedConfig({ ...LOCAL, config: { provider: { loki: { options: { timeout: 600000 } } } } }, "local-coder", "build");
    expect(config).toEqual({
      model: "loki/local-coder",
      small_model: "loki/local-coder",
      enabled_providers: ["loki"],
      provider: {
        loki: {
          npm: "@ai-sdk/openai-compatible",
          name: "loki endpoint",
          options: { baseURL: "http://127.0.0.1:11434/v1", apiKey: "{env:LOCAL_LLM_KEY}", timeout: 600000 },
          models: { "local-coder": { name: "local-coder" } },
        },
      },
      autoupdate: false,
      share: "disabled",
    });
    expect(JSON.stringify(config)).not.toContain("sk-1");
  });

  test("review: the read-only rules win over a `config` that allows edits; Anthropic uses opencode's own provider", () => {
    const endpoint: Endpoint = { ...LOCAL, api: "anthropic", baseUrl: "http://127.0.0.1:9/", config: { permission: { edit: "allow" } } };
    const config = generatedConfig(endpoint, "claude-x", "review");
    expect(config.permission).toEqual(READ_ONLY_PERMISSION);
    expect(config.agent).toEqual({ plan: { permission: READ_ONLY_PERMISSION }, build: { permission: READ_ONLY_PERMISSION } });
    expect(config.provider).toEqual({
      anthropic: {
        options: { baseURL: "http://127.0.0.1:9/v1", apiKey: "{env:LOCAL_LLM_KEY}" },
        models: { "claude-x": { name: "claude-x" } },
      },
    });
    expect(READ_ONLY_PERMISSION["*"]).toBe("deny");
    for (const tool of ["edit", "bash", "task", "webfetch"]) expect(READ_ONLY_PERMISSION[tool]).toBe("deny");
  });
});

describe("opencode.invocation", () => {
  test("with an endpoint: loki/<model>, a title, extra args last; every XDG dir and the config in the scratch dir", () => {
    const { argv, env, stdin } = opencode.invocation(request({ endpoint: { ...LOCAL, extraArgs: ["--variant", "high"] } }), HELP);
    expect(argv).toEqual(
      ["opencode", "run", "--format", "json", "--model", "loki/local-coder", "--auto", "--title", "loki build"].concat([
        "--variant",
        "high",
      ]),
    );
    expect(stdin).toBe("Implement it.");
    const root = "/scratch/call-1/opencode-loki";
    expect(env).toMatchObject({
      PWD: "/repo",
      XDG_CONFIG_HOME: `${root}/config`,
      XDG_DATA_HOME: `${root}/data`,
      XDG_CACHE_HOME: `${root}/cache`,
      XDG_STATE_HOME: `${root}/state`,
      OPENCODE_TEST_HOME: `${root}/home`,
      OPENCODE_CONFIG_DIR: "",
      OPENCODE_AUTH_CONTENT: "{}",
      OPENCODE_DISABLE_MODELS_FETCH: "1",
    });
    expect(env.OPENCODE_CONFIG).toMatch(/^\/scratch\/call-1\/opencode-loki\/opencode-[0-9a-f]{16}\.json$/);
    expect(env.OPENCODE_CONFIG_CONTENT).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain("sk-1");
  });

  test("review roles run as plan with the read-only overlay in OPENCODE_CONFIG_CONTENT, endpoint or not", () => {
    for (const endpoint of [LOCAL, undefined]) {
      const { argv, env } = opencode.invocation(request({ role: "judge", endpoint }), HELP);
      expect(argv).toContain("plan");
      expect(argv).not.toContain("--auto");
      expect(contentOf(env).permission).toEqual(READ_ONLY_PERMISSION);
    }
    expect(opencode.invocation(request({ model: "claude-sonnet-5-5" }), HELP)).toMatchObject({
      argv: ["opencode", "run", "--format", "json", "--model", "anthropic/claude-sonnet-5-5", "--auto", "--title", "loki build"],
      env: { PWD: "/repo" },
    });
  });

  test("an endpoint with config only keeps the user's setup and passes its config through OPENCODE_CONFIG_CONTENT", () => {
    const endpoint: Endpoint = { ...LOCAL, baseUrl: null, apiKeyEnv: null, apiKey: null, config: { provider: { x: { npm: "p" } } } };
    const { env } = opencode.invocation(request({ endpoint }), HELP);
    expect(env.XDG_CONFIG_HOME).toBeUndefined();
    expect(contentOf(env)).toEqual({ provider: { x: { npm: "p" } } });
    expect(contentOf(opencode.invocation(request({ endpoint, role: "review" }), HELP).env)).toMatchObject({
      provider: { x: { npm: "p" } },
      permission: READ_ONLY_PERMISSION,
    });
  });

  test("a key without a variable name travels in loki's own variable, never in the file", () => {
    const { env } = opencode.invocation(request({ endpoint: { ...LOCAL, apiKeyEnv: null, apiKey: "sk-2" } }), HELP);
    expect(env[FALLBACK_KEY_ENV]).toBe("sk-2");
  });
});

describe("opencode.prepare", () => {
  test("writes the config invocation names (0600, no key) and seeds the config dir so opencode installs nothing", async () => {
    await using dir = await tmpdir();
    const req = request({ scratchDir: dir.path, endpoint: LOCAL });
    opencode.prepare?.(req);
    const { env } = opencode.invocation(req, HELP);
    const file = String(env.OPENCODE_CONFIG);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8")).model).toBe("loki/local-coder");
    expect(readFileSync(file, "utf8")).not.toContain("sk-1");
    const configDir = join(stateRoot(dir.path), "config", "opencode");
    expect(existsSync(join(configDir, "node_modules"))).toBe(true);
    expect(JSON.parse(readFileSync(join(configDir, "package-lock.json"), "utf8")).packages[""].dependencies).toHaveProperty(
      "@opencode-ai/plugin",
    );
    for (const sub of ["data", "cache", "state", "home"]) expect(statSync(join(stateRoot(dir.path), sub)).mode & 0o777).toBe(0o700);
  });

  test("without an endpoint of its own it writes nothing", async () => {
    await using dir = await tmpdir();
    opencode.prepare?.(request({ scratchDir: dir.path, role: "review" }));
    expect(existsSync(stateRoot(dir.path))).toBe(false);
  });
});

/** Lines as opencode 1.18.33 printed them (ids and paths shortened). */
const CAPTURED = [
  '{"type":"step_start","timestamp":1,"sessionID":"ses_1","part":{"id":"prt_1","messageID":"msg_1","sessionID":"ses_1","snapshot":"4b825dc","type":"step-start"}}',
  '{"type":"tool_use","timestamp":1,"sessionID":"ses_1","part":{"type":"tool","tool":"write","callID":"call_fake_1","state":{"status":"completed","input":{"filePath":"/r/hello.txt","content":"hi\\n"},"output":"Wrote file successfully.","metadata":{"exists":false},"title":"hello.txt","time":{"start":1,"end":2}},"id":"prt_2"}}',
  '{"type":"step_finish","timestamp":1,"sessionID":"ses_1","part":{"id":"prt_3","reason":"tool-calls","type":"step-finish","tokens":{"total":1050,"input":1000,"output":50,"reasoning":0,"cache":{"write":0,"read":0}},"cost":0}}',
  '{"type":"tool_use","timestamp":1,"sessionID":"ses_1","part":{"type":"tool","tool":"write","callID":"call_fake_2","state":{"status":"error","input":{"filePath":"/r/x"},"error":"Model tried to call unavailable tool \'invalid\'. Available tools: glob, grep, read, skill, todowrite.","time":{"start":1,"end":2}}}}',
  '{"type":"text","timestamp":1,"sessionID":"ses_1","part":{"id":"prt_4","type":"text","text":"DONE\\nLOKI_DONE","time":{"start":1,"end":2}}}',
  '{"type":"error","timestamp":1,"sessionID":"ses_1","error":{"name":"APIError","data":{"message":"fake chat error 429","statusCode":429,"isRetryable":true,"responseHeaders":{"content-type":"application/json","retry-after":"7"},"responseBody":"{}"}}}',
];

describe("opencode.parse on captured output", () => {
  test("steps, tool results (a refused tool is an error), text, and a 429 with its retry-after", () => {
    expect(CAPTURED.flatMap((line) => opencode.parse(line))).toEqual([
      { kind: "tool_use", tool: "write", input: { filePath: "/r/hello.txt", content: "hi\n" } },
      { kind: "tool_result", isError: false, text: "Wrote file successfully." },
      {
        kind: "result",
        isError: false,
        text: "",
        errorClass: null,
        costUsd: null,
        usage: { "*": { input: 1000, output: 50, cache_read: 0, cache_write: 0 } },
        permissionDenials: 0,
      },
      { kind: "tool_use", tool: "write", input: { filePath: "/r/x" } },
      { kind: "tool_result", isError: true, text: expect.stringContaining("unavailable tool") },
      { kind: "text", text: "DONE\nLOKI_DONE" },
      { kind: "error", errorClass: "rate_limit", message: "fake chat error 429", retryAfterMs: 7000 },
    ]);
  });
});
