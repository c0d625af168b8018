// Review copies a killed run left behind: the git worktrees under .loki/tmp/review and whatever is
// left on disk there are removed; other worktrees (a delegated run's) are kept.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { removeReviewCopies } from "../../src/review/review-tree.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const worktrees = (root: string) =>
  git(root, ["worktree", "list", "--porcelain"])
    .split("\n")
    .filter((line) => line.startsWith("worktree "))
    .map((line) => line.slice("worktree ".length));

describe("removing review copies", () => {
  test("registered copies and stray directories under .loki/tmp/review go; a delegated run's worktree stays", async () => {
    await using dir = await tmpdir({ commit: true });
    const review = join(dir.path, ".loki", "tmp", "review");
    git(dir.path, ["worktree", "add", "--quiet", "--detach", join(review, "security-a1b2c3"), "HEAD"]);
    git(dir.path, ["worktree", "add", "--quiet", "--detach", join(review, "judge-d4e5f6"), "HEAD"]);
    const delegated = join(dir.path, ".loki", "worktrees", "run-1");
    git(dir.path, ["worktree", "add", "--quiet", "--detach", delegated, "HEAD"]);
    dir.write(".loki/tmp/review/requirements-000000/half-copied.js", "x\n");
    expect(worktrees(dir.path)).toHaveLength(4);

    expect(await removeReviewCopies(dir.path)).toBe(3);
    expect(existsSync(review)).toBe(false);
    const left = worktrees(dir.path);
    expect(left).toHaveLength(2);
    expect(left.some((path) => path.endsWith(join(".loki", "worktrees", "run-1")))).toBe(true);
    expect(existsSync(join(delegated, "README.md"))).toBe(true);
  });

  test("nothing to remove: 0, and the repository untouched", async () => {
    await using dir = await tmpdir({ commit: true });
    expect(await removeReviewCopies(dir.path)).toBe(0);
    mkdirSync(join(dir.path, ".loki", "tmp", "review"), { recursive: true });
    expect(await removeReviewCopies(dir.path)).toBe(0);
    expect(worktrees(dir.path)).toHaveLength(1);
  });
});
