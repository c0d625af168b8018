// Provider detection: from the facts in each record, tell — without network calls — whether the CLI
// is installed (and where: providers/locate.ts), which version, whether it is logged in, and the
// exact command that fixes it, written the way it runs from the user's directory.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ProviderId } from "../core/config.ts";
import { run } from "../core/exec.ts";
import { PROVIDER_IDS } from "../core/provider-ids.ts";
import { type BinarySource, commandFor, type LocatedBinary, locateBinary, whereFound } from "./locate.ts";
import type { Endpoint, Provider } from "./provider.ts";
import { loadProviders } from "./registry.ts";

/** The facts detection reads from a provider's record. */
export type ProviderInfo = Pick<Provider, "id" | "title" | "binary" | "install" | "login" | "auth">;

export type AuthState = "ok" | "missing" | "unknown";
export type ProviderStatus = {
  id: ProviderId;
  title: string;
  installed: boolean;
  path: string | null;
  /** Where `path` was found: a project node_modules/.bin, PATH, or loki's own install. */
  found_in: BinarySource | null;
  version: string | null;
  auth: AuthState;
  auth_source: string | null;
  usable: boolean;
  /** What stands in the way, in one sentence, when not usable. */
  problem: string | null;
  /** The exact command to run next when not usable. */
  fix: string | null;
};

/**
 * `cwd`: where the search starts and where the user types the hints (the repository root for start).
 * `endpoints`: the custom endpoints loki.yaml configures (`providers.<id>`): their key is the login.
 */
export type DetectContext = { env: Record<string, string | undefined>; cwd: string; endpoints?: Partial<Record<ProviderId, Endpoint>> };

/** Where a provider binary is: see providers/locate.ts. No spawn. */
export function locateProvider(info: Pick<Provider, "binary">, ctx: DetectContext): LocatedBinary | null {
  return locateBinary(info.binary, ctx);
}

/** The login command as it runs from `ctx.cwd` (`npx claude auth login, or set ANTHROPIC_API_KEY`). */
export function loginHint(info: Pick<Provider, "binary" | "login">, found: LocatedBinary | null, ctx: DetectContext): string {
  const { subcommand, alternative } = info.login;
  const command = subcommand ? `${found ? commandFor(info.binary, found, ctx.cwd) : info.binary} ${subcommand}` : null;
  return [command, alternative].filter(Boolean).join(", or ");
}

/** Where a status's CLI was found, for people (see whereFound); "" when it was not. */
export function foundAt(status: Pick<ProviderStatus, "path" | "found_in">, cwd: string): string {
  return status.path && status.found_in ? whereFound({ path: status.path, source: status.found_in }, cwd) : "";
}

/** What is wrong with a provider and its fix, in the order a user meets it; null when usable. */
export function providerProblem(
  info: Pick<Provider, "id" | "title" | "binary" | "install" | "login">,
  found: LocatedBinary | null,
  auth: AuthState,
  ctx: DetectContext,
): { message: string; fix: string } | null {
  if (!found) return { message: `${info.title} is not installed`, fix: info.install };
  const endpoint = ctx.endpoints?.[info.id];
  if (auth === "missing" && endpoint?.apiKeyEnv)
    return {
      message: `${info.title} is configured for ${endpoint.baseUrl ?? "its vendor's API"} with its key in $${endpoint.apiKeyEnv}, which is not set`,
      fix: `export ${endpoint.apiKeyEnv}=<your key> (or change providers.${info.id}.api_key_env in loki.yaml)`,
    };
  if (auth === "missing")
    return {
      message: `${info.title} is installed (${whereFound(found, ctx.cwd)}) but not logged in`,
      fix: loginHint(info, found, ctx),
    };
  return null;
}

export function authOf(info: Pick<Provider, "id" | "auth">, ctx: DetectContext): { auth: AuthState; source: string | null } {
  // A configured endpoint logs in with its own key variable, or with none (a local model needs no key).
  const endpoint = ctx.endpoints?.[info.id];
  if (endpoint?.apiKeyEnv)
    return ctx.env[endpoint.apiKeyEnv] ? { auth: "ok", source: `$${endpoint.apiKeyEnv}` } : { auth: "missing", source: null };
  if (endpoint?.baseUrl) return { auth: "ok", source: `${endpoint.baseUrl} (no key configured)` };
  const facts = info.auth;
  const envHit = facts.env.find((name) => Boolean(ctx.env[name]));
  if (envHit) return { auth: "ok", source: `$${envHit}` };
  const home = ctx.env.HOME || homedir();
  const base = facts.homeEnv && ctx.env[facts.homeEnv] ? ctx.env[facts.homeEnv]! : join(home, facts.homeDir);
  const file = facts.files.map((rel) => join(base, rel)).find((path) => existsSync(path));
  if (file) return { auth: "ok", source: file.replace(home, "~") };
  // A keychain login cannot be read without a prompt: it may be there.
  if (facts.keychainOn.includes(process.platform)) return { auth: "unknown", source: null };
  return { auth: "missing", source: null };
}

/** Installed? version? authenticated? Spawns `<cli> --version` (bounded) when installed. */
export async function detectProvider(info: ProviderInfo, ctx: DetectContext): Promise<ProviderStatus> {
  const found = locateProvider(info, ctx);
  let version: string | null = null;
  if (found) {
    const result = await run([found.path, "--version"], { cwd: ctx.cwd, timeoutMs: 15_000, maxOutputBytes: 64 * 1024 });
    version = result.ok ? (/\d+\.\d+\.\d+[\w.-]*/.exec(result.stdout + result.stderr)?.[0] ?? null) : null;
  }
  const { auth, source } = authOf(info, ctx);
  const problem = providerProblem(info, found, auth, ctx);
  return {
    id: info.id,
    title: info.title,
    installed: found !== null,
    path: found?.path ?? null,
    found_in: found?.source ?? null,
    version,
    auth,
    auth_source: source,
    usable: problem === null,
    problem: problem?.message ?? null,
    fix: problem?.fix ?? null,
  };
}

/** Installed providers in preference order, by locating them only (fast enough for `plan`). */
export async function installedProviders(ctx: DetectContext, order: readonly ProviderId[] = PROVIDER_IDS): Promise<ProviderId[]> {
  const records = await loadProviders(order);
  return records.filter((record) => locateProvider(record, ctx) !== null).map((record) => record.id);
}
