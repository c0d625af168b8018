// A checkpoint's git calls (core/git.ts): a filter driver reached through an include, through a
// .git/commondir the agent wrote, or written into .git/config after an earlier checkpoint never runs, a
// pending merge of an unchanged tree is no checkpoint, a commit that fails still fails, the git
// processes a checkpoint takes, and a loop's checkpoint reading what its grading reads next in the same rev-parse.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { commitCheckpoint } from "../../src/core/git.ts";
import { gradingRevisions, headForGrading } from "../../src/core/git-repo.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const saved = { ...process.env };
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
});

/** A filter driver's clean command in `dir` that leaves a marker file when it runs (on the host). */
function filterDriver(dir: string): { marker: string; script: string } {
  const marker = join(dir, "filter-ran");
  const script = join(dir, "filter.sh");
  writeFileSync(script, `#!/bin/sh\necho ran >> ${JSON.stringify(marker)}\ncat\n`);
  chmodSync(script, 0o755);
  return { marker, script };
}

describe("a checkpoint", () => {
  test("a filter driver defined in an included file never runs (plain git add runs it)", async () => {
    await using repo = await tmpdir({ commit: true });
    await using outside = await tmpdir();
    const { marker, script } = filterDriver(outside.path);
    const included = join(outside.path, "included.cfg");
    writeFileSync(included, `[filter "ev"]\n\tclean = ${script}\n`);
    git(repo.path, ["config", "include.path", included]);
    repo.write(".gitattributes", "* filter=ev\n");
    repo.write("a.txt", "as written\n");
    const checkpoint = await commitCheckpoint(repo.path, "loki: iteration 1");
    expect(checkpoint.changed).toBe(true);
    expect(existsSync(marker)).toBe(false);
    expect(git(repo.path, ["show", "HEAD:a.txt"])).toBe("as written\n");
  });

  test("a filter driver in the config a .git/commondir the agent wrote points to never runs", async () => {
    await using repo = await tmpdir({ commit: true });
    await using outside = await tmpdir();
    const { marker, script } = filterDriver(outside.path);
    // The agent's own common dir: git's objects, refs and info through links, and a config with a filter.
    const own = join(repo.path, ".agentgit");
    mkdirSync(own);
    for (const part of ["objects", "refs", "info", "HEAD"]) symlinkSync(join(repo.path, ".git", part), join(own, part));
    writeFileSync(join(own, "config"), `[core]\n\trepositoryformatversion = 0\n[filter "x"]\n\tclean = ${script}\n`);
    writeFileSync(join(repo.path, ".git", "commondir"), "../.agentgit\n");
    repo.write(".gitattributes", "*.txt filter=x\n");
    repo.write("a.txt", "as written\n");
    await commitCheckpoint(repo.path, "loki: iteration 1").catch(() => undefined);
    expect(existsSync(marker)).toBe(false);
  });

  test("a filter driver the agent adds to .git/config after a checkpoint never runs in the next one", async () => {
    await using repo = await tmpdir({ commit: true });
    await using outside = await tmpdir();
    repo.write("a.txt", "zero\n");
    await commitCheckpoint(repo.path, "loki: iteration 1");
    const { marker, script } = filterDriver(outside.path);
    git(repo.path, ["config", "filter.late.clean", script]);
    repo.write(".gitattributes", "*.txt filter=late\n");
    repo.write("a.txt", "as written\n");
    expect((await commitCheckpoint(repo.path, "loki: iteration 2")).changed).toBe(true);
    expect(existsSync(marker)).toBe(false);
    expect(git(repo.path, ["show", "HEAD:a.txt"])).toBe("as written\n");
  });

  test("nothing changed and no merge pending: no commit, HEAD as it was", async () => {
    await using repo = await tmpdir({ commit: true });
    const start = git(repo.path, ["rev-parse", "HEAD"]).trim();
    const checkpoint = await commitCheckpoint(repo.path, "loki: iteration 1");
    expect(checkpoint).toMatchObject({ sha: start, changed: false });
    expect(git(repo.path, ["rev-list", "--count", "HEAD"]).trim()).toBe("1");
  });

  test("a merge the agent left pending over an unchanged tree makes no checkpoint commit", async () => {
    await using repo = await tmpdir({ commit: true });
    const start = git(repo.path, ["rev-parse", "HEAD"]).trim();
    git(repo.path, ["checkout", "-q", "-b", "side"]);
    repo.write("side.txt", "side\n");
    git(repo.path, ["add", "-A"]);
    git(repo.path, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "side"]);
    git(repo.path, ["checkout", "-q", "-"]);
    git(repo.path, ["-c", "user.name=t", "-c", "user.email=t@t", "merge", "-q", "-s", "ours", "--no-commit", "side"]);
    const checkpoint = await commitCheckpoint(repo.path, "loki: iteration 1");
    expect(checkpoint).toMatchObject({ sha: start, changed: false });
    expect(git(repo.path, ["rev-parse", "HEAD"]).trim()).toBe(start);
  });

  test("a commit git refuses with changes staged is an error, never an unchanged iteration", async () => {
    await using repo = await tmpdir({ commit: true });
    // A name of only disallowed characters: git refuses to commit with it.
    git(repo.path, ["config", "user.name", "."]);
    repo.write("a.txt", "one\n");
    await expect(commitCheckpoint(repo.path, "loki: iteration 1")).rejects.toThrow("checkpoint commit failed");
  });

  test("a changed tree takes three git processes (add, commit, HEAD and its tree) once the filters are known; an unchanged one four", async () => {
    await using repo = await tmpdir({ commit: true });
    // The commit identity is read once per repository and process: by the first checkpoint, untraced.
    repo.write("a.txt", "zero\n");
    await commitCheckpoint(repo.path, "loki: iteration 1");
    await using outside = await tmpdir();
    const trace = join(outside.path, "trace2.json");
    process.env.GIT_TRACE2_EVENT = trace;
    repo.write("a.txt", "one\n");
    const changed = await commitCheckpoint(repo.path, "loki: iteration 2");
    const commands = () =>
      readFileSync(trace, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { event: string; argv?: string[] })
        .filter((event) => event.event === "start")
        .map((event) => (event.argv ?? []).filter((arg, i, all) => arg !== "-c" && all[i - 1] !== "-c")[1]);
    expect(changed.changed).toBe(true);
    // The filters were read by the first checkpoint, and .git/config has not changed since.
    expect(commands()).toEqual(["add", "commit", "rev-parse"]);
    writeFileSync(trace, "");
    const unchanged = await commitCheckpoint(repo.path, "loki: iteration 3");
    expect(unchanged).toEqual({ ...changed, changed: false });
    // commit refuses to commit nothing (no merge pending): what was staged is asked only then.
    expect(commands()).toEqual(["add", "commit", "diff", "rev-parse"]);
  });

  test("a loop's checkpoint reads HEAD with what grading reads next, in its one rev-parse; a bad base falls back to HEAD alone", async () => {
    await using repo = await tmpdir({ commit: true });
    const base = git(repo.path, ["rev-parse", "HEAD"]).trim();
    repo.write("a.txt", "one\n");
    const checkpoint = await commitCheckpoint(repo.path, "loki: iteration 1", [], (dir) => headForGrading(dir, base));
    const head = git(repo.path, ["rev-parse", "HEAD"]).trim();
    expect(checkpoint).toMatchObject({ changed: true, sha: head, tree: git(repo.path, ["rev-parse", "HEAD^{tree}"]).trim() });
    expect(checkpoint.grading).toEqual(await gradingRevisions(repo.path, base));
    expect(checkpoint.grading).toMatchObject({ head, baseSha: base, dirs: { startSha: base, commonDir: join(repo.path, ".git") } });
    repo.write("a.txt", "two\n");
    const fallback = await commitCheckpoint(repo.path, "loki: iteration 2", [], (dir) => headForGrading(dir, "f".repeat(40)));
    expect(fallback).toMatchObject({ changed: true, sha: git(repo.path, ["rev-parse", "HEAD"]).trim(), grading: null });
  });
});
