// `${VAR}` interpolation of a compose file's values, from the environment and the `.env` file beside it.
// A documented subset of the compose spec: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error},
// ${VAR?error}, ${VAR:+alt}, ${VAR+alt} and $$; no nesting inside a default. Anything else is a problem, never a guess.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type Env = Record<string, string | undefined>;

const REFERENCE = /\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}$]*))?\})/g;

/** The variables of a `.env` file: KEY=VALUE lines, `export` allowed, '…' and "…" unquoted, # comments. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!m?.[1]) continue;
    let value = (m[2] ?? "").trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.lastIndexOf(quote) > 0) value = value.slice(1, value.lastIndexOf(quote));
    else value = value.replace(/\s+#.*$/, "");
    out[m[1]] = value;
  }
  return out;
}

/**
 * The environment a compose file is read in, and the one loki gives the engine: the `.env` file's values win.
 * podman-compose 1.0 lets `.env` override the shell and docker compose the reverse; passing the merged values
 * to the engine makes both see what loki checked.
 */
export function composeEnv(dir: string, env: Env): Env {
  const dotenv = join(dir, ".env");
  const file = existsSync(dotenv) ? parseDotenv(readFileSync(dotenv, "utf8")) : {};
  return { ...env, ...file };
}

function substitute(text: string, env: Env, where: string, problems: string[]): string {
  if (/\$\{(?![A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+])[^}$]*)?\})/.test(text.replaceAll("$$", ""))) {
    problems.push(`${where}: "${text}" uses interpolation loki does not read (nested or malformed \${…}); write the value out`);
    return text;
  }
  return text.replace(REFERENCE, (_all, dollar, bare, name, op, arg) => {
    if (dollar) return "$";
    const key = (bare ?? name) as string;
    const value = env[key];
    const set = value !== undefined;
    const nonEmpty = set && value !== "";
    switch (op as string | undefined) {
      case undefined:
        return value ?? "";
      case ":-":
        return nonEmpty ? (value as string) : (arg as string);
      case "-":
        return set ? (value as string) : (arg as string);
      case ":+":
        return nonEmpty ? (arg as string) : "";
      case "+":
        return set ? (arg as string) : "";
      default: {
        const required = op === ":?" ? nonEmpty : set;
        if (!required) problems.push(`${where}: ${key} must be set (${arg || "required by the compose file"})`);
        return value ?? "";
      }
    }
  });
}

/** Every string value (not key) of a parsed compose document, interpolated; problems name the path. */
export function interpolate(value: unknown, env: Env, problems: string[], path = ""): unknown {
  if (typeof value === "string") return substitute(value, env, path || "(root)", problems);
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, problems, `${path}[${i}]`));
  if (value && typeof value === "object") {
    // fromEntries defines own properties: a key named __proto__ stays data.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env, problems, path ? `${path}.${key}` : key)]),
    );
  }
  return value;
}
