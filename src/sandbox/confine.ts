// Graded commands (tests, build, lint: the project's code, which the agent may have written) run as
// the user would run them — same files, same network, writable — except that loki's private
// directories are empty, what loki itself runs later (PATH, its own code) is read-only, and nothing
// they start outlives them. Builds the bwrap argv (Linux); spawns nothing.
import { accessSync, constants, existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, normalize } from "node:path";
import { selfLaunchFiles, selfLocation } from "../core/self.ts";
import { userHome } from "../core/workspace.ts";
import { BWRAP_ISOLATION } from "./bwrap.ts";
import { engineSockets, runtimeDir, standardHidden, standardReadOnly, within } from "./policy.ts";
import { realPath } from "./wrap.ts";

/** A command that runs the project's code, put where `hidden` (real or not) shows empty directories. */
export type Confine = (argv: string[], cwd: string) => string[];

/**
 * bwrap with the host's whole filesystem bound writable (so a test writes its caches and reports as
 * it would anywhere), /dev and a /proc of its own PID namespace, then an empty tmpfs over each hidden
 * directory. A hidden directory that holds the working directory (a worktree under `.loki/worktrees`)
 * is emptied too, and the working directory bound back inside it. The user namespace without
 * capabilities keeps a root caller from unmounting the tmpfs to see beneath it.
 */
export function confineArgv(
  argv: string[],
  cwd: string,
  hidden: readonly string[],
  bwrap = "bwrap",
  readOnly: readonly ReadOnlyMount[] = [],
): string[] {
  const dir = realPath(cwd);
  const mounts: string[] = [];
  for (const mount of readOnly) mounts.push(...(mount.kind === "bind" ? ["--ro-bind", mount.path, mount.path] : ["--tmpfs", mount.path]));
  const rebind: string[] = [];
  for (const path of [...new Set(hidden.map(realPath))].sort((a, b) => a.length - b.length)) {
    // A hidden file reads as an empty, read-only regular file (project code that reads every file still
    // runs); a directory, or what does not exist yet, is an empty tmpfs.
    if (isFile(path)) {
      mounts.push("--ro-bind", emptyFile(), path);
      continue;
    }
    mounts.push("--tmpfs", path);
    if (within(dir, path)) rebind.push(dir);
  }
  for (const path of new Set(rebind)) mounts.push("--bind", path, path);
  return [
    bwrap,
    ...BWRAP_ISOLATION,
    "--bind",
    "/",
    "/",
    "--dev-bind",
    "/dev",
    "/dev",
    "--proc",
    "/proc",
    ...mounts,
    "--chdir",
    dir,
    "--",
    ...argv,
  ];
}

/**
 * The gates' confinement for the repository at `root`: what every agent role must not see
 * (policy.ts standardHidden: ~/.loki, the repository's .loki/, a run's private dir) and the run's spec
 * file (`spec`: every path it can be read at) are hidden.
 * Spread into a GateContext; empty without bwrap (then commands run as they are).
 */
export function gateConfinement(
  bwrap: string | null,
  root: string,
  privateRunDir?: string,
  spec: readonly string[] = [],
): { confine?: Confine } {
  if (bwrap === null) return {};
  // The spec names the held-out items: the project's code (which the agent wrote) must not copy it out.
  // In a CI build (LOKI_CI_BUILD, set by `loki ci build`) the machine is the job's, and its container
  // engine and session sockets would hand the project's code an unconfined process: hidden there. On a
  // developer's machine they stay, for test suites that start containers.
  const ci = process.env.LOKI_CI_BUILD === "1" ? [...engineSockets(), ...runtimeDir()] : [];
  const hidden = [...standardHidden(userHome(), root, privateRunDir), ...spec, ...ci];
  const readOnly = readOnlyMounts(protectedPaths(process.env), [root, ...hidden]);
  return { confine: (argv, cwd) => confineArgv(argv, cwd, hidden, bwrap, readOnly) };
}

/** A path the project's code must not change: bound read-only, or (missing) an empty tmpfs, so a
 *  directory on PATH it could create stays empty on the host. */
export type ReadOnlyMount = { kind: "bind" | "tmpfs"; path: string };

/**
 * What loki runs or reads as code after a graded command, outside any sandbox: every directory on its
 * PATH (a `git` planted there would run with loki's rights), its own code and runtime, the runtime's
 * and git's start-up files, and a CI runner's files that later steps act on ($RUNNER_TEMP, GITHUB_ENV…).
 */
export function protectedPaths(env: Record<string, string | undefined>): Protected {
  const home = userHome();
  const self = selfLocation();
  const ci = ["RUNNER_TEMP", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"].map((k) => env[k]);
  const absolute = (paths: (string | undefined)[]) => paths.filter((p): p is string => typeof p === "string" && isAbsolute(p));
  return {
    // git's own config directory is kept from being made too: the user's git (their `--pr` push) reads it.
    dirs: absolute([
      ...(env.PATH ?? "").split(":"),
      dirname(process.execPath),
      ...(self.compiled ? [] : [self.root]),
      join(home, ".config", "git"),
    ]),
    files: absolute([
      ...selfLaunchFiles(),
      ...standardReadOnly(home).slice(1),
      join(home, ".bunfig.toml"),
      join(env.XDG_CONFIG_HOME || join(home, ".config"), ".bunfig.toml"),
      join(home, ".npmrc"),
      ...ci,
    ]),
  };
}

/** Directories (a missing one is kept from being made), and files or directories (kept only if there). */
export type Protected = { dirs: string[]; files: string[] };

/**
 * The mounts for `paths`, leaving out any that holds or lies in what must stay as it is (`keep`: the
 * repository the command builds, the hidden directories). A missing directory under `home` (~/.local/bin,
 * ~/go/bin: where the user, and so the command, can make one) gets a tmpfs at its topmost missing
 * directory; elsewhere it is left alone (bwrap could not make that mount point, and running as root
 * says nothing about /proc or a read-only /usr).
 */
export function readOnlyMounts(paths: Protected, keep: readonly string[], home: string = userHome()): ReadOnlyMount[] {
  const userArea = realPath(home);
  const kept = keep.map(realPath);
  const mounts = new Map<string, ReadOnlyMount>();
  const dirs = new Set(paths.dirs);
  for (const raw of [...paths.dirs, ...paths.files]) {
    const path = realPath(normalize(raw));
    if (path === "/" || kept.some((k) => within(k, path) || within(path, k))) continue;
    if (existsSync(path)) {
      mounts.set(path, { kind: "bind", path });
      continue;
    }
    // A missing file stays missing: a tmpfs there would leave a directory where a dotfile belongs.
    if (!dirs.has(raw)) continue;
    let top = path;
    while (!existsSync(dirname(top)) && dirname(top) !== top) top = dirname(top);
    if (!within(dirname(top), userArea) || !writable(dirname(top)) || kept.some((k) => within(k, top) || within(top, k))) continue;
    mounts.set(top, { kind: "tmpfs", path: top });
  }
  // A missing directory inside a read-only bind needs nothing (nothing can make it there) and could not
  // get a mount point either. Parents before children: a bind must not cover a mount made inside it.
  const binds = [...mounts.values()].filter((m) => m.kind === "bind").map((m) => m.path);
  return [...mounts.values()]
    .filter((m) => m.kind === "bind" || !binds.some((b) => within(m.path, b)))
    .sort((a, b) => a.path.length - b.path.length);
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Anything but a directory (a socket, too) is hidden under an empty file; a directory under a tmpfs. */
function isFile(path: string): boolean {
  try {
    return !statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** An empty, read-only regular file of this user's, bound over each hidden file. */
function emptyFile(): string {
  const path = join(tmpdir(), `loki-empty-${process.getuid?.() ?? "user"}`);
  try {
    if (statSync(path).isFile() && statSync(path).size === 0) return path;
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Not there yet.
  }
  writeFileSync(path, "", { mode: 0o444 });
  return path;
}
