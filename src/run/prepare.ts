// Everything checked before the first dollar is spent: the repository (a clean tree with a commit),
// no run already active, the provider chain installed and logged in (root opt-in), the help cache.
import { isAbsolute, relative } from "node:path";
import type { Config, ProviderId } from "../core/config.ts";
import { gitError, LokiError, usageError } from "../core/errors.ts";
import { dirtyFiles, git, headSha } from "../core/git.ts";
import type { Workspace } from "../core/workspace.ts";
import { authOf, locateProvider } from "../providers/detect.ts";
import { readProviderHelp } from "../providers/help.ts";
import { failoverChain, loadProvider } from "../providers/registry.ts";
import { heldOutStorePath } from "../spec/heldout-store.ts";
import { readStatus } from "./status.ts";
import type { ReadyProvider, RunSandbox } from "../loop/env.ts";
import { detectSandbox } from "../sandbox/detect.ts";
import type { Spec } from "../core/schema.ts";
import { dirname } from "node:path";

export function assertNoActiveRun(ws: Workspace, self: number = process.pid): void {
  const status = readStatus(ws.root);
  const live = ["starting", "running", "paused", "stopping"].includes(status.status);
  if (live && status.pid_alive && status.pid !== self) {
    throw usageError(`run ${status.run_id} is already active here (pid ${status.pid})`, {
      hint: "watch it with `loki status`, or end it with `loki stop`",
    });
  }
}

/** The commit the run starts from; the tree must be clean so loki's checkpoints hold only its work. */
export async function assertCleanStart(root: string): Promise<string> {
  const head = await headSha(root);
  if (!head) throw gitError("this repository has no commits yet", { hint: 'make one first: git add -A && git commit -m "initial"' });
  const dirty = await dirtyFiles(root);
  if (dirty.length > 0) {
    const list = dirty
      .slice(0, 5)
      .map((line) => line.slice(3))
      .join(", ");
    throw usageError(`the working tree has uncommitted changes (${list}${dirty.length > 5 ? ", …" : ""})`, {
      hint: "commit or stash them first (git stash -u), so loki's checkpoints contain only the agent's work",
    });
  }
  return head;
}

/**
 * The sandbox every agent call of this run gets, found before any spend. None here is a refusal
 * (exit 3, with the install command) unless the user chose an unsandboxed run (--no-sandbox).
 */
export async function prepareSandbox(config: Config, root: string, warn: (line: string) => void): Promise<RunSandbox | null> {
  if (!config.sandbox) {
    warn(`${UNSANDBOXED} (--no-sandbox)`);
    return null;
  }
  const found = await detectSandbox();
  if (!found.available) {
    throw new LokiError("sandbox", `no sandbox for the agent: ${found.reason ?? "none found"}`, {
      hint: `${found.install ?? "install bubblewrap"}; or run unsandboxed with --no-sandbox (${UNSANDBOXED})`,
    });
  }
  const common = await git(["rev-parse", "--path-format=absolute", "--git-common-dir"], { cwd: root, timeoutMs: 10_000 });
  const commonDir = common.ok ? common.stdout.trim() : null;
  // A linked worktree's objects and refs live in the main checkout's .git: the build agent's git needs them.
  return { ...found, gitCommonDir: commonDir && !commonDir.startsWith(`${root}/`) ? commonDir : null };
}

/** How every output says a run was not sandboxed. */
export const UNSANDBOXED = "unsandboxed: held-out secrecy and state integrity not enforced";

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** Load, locate, check login and read --help for each provider of the chain. The primary must be usable. */
export async function prepareProviders(
  config: Config,
  chain: ProviderId[],
  ctx: { env: Record<string, string | undefined>; cwd: string; allowRoot: boolean; sandboxed: boolean; warn: (line: string) => void },
): Promise<Map<ProviderId, ReadyProvider>> {
  const ready = new Map<ProviderId, ReadyProvider>();
  for (const [index, id] of chain.entries()) {
    const info = await loadProvider(id);
    const binaryPath = locateProvider(info, ctx);
    const auth = authOf(info, ctx).auth;
    const problem = !binaryPath ? `${info.title} is not installed` : auth === "missing" ? `${info.title} is not logged in` : undefined;
    if (problem) {
      if (index === 0) throw new LokiError("provider", problem, { hint: !binaryPath ? info.install : info.login });
      ctx.warn(`${problem}; dropped from the failover chain`);
      continue;
    }
    // In loki's sandbox Claude Code may run as root (IS_SANDBOX=1): only an unsandboxed run needs the opt-in.
    if (id === "claude" && isRoot() && !ctx.allowRoot && !ctx.sandboxed) {
      if (index === 0) {
        throw new LokiError("provider", "loki is running as root, and Claude Code refuses to skip permission prompts as root", {
          hint: "run as a normal user, or opt in to its sandbox mode (IS_SANDBOX=1) with --yes or allow_root: true in loki.yaml — only in a disposable machine or container",
        });
      }
      ctx.warn("claude dropped from the failover chain: running as root without --yes");
      continue;
    }
    ready.set(id, { provider: info, binaryPath: binaryPath as string, help: await readProviderHelp(info, binaryPath as string) });
  }
  return ready;
}

export function providerChain(config: Config): ProviderId[] {
  return failoverChain(config.provider, config.failover);
}

/** What the build agent must not read: loki's spec copy, the held-out commitment and store, and
 *  the spec file itself when it lives in the repository (it names the held-out items). */
export function denyReadPaths(ws: Workspace, spec: Spec, runId: string): string[] {
  const paths = [dirname(ws.spec), ws.heldOut, dirname(heldOutStorePath(ws.root, runId)), ws.dir + "/state"];
  const file = spec.source.path;
  if (file && isAbsolute(file) && !relative(ws.root, file).startsWith("..")) paths.push(file);
  return paths;
}
