// Read-only review copies: each reviewer (or judge) works in its own detached git worktree of HEAD.
// Hashes after the review — of its copy against a pristine checkout, of the user's tree and of HEAD
// against before — catch any write, by any tool (Bash included); the user's tree is restored and the
// verdict marked as a mutation. Copies a killed run left behind are removed by removeReviewCopies.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { join, sep } from "node:path";
import { workspaceAt } from "../core/workspace.ts";
import { gitError } from "../core/errors.ts";
import { filtersOff, git, headSha, treeOf, workingTreeHash } from "../core/git.ts";

export type Isolated<T> = { label: string; result: T; mutation: string | null };

/** Runs `work` for each label concurrently (or one by one) in its own worktree; never lets a
 *  write survive. A change to the user's tree cannot be attributed within a concurrent batch, so
 *  it marks every reviewer of that batch. */
export async function inReviewTrees<T>(
  root: string,
  labels: readonly string[],
  parallel: boolean,
  work: (label: string, dir: string) => Promise<T>,
): Promise<Isolated<T>[]> {
  const head = await headSha(root);
  if (!head) throw gitError("nothing to review: the repository has no commits");
  // Every hash here seeds its index from `head` (one git call fewer each): before and after agree on it.
  const mainBefore = await workingTreeHash(root, head);
  // git serializes badly when worktrees are added or removed concurrently: set up and tear down one
  // at a time; only the reviews themselves run side by side.
  const trees: { label: string; dir: string }[] = [];
  for (const label of labels) {
    const dir = join(workspaceAt(root).reviewCopies, `${label}-${randomBytes(3).toString("hex")}`);
    try {
      await addCopy(root, dir, head);
    } catch (error) {
      await removeTrees(
        root,
        trees.map((t) => t.dir),
      );
      throw error;
    }
    trees.push({ label, dir });
  }
  const pristine = pristineCheck(root, head);
  const one = async (tree: (typeof trees)[number]): Promise<Isolated<T>> => {
    const result = await work(tree.label, tree.dir);
    const changed = (await pristine(await workingTreeHash(tree.dir, head))) ? null : await changedPaths(tree.dir);
    return { label: tree.label, result, mutation: changed === null ? null : `wrote to its review copy (${changed})` };
  };
  const results: Isolated<T>[] = [];
  try {
    if (parallel) results.push(...(await Promise.all(trees.map(one))));
    else for (const tree of trees) results.push(await one(tree));
  } finally {
    await removeTrees(
      root,
      trees.map((t) => t.dir),
    );
  }
  const moved = (await headSha(root)) !== head;
  const touched = (await workingTreeHash(root, head)) !== mainBefore;
  if (moved || touched) {
    await restore(root, head);
    const what = moved ? "moved HEAD of the repository" : "changed the repository's working tree";
    return results.map((r) => ({ ...r, mutation: r.mutation ?? `${what} (reverted)` }));
  }
  return results;
}

/** A detached worktree of `head` at `dir`, or a gitError saying why not. */
async function addCopy(root: string, dir: string, head: string): Promise<void> {
  // A checkout runs smudge filters: none of the repository's own (filtersOff, core/git.ts).
  const add = await git([...(await filtersOff(root)), "worktree", "add", "--quiet", "--detach", dir, head], {
    cwd: root,
    timeoutMs: 120_000,
  });
  if (!add.ok) throw gitError(`could not create a review copy: ${add.digest}`);
}

/**
 * Whether a copy's hash is that of an untouched checkout of `head`: the commit's own tree, or — when
 * checkout filters (eol conversion, attributes) make a fresh checkout hash otherwise — the hash of a
 * throwaway copy no reviewer ever saw, made once on first need.
 */
function pristineCheck(root: string, head: string): (hash: string) => Promise<boolean> {
  let tree: Promise<string | null> | undefined;
  let fresh: Promise<string> | undefined;
  const freshCopy = async (): Promise<string> => {
    const dir = join(workspaceAt(root).reviewCopies, `pristine-${randomBytes(3).toString("hex")}`);
    try {
      await addCopy(root, dir, head);
      return await workingTreeHash(dir, head);
    } finally {
      await removeTrees(root, [dir]);
    }
  };
  return async (hash) => {
    tree ??= treeOf(root, head);
    if (hash === (await tree)) return true;
    fresh ??= freshCopy();
    return hash === (await fresh);
  };
}

/** Worktrees removed one by one; `worktree prune` only for one git could not remove itself. */
async function removeTrees(root: string, dirs: string[]): Promise<void> {
  let leftover = false;
  for (const dir of dirs) {
    const removed = await git(["worktree", "remove", "--force", dir], { cwd: root, timeoutMs: 60_000 });
    leftover ||= !removed.ok;
    rmSync(dir, { recursive: true, force: true });
  }
  if (leftover) await git(["worktree", "prune"], { cwd: root, timeoutMs: 60_000 });
}

/**
 * Remove every review copy under the repository's .loki/tmp/review — the git worktrees registered
 * there and whatever is left on disk — for copies a killed run could not remove. Returns how many.
 */
export async function removeReviewCopies(root: string): Promise<number> {
  const base = workspaceAt(root).reviewCopies;
  const list = await git(["worktree", "list", "--porcelain"], { cwd: root, timeoutMs: 60_000 });
  const prefixes = [base, existsSync(base) ? realpathSync(base) : join(realpathSync(root), ".loki", "tmp", "review")].map((p) => p + sep);
  const registered = list.stdout
    .split("\n")
    .filter((line) => line.startsWith("worktree "))
    .map((line) => line.slice("worktree ".length))
    .filter((dir) => prefixes.some((prefix) => dir.startsWith(prefix)));
  const onDisk = existsSync(base) ? readdirSync(base).length : 0;
  if (registered.length === 0 && onDisk === 0) return 0;
  await removeTrees(root, registered);
  rmSync(base, { recursive: true, force: true });
  return Math.max(registered.length, onDisk);
}

async function changedPaths(dir: string): Promise<string> {
  const status = await git([...(await filtersOff(dir)), "status", "--porcelain", "--untracked-files=all"], { cwd: dir, timeoutMs: 30_000 });
  const paths = status.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => line.slice(3));
  return paths.length > 0 ? paths.slice(0, 5).join(", ") + (paths.length > 5 ? ", …" : "") : "its git state";
}

/** Back to the reviewed commit: tracked files reset, untracked (not ignored) files removed. */
async function restore(root: string, head: string): Promise<void> {
  await git([...(await filtersOff(root)), "reset", "--quiet", "--hard", head], { cwd: root, timeoutMs: 120_000 });
  await git(["clean", "-fdq"], { cwd: root, timeoutMs: 120_000 });
}
