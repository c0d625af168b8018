// How each configuration layer becomes a raw object for config.ts to merge and validate: a YAML file
// (a syntax error names file:line:col), the environment (ecosystem names, then LOKI_*), and the keys
// each layer set. Reads files only; knows no schema but the one it is given (no import of config.ts).
import { readFileSync } from "node:fs";
import type { parseDocument as ParseDocument } from "yaml";
import { z } from "zod";
import { configError, messageOf } from "./errors.ts";

export type Raw = Record<string, unknown>;

/** Ecosystem variables that CI systems and trackers already set, mapped to config paths. */
const ECOSYSTEM_ENV: [string, string][] = [
  ["CI_API_V4_URL", "trackers.gitlab.api_url"],
  ["GITLAB_API_URL", "trackers.gitlab.api_url"],
  ["GITHUB_API_URL", "trackers.github.api_url"],
  ["JIRA_BASE_URL", "trackers.jira.base_url"],
  ["JIRA_EMAIL", "trackers.jira.email"],
  ["AZURE_DEVOPS_ORG_URL", "trackers.azure.org_url"],
];

/** A config file's mapping; undefined when there is no such file. Any other read failure names the file. */
export function readConfigFile(file: string): Raw | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw configError(`${file}: could not read it (${code ?? messageOf(error)})`, { hint: `make ${file} a readable file, or remove it` });
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): Raw {
  // Loaded here, not with the module: most commands run where no config file exists, and read no YAML.
  const { parseDocument } = require("yaml") as { parseDocument: typeof ParseDocument };
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
export function envLayer(env: Record<string, string | undefined>, schema: z.ZodType): Raw {
  const layer: Raw = {};
  for (const [name, path] of ECOSYSTEM_ENV) {
    const value = env[name];
    if (value) setPath(layer, path, value);
  }
  // Walking the schema for its settings' names is the cost here: not done when no LOKI_ name is set.
  if (!Object.keys(env).some((name) => name.startsWith("LOKI_"))) return layer;
  for (const path of leafPaths(schema)) {
    const value = env[`LOKI_${path.replaceAll(".", "_").toUpperCase()}`];
    if (value !== undefined && value !== "") setPath(layer, path, coerceEnv(value, leafAt(schema, path)));
  }
  return layer;
}

function coerceEnv(value: string, schema: z.ZodType | undefined): unknown {
  const base = schema ? unwrap(schema) : undefined;
  // A list is comma-separated, or JSON when an item holds a comma (LOKI_PROVIDERS_<ID>_EXTRA_ARGS='["--x=1,2"]').
  if (base instanceof z.ZodArray && value.trim().startsWith("[")) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  if (base instanceof z.ZodArray)
    return value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
  // A mapping (providers.<id>.config) comes as JSON; anything else is left for the schema to refuse, named.
  if (base instanceof z.ZodRecord) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
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

/** Keys of `raw` the schema does not know, by full path. */
export function unknownKeys(raw: Raw, schema: z.ZodType, prefix = ""): string[] {
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

/** `b` over `a`, key by key into nested mappings; arrays and scalars are replaced whole. */
export function deepMerge(a: Raw, b: Raw): Raw {
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
