// cline-config.ts and cline's record with `providers.cline`: the provider settings generated for an
// endpoint (URL form, key, model, `config` merged, what cline would reject), the read-only tool settings
// per role, and prepare + invocation end to end on disk (0600 files, flags, vendor keys blanked).
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isLokiError } from "../../src/core/errors.ts";
import { DEFAULT_MODELS } from "../../src/core/models.ts";
import { sdkBaseUrl } from "../../src/core/endpoints.ts";
import { deepMerge } from "../../src/providers/lines.ts";
import { cline, prepareClineCall } from "../../src/providers/cline.ts";
import { clineGlobalSettings, clineProviderId, endpointSettings, ownsSettings, providersFile } from "../../src/providers/cline-config.ts";
import type { Endpoint } from "../../src/providers/provider.ts";
import { helpFrom, request } from "../helpers/provider-fixtures.ts";

/** loki's default model for cline, which never overrides the model a login names. */
const LOKI_DEFAULT = DEFAULT_MODELS.cline.standard;

const endpoint = (overrides: Partial<Endpoint> = {}): Endpoint => ({
  baseUrl: "http://127.0.0.1:8080",
  api: "anthropic",
  apiKeyEnv: "LOCAL_LLM_KEY",
  apiKey: "sk-local",
  extraArgs: [],
  config: {},
  ...overrides,
});

describe("cline endpoint settings (pure)", () => {
  test("base URL: Anthropic's gets /v1 like cline's default, OpenAI-compatible is kept; null is the vendor's, written out", () => {
    expect(sdkBaseUrl({ baseUrl: "http://127.0.0.1:8080", api: "anthropic" })).toBe("http://127.0.0.1:8080/v1");
    expect(sdkBaseUrl({ baseUrl: "https://gw.example/anthropic/v1/", api: "anthropic" })).toBe("https://gw.example/anthropic/v1");
    expect(sdkBaseUrl({ baseUrl: "http://127.0.0.1:11434/v1/", api: "openai" })).toBe("http://127.0.0.1:11434/v1");
    expect(sdkBaseUrl({ baseUrl: null, api: "anthropic" })).toBe("https://api.anthropic.com/v1");
    expect(sdkBaseUrl({ baseUrl: null, api: "openai" })).toBe("https://api.openai.com/v1");
  });

  test("the provider's settings: protocol, URL, key and model, with `config` deep-merged over them", () => {
    expect(endpointSettings(endpoint({ config: { maxTokens: 8192, headers: { "x-team": "a" } } }), "local-coder")).toEqual({
      provider: "anthropic",
      apiKey: "sk-local",
      model: "local-coder",
      baseUrl: "http://127.0.0.1:8080/v1",
      maxTokens: 8192,
      headers: { "x-team": "a" },
    });
    expect(endpointSettings(endpoint({ api: "openai", apiKey: null }), "m")).toEqual({
      provider: "openai-compatible",
      model: "m",
      baseUrl: "http://127.0.0.1:8080",
    });
    // `config.provider` picks another of cline's providers; -P and providers.json follow it.
    const ollama = endpoint({ api: "openai", config: { provider: "ollama" } });
    expect(endpointSettings(ollama, "m").provider).toBe("ollama");
    expect(clineProviderId(ollama)).toBe("ollama");
    expect(clineProviderId(endpoint())).toBe("anthropic");
    expect(deepMerge({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, e: { f: 1 } })).toEqual({ a: { b: 1, c: [2] }, d: 1, e: { f: 1 } });
  });

  test("settings cline would drop (and then fall back to its vendor) are refused before the call", () => {
    for (const config of [{ maxTokens: "big" }, { baseUrl: "not a url" }, { headers: { a: 1 } }, { provider: "no spaces" }]) {
      let thrown: unknown;
      try {
        endpointSettings(endpoint({ config }), "m");
      } catch (error) {
        thrown = error;
      }
      expect(isLokiError(thrown) && thrown.kind === "config").toBe(true);
    }
  });

  test("providers.json names the one provider as the last used", () => {
    const settings = { provider: "anthropic", model: "m" };
    expect(providersFile(settings, new Date(0))).toEqual({
      version: 1,
      lastUsedProvider: "anthropic",
      providers: { anthropic: { settings, updatedAt: "1970-01-01T00:00:00.000Z", tokenSource: "manual" } },
    });
  });

  test("global settings: read-only roles lose every write, shell, web, spawn and team tool; an endpoint's build loses web_search", () => {
    expect(clineGlobalSettings("build", undefined)).toEqual({ telemetryOptOut: true });
    expect(clineGlobalSettings("build", endpoint())).toEqual({ telemetryOptOut: true, tools: { web_search: { enabled: false } } });
    for (const role of ["review", "judge", "plan"] as const) {
      const settings = clineGlobalSettings(role, undefined);
      expect(settings.tools).toEqual({ web_search: { enabled: false } });
      expect(settings.disabledTools).toEqual(
        expect.arrayContaining(["editor", "apply_patch", "run_commands", "spawn_agent", "team_spawn_teammate"]),
      );
      expect(settings.disabledTools).not.toContain("read_files");
      expect(settings.disabledTools).not.toContain("search_codebase");
    }
  });

  test("an endpoint owns the settings only when it names a URL or a key; a model alone keeps the login", () => {
    expect(ownsSettings(undefined)).toBe(false);
    expect(ownsSettings(endpoint())).toBe(true);
    expect(ownsSettings(endpoint({ baseUrl: null }))).toBe(true);
    expect(ownsSettings(endpoint({ baseUrl: null, apiKeyEnv: null, apiKey: null, extraArgs: ["--retries", "2"] }))).toBe(false);
  });
});

describe("cline prepare + invocation with an endpoint", () => {
  const HELP = helpFrom("cline.txt", "3.0.65");
  const login = (model: string) =>
    JSON.stringify({ version: 1, lastUsedProvider: "anthropic", providers: { anthropic: { settings: { provider: "anthropic", model } } } });

  test("generated settings (0600, no login copied), -P/-m/--config, extra args before the task, vendor keys blanked", () => {
    const root = mkdtempSync(join(tmpdir(), "loki-cline-"));
    try {
      const home = join(root, "home");
      mkdirSync(join(home, ".cline", "data", "settings"), { recursive: true });
      writeFileSync(join(home, ".cline", "data", "settings", "providers.json"), login("user-model"));
      const req = request({ scratchDir: join(root, "s"), role: "review", endpoint: endpoint({ extraArgs: ["--retries", "2"] }) });
      expect(prepareClineCall(req, home)).toBe(false);
      const file = join(root, "s", "cline", "settings", "providers.json");
      // The generated settings hold the key: a call file (written 0600 before the spawn, removed after it), not left on disk.
      expect(existsSync(file)).toBe(false);
      const handed = cline.invocation(req, HELP).files?.find((f) => f.path === file);
      expect(JSON.parse(handed?.content ?? "{}").providers.anthropic.settings).toEqual({
        provider: "anthropic",
        apiKey: "sk-local",
        model: "m-1",
        baseUrl: "http://127.0.0.1:8080/v1",
      });
      const readOnly = join(root, "s", "cline", "global-settings-readonly.json");
      expect(JSON.parse(readFileSync(readOnly, "utf8")).disabledTools).toContain("run_commands");
      const { argv, env } = cline.invocation(req, HELP);
      const task = argv.at(-1) ?? "";
      expect(argv).toEqual([
        "cline",
        "--json",
        "--auto-approve",
        "true",
        "--plan",
        "-P",
        "anthropic",
        "-m",
        "m-1",
        "--data-dir",
        join(root, "s", "cline"),
        "--config",
        join(root, "s", "cline", "config"),
        "-c",
        "/work/repo",
        "--retries",
        "2",
        task,
      ]);
      expect(task).toStartWith("Read the file ");
      expect(env).toEqual({
        CLINE_SESSION_BACKEND_MODE: "local",
        CLINE_GLOBAL_SETTINGS_PATH: readOnly,
        CLINE_DATA_DIR: join(root, "s", "cline"),
        CLINE_DIR: join(root, "s", "cline", "config"),
        ANTHROPIC_API_KEY: "",
        OPENAI_API_KEY: "",
        CLINE_API_KEY: "",
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("without an endpoint the login is copied, and loki's default model is not passed over the login's", () => {
    const root = mkdtempSync(join(tmpdir(), "loki-cline-"));
    try {
      const home = join(root, "home");
      mkdirSync(join(home, ".cline", "data", "settings"), { recursive: true });
      writeFileSync(join(home, ".cline", "data", "settings", "providers.json"), login("user-model"));
      const req = request({ scratchDir: join(root, "s"), model: LOKI_DEFAULT });
      expect(prepareClineCall(req, home)).toBe(true);
      const { argv, env } = cline.invocation(req, HELP);
      expect(argv).not.toContain("-m");
      expect(argv).not.toContain("-P");
      expect(argv).not.toContain("--config");
      expect(env).toEqual({
        CLINE_SESSION_BACKEND_MODE: "local",
        CLINE_GLOBAL_SETTINGS_PATH: join(root, "s", "cline", "global-settings.json"),
      });
      expect(cline.invocation({ ...req, model: "claude-opus-5-5" }, HELP).argv).toContain("claude-opus-5-5");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
