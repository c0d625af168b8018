// Graded commands (tests, build, lint: the project's code, which the agent may have written) run as
// the user would run them — same files, same network, writable — except that loki's private
// directories are empty and nothing they start outlives them. Builds the bwrap argv (Linux); spawns
// nothing. A hidden directory that does not exist yet gets its (empty) mount point made by bwrap.
import { rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { userHome } from "../core/workspace.ts";
import { BWRAP_ISOLATION } from "./bwrap.ts";
import { standardHidden, within } from "./policy.ts";
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
export function confineArgv(argv: string[], cwd: string, hidden: readonly string[], bwrap = "bwrap"): string[] {
  const dir = realPath(cwd);
  const mounts: string[] = [];
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
  const hidden = [...standardHidden(userHome(), root, privateRunDir), ...spec];
  return { confine: (argv, cwd) => confineArgv(argv, cwd, hidden, bwrap) };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
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
