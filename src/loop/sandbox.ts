// What each agent call the loop makes shares — its settings and its sandbox: the role's policy
// (src/sandbox/) from the run's facts: the repository, the call's scratch dir, the provider's state,
// what must stay hidden (~/.loki, .loki/, the spec naming held-out items) and read-only (loki, the CLI).
import { existsSync, lstatSync, mkdirSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { callEndpoint, endpointOf } from "../core/endpoints.ts";
import { selfLaunchFiles } from "../core/self.ts";
import { userHome } from "../core/workspace.ts";
import { sandboxPolicy, standardHidden, engineSockets, runtimeDir, standardReadOnly, within, type SandboxRole } from "../sandbox/policy.ts";
import { sandboxCommand } from "../sandbox/wrap.ts";
import type { CallRequest } from "../providers/call.ts";
import type { LoopEnv, ReadyProvider } from "./env.ts";
import { lokiCodePaths, providerCodePaths } from "./integrity.ts";
import { cachesIn } from "../sandbox/caches.ts";
import { specPaths } from "../sandbox/spec-paths.ts";

/** `hidden`: what this call must not see besides what every call of its role does. */
export type CallSandbox = { role: SandboxRole; cwd: string; scratchDir: string; ready: ReadyProvider; hidden?: string[] };

/** What every agent call of the run shares: where it works, the run's rules and limits, its sandbox. */
export function callSettings(env: LoopEnv, call: CallSandbox) {
  return {
    cwd: call.cwd,
    scratchDir: call.scratchDir,
    denyRead: env.denyRead,
    allowRoot: env.allowRoot,
    sandboxed: env.sandbox !== null,
    wrap: sandboxFor(env, call),
    binaryPath: call.ready.binaryPath,
    help: call.ready.help,
    ...callEndpoint(env.config, call.ready.provider.id, env.env),
    env: env.env,
    signal: env.signal,
    timeoutMs: env.config.agent_timeout_seconds * 1000,
    idleTimeoutMs: env.config.agent_idle_seconds * 1000,
  };
}

/**
 * The paths a grader must not see (Provider.graderHidden) that are symbolic links: the sandbox hides a
 * path by mounting over what it resolves to, and the CLI would follow the link to its hooks and config —
 * so a grader call is refused instead, naming each link. An honest repository keeps none there.
 */
export function plantedLinks(provider: ReadyProvider["provider"], cwd: string, env: Record<string, string | undefined>): string[] {
  // In the copy under review only: a link in the user's home (a dotfile manager's) is theirs, not the agent's.
  const links = (provider.graderHidden?.(cwd, userHome(), env) ?? []).filter((path) => within(path, cwd) && isLink(path));
  return links.map((path) => `refused: ${path} is a symbolic link, and ${provider.id} would read its config, hooks or plugins through it`);
}

/** A grader path the sandbox may mount over: not a link, or a link outside `cwd` whose target neither is nor holds it. */
function hideable(path: string, cwd: string): boolean {
  if (!isLink(path)) return true;
  if (within(path, cwd)) return false;
  try {
    const target = realpathSync(path);
    return !within(target, cwd) && !within(cwd, target);
  } catch {
    return false;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

// selfLaunchFiles (core/self.ts): the files `selfCommand()` runs loki with are visible, read-only, wherever
// they lie — even under /tmp, which the sandbox makes private — so a call can start loki again
// (mcp.children: the agent's CLI starts `loki mcp` inside the sandbox).

/** The wrap for one call, or undefined when the run is unsandboxed. */
export function sandboxFor(env: LoopEnv, call: CallSandbox): CallRequest["wrap"] {
  const sandbox = env.sandbox;
  if (!sandbox) return undefined;
  const home = userHome();
  const root = env.record.ws.root;
  const provider = call.ready.provider;
  const stateDirs = provider.stateDirs(home, env.env, endpointOf(env.config, provider.id, env.env));
  for (const dir of stateDirs) if (!/\.json$/.test(dir)) mkdirSync(dir, { recursive: true });
  const policy = sandboxPolicy({
    role: call.role,
    repo: call.cwd,
    scratch: call.scratchDir,
    providerStateDirs: stateDirs.filter(existsSync),
    hidden: [
      ...standardHidden(home, root),
      ...engineSockets(),
      ...runtimeDir(),
      // A link is hidden through (its target is) only outside the copy under review, and never onto it:
      // plantedLinks refuses a grader call with a link inside it.
      ...(call.role === "build"
        ? specFile(env)
        : (provider.graderHidden?.(call.cwd, home, env.env) ?? []).filter((p) => hideable(p, call.cwd))),
      ...(call.hidden ?? []),
    ],
    readOnly: [...standardReadOnly(home), ...lokiCodePaths(), ...selfLaunchFiles(), ...providerInstall(call.ready.binaryPath)],
    ...(call.role === "build" && sandbox.gitCommonDir ? { gitCommonDir: sandbox.gitCommonDir } : {}),
  });
  const caches = cacheEnv(call.scratchDir);
  return (argv, callEnv) =>
    sandboxCommand(policy, realBinary(argv), { ...caches, ...callEnv }, sandbox.path ? { bwrap: sandbox.path } : {});
}

/**
 * HOME is read-only in the sandbox, so the package managers an agent runs (npm install, pip, go,
 * cargo, bun) keep their caches in the call's scratch dir instead of failing to write ~/.npm & co.
 */
export function cacheEnv(scratchDir: string): Record<string, string> {
  const cache = join(scratchDir, "cache");
  // An agent installs: its module and crate downloads land in scratch too.
  return { ...cachesIn(scratchDir), GOMODCACHE: join(cache, "go-mod"), CARGO_HOME: join(cache, "cargo") };
}

/** The spec file names the held-out items: the build agent must not read it, in the repository or not
 *  (every path outside the repository is readable in the sandbox unless hidden). */
function specFile(env: LoopEnv): string[] {
  return specPaths(env.spec.source.path, [env.record.ws.root]);
}

/**
 * The provider CLI the reviewers and the judge will run too: the files fingerprinted as its code, its
 * package directory (it may lie inside a writable state dir, e.g. ~/.claude/local) and, for an npm
 * install, the whole node_modules it came from (codex's native binary is a sibling package) — all
 * read-only, and visible even under /tmp, which the sandbox makes private.
 */
export function providerInstall(binaryPath: string): string[] {
  try {
    const real = realpathSync(binaryPath);
    const modules = real.lastIndexOf("/node_modules/");
    return [...providerCodePaths(binaryPath), dirname(real), ...(modules > 0 ? [real.slice(0, modules + "/node_modules".length)] : [])];
  } catch {
    return providerCodePaths(binaryPath);
  }
}

/** The binary by its real path: a symlink such as node_modules/.bin/claude is not mounted in the sandbox. */
export function realBinary(argv: string[]): string[] {
  try {
    return [realpathSync(argv[0] ?? ""), ...argv.slice(1)];
  } catch {
    return argv;
  }
}
