// OpenCode's config for one call: with a custom endpoint, an opencode.json loki generates in the call's
// scratch dir (its provider, model and key by variable name) and every XDG dir moved there, so the user's
// own config, login and data are never read or written; the read-only rules review roles get. Pure builders + prepare's writes.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { replaceFile } from "../core/durable.ts";
import { sha256 } from "../core/hash.ts";
import type { Role } from "../core/models.ts";
import { deepMerge, type Json } from "./lines.ts";
import type { Endpoint, InvocationRequest } from "./provider.ts";
import { sdkBaseUrl } from "../core/endpoints.ts";

/** The opencode provider an OpenAI-compatible endpoint becomes; `--model` is `loki/<model>`. */
export const ENDPOINT_PROVIDER = "loki";
/** Carries a key loki has no variable name for (endpoint.apiKey alone), so it still never lands in a file. */
export const FALLBACK_KEY_ENV = "LOKI_OPENCODE_API_KEY";

/** An endpoint with its own URL or key replaces the user's opencode setup; one that only picks a model, args or config keeps it. */
export function isolates(endpoint: Endpoint | undefined): endpoint is Endpoint {
  return endpoint !== undefined && (endpoint.baseUrl !== null || endpoint.apiKeyEnv !== null || endpoint.apiKey !== null);
}

/** Anthropic's protocol runs on opencode's own `anthropic` provider (its prices, its headers); the rest on `loki`. */
export function endpointProvider(endpoint: Pick<Endpoint, "api">): string {
  return endpoint.api === "anthropic" ? "anthropic" : ENDPOINT_PROVIDER;
}

/** The model as the endpoint names it: a leading `<provider>/` of opencode's own is dropped (a local model may hold a slash). */
export function endpointModelId(endpoint: Pick<Endpoint, "api">, model: string): string {
  const prefix = `${endpointProvider(endpoint)}/`;
  return model.startsWith(prefix) ? model.slice(prefix.length) : model;
}

/** `--model` for the endpoint: `<provider>/<model>`. */
export function endpointModel(endpoint: Pick<Endpoint, "api">, model: string): string {
  return `${endpointProvider(endpoint)}/${endpointModelId(endpoint, model)}`;
}

/** The variable opencode reads the key from (`{env:NAME}`), or null for an endpoint without a key. */
export function keyEnvOf(endpoint: Endpoint): string | null {
  return endpoint.apiKeyEnv ?? (endpoint.apiKey ? FALLBACK_KEY_ENV : null);
}

/**
 * Review, judge and planning calls: every tool denied but the ones that read. Denied tools are not even
 * offered (opencode 1.18.33 sends only glob, grep, read, skill, todowrite). `"*"` first: opencode applies the
 * last rule that matches; the explicit denies after the allows hold should a later version change what `*` covers.
 */
export const READ_ONLY_PERMISSION: Readonly<Record<string, string>> = {
  "*": "deny",
  ...Object.fromEntries(["read", "glob", "grep", "list", "lsp", "skill", "todowrite", "todoread"].map((tool) => [tool, "allow"])),
  ...Object.fromEntries(["edit", "bash", "task", "webfetch", "websearch", "codesearch", "question"].map((tool) => [tool, "deny"])),
};

/**
 * The rules as config: top level, and on the `plan` agent review calls run as (and `build`, should a project
 * remove `plan`), since an agent's own rules override the top level. Passed in OPENCODE_CONFIG_CONTENT, which
 * opencode merges after the project's opencode.json and .opencode/ dirs: a project cannot turn writes back on.
 */
export function readOnlyOverlay(): Json {
  const permission = { ...READ_ONLY_PERMISSION };
  return { permission, agent: { plan: { permission }, build: { permission } } };
}

/** The opencode.json for a call on `endpoint`: one provider, one model, no sharing or updates; `config`, then the role's rules, over it. */
export function generatedConfig(endpoint: Endpoint, model: string, role: Role): Json {
  const provider = endpointProvider(endpoint);
  const id = endpointModelId(endpoint, model);
  const keyEnv = keyEnvOf(endpoint);
  const options: Json = { baseURL: sdkBaseUrl(endpoint), ...(keyEnv ? { apiKey: `{env:${keyEnv}}` } : {}) };
  const entry: Json = {
    ...(provider === ENDPOINT_PROVIDER ? { npm: "@ai-sdk/openai-compatible", name: "loki endpoint" } : {}),
    options,
    models: { [id]: { name: id } },
  };
  const own: Json = {
    model: `${provider}/${id}`,
    small_model: `${provider}/${id}`,
    enabled_providers: [provider],
    provider: { [provider]: entry },
    autoupdate: false,
    share: "disabled",
  };
  const merged = deepMerge(own, endpoint.config);
  return role === "build" ? merged : deepMerge(merged, readOnlyOverlay());
}

/** Everything opencode keeps for an isolated call: `<scratch>/opencode-loki`. */
export function stateRoot(scratchDir: string): string {
  return join(scratchDir, "opencode-loki");
}

/** The generated file, named by its content: concurrent calls (build, review) sharing a scratch dir each keep their own. */
export function configFile(scratchDir: string, text: string): string {
  return join(stateRoot(scratchDir), `opencode-${sha256(text).slice(0, 16)}.json`);
}

export function configText(req: InvocationRequest & { endpoint: Endpoint }): string {
  return `${JSON.stringify(generatedConfig(req.endpoint, req.model, req.role), null, 2)}\n`;
}

const XDG_DIRS = { XDG_CONFIG_HOME: "config", XDG_DATA_HOME: "data", XDG_CACHE_HOME: "cache", XDG_STATE_HOME: "state" } as const;

/**
 * The env that confines opencode to the call's state root. OPENCODE_TEST_HOME moves what opencode reads
 * from the home itself (~/.opencode, ~/.claude/CLAUDE.md, skills); the variables that could point at the
 * user's own config, database or login are blanked; no models.dev refresh, update check or LSP download.
 */
export function isolatedEnv(req: InvocationRequest & { endpoint: Endpoint }): Record<string, string> {
  const root = stateRoot(req.scratchDir);
  const env: Record<string, string> = {};
  for (const [variable, dir] of Object.entries(XDG_DIRS)) env[variable] = join(root, dir);
  Object.assign(env, {
    OPENCODE_CONFIG: configFile(req.scratchDir, configText(req)),
    OPENCODE_TEST_HOME: join(root, "home"),
    OPENCODE_CONFIG_DIR: "",
    OPENCODE_DB: "",
    OPENCODE_AUTH_CONTENT: "{}",
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
    OPENCODE_DISABLE_SHARE: "1",
  });
  if (req.endpoint.apiKeyEnv === null && req.endpoint.apiKey) env[FALLBACK_KEY_ENV] = req.endpoint.apiKey;
  // Its providers fall back to the vendor key variables: the user's keys never reach an endpoint not given them.
  for (const name of ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]) if (name !== req.endpoint.apiKeyEnv) env[name] = "";
  return env;
}

/**
 * opencode npm-installs @opencode-ai/plugin into its config dir at every start unless node_modules exists
 * and package-lock.json already lists it: that would reach the npm registry (and write ~/.npm). Seeded, it
 * starts with no network but the endpoint's.
 */
const PLUGIN_SEED: Readonly<Record<string, string>> = {
  "package.json": `${JSON.stringify({ dependencies: { "@opencode-ai/plugin": "*" } })}\n`,
  "package-lock.json": `${JSON.stringify({ lockfileVersion: 3, packages: { "": { dependencies: { "@opencode-ai/plugin": "*" } } } })}\n`,
};

/** prepare(): the state root's dirs (0700), the seeded config dir, and the generated opencode.json (0600). */
/** The config files a grader without an endpoint takes from the user's config dir: nothing else from it. */
export const GRADER_CONFIG_FILES = ["opencode.json", "opencode.jsonc", "config.json"] as const;

/** A grader's own XDG config home: `<scratch>/opencode-grader`. */
export function graderConfigHome(scratchDir: string): string {
  return join(scratchDir, "opencode-grader");
}

/**
 * A grader without an endpoint of its own gets a config dir of its own holding copies of the user's
 * config files only (what loki watches from run start): the tools, agents, commands, plugins and
 * AGENTS.md a build call could have written beside them in the user's config dir never load.
 */
export function writeGraderConfig(scratchDir: string, userConfigDir: string): void {
  const dir = join(graderConfigHome(scratchDir), "opencode");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "node_modules"), { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(PLUGIN_SEED)) replaceFile(join(dir, name), text, 0o600, "process");
  for (const name of GRADER_CONFIG_FILES) {
    let text: string;
    try {
      text = readFileSync(join(userConfigDir, name), "utf8");
    } catch {
      continue;
    }
    replaceFile(join(dir, name), text, 0o600, "process");
  }
}

export function writeIsolatedState(req: InvocationRequest & { endpoint: Endpoint }): void {
  const root = stateRoot(req.scratchDir);
  for (const dir of [...Object.values(XDG_DIRS), "home"]) mkdirSync(join(root, dir), { recursive: true, mode: 0o700 });
  const configDir = join(root, XDG_DIRS.XDG_CONFIG_HOME, "opencode");
  mkdirSync(join(configDir, "node_modules"), { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(PLUGIN_SEED)) replaceFile(join(configDir, name), text, 0o600, "process");
  const text = configText(req);
  replaceFile(configFile(req.scratchDir, text), text, 0o600, "process");
}
