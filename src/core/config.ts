// Configuration: defaults < loki.yaml < .loki/config.yaml < environment (ecosystem names, then
// LOKI_*) < flags. Unknown keys warn; a bad value fails naming its key path and where it came from.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { configError, messageOf } from "./errors.ts";
import { PROVIDER_IDS } from "./provider-ids.ts";

export const ProviderId = z.enum(PROVIDER_IDS);
export type ProviderId = z.infer<typeof ProviderId>;

const DURATION = /^\d+(\.\d+)?(s|m|h)?$/;
const Url = z.url({ message: "expected a URL such as https://host/path" });

export const Config = z.object({
  provider: ProviderId.default(PROVIDER_IDS[0]),
  model: z.string().min(1).optional(),
  /** A model the provider may switch to mid-call when the main one is overloaded (claude). */
  fallback_model: z.string().min(1).optional(),
  failover: z.array(ProviderId).default(() => []),
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
  trackers: z
    .object({
      github: z.object({ api_url: Url.optional() }).default(() => ({})),
      gitlab: z.object({ api_url: Url.optional() }).default(() => ({})),
      jira: z.object({ base_url: Url.optional(), email: z.string().optional() }).default(() => ({})),
      azure: z.object({ org_url: Url.optional() }).default(() => ({})),
      /** Retries for 429/5xx responses, and the longest retry-after loki will honor. */
      retries: z.number().int().min(0).max(10).default(3),
      max_retry_wait_seconds: z.number().min(0).max(3600).default(30),
    })
    .default(() => ({ github: {}, gitlab: {}, jira: {}, azure: {}, retries: 3, max_retry_wait_seconds: 30 })),
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
});
export type Config = z.infer<typeof Config>;
/** builtin: loki's rules only; gitleaks: loki's rules plus gitleaks, which must be installed; auto: plus gitleaks when on PATH. */
export type SecretScanner = NonNullable<Config["verify"]["secret_scanner"]>;

type Raw = Record<string, unknown>;
export type LoadedConfig = {
  config: Config;
  warnings: string[];
  files: string[] /** top-level keys some layer set, with the last layer that set each */;
  origins: Map<string, string>;
};

/** Ecosystem variables that CI systems and trackers already set, mapped to config paths. */
const ECOSYSTEM_ENV: [string, string][] = [
  ["CI_API_V4_URL", "trackers.gitlab.api_url"],
  ["GITLAB_API_URL", "trackers.gitlab.api_url"],
  ["GITHUB_API_URL", "trackers.github.api_url"],
  ["JIRA_BASE_URL", "trackers.jira.base_url"],
  ["JIRA_EMAIL", "trackers.jira.email"],
  ["AZURE_DEVOPS_ORG_URL", "trackers.azure.org_url"],
];

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
  for (const file of [join(root, "loki.yaml"), join(root, ".loki", "config.yaml")]) {
    const committed = file === join(root, "loki.yaml") ? options.lokiYaml : undefined;
    const raw = committed === undefined ? readConfigFile(file) : committed === null ? undefined : parseConfigText(committed, file);
    if (raw === undefined) continue;
    files.push(file);
    warnings.push(...unknownKeys(raw, Config).map((key) => `${file}: unknown key "${key}" ignored`));
    layers.push({ origin: file, raw });
  }
  layers.push({ origin: "environment", raw: envLayer(env) });
  layers.push({ origin: "flags", raw: flags });

  let merged: Raw = {};
  for (const layer of layers) {
    merged = deepMerge(merged, layer.raw);
    const check = Config.safeParse(merged);
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
  return { config: Config.parse(merged), warnings, files, origins };
}

function readConfigFile(file: string): Raw | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  return parseConfigText(text, file);
}

function parseConfigText(text: string, file: string): Raw {
  const doc = parseDocument(text, { prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    throw configError(`${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: invalid YAML: ${error.message.split("\n")[0]}`, {
      hint: `fix the YAML syntax in ${file}`,
    });
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // toJS fails only on semantic limits: an alias expansion past the yaml package's cap (a "billion laughs" file).
    throw configError(`${file}: YAML that expands too far (${messageOf(error)})`, {
      hint: `remove the anchors and aliases (&name / *name) from ${file}; loki's settings need none`,
    });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw configError(`${file}: expected a mapping of keys to values`);
  return value as Raw;
}

/** Environment as a config layer: ecosystem names first, then LOKI_<PATH> (dots → underscores). */
function envLayer(env: Record<string, string | undefined>): Raw {
  const layer: Raw = {};
  for (const [name, path] of ECOSYSTEM_ENV) {
    const value = env[name];
    if (value) setPath(layer, path, value);
  }
  for (const path of leafPaths(Config)) {
    const value = env[`LOKI_${path.replaceAll(".", "_").toUpperCase()}`];
    if (value !== undefined && value !== "") setPath(layer, path, coerceEnv(value, leafAt(Config, path)));
  }
  return layer;
}

function coerceEnv(value: string, schema: z.ZodType | undefined): unknown {
  const base = schema ? unwrap(schema) : undefined;
  if (base instanceof z.ZodArray)
    return value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
  if (base instanceof z.ZodNumber) return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (base instanceof z.ZodBoolean)
    return ["1", "true", "yes", "on"].includes(value.toLowerCase())
      ? true
      : ["0", "false", "no", "off"].includes(value.toLowerCase())
        ? false
        : value;
  return value;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
  return current;
}

function leafPaths(schema: z.ZodType, prefix = ""): string[] {
  const base = unwrap(schema);
  if (!(base instanceof z.ZodObject)) return [prefix];
  return Object.entries(base.shape as Record<string, z.ZodType>).flatMap(([key, child]) =>
    leafPaths(child, prefix ? `${prefix}.${key}` : key),
  );
}

function leafAt(schema: z.ZodType, path: string): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const key of path.split(".")) {
    const base: z.ZodType | undefined = current ? unwrap(current) : undefined;
    current = base instanceof z.ZodObject ? (base.shape as Record<string, z.ZodType>)[key] : undefined;
  }
  return current;
}

function unknownKeys(raw: Raw, schema: z.ZodType, prefix = ""): string[] {
  const base = unwrap(schema);
  if (!(base instanceof z.ZodObject)) return [];
  const shape = base.shape as Record<string, z.ZodType>;
  return Object.entries(raw).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const child = shape[key];
    if (!child) return [path];
    return value && typeof value === "object" && !Array.isArray(value) ? unknownKeys(value as Raw, child, path) : [];
  });
}

function setPath(target: Raw, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Raw;
  }
  node[keys[keys.length - 1] as string] = value;
}

function deepMerge(a: Raw, b: Raw): Raw {
  const out: Raw = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (value === undefined) continue;
    const prev = out[key];
    const bothObjects =
      value && typeof value === "object" && !Array.isArray(value) && prev && typeof prev === "object" && !Array.isArray(prev);
    out[key] = bothObjects ? deepMerge(prev as Raw, value as Raw) : value;
  }
  return out;
}

/** "90m" → 5400 seconds; a bare number is seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!match) throw configError(`invalid duration "${text}"`, { hint: "use a number of seconds or a value such as 90m or 2h" });
  const factor = match[2] === "h" ? 3600 : match[2] === "m" ? 60 : 1;
  return Math.round(Number(match[1]) * factor);
}
