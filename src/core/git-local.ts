// What a repository's own .git directory says where git's rule is a file's presence or bytes, read
// without a git spawn: a merge in progress (MERGE_HEAD), and answers that are a function of the config
// file's bytes. Anything less plain than a `.git` directory at the top level says "unknown": ask git.
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sha256 } from "./hash.ts";

/** Variables that point git at another git directory, work tree or config than `<root>/.git`'s own. */
const RELOCATING = ["GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CONFIG", "GIT_CONFIG_SYSTEM"] as const;

/**
 * `<root>/.git` when it is a directory (not a link, not a gitfile) that is its own common directory,
 * and nothing in the environment points git elsewhere: git then reads exactly this directory. Else null.
 */
export function plainGitDir(root: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (RELOCATING.some((name) => env[name] !== undefined)) return null;
  const dir = join(root, ".git");
  try {
    if (!lstatSync(dir).isDirectory()) return null;
    // A linked worktree's git directory names its common one: its config and refs are there.
    return existsSync(join(dir, "commondir")) ? null : dir;
  } catch {
    return null;
  }
}

/**
 * Whether a merge is in progress (git's own test: the file $GIT_DIR/MERGE_HEAD exists), or null when
 * the git directory is not plain. Without one, `git commit` commits only a staged change: with nothing
 * staged it exits 1 ("nothing to commit"), it never makes a commit of an unchanged tree.
 */
export function mergeInProgress(root: string): boolean | null {
  const dir = plainGitDir(root);
  if (dir === null) return null;
  return lstatSync(join(dir, "MERGE_HEAD"), { throwIfNoEntry: false }) !== undefined;
}

/**
 * The bytes every hardened git call reads its repository configuration from (no system or global
 * file: core/git.ts), hashed; null when that is not one plain file: a git directory that is not plain,
 * a per-worktree config, or an include (whose target can change while this file does not).
 */
export function configIdentity(root: string): string | null {
  const dir = plainGitDir(root);
  if (dir === null || existsSync(join(dir, "config.worktree"))) return null;
  let bytes: Buffer;
  try {
    const path = join(dir, "config");
    if (!lstatSync(path).isFile()) return null;
    bytes = readFileSync(path);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "absent" : null;
  }
  if (/include/i.test(bytes.toString("latin1"))) return null;
  return sha256(bytes);
}

/**
 * `compute`'s answer, asked again only when the repository's configuration bytes differ from those it
 * was last asked with (configIdentity; a hash loki takes of what it reads, which nothing can forge), or
 * are not plain. For answers that depend on the repository configuration alone.
 */
export function byConfig<T>(compute: (root: string) => Promise<T>): (root: string) => Promise<T> {
  const last = new Map<string, { identity: string; answer: Promise<T> }>();
  return (root) => {
    const identity = configIdentity(root);
    const known = last.get(root);
    if (identity !== null && known?.identity === identity) return known.answer;
    const answer = compute(root);
    if (identity === null) last.delete(root);
    else {
      last.set(root, { identity, answer });
      // A failed answer is never kept.
      answer.catch(() => {
        if (last.get(root)?.answer === answer) last.delete(root);
      });
    }
    return answer;
  };
}
