// A checkpoint's git calls (core/git.ts): the filter check read from .git/config when it can say
// "none" and git asked whenever it cannot, a filter reached through an include still never running,
// a commit that fails still failing, and the number of git processes a changed checkpoint takes.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { commitCheckpoint, configMayDefineFilters } from "../../src/core/git.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const saved = { ...process.env };
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
});

describe("whether the repository's config may define a filter", () => {
  test("a plain repository's config defines none: no git call is needed", async () => {
    await using repo = await tmpdir({ commit: true });
    expect(configMayDefineFilters(repo.path)).toBe(false);
  });

  test("a filter, an include, an includeIf, a config.worktree or a redirecting variable: git is asked", async () => {
    const cases: [string, (path: string) => void][] = [
      ["filter", (path) => git(path, ["config", "filter.x.clean", "cat"])],
      ["include", (path) => git(path, ["config", "include.path", "../other.cfg"])],
      ["includeIf", (path) => git(path, ["config", "includeIf.gitdir:/.path", "../other.cfg"])],
      ["config.worktree", (path) => writeFileSync(join(path, ".git", "config.worktree"), "")],
      ["GIT_CONFIG_COUNT", () => Object.assign(process.env, { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "filter.x.clean" })],
      ["GIT_DIR", () => Object.assign(process.env, { GIT_DIR: "/elsewhere" })],
    ];
    for (const [name, make] of cases) {
      await using repo = await tmpdir({ commit: true });
      make(repo.path);
      expect([name, configMayDefineFilters(repo.path)]).toEqual([name, true]);
      for (const variable of ["GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_DIR"]) delete process.env[variable];
    }
  });

  test("a linked worktree (.git is a file) or no repository at all: git is asked", async () => {
    await using repo = await tmpdir({ commit: true });
    git(repo.path, ["worktree", "add", "-q", join(repo.path, "wt")]);
    expect(configMayDefineFilters(join(repo.path, "wt"))).toBe(true);
    await using plain = await tmpdir();
    expect(configMayDefineFilters(plain.path)).toBe(true);
  });
});

describe("a checkpoint", () => {
  test("a filter driver defined in an included file never runs (plain git add runs it)", async () => {
    await using repo = await tmpdir({ commit: true });
    await using outside = await tmpdir();
    const marker = join(outside.path, "filter-ran");
    const script = join(outside.path, "filter.sh");
    writeFileSync(script, `#!/bin/sh\necho ran >> ${JSON.stringify(marker)}\ncat\n`);
    chmodSync(script, 0o755);
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

  test("a commit git refuses with changes staged is an error, never an unchanged iteration", async () => {
    await using repo = await tmpdir({ commit: true });
    // A name of only disallowed characters: git refuses to commit with it.
    git(repo.path, ["config", "user.name", "."]);
    repo.write("a.txt", "one\n");
    await expect(commitCheckpoint(repo.path, "loki: iteration 1")).rejects.toThrow("checkpoint commit failed");
  });

  test("a changed tree takes three git processes (add, commit, HEAD and its tree); an unchanged one asks what was staged", async () => {
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
    expect(commands()).toEqual(["add", "commit", "rev-parse"]);
    writeFileSync(trace, "");
    const unchanged = await commitCheckpoint(repo.path, "loki: iteration 3");
    expect(unchanged).toEqual({ ...changed, changed: false });
    expect(commands()).toEqual(["add", "commit", "diff", "rev-parse"]);
  });
});
