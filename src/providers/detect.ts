// The provider registry: what each coding-agent CLI is called, how to install and log in, and
// how to tell — without network calls — whether it is installed, which version, and authenticated.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ProviderId } from "../core/config.ts";
import { run, whichBinary } from "../core/exec.ts";

export type ProviderInfo = {
  id: ProviderId;
  title: string;
  binary: string;
  install: string;
  login: string;
  /** Any of these set means the CLI has credentials. */
  authEnv: string[];
  /** Credential files under the user's home (or under `homeEnv` when that variable is set). */
  authFiles: string[];
  homeEnv?: string;
};

export const PROVIDERS: Record<ProviderId, ProviderInfo> = {
  claude: {
    id: "claude",
    title: "Claude Code",
    binary: "claude",
    install: "npm install -g @anthropic-ai/claude-code",
    login: "claude auth login (or set ANTHROPIC_API_KEY)",
    authEnv: ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"],
    authFiles: [".claude/.credentials.json"],
  },
  codex: {
    id: "codex",
    title: "Codex CLI",
    binary: "codex",
    install: "npm install -g @openai/codex",
    login: "codex login (or set OPENAI_API_KEY)",
    authEnv: ["OPENAI_API_KEY", "CODEX_API_KEY"],
    authFiles: ["auth.json"],
    homeEnv: "CODEX_HOME",
  },
  cline: {
    id: "cline",
    title: "Cline CLI",
    binary: "cline",
    install: "npm install -g cline",
    login: "cline auth -p anthropic -k <key> -m <model>",
    authEnv: [],
    authFiles: [".cline/data/settings/providers.json"],
  },
  aider: {
    id: "aider",
    title: "Aider",
    binary: "aider",
    install: "python -m pip install aider-install && aider-install",
    login: "set ANTHROPIC_API_KEY or OPENAI_API_KEY (aider reads the key of the model it runs)",
    authEnv: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "AIDER_API_KEY", "OPENROUTER_API_KEY"],
    authFiles: [".aider.conf.yml"],
  },
  opencode: {
    id: "opencode",
    title: "OpenCode",
    binary: "opencode",
    install: "npm install -g opencode-ai",
    login: "opencode auth login",
    authEnv: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"],
    authFiles: [".local/share/opencode/auth.json"],
  },
};

export const PROVIDER_IDS = Object.keys(PROVIDERS) as ProviderId[];

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
export function locateProvider(info: ProviderInfo, ctx: DetectContext): string | null {
  return whichBinary(info.binary, [join(ctx.cwd, "node_modules", ".bin")]);
}

export function authOf(info: ProviderInfo, ctx: DetectContext): { auth: AuthState; source: string | null } {
  const envHit = info.authEnv.find((name) => Boolean(ctx.env[name]));
  if (envHit) return { auth: "ok", source: `$${envHit}` };
  const home = ctx.env.HOME || homedir();
  const base = info.homeEnv && ctx.env[info.homeEnv] ? ctx.env[info.homeEnv]! : info.homeEnv ? join(home, ".codex") : home;
  const file = info.authFiles.map((rel) => join(base, rel)).find((path) => existsSync(path));
  if (file) return { auth: "ok", source: file.replace(home, "~") };
  // macOS keeps Claude Code's login in the keychain, which cannot be read without a prompt.
  if (info.id === "claude" && process.platform === "darwin") return { auth: "unknown", source: null };
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
export function installedProviders(ctx: DetectContext, order: ProviderId[] = PROVIDER_IDS): ProviderId[] {
  return order.filter((id) => locateProvider(PROVIDERS[id], ctx) !== null);
}
