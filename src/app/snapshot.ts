// The private copy a container project is run from: the working tree's files as git sees them (tracked
// and untracked, not ignored), without .git/, .loki/ or a spec that names held-out items. The agent
// cannot touch the copy (it lies under .loki/, hidden from it), so what loki checked is what runs.
import { copyFileSync, existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { git } from "../core/git.ts";
import { runSpecPath } from "../core/run-spec.ts";

/** Beyond these, the copy is refused: a container project should not need a tree this large to start. */
const MAX_FILES = 100_000;
const MAX_BYTES = 1024 * 1024 * 1024;

/** Where the copy of the repository at `root` lives. */
export const snapshotDir = (root: string) => join(root, ".loki", "tmp", "app-src");

/** The run's spec file, relative to `root`, when it lies in the repository (it names held-out items). */
export function specInTree(root: string): string | null {
  const path = runSpecPath(root);
  if (!path) return null;
  const rel = relative(root, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? null : rel;
}

/** Copies the tree into snapshotDir(root) afresh; throws with the reason when it cannot. */
export async function snapshotTree(root: string): Promise<{ dir: string; files: number; bytes: number }> {
  const listed = await git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, timeoutMs: 60_000 });
  if (!listed.ok) throw new Error(`git ls-files failed in ${root}: ${listed.digest || listed.stderr.trim()}`);
  const spec = specInTree(root);
  const dir = snapshotDir(root);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let files = 0;
  let bytes = 0;
  for (const path of new Set(listed.stdout.split("\0"))) {
    if (!path || path === spec || path === ".git" || path === ".loki" || path.startsWith(".git/") || path.startsWith(".loki/")) continue;
    const from = join(root, path);
    const stat = lstatSync(from, { throwIfNoEntry: false });
    // Listed but gone (deleted, not yet committed): not part of the tree as it is.
    if (!stat) continue;
    files += 1;
    bytes += stat.size;
    if (files > MAX_FILES || bytes > MAX_BYTES)
      throw new Error(`the working tree is too large to run as a container project (over ${MAX_FILES} files or 1 GB)`);
    const to = join(dir, path);
    mkdirSync(dirname(to), { recursive: true });
    // A link stays a link: the compose policy then sees where it points, and refuses what leaves the tree.
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (stat.isFile()) copyFileSync(from, to);
  }
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  return { dir, files, bytes };
}
