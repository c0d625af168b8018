// A held-out item's own `(verify: `cmd`)`: spec text, so it never becomes a host command. It runs only
// when the spec is a local file, only inside the judge's sandbox (repo read-only, ~/.loki and .loki/
// hidden), with a minimal environment (no tokens). Otherwise it is not run: the judge decides.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { run, type ExecResult } from "../core/exec.ts";
import { git } from "../core/git.ts";
import type { SpecSource } from "../core/schema.ts";
import type { SandboxAvailability } from "../sandbox/detect.ts";
import { sandboxPolicy, standardHidden, standardReadOnly } from "../sandbox/policy.ts";
import { sandboxCommand } from "../sandbox/wrap.ts";
import { cachesIn } from "../sandbox/caches.ts";

export const NOT_FROM_TRACKER = "not run: verify commands from a tracker issue are never executed";

/** How this run treats verify commands; decided once per evaluation. */
export type CommandMode =
  | { mode: "sandboxed"; sandbox: SandboxAvailability }
  | { mode: "unsandboxed" }
  | { mode: "not-run"; reason: string };

/** Why a spec's verify commands must not run, whatever the sandbox: null for a local spec file (pure). */
export function refusalFor(source: SpecSource): string | null {
  if (source.kind === "issue" || source.tracker !== undefined) return NOT_FROM_TRACKER;
  if (source.path === undefined)
    return `not run: verify commands run only from a local spec file, and this spec is a ${source.kind} given on the command line`;
  return null;
}

/** The spec's source first, then the sandbox (pure). Only `--no-sandbox` runs a command bare. */
export function commandMode(source: SpecSource, sandbox: SandboxAvailability, allowUnsandboxed: boolean): CommandMode {
  const refused = refusalFor(source);
  if (refused !== null) return { mode: "not-run", reason: refused };
  if (sandbox.available) return { mode: "sandboxed", sandbox };
  if (allowUnsandboxed) return { mode: "unsandboxed" };
  return {
    mode: "not-run",
    reason: `not run: no sandbox is available (${sandbox.reason ?? "no reason given"}), and verify commands run only inside it`,
  };
}

/**
 * What a verify command sees of the environment: enough to find tools and speak UTF-8, nothing of
 * loki's or the user's credentials (tokens, API keys, cloud and git credentials all stay behind).
 */
export function commandEnv(home: string, from: Record<string, string | undefined> = process.env): Record<string, string> {
  return { PATH: from.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: home, LANG: from.LANG ?? "C.UTF-8", TERM: "dumb", CI: "true" };
}

export type CommandRun = { root: string; home: string; privateRunDir?: string; timeoutMs: number };
export type CommandVerdict = { status: "pass" | "fail" | "unknown"; evidence: string };

/** Runs one command in the mode given (never "not-run"); exit 0 passes, a timeout is unknown. */
export async function runVerifyCommand(
  mode: Exclude<CommandMode, { mode: "not-run" }>,
  command: string,
  options: CommandRun,
): Promise<CommandVerdict> {
  const env = commandEnv(options.home);
  if (mode.mode === "unsandboxed") {
    const result = await run(["sh", "-c", command], { cwd: options.root, env, replaceEnv: true, timeoutMs: options.timeoutMs });
    return verdictOf(command, result, " (unsandboxed)");
  }
  const scratch = mkdtempSync(join(tmpdir(), "loki-verify-"));
  try {
    const policy = sandboxPolicy({
      role: "judge",
      repo: options.root,
      scratch,
      providerStateDirs: [],
      hidden: standardHidden(options.home, options.root, options.privateRunDir),
      readOnly: standardReadOnly(options.home),
      ...(await gitDirOf(options.root)),
    });
    const wrapped = sandboxCommand(
      policy,
      ["sh", "-c", command],
      { ...env, ...buildCaches(scratch) },
      mode.sandbox.kind === "bwrap" && mode.sandbox.path ? { bwrap: mode.sandbox.path } : {},
    );
    const result = await run(wrapped.argv, { cwd: options.root, env: wrapped.env, replaceEnv: true, timeoutMs: options.timeoutMs });
    return verdictOf(command, result, "");
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The repository and HOME are read-only to a verify command: what a build writes as it runs (cargo's
 * target/, go's build cache, package caches) goes to the command's scratch dir, so `cargo test` or
 * `go test` can pass here as in a shell.
 */
function buildCaches(scratch: string): Record<string, string> {
  return { ...cachesIn(scratch), CARGO_TARGET_DIR: join(scratch, "target"), PYTHONDONTWRITEBYTECODE: "1" };
}

function verdictOf(command: string, result: ExecResult, note: string): CommandVerdict {
  if (result.timedOut) return { status: "unknown", evidence: `\`${command}\` timed out${note}` };
  if (result.spawnError) return { status: "unknown", evidence: `\`${command}\` could not start${note}: ${result.spawnError}` };
  return { status: result.ok ? "pass" : "fail", evidence: `\`${command}\` exited ${result.exitCode ?? `on ${result.signal}`}${note}` };
}

/** The repo's git dir, read-only too: a linked worktree's may lie outside it (even under /tmp). */
async function gitDirOf(root: string): Promise<{ gitCommonDir?: string }> {
  const result = await git(["rev-parse", "--path-format=absolute", "--git-common-dir"], { cwd: root, timeoutMs: 10_000 });
  const dir = result.ok ? result.stdout.trim() : "";
  return isAbsolute(dir) ? { gitCommonDir: dir } : {};
}
