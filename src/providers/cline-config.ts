// Cline's isolated state for one call, under `<scratch>/cline`: the login copied from ~/.cline, or — with
// a custom endpoint — a providers.json loki generates; the global settings that turn tools off for the
// read-only roles; and whether `-m` may be passed. Pure builders, plus the two writes prepare() makes.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { replaceFile } from "../core/durable.ts";
import { configError } from "../core/errors.ts";
import { DEFAULT_MODELS, type Role } from "../core/models.ts";
import { deepMerge, isObject, type Json, str } from "./lines.ts";
import type { Endpoint } from "./provider.ts";
import { sdkBaseUrl } from "../core/endpoints.ts";
import { lazySchema } from "../core/lazy-schema.ts";

/** The user's cline data dir (its default --data-dir) and the login inside it. */
export const DATA_DIR = ".cline/data";
export const LOGIN_FILE = "settings/providers.json";

/** Cline's state for one call: `<scratchDir>/cline` (settings/providers.json holds the login). */
export function clineDataDir(scratchDir: string): string {
  return join(scratchDir, "cline");
}

/** With an endpoint, `--config` (cline's ~/.cline: rules, hooks, skills, agents, plugins) moves here too. */
export function clineConfigDir(scratchDir: string): string {
  return join(clineDataDir(scratchDir), "config");
}

export function providersPath(scratchDir: string): string {
  return join(clineDataDir(scratchDir), LOGIN_FILE);
}

/** Cline reads its global settings (telemetry opt-out, disabled tools) only through CLINE_GLOBAL_SETTINGS_PATH. */
export function globalSettingsPath(scratchDir: string, role: Role | "plan" = "build"): string {
  return join(clineDataDir(scratchDir), role === "build" ? "global-settings.json" : "global-settings-readonly.json");
}

/** An endpoint with its own URL or key replaces the login; one that only picks a model, args or price keeps it. */
export function ownsSettings(endpoint: Endpoint | undefined): endpoint is Endpoint {
  return endpoint !== undefined && (endpoint.baseUrl !== null || endpoint.apiKeyEnv !== null);
}

/** Cline's provider for an endpoint: its wire protocol's, unless `config.provider` names another (ollama, lmstudio…). */
export function clineProviderId(endpoint: Pick<Endpoint, "api" | "config">): string {
  const named = endpoint.config.provider;
  if (typeof named === "string") return named;
  return endpoint.api === "anthropic" ? "anthropic" : "openai-compatible";
}

/** Tools a review, judge or planning call must not have: write, edit, shell, web, sub-agents and teams, questions. */
export const READ_ONLY_DISABLED_TOOLS: readonly string[] = [
  "editor",
  "apply_patch",
  "run_commands",
  "fetch_web_content",
  "spawn_agent",
  "ask_question",
  "skills",
  "submit_and_exit",
  "switch_to_act_mode",
  ...[
    "spawn_teammate",
    "shutdown_teammate",
    "status",
    "task",
    "run_task",
    "cancel_run",
    "list_runs",
    "await_runs",
    "send_message",
    "broadcast",
    "read_mailbox",
    "mission_log",
    "cleanup",
    "create_outcome",
    "attach_outcome_fragment",
    "review_outcome_fragment",
    "finalize_outcome",
    "list_outcomes",
  ].map((name) => `team_${name}`),
];

/**
 * Cline's global settings for one call. `disabledTools` removes tools by name (cline 3.0.65 has no allow
 * list); web_search (Anthropic's server-side tool) is off under `tools`: only Anthropic's own API runs it.
 */
export function clineGlobalSettings(role: Role | "plan", endpoint: Endpoint | undefined): Json {
  const settings: Json = { telemetryOptOut: true };
  const readOnly = role !== "build";
  if (readOnly) settings.disabledTools = [...READ_ONLY_DISABLED_TOOLS];
  if (readOnly || ownsSettings(endpoint)) settings.tools = { web_search: { enabled: false } };
  return settings;
}

const PosInt = lazySchema(() => z.number().int().positive());
const Section = lazySchema(() => z.record(z.string(), z.unknown()));
/**
 * The types cline 3.0.65 checks in a provider's settings. A file it rejects is dropped whole, and cline
 * then runs on the vendor's default URL (or hangs): loki refuses such settings before the call instead.
 */
const ClineSettings = lazySchema(() =>
  z.object({
    provider: z.string().regex(/^[a-z0-9][a-z0-9-]*$/i),
    apiKey: z.string().optional(),
    model: z.string().optional(),
    baseUrl: z.url().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    maxTokens: PosInt.optional(),
    contextWindow: PosInt.optional(),
    timeout: PosInt.optional(),
    protocol: z.enum(["anthropic", "gemini", "openai-chat", "openai-responses", "openai-r1", "ai-sdk"]).optional(),
    client: z
      .enum([
        "anthropic",
        "ai-sdk",
        "ai-sdk-community",
        "openai",
        "openai-compatible",
        "openai-r1",
        "gemini",
        "bedrock",
        "custom",
        "fetch",
        "vertex",
      ])
      .optional(),
    routingProviderId: z.string().optional(),
    region: z.string().optional(),
    apiLine: z.enum(["china", "international"]).optional(),
    capabilities: z.array(z.string()).optional(),
    ...Object.fromEntries(
      ["auth", "reasoning", "aws", "gcp", "azure", "sap", "oca", "modelCatalog"].map((key) => [key, Section.optional()]),
    ),
  }),
);

/** The settings cline's provider gets for an endpoint: its protocol, URL, key and model, then `config` over them. */
export function endpointSettings(endpoint: Endpoint, model: string): Json {
  const own: Json = {
    provider: clineProviderId(endpoint),
    ...(endpoint.apiKey ? { apiKey: endpoint.apiKey } : {}),
    model,
    baseUrl: sdkBaseUrl(endpoint),
  };
  const settings = deepMerge(own, endpoint.config);
  const checked = ClineSettings.safeParse(settings);
  if (!checked.success) {
    const where = checked.error.issues.map((issue) => `${issue.path.join(".") || "(settings)"}: ${issue.message}`).join("; ");
    throw configError(`providers.cline: cline would reject these provider settings (${where})`, {
      hint: "fix providers.cline.config (or base_url) in loki.yaml: cline drops an invalid provider file and falls back to its vendor",
    });
  }
  return settings;
}

/** The generated providers.json as a call file: written 0600 before the spawn, removed after it (call.ts). */
export function providersCallFile(scratchDir: string, endpoint: Endpoint, model: string): { path: string; content: string } {
  const file = providersFile(endpointSettings(endpoint, model), new Date());
  return { path: providersPath(scratchDir), content: `${JSON.stringify(file, null, 2)}\n` };
}

/** cline's providers.json holding one provider, the one it uses (`lastUsedProvider`). */
export function providersFile(settings: Json, now: Date): Json {
  const id = String(settings.provider);
  return { version: 1, lastUsedProvider: id, providers: { [id]: { settings, updatedAt: now.toISOString(), tokenSource: "manual" } } };
}

/** The model a cline login (the text of its providers.json) runs: its last-used provider's. */
export function loginModel(text: string): string | null {
  try {
    const file: unknown = JSON.parse(text);
    if (!isObject(file) || !isObject(file.providers)) return null;
    const used = str(file.lastUsedProvider);
    const entry = used === undefined ? undefined : file.providers[used];
    const model = isObject(entry) && isObject(entry.settings) ? str(entry.settings.model) : undefined;
    return model?.trim() ? model : null;
  } catch {
    return null;
  }
}

/**
 * The `-m` to pass, or null for none. With loki's own settings the model is loki's. On the user's
 * login, a loki default never overrides the model the user configured there; a model the user chose
 * for loki (--model, `providers.cline.model`) does.
 */
export function clineModelArg(model: string, options: { ownSettings: boolean; loginModel: string | null }): string | null {
  if (options.ownSettings || options.loginModel === null) return model;
  return Object.values(DEFAULT_MODELS.cline).includes(model) ? null : model;
}

/** The login prepare() copied into the call's data dir names this model (null: none, or no login). */
export function seededLoginModel(scratchDir: string): string | null {
  try {
    return loginModel(readFileSync(providersPath(scratchDir), "utf8"));
  } catch {
    return null;
  }
}

/**
 * Prepare the isolated data dir before a call: the global settings for `role`, then either the
 * settings loki generates for `endpoint` or the user's login copied from ~/.cline/data (without which
 * cline falls back to its own hosted provider). Returns whether a login was copied.
 */
export function seedClineData(
  scratchDir: string,
  home: string = process.env.HOME ?? "",
  call: { role?: Role | "plan"; endpoint?: Endpoint | undefined; model?: string } = {},
): boolean {
  const role = call.role ?? "build";
  mkdirSync(join(clineDataDir(scratchDir), "settings"), { recursive: true, mode: 0o700 });
  replaceFile(globalSettingsPath(scratchDir, role), `${JSON.stringify(clineGlobalSettings(role, call.endpoint))}\n`, 0o600, "process");
  if (ownsSettings(call.endpoint)) {
    // The generated providers.json holds the key: the invocation hands it over as a call file (0600,
    // removed when the call ends), so no key outlives the call in the run's scratch space.
    mkdirSync(clineConfigDir(scratchDir), { recursive: true, mode: 0o700 });
    return false;
  }
  const login = join(home, DATA_DIR, LOGIN_FILE);
  if (!existsSync(login)) return false;
  copyFileSync(login, providersPath(scratchDir));
  return true;
}
