// headBranchOf reads the branch from the git directory's HEAD file instead of asking git: it must name
// what `git symbolic-ref --short HEAD` names (null when detached), and leave anything else to git.
import { describe, expect, test } from "bun:test";
import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gradingRevisions, headBranchOf, repoHead } from "../../src/core/git-repo.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const gitDirOf = (dir: string) => git(dir, ["rev-parse", "--absolute-git-dir"]).trim();
const symbolic = (dir: string) => {
  const result = Bun.spawnSync(["git", "symbolic-ref", "--quiet", "--short", "HEAD"], { cwd: dir });
  return result.exitCode === 0 ? result.stdout.toString().trim() : null;
};

describe("headBranchOf", () => {
  test("a branch, one with slashes, a detached HEAD and a linked worktree: what git says", async () => {
    await using repo = await tmpdir({ commit: true });
    for (const branch of ["main", "feature/deep/name", "loki/issue-7"]) {
      git(repo.path, ["checkout", "-q", "-B", branch]);
      expect(headBranchOf(gitDirOf(repo.path))).toBe(symbolic(repo.path) ?? "");
    }
    git(repo.path, ["checkout", "-q", "--detach"]);
    expect(headBranchOf(gitDirOf(repo.path))).toBeNull();
    expect(symbolic(repo.path)).toBeNull();
    const linked = join(repo.path, "..", `linked-${Date.now()}`);
    git(repo.path, ["worktree", "add", "-q", "-b", "side", linked]);
    try {
      expect(headBranchOf(gitDirOf(linked))).toBe("side");
      expect(symbolic(linked)).toBe("side");
    } finally {
      rmSync(linked, { recursive: true, force: true });
    }
  });

  test("anything else is left to git: a HEAD that is a link, a ref outside refs/heads/, the reftable placeholder", async () => {
    await using repo = await tmpdir({ commit: true });
    const dir = gitDirOf(repo.path);
    writeFileSync(join(dir, "HEAD"), "ref: refs/remotes/origin/main\n");
    expect(headBranchOf(dir)).toBeUndefined();
    writeFileSync(join(dir, "HEAD"), "ref: refs/heads/.invalid\n");
    expect(headBranchOf(dir)).toBeUndefined();
    writeFileSync(join(dir, "HEAD.real"), "ref: refs/heads/main\n");
    rmSync(join(dir, "HEAD"));
    symlinkSync(join(dir, "HEAD.real"), join(dir, "HEAD"));
    expect(headBranchOf(dir)).toBeUndefined();
  });
});

describe("gradingRevisions, as `loki verify <base>` reads the repository and its base in one spawn", () => {
  test("repoHead's answer and the base's commit, exactly as each alone gives them", async () => {
    await using repo = await tmpdir({ commit: true });
    const base = git(repo.path, ["rev-parse", "HEAD"]).trim();
    git(repo.path, ["tag", "v1"]);
    writeFileSync(join(repo.path, "b.txt"), "b\n");
    git(repo.path, ["add", "b.txt"]);
    git(repo.path, ["commit", "-qm", "b"]);
    for (const ref of [base, "v1", "HEAD~1", "HEAD^"]) {
      const read = await gradingRevisions(repo.path, ref);
      const alone = await repoHead(repo.path);
      expect(read && { root: read.top, head: read.head, gitDir: read.dirs.gitDir, infoAttributes: read.infoAttributes }).toEqual(
        alone as never,
      );
      expect(read?.baseSha).toBe(base);
    }
  });

  test("null, for the caller to ask each on its own, whenever the one answer is not exactly that shape", async () => {
    await using repo = await tmpdir({ commit: true });
    for (const ref of ["nosuch", "HEAD~1..HEAD", "-x", "", " ", "HEAD:README.md", "a\nb"])
      expect(await gradingRevisions(repo.path, ref)).toBeNull();
    await using empty = await tmpdir({});
    git(empty.path, ["init", "-q"]);
    expect(await gradingRevisions(empty.path, "main")).toBeNull();
  });
});
