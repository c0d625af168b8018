// Every path a run's spec can be read at — as given, through its symlinks, and in each checkout of the
// same repository (a delegated run's worktree, a review copy) — for the sandbox and the gates to hide:
// the spec names the held-out items. Reads the file system only (realpath, .git pointers).
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";

/**
 * Every path the spec can be read at: as given, its real path (through any symlink), and — when it lies
 * in a git checkout — the same file in each of `checkouts` (a delegated run's worktree, a review copy),
 * which check out the same tree. Never a path that holds a checkout (an OpenSpec change at its root).
 */
export function specPaths(spec: string | undefined, checkouts: readonly string[]): string[] {
  if (!spec || !isAbsolute(spec)) return [];
  let real = spec;
  try {
    real = realpathSync(spec);
  } catch {
    // A spec gone since it was read: its path is still hidden.
  }
  const top = checkoutOf(dirname(real));
  const rel = top ? relative(top, real) : "";
  // Only checkouts of the spec's own repository hold the same file (a spec in a notes repository or a
  // dotfiles HOME says nothing of this project's paths).
  const same = top ? checkouts.filter((c) => sameRepository(top, c)) : [];
  const inCheckouts = rel !== "" && !rel.startsWith("..") ? same.map((c) => join(c, rel)) : [];
  const holdsCheckout = (path: string) => checkouts.some((c) => c === path || c.startsWith(`${path}/`));
  return [...new Set([spec, real, ...inCheckouts])].filter((path) => !holdsCheckout(path));
}

/** Whether `checkout` is `top` or a worktree of its repository (its `.git` file points into top's .git). */
function sameRepository(top: string, checkout: string): boolean {
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  const home = real(top);
  if (real(checkout) === home) return true;
  try {
    const pointer = /^gitdir: (.+)$/m.exec(readFileSync(join(checkout, ".git"), "utf8"))?.[1]?.trim() ?? "";
    return real(pointer).startsWith(`${join(home, ".git")}/`);
  } catch {
    return false;
  }
}

/** The nearest directory at or above `dir` with a `.git` entry (a repository or a worktree). */
function checkoutOf(dir: string): string | null {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, ".git"))) return at;
    if (dirname(at) === at) return null;
  }
}
