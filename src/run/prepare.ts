// Everything checked before the first dollar is spent: the repository (clean, with a commit, on a
// branch), a prompt the model can take (`plan` refuses it too), and the machine checks shared by
// `start`/`resume` (which refuse) and `plan` (which warns): provider installed, logged in, sandbox, root.
import { isAbsolute, relative } from "node:path";
import type { Config, ProviderId } from "../core/config.ts";
import { configuredEndpoints } from "../core/endpoints.ts";
import { gitError, LokiError, specError, usageError } from "../core/errors.ts";
import { configLevers, modelFor } from "../core/models.ts";
import { dirtyFiles, git, headSha } from "../core/git.ts";
import type { Workspace } from "../core/workspace.ts";
import { authOf, type DetectContext, locateProvider, providerProblem } from "../providers/detect.ts";
import { readProviderHelp } from "../providers/help.ts";
import type { LocatedBinary } from "../providers/locate.ts";
import type { Provider } from "../providers/provider.ts";
import { failoverChain, loadProvider } from "../providers/registry.ts";
import { heldOutStorePath } from "../spec/heldout-store.ts";
import { heldOutIds } from "../spec/heldout.ts";
import { promptFit, promptTooLarge } from "../plan/prompt-limit.ts";
import { promptBytes } from "../loop/prompt.ts";
import { skillsFor } from "../loop/skills.ts";
import { multiServiceReason } from "../app/contract.ts";
import type { ReadyProvider, RunSandbox } from "../loop/env.ts";
import { detectSandbox, type SandboxAvailability } from "../sandbox/detect.ts";
import type { Spec } from "../core/schema.ts";
import { dirname } from "node:path";

/**
 * The commit the run starts from; the tree must be clean so loki's checkpoints hold only its work,
 * and on a branch — the one `--branch` names (a valid name, not checked out in another worktree),
 * else the current one: checkpoints on a detached HEAD would be orphaned by the next checkout.
 */
export async function assertCleanStart(root: string, branch?: string): Promise<string> {
  const head = await headSha(root);
  if (!head) throw gitError("this repository has no commits yet", { hint: 'make one first: git add -A && git commit -m "initial"' });
  if (branch === undefined) {
    if (!(await git(["symbolic-ref", "--quiet", "HEAD"], { cwd: root, timeoutMs: 10_000 })).ok)
      throw gitError(
        `HEAD is detached (at ${head.slice(0, 12)}): a run's checkpoints would be on no branch, and the next checkout would orphan them`,
        {
          hint: "switch to a branch first (git switch -c <name>), or give the run one: loki start --branch <name>",
        },
      );
  } else await assertUsableBranch(root, branch);
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

async function assertUsableBranch(root: string, branch: string): Promise<void> {
  const valid = branch.trim() !== "" && (await git(["check-ref-format", "--branch", branch], { cwd: root, timeoutMs: 10_000 })).ok;
  if (!valid)
    throw usageError(`--branch ${JSON.stringify(branch)} is not a branch name git accepts`, {
      hint: "give a name such as loki/feature (or leave --branch out to work on the current branch)",
    });
  const listed = await git(["worktree", "list", "--porcelain"], { cwd: root, timeoutMs: 10_000 });
  const elsewhere = listed.stdout
    .split("\n\n")
    .map((block) => ({ path: /^worktree (.+)$/m.exec(block)?.[1], ref: /^branch (.+)$/m.exec(block)?.[1] }))
    .find((w) => w.ref === `refs/heads/${branch}` && w.path !== undefined && w.path !== root);
  if (elsewhere)
    throw usageError(`branch ${branch} is checked out in another worktree (${elsewhere.path})`, {
      hint: `run loki there (cd ${elsewhere.path}), or choose another --branch`,
    });
}

/**
 * A spec whose first build prompt — rendered as the loop renders it, held-out items left out — would
 * not fit the build model's window is refused (exit 3) before anything is written: no run could send it.
 */
export function assertPromptFits(
  spec: Spec,
  config: Pick<Config, "provider" | "model" | "models" | "max_tier" | "heldout" | "max_iterations">,
): void {
  const hidden: ReadonlySet<string> = config.heldout ? heldOutIds(spec) : new Set();
  const items = hidden.size === 0 ? spec.items : spec.items.filter((item) => !hidden.has(item.id));
  // Measured as rendered, without rendering it: the first prompt of a 20,000-item spec is over 1 MB.
  const bytes = promptBytes({
    spec: { title: spec.title, ...(spec.summary ? { summary: spec.summary } : {}) },
    items,
    heldOutCount: hidden.size,
    iteration: 1,
    maxIterations: config.max_iterations,
    feedback: [],
    pastFailures: [],
    skills: skillsFor("build", "build", undefined, {
      multi_service: multiServiceReason([spec.title, spec.summary ?? "", ...items.map((item) => item.text)]) !== null,
    }),
  });
  const provider = config.provider as ProviderId;
  const model = modelFor({ provider, tier: spec.complexity.tier, phase: "act", levers: configLevers(config) }).model;
  const fit = promptFit(bytes, model, provider);
  if (fit.fits) return;
  throw specError(promptTooLarge(fit), {
    hint: "split the spec and run the parts one after another, or pass only the part to build now",
    data: { bytes: fit.bytes, tokens: fit.tokens, limit_tokens: fit.limitTokens, model: fit.model },
  });
}

/** One reason `loki start` refuses before any spend, and the command that fixes it. */
export type Refusal = { check: "install" | "login" | "sandbox" | "root"; message: string; fix: string };

/** The rule for the sandbox: none available is a refusal, unless the user chose an unsandboxed run. */
export function sandboxRefusal(wanted: boolean, found: SandboxAvailability | null): Refusal | null {
  if (!wanted || !found || found.available) return null;
  return {
    check: "sandbox",
    message: `no sandbox for the agent: ${found.reason ?? "none found"}`,
    fix: `${found.install ?? "install bubblewrap"}; or run unsandboxed with --no-sandbox (${UNSANDBOXED})`,
  };
}

/** A provider checked against the rules: usable (with the binary to spawn), or the refusal. */
export type CheckedProvider = { found: LocatedBinary; refusal: null } | { found: LocatedBinary | null; refusal: Refusal };

/** The rules for a provider: installed, then logged in (the fix written as it runs from `ctx.cwd`), then root. */
export function checkProvider(
  info: Pick<Provider, "id" | "title" | "binary" | "install" | "login" | "auth">,
  ctx: DetectContext & { run: { root: boolean; allowRoot: boolean; sandboxed: boolean } },
): CheckedProvider {
  const found = locateProvider(info, ctx);
  const problem = providerProblem(info, found, authOf(info, ctx).auth, ctx);
  if (problem) return { found, refusal: { check: found ? "login" : "install", message: problem.message, fix: problem.fix } };
  if (!found) return { found, refusal: { check: "install", message: `${info.title} is not installed`, fix: info.install } };
  const root = rootRefusal(info.id, ctx.run);
  return root ? { found, refusal: root } : { found, refusal: null };
}

/** The rule for root: Claude Code refuses to skip its permission prompts as root unless opted in;
 *  in loki's sandbox it may (IS_SANDBOX=1), so only an unsandboxed run needs the opt-in. */
export function rootRefusal(id: ProviderId, run: { root: boolean; allowRoot: boolean; sandboxed: boolean }): Refusal | null {
  if (id !== "claude" || !run.root || run.allowRoot || run.sandboxed) return null;
  return {
    check: "root",
    message: "loki is running as root, and Claude Code refuses to skip permission prompts as root",
    fix: "run as a normal user, or opt in to its sandbox mode (IS_SANDBOX=1) with --yes or allow_root: true in loki.yaml — only in a disposable machine or container",
  };
}

function refuse(refusal: Refusal): LokiError {
  return new LokiError(refusal.check === "sandbox" ? "sandbox" : "provider", refusal.message, { hint: refusal.fix });
}

const FIX_ORDER: readonly Refusal["check"][] = ["install", "login", "sandbox", "root"];

/**
 * Why `loki start` with this configuration would refuse right now on this machine — the primary
 * provider's first problem and the sandbox's — in the order they have to be fixed (a sandbox makes
 * the root rule moot): what `plan` warns about. The same rules start applies, nothing run.
 */
export async function startRefusals(config: Config, ctx: DetectContext): Promise<Refusal[]> {
  const [sandbox, info] = await Promise.all([config.sandbox ? detectSandbox() : null, loadProvider(config.provider)]);
  const run = { root: isRoot(), allowRoot: config.allow_root, sandboxed: sandbox?.available === true };
  const endpoints = configuredEndpoints(config, ctx.env);
  return [checkProvider(info, { ...ctx, run, endpoints }).refusal, sandboxRefusal(config.sandbox, sandbox)]
    .filter((r) => r !== null)
    .sort((a, b) => FIX_ORDER.indexOf(a.check) - FIX_ORDER.indexOf(b.check));
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
  const refusal = sandboxRefusal(true, found);
  if (refusal) throw refuse(refusal);
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
  const run = { root: isRoot(), allowRoot: ctx.allowRoot, sandboxed: ctx.sandboxed };
  const endpoints = configuredEndpoints(config, ctx.env);
  for (const [index, id] of chain.entries()) {
    const info = await loadProvider(id);
    const checked = checkProvider(info, { ...ctx, run, endpoints });
    if (checked.refusal) {
      if (index === 0) throw refuse(checked.refusal);
      ctx.warn(`${checked.refusal.message}; ${id} dropped from the failover chain`);
      continue;
    }
    ready.set(id, { provider: info, binaryPath: checked.found.path, help: await readProviderHelp(info, checked.found.path) });
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
