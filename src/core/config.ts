// Configuration: defaults < the user's config.yaml ($XDG_CONFIG_HOME/loki, else ~/.config/loki) <
// loki.yaml < .loki/config.yaml < environment (ecosystem names, then LOKI_*) < flags. Unknown keys
// warn; a bad value fails naming its key path and where it came from. Grading keys never come from the user file.
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { z } from "zod";
import { ProvidersObject } from "./endpoints.ts";
import { deepMerge, envLayer, parseConfigText, readConfigFile, unknownKeys, type Raw } from "./config-layers.ts";
import { configError } from "./errors.ts";
import { JITLESS } from "./schema.ts";
import { MODEL_TIERS } from "./model-tiers.ts";
import { PROVIDER_IDS } from "./provider-ids.ts";
import { lazySchema } from "./lazy-schema.ts";

export const ProviderId = lazySchema(() => z.enum(PROVIDER_IDS));
export type ProviderId = z.infer<typeof ProviderId>;

const DURATION = /^\d+(\.\d+)?(s|m|h)?$/;
const Url = lazySchema(() => z.url({ message: "expected a URL such as https://host/path" }));

/** Where the trackers' APIs are: the user's forge tokens are sent there (a run keeps them from its start: RunSettings). */
export const TrackersConfig = lazySchema(() =>
  z.object({
    github: z.object({ api_url: Url.optional() }).default(() => ({})),
    gitlab: z.object({ api_url: Url.optional() }).default(() => ({})),
    jira: z.object({ base_url: Url.optional(), email: z.string().optional() }).default(() => ({})),
    azure: z.object({ org_url: Url.optional() }).default(() => ({})),
    /** Retries for 429/5xx responses, and the longest retry-after loki will honor. */
    retries: z.number().int().min(0).max(10).default(3),
    max_retry_wait_seconds: z.number().min(0).max(3600).default(30),
  }),
);

export const Config = lazySchema(() =>
  z.object({
    provider: ProviderId.default(PROVIDER_IDS[0]),
    model: z.string().min(1).optional(),
    /** A model the provider may switch to mid-call when the main one is overloaded (claude). */
    fallback_model: z.string().min(1).optional(),
    failover: z.array(ProviderId).default(() => []),
    /** With a failover chain: the rate-limit/overloaded retries a provider may report in one call before loki switches. */
    failover_after_retries: z.number().int().min(1).max(50).default(1),
    /** Custom endpoints, keys, models and prices per provider (core/endpoints.ts). */
    providers: ProvidersObject.default(() => ({})),
    /** LOKI_MODEL_OVERRIDE: the one model every call runs on a provider with a custom base URL (a local model). */
    model_override: z.string().min(1).optional(),
    /** The most expensive model tier any call of a run may use (LOKI_MAX_TIER): fast < development < planning. */
    max_tier: z.enum(MODEL_TIERS).default("planning"),
    /** Per-phase models: a tier name or a model, for the planning pass (reason), build calls (act), the judge and council (verify). */
    models: z
      .object({ reason: z.string().min(1).optional(), act: z.string().min(1).optional(), verify: z.string().min(1).optional() })
      .default(() => ({})),
    /** The planning pass and task queue: auto plans standard and complex specs; escalation and dead-letter thresholds. */
    planner: z
      .object({
        mode: z.enum(["auto", "on", "off"]).default("auto"),
        escalate_after: z.number().int().min(1).max(50).default(3),
        dead_letter_after: z.number().int().min(1).max(100).default(5),
        replan_every: z.number().int().min(1).max(100).default(3),
      })
      .default(() => ({ mode: "auto" as const, escalate_after: 3, dead_letter_after: 5, replan_every: 3 })),
    effort: z.enum(["low", "medium", "high", "xhigh", "max"]).optional(),
    budget_usd: z.number().positive().optional(),
    max_iterations: z.number().int().positive().max(1000).default(25),
    max_duration: z.string().regex(DURATION, "expected a duration such as 90m, 2h or 3600").optional(),
    heldout: z.boolean().default(true),
    /** The blind council at the ship gate (three reviewers + devil's advocate). */
    council: z.boolean().default(true),
    /** The loop: per-call limits, retries, stagnation, backoff (seconds). */
    agent_timeout_seconds: z.number().positive().default(1800),
    agent_idle_seconds: z.number().positive().default(600),
    max_retries: z.number().int().min(0).max(50).default(5),
    stagnation_limit: z.number().int().min(1).max(100).default(3),
    backoff_base_seconds: z.number().min(0).default(30),
    backoff_max_seconds: z.number().min(0).default(600),
    /** Delivery with --pr/--ship: how to merge, and how long to wait for the repository's checks. */
    ship: z
      .object({
        merge_method: z.enum(["merge", "squash", "rebase"]).default("squash"),
        checks_timeout_seconds: z.number().positive().default(1800),
        poll_seconds: z.number().positive().default(15),
      })
      .default(() => ({ merge_method: "squash" as const, checks_timeout_seconds: 1800, poll_seconds: 15 })),
    /** Running as root: let the provider use its sandbox-bypass mode (claude: IS_SANDBOX=1). */
    allow_root: z.boolean().default(false),
    /** Every agent call runs in loki's OS sandbox; false (--no-sandbox) runs unsandboxed, marked so everywhere. */
    sandbox: z.boolean().default(true),
    trackers: TrackersConfig.default(() => ({ github: {}, gitlab: {}, jira: {}, azure: {}, retries: 3, max_retry_wait_seconds: 30 })),
    /** The Live App Preview (loki preview, and during loki start): how to run the app, whether a run starts it. */
    app: z
      .object({
        /** The command that runs the app (sh -c), over every detection rule; also LOKI_APP_COMMAND. */
        command: z.string().min(1).optional(),
        /** auto: loki start runs the app when one is detected, except under CI; on; off. */
        preview: z.enum(["auto", "on", "off"]).default("auto"),
        /** How long a start may take before the app shows as unhealthy (it keeps being probed). */
        ready_timeout_seconds: z.number().positive().max(3600).default(120),
        /** Crashes in a row before the preview gives up (each restart waits 1, 2, 4 … s). */
        max_restarts: z.number().int().min(0).max(20).default(3),
      })
      .default(() => ({ preview: "auto" as const, ready_timeout_seconds: 120, max_restarts: 3 })),
    /** Memory across runs: global also keeps each learning (redacted) in ~/.loki/memory for the user's other projects, and searches it. */
    memory: z.object({ global: z.boolean().default(true) }).default(() => ({ global: true })),
    /** children: offer the build agent loki's MCP server (loki_verify alone: its work graded by the run's gates). claude and codex. */
    mcp: z.object({ children: z.boolean().default(false) }).default(() => ({ children: false })),
    /** Commands the gates run; test_report: a JUnit XML file the test command writes (for a runner loki cannot read itself);
     *  secret_scanner: which scanners the secrets gate runs (SecretScanner; unset = auto). */
    verify: z
      .object({
        build: z.string().optional(),
        test: z.string().optional(),
        lint: z.string().optional(),
        test_report: z.string().optional(),
        secret_scanner: z.enum(["builtin", "gitleaks", "auto"]).optional(),
      })
      .default(() => ({})),
  }),
);
export type Config = z.infer<typeof Config>;
/** builtin: loki's rules only; gitleaks: loki's rules plus gitleaks, which must be installed; auto: plus gitleaks when on PATH. */
export type SecretScanner = NonNullable<Config["verify"]["secret_scanner"]>;

export type LoadedConfig = {
  config: Config;
  warnings: string[];
  files: string[] /** top-level keys some layer set, with the last layer that set each */;
  origins: Map<string, string>;
};

/**
 * Keys the user file may not set: how a diff is graded (its test/build commands, the held-out
 * evaluation, the council) and what the agent may touch (the sandbox, root). That file lies outside
 * the repository, where any program the user runs can write it — a test suite the agent wrote, which
 * the tests gate runs on the host — so it must not decide a later run's or `loki verify`'s grading.
 */
export const REPO_ONLY_KEYS = ["verify", "heldout", "council", "sandbox", "allow_root"] as const;

/** The user's own config file: $XDG_CONFIG_HOME/loki/config.yaml (absolute only, as XDG says), else ~/.config/loki/. */
export function userConfigPath(env: Record<string, string | undefined> = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), ".config");
  return join(base, "loki", "config.yaml");
}

/**
 * `lokiYaml`: the repository's loki.yaml text as it was in a commit (null: it had none), read in
 * place of the working tree's — the grader's configuration comes from the base, not from the diff.
 */
export function loadConfig(
  root: string,
  env: Record<string, string | undefined> = process.env,
  flags: Raw = {},
  options: { lokiYaml?: string | null } = {},
): LoadedConfig {
  const warnings: string[] = [];
  const files: string[] = [];
  const layers: { origin: string; raw: Raw }[] = [];
  const addFile = (file: string, raw: Raw | undefined) => {
    if (raw === undefined) return;
    files.push(file);
    warnings.push(...unknownKeys(raw, Config).map((key) => `${file}: unknown key "${key}" ignored`));
    layers.push({ origin: file, raw });
  };
  const userFile = userConfigPath(env);
  addFile(userFile, refuseRepoOnly(readConfigFile(userFile), userFile));
  const lokiYaml = join(root, "loki.yaml");
  const committed = options.lokiYaml;
  addFile(
    lokiYaml,
    committed === undefined ? readConfigFile(lokiYaml) : committed === null ? undefined : parseConfigText(committed, lokiYaml),
  );
  addFile(join(root, ".loki", "config.yaml"), readConfigFile(join(root, ".loki", "config.yaml")));
  layers.push({ origin: "environment", raw: envLayer(env, Config) });
  layers.push({ origin: "flags", raw: flags });

  // Nothing set anywhere (no file, no LOKI_ variable, no flag): the defaults, without building the schema.
  if (files.length === 0 && layers.every((layer) => Object.keys(layer.raw).length === 0))
    return { config: defaultConfig(), warnings, files, origins: new Map() };
  let merged: Raw = {};
  let config: Config | undefined;
  for (const layer of layers) {
    // A layer that sets nothing leaves the merged settings, and so the answer, as they were.
    if (config !== undefined && Object.keys(layer.raw).length === 0) continue;
    merged = deepMerge(merged, layer.raw);
    const check = Config.safeParse(merged, JITLESS);
    config = check.data;
    if (!check.success) {
      const issue = check.error.issues[0];
      const key = issue?.path.join(".") || "(root)";
      throw configError(`config key "${key}" (from ${layer.origin}): ${issue?.message}`, {
        hint: layer.origin === "flags" ? "fix the flag value" : `fix "${key}" in ${layer.origin}`,
        data: { key, origin: layer.origin },
      });
    }
  }
  const origins = new Map<string, string>();
  for (const layer of layers) for (const [key, value] of Object.entries(layer.raw)) if (value !== undefined) origins.set(key, layer.origin);
  return { config: config ?? Config.parse(merged, JITLESS), warnings, files, origins };
}

/**
 * What Config.parse({}) gives (a test holds them equal), as a fresh value: building the schema to parse
 * an empty object costs about 5 ms of a command's start, and most repositories `loki verify` grades set nothing.
 */
export function defaultConfig(): Config {
  return {
    provider: PROVIDER_IDS[0],
    failover: [],
    failover_after_retries: 1,
    providers: {},
    max_tier: "planning",
    models: {},
    planner: { mode: "auto", escalate_after: 3, dead_letter_after: 5, replan_every: 3 },
    max_iterations: 25,
    heldout: true,
    council: true,
    agent_timeout_seconds: 1800,
    agent_idle_seconds: 600,
    max_retries: 5,
    stagnation_limit: 3,
    backoff_base_seconds: 30,
    backoff_max_seconds: 600,
    ship: { merge_method: "squash", checks_timeout_seconds: 1800, poll_seconds: 15 },
    allow_root: false,
    sandbox: true,
    trackers: { github: {}, gitlab: {}, jira: {}, azure: {}, retries: 3, max_retry_wait_seconds: 30 },
    app: { preview: "auto", ready_timeout_seconds: 120, max_restarts: 3 },
    memory: { global: true },
    mcp: { children: false },
    verify: {},
  };
}

/** The user file as read, or a config error naming it and every grading key it tries to set. */
function refuseRepoOnly(raw: Raw | undefined, file: string): Raw | undefined {
  const refused = REPO_ONLY_KEYS.filter((key) => raw !== undefined && raw[key] !== undefined);
  if (refused.length === 0) return raw;
  const keys = refused.map((key) => `"${key}"`).join(", ");
  throw configError(
    `${file}: ${keys} cannot be set in the user config: grading and sandbox settings come only from the repository or a flag`,
    {
      hint: `remove ${keys} from ${file} (set ${refused.length === 1 ? "it" : "them"} in the repository's loki.yaml or .loki/config.yaml instead); if you did not write ${refused.length === 1 ? "it" : "them"}, a program you ran did`,
      data: { key: refused[0], origin: file },
    },
  );
}

/** "90m" → 5400 seconds; a bare number is seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!match) throw configError(`invalid duration "${text}"`, { hint: "use a number of seconds or a value such as 90m or 2h" });
  const factor = match[2] === "h" ? 3600 : match[2] === "m" ? 60 : 1;
  return Math.round(Number(match[1]) * factor);
}
