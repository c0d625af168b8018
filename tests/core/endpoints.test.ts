// providers.<id>: the schema's refusals, the endpoint each record gets, which model each phase runs on a
// provider with models of its own (no loki default or global model overrides them), LOKI_MODEL_OVERRIDE
// only with a custom base URL, declared prices, and how claude, codex and aider map an endpoint.
import { describe, expect, test } from "bun:test";
import { Config } from "../../src/core/config.ts";
import { callEndpoint, endpointOf, overrideFor } from "../../src/core/endpoints.ts";
import { billBasis, configLevers, modelFor, priceTokens } from "../../src/core/models.ts";
import { keptSettings, startSettings } from "../../src/run/settings.ts";
import { aider } from "../../src/providers/aider.ts";
import { claude } from "../../src/providers/claude.ts";
import { codex, endpointConfig } from "../../src/providers/codex.ts";
import { helpFrom, request } from "../helpers/provider-fixtures.ts";

const config = (raw: Record<string, unknown>) => Config.parse(raw);
const LOCAL = { base_url: "http://127.0.0.1:11434/v1", api_key_env: "LOCAL_KEY", model: "qwen3-coder", price: { input: 0, output: 0 } };

describe("providers.<id> schema", () => {
  test("refusals name the key: a URL that is not http(s), a key that is not a variable name, a negative price, claude on openai", () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ claude: { base_url: "ftp://x" } }, "base_url"],
      [{ cline: { api_key_env: "sk-live-123 secret" } }, "api_key_env"],
      [{ cline: { price: { input: -1, output: 0 } } }, "price"],
      [{ claude: { api: "openai" } }, "api"],
      [{ codex: { api: "anthropic" } }, "api"],
    ];
    for (const [providers, key] of bad) {
      const parsed = Config.safeParse({ providers });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path.join(".")).toContain(key);
    }
    expect(Config.safeParse({ providers: { cline: LOCAL } }).success).toBe(true);
  });
});

describe("the endpoint a call gets", () => {
  test("mapped from the settings, the key read from the variable named; nothing when nothing is configured", () => {
    const c = config({ providers: { cline: { ...LOCAL, extra_args: ["--x"], config: { a: 1 } } } });
    expect(endpointOf(c, "cline", { LOCAL_KEY: "sk-1" })).toEqual({
      baseUrl: LOCAL.base_url,
      api: "openai",
      apiKeyEnv: "LOCAL_KEY",
      apiKey: "sk-1",
      extraArgs: ["--x"],
      config: { a: 1 },
    });
    expect(endpointOf(c, "claude", {})).toBeUndefined();
    expect(callEndpoint(c, "cline", {})).toMatchObject({ price: { input: 0, output: 0 }, customBaseUrl: true });
    expect(callEndpoint(config({}), "claude", { ANTHROPIC_BASE_URL: "http://gw" })).toEqual({ customBaseUrl: true });
    expect(callEndpoint(config({}), "claude", {})).toEqual({});
  });

  test("LOKI_MODEL_OVERRIDE only where a custom base URL is set (providers.<id>.base_url or ANTHROPIC_BASE_URL)", () => {
    const c = config({ model_override: "llama3", providers: { cline: LOCAL } });
    expect(overrideFor(c, "cline", {})).toBe("llama3");
    expect(overrideFor(c, "claude", {})).toBeUndefined();
    expect(overrideFor(c, "claude", { ANTHROPIC_BASE_URL: "http://127.0.0.1:11434" })).toBe("llama3");
    expect(overrideFor(c, "codex", {})).toBeUndefined();
  });
});

describe("which model a provider with models of its own runs", () => {
  const on = (c: Config, provider: "claude" | "cline", phase: "reason" | "act" | "verify", env = {}) =>
    modelFor({ provider, tier: "standard", phase, levers: configLevers(c, env) });

  test("providers.<id>.model for every phase: over loki's defaults, over a global model: and an explicit models.<phase>", () => {
    const c = config({ model: "opus", models: { verify: "claude-haiku-5-5" }, providers: { cline: LOCAL } });
    for (const phase of ["reason", "act", "verify"] as const)
      expect(on(c, "cline", phase)).toMatchObject({ model: "qwen3-coder", source: "provider" });
    // Providers without models of their own keep the global levers.
    expect(on(c, "claude", "act")).toMatchObject({ model: "claude-opus-5-5", source: "configured" });
    expect(on(c, "claude", "verify")).toMatchObject({ model: "claude-haiku-5-5", source: "phase" });
  });

  test("models per tier: a phase's tier (its default, or a tier named by models.<phase>) picks the provider's model for it", () => {
    const c = config({
      models: { verify: "fast" },
      providers: { claude: { models: { planning: "big-local", development: "mid-local", fast: "small-local" } } },
    });
    expect(on(c, "claude", "reason")).toMatchObject({ model: "big-local", tier: "planning" });
    expect(on(c, "claude", "act")).toMatchObject({ model: "mid-local", tier: "development" });
    expect(on(c, "claude", "verify")).toMatchObject({ model: "small-local", tier: "fast" });
    // A tier the provider names no model for takes its nearest own model (cheaper first): never loki's default.
    const partial = config({ providers: { claude: { models: { planning: "big-local", fast: "small-local" } } } });
    expect(on(partial, "claude", "act")).toMatchObject({ model: "small-local", source: "provider" });
    const onlyBig = config({ providers: { claude: { models: { planning: "big-local" } } } });
    expect(on(onlyBig, "claude", "verify")).toMatchObject({ model: "big-local", source: "provider" });
  });

  test("the override wins over everything on its provider, and only there", () => {
    const c = config({ model: "opus", model_override: "llama3", providers: { claude: { base_url: "http://127.0.0.1:1" } } });
    expect(on(c, "claude", "verify")).toMatchObject({ model: "llama3", source: "override" });
    expect(on(config({ model_override: "llama3" }), "claude", "act")).toMatchObject({ model: "claude-sonnet-5-5", source: "default" });
  });
});

describe("declared prices", () => {
  test("tokens at the user's price, 0 allowed; a bill of exact and declared calls is declared, any estimate is not", () => {
    const tokens = { input: 1_000_000, output: 1_000_000, cache_read: 0, cache_write: 0 };
    expect(priceTokens("qwen3-coder", tokens, "cline", { input: 0, output: 0 })).toEqual({
      usd: 0,
      priced_as: "qwen3-coder",
      basis: "declared",
    });
    expect(priceTokens("qwen3-coder", tokens, "cline", { input: 1, output: 2 }).usd).toBe(3);
    expect(priceTokens("qwen3-coder", tokens, "cline").basis).toBe("fallback");
    expect(billBasis([{ basis: "exact" }, { basis: "declared" }])).toBe("declared");
    expect(billBasis([{ basis: "exact" }])).toBe("exact");
    expect(billBasis([{ basis: "declared" }, { basis: "estimated" }])).toBe("mixed");
    expect(billBasis([])).toBe("none");
  });

  test("a resume keeps the providers block the run started with, whatever loki.yaml says now", () => {
    const started = config({ providers: { claude: { base_url: "http://127.0.0.1:1", price: { input: 3, output: 15 } } } });
    const now = config({ providers: { claude: { base_url: "http://127.0.0.1:2", price: { input: 0, output: 0 } } } });
    const { config: kept, ignored } = keptSettings(now, startSettings(started), {});
    expect(kept.providers).toEqual(started.providers);
    expect(ignored.join("\n")).toContain("providers:");
  });
});

describe("records map an endpoint onto their CLI", () => {
  const endpoint = {
    baseUrl: "http://127.0.0.1:8080",
    api: "anthropic" as const,
    apiKeyEnv: "GW",
    apiKey: "sk-gw",
    extraArgs: ["--max-turns", "9"],
    config: {},
  };

  test("claude: ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY in its env (never argv), extra args before the variadic flag", () => {
    const inv = claude.invocation(request({ endpoint, role: "review" }), helpFrom("claude.txt", "2.1.330"));
    expect(inv.env).toMatchObject({ ANTHROPIC_BASE_URL: "http://127.0.0.1:8080", ANTHROPIC_API_KEY: "sk-gw", ANTHROPIC_AUTH_TOKEN: "" });
    expect(inv.argv.join(" ")).not.toContain("sk-gw");
    expect(inv.argv.indexOf("--max-turns")).toBeLessThan(inv.argv.indexOf("--disallowedTools"));
  });

  test("claude: a keyless endpoint gets blank vendor keys (never the user's); config goes in a 0600 settings file, not argv", () => {
    const keyless = { ...endpoint, apiKeyEnv: null, apiKey: null, config: { env: { SECRETISH: "v" } } };
    const inv = claude.invocation(request({ endpoint: keyless, role: "review" }), helpFrom("claude.txt", "2.1.330"));
    expect(inv.env).toMatchObject({ ANTHROPIC_API_KEY: "", ANTHROPIC_AUTH_TOKEN: "" });
    const settings = inv.argv[inv.argv.indexOf("--settings") + 1] ?? "";
    expect(settings).toEndWith(".json");
    expect(inv.files?.find((f) => f.path === settings)?.content).toBe('{"env":{"SECRETISH":"v"}}');
    expect(inv.argv.join(" ")).not.toContain("SECRETISH");
  });

  test("codex: a model provider of its own as -c pairs naming the key's variable (the key stays out of argv), then config", () => {
    const req = request({
      endpoint: {
        ...endpoint,
        api: "openai",
        baseUrl: "http://127.0.0.1:8080/v1",
        config: { model_reasoning_summary: "none", x: { y: true } },
      },
    });
    expect(endpointConfig(req)).toEqual([
      'model_provider="loki"',
      'model_providers.loki={name="loki",base_url="http://127.0.0.1:8080/v1",wire_api="responses",env_key="GW"}',
      'model_reasoning_summary="none"',
      "x={y=true}",
    ]);
    const inv = codex.invocation(req, helpFrom("codex-exec.txt", "0.169.0"));
    expect(inv.argv).toContain('model_provider="loki"');
    expect(inv.argv.join(" ")).not.toContain("sk-gw");
    // No base URL: the key is codex's own API key, so no login is needed.
    const keyOnly = codex.invocation(
      request({ endpoint: { ...endpoint, baseUrl: null, api: "openai" } }),
      helpFrom("codex-exec.txt", "0.169.0"),
    );
    expect(keyOnly.env).toMatchObject({ CODEX_API_KEY: "sk-gw" });
  });

  test("aider: litellm's variables, the model prefixed with the protocol", () => {
    const help = { version: "0.86.0", flags: new Set(["--model"]) };
    const inv = aider.invocation(request({ model: "qwen3", endpoint: { ...endpoint, api: "openai" } }), help);
    expect(inv.env).toEqual({ OPENAI_API_BASE: "http://127.0.0.1:8080", OPENAI_API_KEY: "sk-gw", ANTHROPIC_API_KEY: "" });
    expect(inv.argv[inv.argv.indexOf("--model") + 1]).toBe("openai/qwen3");
  });
});
