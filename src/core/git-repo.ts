// Which repository and work tree a command grades, read in one spawn (repoHead: top level, git dir,
// HEAD, info/attributes, taken only in their exact shape; gradingRevisions: what a run's iteration grades
// against its base) and checked (ownWorkTree: the work tree is the git dir's own, not one a `core.worktree`
// setting points elsewhere). `loki verify` starts with them.
import { lstatSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { gitError } from "./errors.ts";
import { type GitDirs, git, type HeadAndTree, headAndTree, headSha, repoRoot } from "./git.ts";

/**
 * The repository's top level, its git directory (absolute), its HEAD commit (null before the first
 * commit) and where $GIT_DIR/info/attributes is (absolute), in one spawn. Only output of exactly that
 * shape is taken: a path with a line break in it could pass for the next answer. Otherwise repoRoot and
 * headSha say what is wrong (not a repository, no commit yet), or the answer's shape is the error.
 */
export async function repoHead(
  dir: string,
): Promise<{ root: string; head: string; gitDir: string; infoAttributes: string } | { root: string; head: null }> {
  const result = await git(
    ["rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-path", "info/attributes", "--verify", "--quiet", "HEAD"],
    { cwd: dir, timeoutMs: 10_000 },
  );
  const lines = result.stdout.split("\n");
  const [root, gitDir, info, head, end] = lines;
  if (result.ok && lines.length === 5 && end === "" && root && gitDir && info && head && /^[0-9a-f]{40,64}$/.test(head))
    return { root, gitDir, head, infoAttributes: resolve(dir, info) };
  const top = await repoRoot(dir);
  if ((await headSha(top)) === null) return { root: top, head: null };
  throw gitError(`git's answer for ${dir} (top level, git directory, HEAD) is not one line each`, {
    hint: "is there a line break in the name of the repository's directory or of its git directory? verify from a checkout without one",
  });
}

/** gradingRevisions' answer: readSubject's revisions, HEAD's tree, the base commit's id and GitDirs. */
export type GradingRevisions = { top: string; head: string; headTree: string; infoAttributes: string; baseSha: string; dirs: GitDirs };

/**
 * What grading HEAD against `base` reads of the repository, in one spawn: the top level, HEAD, its tree
 * and $GIT_DIR/info/attributes (readSubject's revisions), the base commit's id, and the git directories
 * with the base's tree (the git_integrity gate's GitDirs); `loki verify <base>` takes its repository, HEAD
 * and base commit from it too. Null when git's answer is not exactly that shape — a bad base, a path with a
 * line break: the callers then ask as they would alone, and say what is wrong.
 */
export async function gradingRevisions(dir: string, base: string): Promise<GradingRevisions | null> {
  if (base.trim() === "" || base.startsWith("-")) return null;
  const asked = ["--show-toplevel", "--git-path", "info/attributes", "--git-dir", "--git-common-dir"];
  const result = await git(["rev-parse", ...asked, "HEAD", "HEAD^{tree}", `${base}^{commit}`, `${base}^{tree}`, "--"], {
    cwd: dir,
    timeoutMs: 10_000,
  });
  const lines = result.stdout.split("\n");
  const [top, info, gitDir, commonDir, head, headTree, baseSha, baseTree, dashes, end] = lines;
  const id = /^[0-9a-f]{40,64}$/;
  const shaped = result.ok && lines.length === 10 && dashes === "--" && end === "";
  if (!shaped || !top || !info || !gitDir || !commonDir || !head || !headTree || !baseSha || !baseTree) return null;
  if (![head, headTree, baseSha, baseTree].every((sha) => id.test(sha))) return null;
  const dirs = { gitDir: resolve(dir, gitDir), commonDir: resolve(dir, commonDir), startSha: base, startTree: baseTree };
  return { top, head, headTree, infoAttributes: resolve(dir, info), baseSha, dirs };
}

/**
 * A checkpoint's readHead (core/git.ts commitCheckpoint) that reads gradingRevisions in the same spawn:
 * HEAD and its tree for the checkpoint, and, in `grading`, what the iteration's grading reads next.
 */
export async function headForGrading(dir: string, base: string): Promise<HeadAndTree & { grading: GradingRevisions | null }> {
  const grading = await gradingRevisions(dir, base);
  if (grading) return { sha: grading.head, tree: grading.headTree, grading };
  return { ...(await headAndTree(dir)), grading: null };
}

/**
 * Whether `root` is the work tree `gitDir`'s own layout gives: its `.git` is that directory, or a
 * file naming it (a linked worktree, a submodule, --separate-git-dir). False when a `core.worktree`
 * setting points git at another directory — one holding another repository, say.
 */
export function ownWorkTree(root: string, gitDir: string): boolean {
  const dotGit = join(root, ".git");
  try {
    const same = (path: string) => realpathSync(path) === realpathSync(gitDir);
    const stat = lstatSync(dotGit);
    if (stat.isDirectory()) return same(dotGit);
    const named = stat.isFile() ? /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"))?.[1] : undefined;
    return named !== undefined && same(resolve(root, named.trim()));
  } catch {
    return false;
  }
}

/**
 * The branch HEAD is on, read from `gitDir`'s HEAD file (no git process): its name under refs/heads/, as
 * `git symbolic-ref --short HEAD` gives it; null when HEAD is detached (a commit id). Undefined when the
 * file is anything else — unreadable, a symbolic link, a ref outside refs/heads/, the reftable backend's
 * placeholder: the caller asks git.
 */
export function headBranchOf(gitDir: string): string | null | undefined {
  let text: string;
  try {
    const path = join(gitDir, "HEAD");
    if (!lstatSync(path).isFile()) return undefined;
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  if (/^[0-9a-f]{40}(?:[0-9a-f]{24})?\n$/.test(text)) return null;
  const name = /^ref: refs\/heads\/([^\n]+)\n$/.exec(text)?.[1];
  return name === undefined || name === ".invalid" ? undefined : name;
}
