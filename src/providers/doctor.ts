// Environment diagnosis for `loki doctor`: git, the Bun runtime, and every provider CLI (installed,
// version, login), each failing check with the exact command that fixes it. No network calls.
import { run } from "../core/exec.ts";
import { detectProvider, type DetectContext, type ProviderStatus } from "./detect.ts";
import { loadProviders } from "./registry.ts";

export type Check = { name: string; status: "ok" | "warn" | "fail"; version: string | null; detail: string; fix: string | null };
export type DoctorReport = {
  schema_version: 1;
  ok: boolean;
  checks: Check[];
  providers: ProviderStatus[];
  usable_providers: string[];
};

const MIN_GIT: [number, number] = [2, 25];

export async function diagnose(ctx: DetectContext): Promise<DoctorReport> {
  const records = await loadProviders();
  const [git, providers] = await Promise.all([checkGit(ctx), Promise.all(records.map((record) => detectProvider(record, ctx)))]);
  const usable = providers.filter((p) => p.usable).map((p) => p.id);
  const checks: Check[] = [git, checkBun()];
  // With none usable, the fix is installing the first-class provider (first in preference order).
  const firstClass = records[0]?.install ?? null;
  checks.push(
    usable.length > 0
      ? { name: "provider", status: "ok", version: null, detail: `usable: ${usable.join(", ")}`, fix: null }
      : { name: "provider", status: "fail", version: null, detail: "no provider CLI is installed and logged in", fix: firstClass },
  );
  return { schema_version: 1, ok: checks.every((c) => c.status !== "fail"), checks, providers, usable_providers: usable };
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
