// Provider detection: from the facts in each record, tell — without network calls — whether the CLI
// is installed, which version, and whether it is logged in, and the exact command that fixes it.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ProviderId } from "../core/config.ts";
import { run, whichBinary } from "../core/exec.ts";
import { PROVIDER_IDS } from "../core/provider-ids.ts";
import type { Provider } from "./provider.ts";
import { loadProviders } from "./registry.ts";

/** The facts detection reads from a provider's record. */
export type ProviderInfo = Pick<Provider, "id" | "title" | "binary" | "install" | "login" | "auth">;

export type AuthState = "ok" | "missing" | "unknown";
export type ProviderStatus = {
  id: ProviderId;
  title: string;
  installed: boolean;
  path: string | null;
  version: string | null;
  auth: AuthState;
  auth_source: string | null;
  usable: boolean;
  /** The exact command to run next when not usable. */
  fix: string | null;
};

export type DetectContext = { env: Record<string, string | undefined>; cwd: string };

/** Where a provider binary is found: PATH, then the project's node_modules/.bin. No spawn. */
export function locateProvider(info: Pick<Provider, "binary">, ctx: DetectContext): string | null {
  return whichBinary(info.binary, [join(ctx.cwd, "node_modules", ".bin")]);
}

export function authOf(info: Pick<Provider, "auth">, ctx: DetectContext): { auth: AuthState; source: string | null } {
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
  const path = locateProvider(info, ctx);
  let version: string | null = null;
  if (path) {
    const result = await run([path, "--version"], { cwd: ctx.cwd, timeoutMs: 15_000, maxOutputBytes: 64 * 1024 });
    version = result.ok ? (/\d+\.\d+\.\d+[\w.-]*/.exec(result.stdout + result.stderr)?.[0] ?? null) : null;
  }
  const { auth, source } = authOf(info, ctx);
  const installed = path !== null;
  const usable = installed && auth !== "missing";
  const fix = !installed ? info.install : auth === "missing" ? info.login : null;
  return { id: info.id, title: info.title, installed, path, version, auth, auth_source: source, usable, fix };
}

/** Installed providers in preference order, by PATH lookup only (fast enough for `plan`). */
export async function installedProviders(ctx: DetectContext, order: readonly ProviderId[] = PROVIDER_IDS): Promise<ProviderId[]> {
  const records = await loadProviders(order);
  return records.filter((record) => locateProvider(record, ctx) !== null).map((record) => record.id);
}
