// Environment diagnosis for `loki doctor`: git, the Bun runtime, and every provider CLI (installed,
// version, login — a configured endpoint's key variable is its login), each failing check with the exact
// command that fixes it. No network calls here (providers/endpoint-check.ts makes doctor's only one).
import { run } from "../core/exec.ts";
import { detectProvider, type DetectContext, type ProviderStatus } from "./detect.ts";
import { loadProviders } from "./registry.ts";

export type Check = { name: string; status: "ok" | "warn" | "fail"; version: string | null; detail: string; fix: string | null };
export type DoctorReport = {
  schema_version: 1;
  ok: boolean;
  /** The first failing check in HEADLINE_ORDER, as `<what is wrong>: <fix>`; null when none fails. */
  headline: string | null;
  checks: Check[];
  providers: ProviderStatus[];
  usable_providers: string[];
};

const MIN_GIT: [number, number] = [2, 25];
/** The order a user has to fix things in: an agent to drive (installed, then logged in), then a sandbox for it. */
const HEADLINE_ORDER = ["provider", "sandbox", "git", "bun"];

export async function diagnose(ctx: DetectContext): Promise<DoctorReport> {
  const records = await loadProviders();
  const [git, providers] = await Promise.all([checkGit(ctx), Promise.all(records.map((record) => detectProvider(record, ctx)))]);
  const checks: Check[] = [git, checkBun(), providerCheck(providers)];
  const ok = checks.every((c) => c.status !== "fail");
  const usable = providers.filter((p) => p.usable).map((p) => p.id);
  return { schema_version: 1, ok, headline: headlineOf(checks), checks, providers, usable_providers: usable };
}

/**
 * Usable when any provider is. Otherwise the one to fix: the first installed provider in preference
 * order (it needs a login, not an install), else the first-class provider (it needs installing).
 */
export function providerCheck(providers: ProviderStatus[]): Check {
  const usable = providers.filter((p) => p.usable).map((p) => p.id);
  if (usable.length > 0) return { name: "provider", status: "ok", version: null, detail: `usable: ${usable.join(", ")}`, fix: null };
  const installed = providers.find((p) => p.installed);
  const subject = installed ?? providers[0];
  const detail = installed?.problem ?? `no provider CLI is installed (${subject?.title ?? "none"} is loki's first-class provider)`;
  return { name: "provider", status: "fail", version: subject?.version ?? null, detail, fix: subject?.fix ?? null };
}

/** The first real problem, in the order it has to be fixed. */
export function headlineOf(checks: readonly Check[]): string | null {
  const rank = (c: Check) => (HEADLINE_ORDER.includes(c.name) ? HEADLINE_ORDER.indexOf(c.name) : HEADLINE_ORDER.length);
  const first = checks.filter((c) => c.status === "fail").sort((a, b) => rank(a) - rank(b))[0];
  return first ? (first.fix ? `${first.detail}: ${first.fix}` : first.detail) : null;
}

async function checkGit(ctx: DetectContext): Promise<Check> {
  const result = await run(["git", "--version"], { cwd: ctx.cwd, timeoutMs: 10_000 });
  if (!result.ok)
    return {
      name: "git",
      status: "fail",
      version: null,
      detail: "git not found",
      fix: "install git (e.g. apt-get install git, brew install git)",
    };
  const version = /(\d+)\.(\d+)(\.\d+)?/.exec(result.stdout);
  const text = version?.[0] ?? null;
  const old = version && (Number(version[1]) < MIN_GIT[0] || (Number(version[1]) === MIN_GIT[0] && Number(version[2]) < MIN_GIT[1]));
  return old
    ? {
        name: "git",
        status: "warn",
        version: text,
        detail: `git ${text} is older than ${MIN_GIT.join(".")}; worktrees and diffs may misbehave`,
        fix: "upgrade git",
      }
    : { name: "git", status: "ok", version: text, detail: "found", fix: null };
}

function checkBun(): Check {
  const version = typeof Bun === "undefined" ? null : Bun.version;
  return version
    ? { name: "bun", status: "ok", version, detail: "runtime", fix: null }
    : { name: "bun", status: "fail", version: null, detail: "loki needs the Bun runtime", fix: "npm install -g bun" };
}
