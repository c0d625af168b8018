// Which base `loki verify` grades from: explicit, upstream, origin/HEAD, main, master; the merge
// base (not the base's tip); --uncommitted; and shallow CI clones that lack the base (exit 3).
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Evidence } from "../../src/core/evidence-schema.ts";
import { loki } from "../helpers/cli.ts";
import { git } from "../helpers/tmp.ts";
import { commitAll, verifyJson, verifyRepo } from "../helpers/verify-repo.ts";

// Each test runs the real CLI several times (and real test suites): well past the 5 s default.
setDefaultTimeout(60_000);

const BASE = { "README.md": "# fixture\n" };
const CHANGE = { "src/a.txt": "one\ntwo\n" };

const verify = async (cwd: string, args: string[] = []): Promise<Evidence> => (await verifyJson(cwd, ["--only", "diff", ...args])).evidence;

describe("default base", () => {
  test("the upstream of the current branch comes first", async () => {
    await using repo = await verifyRepo(BASE);
    git(repo.path, ["checkout", "-q", "-b", "dev", "main"]);
    const dev = repo.commit({ "dev.txt": "dev\n" });
    git(repo.path, ["checkout", "-q", "-b", "topic", "--track", "dev"]);
    repo.commit(CHANGE);
    const evidence = await verify(repo.path);
    expect(evidence.repo).toMatchObject({ base_ref: "dev", base: dev, branch: "topic" });
    expect(evidence.subject).toMatchObject({ files: 1, insertions: 2 });
  });

  test("origin/HEAD when there is no upstream (a CI clone)", async () => {
    await using repo = await verifyRepo(BASE, CHANGE, { origin: true });
    const evidence = await verify(repo.path);
    expect(evidence.repo).toMatchObject({ base_ref: "origin/main", base: repo.base });
  });

  test("an upstream that is the branch's own pushed copy is skipped for origin/HEAD", async () => {
    await using repo = await verifyRepo(BASE, CHANGE, { origin: true });
    git(repo.path, ["push", "-q", "-u", "origin", "feature"]);
    const evidence = await verify(repo.path);
    expect(evidence.repo.base_ref).toBe("origin/main");
    expect(evidence.subject.files).toBe(1);
  });

  test("main when there is no remote", async () => {
    await using repo = await verifyRepo(BASE, CHANGE);
    expect((await verify(repo.path)).repo).toMatchObject({ base_ref: "main", base: repo.base });
  });

  test("master when there is no main", async () => {
    await using repo = await verifyRepo(BASE, CHANGE, { defaultBranch: "master" });
    expect((await verify(repo.path)).repo).toMatchObject({ base_ref: "master", base: repo.base });
  });

  test("the diff starts at the merge base, not at the base's newer commits", async () => {
    await using repo = await verifyRepo(BASE, CHANGE);
    git(repo.path, ["checkout", "-q", "main"]);
    repo.commit({ "later-on-main.txt": "x\n" });
    git(repo.path, ["checkout", "-q", "feature"]);
    const evidence = await verify(repo.path);
    expect(evidence.repo.base).toBe(repo.base);
    expect(evidence.subject.files).toBe(1);
  });

  test("an explicit base: a branch name or a sha", async () => {
    await using repo = await verifyRepo(BASE, CHANGE);
    const second = repo.commit({ "src/b.txt": "b\n" });
    expect((await verify(repo.path, ["main"])).subject.files).toBe(2);
    const evidence = await verify(repo.path, [second.slice(0, 10)]);
    expect(evidence.repo).toMatchObject({ base: second, base_ref: second.slice(0, 10) });
    expect(evidence.subject.files).toBe(0);
  });
});

describe("--uncommitted", () => {
  test("adds modified and untracked files; without it they are not graded", async () => {
    await using repo = await verifyRepo(BASE, CHANGE);
    repo.write({ "README.md": "# fixture\nedited\n", "new.txt": "untracked\n" });
    const committed = await verify(repo.path);
    expect(committed.subject).toMatchObject({ files: 1, includes_worktree: false });
    const all = await verify(repo.path, ["--uncommitted"]);
    expect(all.subject).toMatchObject({ files: 3, insertions: 4, includes_worktree: true });
  });

  test("turns an empty diff into a graded one", async () => {
    await using repo = await verifyRepo(BASE);
    expect((await verify(repo.path)).gates[0]?.status).toBe("fail");
    repo.write({ "wip.txt": "work in progress\n" });
    expect((await verify(repo.path, ["--uncommitted"])).gates[0]?.status).toBe("pass");
  });
});

describe("shallow clones", () => {
  test("a depth-1 clone of the feature branch has no base → exit 3 with fetch-depth: 0", async () => {
    await using repo = await verifyRepo(BASE, CHANGE, { origin: true });
    git(repo.path, ["push", "-q", "origin", "feature"]);
    commitAll(repo.path, { "more.txt": "more\n" });
    git(repo.path, ["push", "-q", "origin", "feature"]);
    git(repo.root, ["clone", "-q", "--depth", "1", "--branch", "feature", `file://${join(repo.root, "origin.git")}`, "shallow"]);
    const shallow = join(repo.root, "shallow");
    for (const base of ["main", "origin/main"]) {
      const result = await loki(["verify", base], { cwd: shallow });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`unknown base "${base}"`);
      expect(result.stderr).toContain("fetch-depth: 0");
    }
  });

  test("a depth-1 clone that has the base's tip but not the common history → exit 3 with fetch-depth: 0", async () => {
    await using repo = await verifyRepo(BASE, CHANGE, { origin: true });
    git(repo.path, ["push", "-q", "origin", "feature"]);
    git(repo.root, [
      "clone",
      "-q",
      "--depth",
      "1",
      "--no-single-branch",
      "--branch",
      "feature",
      `file://${join(repo.root, "origin.git")}`,
      "shallow",
    ]);
    const result = await loki(["verify", "origin/main"], { cwd: join(repo.root, "shallow") });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("no common ancestor in this shallow clone");
    expect(result.stderr).toContain("fetch-depth: 0");
  });
});
