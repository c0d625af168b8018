// core/git-local.ts on real repositories: a merge in progress and the config's identity are read from
// a plain .git directory only; a gitfile, a commondir, an include or a variable that moves git's
// directory makes them unknown, and an answer kept by config is asked again once the config's bytes change.
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { byConfig, configIdentity, mergeInProgress, plainGitDir } from "../../src/core/git-local.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const saved = process.env.GIT_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.GIT_DIR;
  else process.env.GIT_DIR = saved;
});

describe("git-local", () => {
  test("a merge in progress is MERGE_HEAD in a plain .git directory, unknown anywhere else", async () => {
    await using repo = await tmpdir({ commit: true });
    expect(mergeInProgress(repo.path)).toBe(false);
    writeFileSync(join(repo.path, ".git", "MERGE_HEAD"), `${git(repo.path, ["rev-parse", "HEAD"])}`);
    expect(mergeInProgress(repo.path)).toBe(true);
    // A linked worktree's .git is a file: git's directory is elsewhere.
    const linked = join(repo.path, "..", `linked-${Date.now()}`);
    git(repo.path, ["worktree", "add", "-q", "--detach", linked, "HEAD"]);
    try {
      expect(plainGitDir(linked)).toBeNull();
      expect(mergeInProgress(linked)).toBeNull();
    } finally {
      rmSync(linked, { recursive: true, force: true });
    }
    writeFileSync(join(repo.path, ".git", "commondir"), "../elsewhere\n");
    expect(mergeInProgress(repo.path)).toBeNull();
  });

  test("GIT_DIR in the environment makes the directory unknown", async () => {
    await using repo = await tmpdir({ commit: true });
    process.env.GIT_DIR = join(repo.path, ".git");
    expect(plainGitDir(repo.path)).toBeNull();
  });

  test("the config's identity changes with its bytes and is unknown with an include", async () => {
    await using repo = await tmpdir({ commit: true });
    const first = configIdentity(repo.path);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    git(repo.path, ["config", "filter.x.clean", "cat"]);
    expect(configIdentity(repo.path)).not.toBe(first);
    git(repo.path, ["config", "include.path", "/dev/null"]);
    expect(configIdentity(repo.path)).toBeNull();
  });

  test("byConfig asks again when the config changes, and every time when it is not plain", async () => {
    await using repo = await tmpdir({ commit: true });
    let asked = 0;
    const answer = byConfig(async () => ++asked);
    expect([await answer(repo.path), await answer(repo.path)]).toEqual([1, 1]);
    git(repo.path, ["config", "core.x", "1"]);
    expect(await answer(repo.path)).toBe(2);
    writeFileSync(join(repo.path, ".git", "config.worktree"), "");
    expect([await answer(repo.path), await answer(repo.path)]).toEqual([3, 4]);
  });
});
