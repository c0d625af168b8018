// Git as loki runs it cannot be redefined by the repository or the user's config: hooks, fsmonitor,
// replace objects and diff settings an agent plants change nothing loki reads or runs. Each attack
// is shown to be real with plain git first (the honest twin), then shown to fail against loki.
import { describe, expect, test } from "bun:test";
import { appendFileSync, chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  commitCheckpoint,
  dirtyFiles,
  filtersOff,
  gitArgv,
  git as hardenedGit,
  headSha,
  switchBranch,
  workingTreeHash,
} from "../../src/core/git.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { prepareWorktree } from "../../src/deliver/worktree.ts";
import { git, tmpdir } from "../helpers/tmp.ts";
import { absolutePath } from "../../src/core/pinned.ts";

function plant(path: string, marker: string): string {
  writeFileSync(path, `#!/bin/sh\necho ran >> ${JSON.stringify(marker)}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A repo with `file` at `before`, then a commit changing it to `after`; the start sha and loki's change. */
async function committedEdit(file: string, before: string, after: string) {
  const repo = await tmpdir({ commit: true, files: { [file]: before } });
  const start = git(repo.path, ["rev-parse", "HEAD"]).trim();
  repo.write(file, after);
  git(repo.path, ["commit", "-qam", "edit"]);
  return { repo, start, change: await readSubject(repo.path, start, { includeWorktree: false }) };
}

describe("hardened git", () => {
  test("a hook the agent writes never runs in loki's checkpoint commit (plain git would run it)", async () => {
    await using repo = await tmpdir({ commit: true });
    const marker = join(repo.path, "..", `hook-ran-${Date.now()}`);
    for (const hook of ["pre-commit", "commit-msg", "post-commit", "post-checkout"]) plant(join(repo.path, ".git", "hooks", hook), marker);
    repo.write("a.txt", "one\n");
    const checkpoint = await commitCheckpoint(repo.path, "loki: iteration 1");
    expect(checkpoint.changed).toBe(true);
    expect(existsSync(marker)).toBe(false);
    repo.write("b.txt", "two\n");
    git(repo.path, ["add", "-A"]);
    git(repo.path, ["commit", "-qm", "plain"]);
    expect(existsSync(marker)).toBe(true);
  });

  test("a filter driver the agent defines never runs in a checkpoint, a tree hash or a checkout (plain git add runs it)", async () => {
    await using repo = await tmpdir({ commit: true });
    const marker = join(repo.path, "..", `filter-ran-${Date.now()}`);
    const script = plant(join(repo.path, "..", `filter-${Date.now()}.sh`), marker);
    // The agent's two writes: an attribute naming a driver, and the driver's commands in .git/config
    // (a name with a dot, as config subsections allow).
    repo.write(".gitattributes", "* filter=ev.il\n");
    for (const setting of ["clean", "smudge"]) git(repo.path, ["config", `filter.ev.il.${setting}`, `${script} %f; cat`]);
    repo.write("a.txt", "one\n");
    const checkpoint = await commitCheckpoint(repo.path, "loki: iteration 1");
    expect(checkpoint.changed).toBe(true);
    await workingTreeHash(repo.path);
    const copy = join(repo.path, "..", `copy-${Date.now()}`);
    const checkout = await hardenedGit([...(await filtersOff(repo.path)), "worktree", "add", "--quiet", "--detach", copy, "HEAD"], {
      cwd: repo.path,
    });
    expect(checkout.ok).toBe(true);
    expect(existsSync(marker)).toBe(false);
    // The content went in as written: no filter rewrote it.
    expect(git(repo.path, ["show", "HEAD:a.txt"])).toBe("one\n");
    repo.write("b.txt", "two\n");
    git(repo.path, ["add", "-A"]);
    expect(existsSync(marker)).toBe(true);
  });

  test("a checkpoint names its commit and that commit's tree, a file named HEAD notwithstanding; nothing before a first commit", async () => {
    await using empty = await tmpdir({ git: true });
    expect(await commitCheckpoint(empty.path, "loki: iteration 1")).toEqual({ sha: null, tree: null, changed: false });
    await using repo = await tmpdir({ commit: true });
    repo.write("HEAD", "a file, not a revision\n");
    const checkpoint = await commitCheckpoint(repo.path, "loki: iteration 1");
    expect(checkpoint).toEqual({
      sha: git(repo.path, ["rev-parse", "HEAD"]).trim(),
      tree: git(repo.path, ["rev-parse", "HEAD^{tree}"]).trim(),
      changed: true,
    });
    expect(await commitCheckpoint(repo.path, "loki: iteration 2")).toEqual({ ...checkpoint, changed: false });
  });

  test("core.fsmonitor in .git/config is not run by loki's status or tree hash (plain git status runs it)", async () => {
    await using repo = await tmpdir({ commit: true });
    const marker = join(repo.path, "..", `fsmonitor-ran-${Date.now()}`);
    const script = plant(join(repo.path, "..", `fsmonitor-${Date.now()}.sh`), marker);
    git(repo.path, ["config", "core.fsmonitor", script]);
    repo.write("a.txt", "changed\n");
    expect(await dirtyFiles(repo.path)).toEqual(["?? a.txt"]);
    await workingTreeHash(repo.path);
    expect(existsSync(marker)).toBe(false);
    Bun.spawnSync(["git", "status", "--porcelain"], { cwd: repo.path });
    expect(existsSync(marker)).toBe(true);
  });

  test("a replace object does not change the change loki grades (plain git diff shows the fake)", async () => {
    const { repo, start, change: honest } = await committedEdit("app.js", "export const ok = false;\n", "export const ok = true;\n");
    await using _repo = repo;
    // A fake commit whose tree says something else, swapped in for HEAD by a replace ref.
    repo.write("app.js", "export const ok = 'tests pass';\n");
    git(repo.path, ["commit", "-qam", "fake"]);
    const fake = git(repo.path, ["rev-parse", "HEAD"]).trim();
    git(repo.path, ["reset", "-q", "--hard", "HEAD~1"]);
    const head = (await headSha(repo.path)) as string;
    git(repo.path, ["replace", head, fake]);
    expect(git(repo.path, ["diff", start, head])).toContain("tests pass");
    const graded = await readSubject(repo.path, start, { includeWorktree: false });
    expect(graded.sha256).toBe(honest.sha256);
    expect(graded.text).toContain("export const ok = true;");
  });

  test("the user's global diff settings do not change the change's bytes or hash", async () => {
    const {
      repo,
      start,
      change: plain,
    } = await committedEdit("a.js", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\nX\n4\n5\n6\n7\n8\nY\n10\n");
    await using _repo = repo;
    const hostile = join(repo.path, "..", `gitconfig-${Date.now()}`);
    writeFileSync(
      hostile,
      "[diff]\n\tnoprefix = true\n\tinterHunkContext = 10\n\tcontext = 0\n\texternal = /bin/false\n[color]\n\tdiff = always\n",
    );
    const saved = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = hostile;
    try {
      const again = await readSubject(repo.path, start, { includeWorktree: false });
      expect(again.sha256).toBe(plain.sha256);
      expect(again.files[0]?.added.lines().map((l) => l.line)).toEqual([3, 9]);
    } finally {
      process.env.GIT_CONFIG_GLOBAL = saved;
    }
  });

  test("checkpoints keep the user's identity though hardened git reads no global config", async () => {
    await using repo = await tmpdir({ commit: true });
    repo.write("a.txt", "x\n");
    await commitCheckpoint(repo.path, "loki: iteration 1");
    expect(git(repo.path, ["log", "-1", "--format=%an <%ae>"]).trim()).toBe("loki-test <test@loki.invalid>");
  });

  test("the hardening is in every argv, and the user's safe.directory entries are kept", () => {
    const argv = gitArgv(["status"], ["/srv/checkout"]);
    // git as found at start on PATH's absolute directories (tests/core/pinned.test.ts), not looked up again.
    expect(argv[0]).toBe(Bun.which("git", { PATH: absolutePath(process.env.PATH) }) ?? "git");
    for (const setting of [
      "core.hooksPath=/dev/null",
      "core.fsmonitor=false",
      "core.attributesFile=/dev/null",
      "safe.directory=/srv/checkout",
    ])
      expect(argv).toContain(setting);
    expect(argv.at(-1)).toBe("status");
  });

  test("a checkpoint commit starts no repository maintenance (plain git's commit runs gc here)", async () => {
    const files = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`f${i}.txt`, `file ${i}\n`]));
    const objects = (dir: string) =>
      Object.fromEntries(
        git(dir, ["count-objects", "-v"])
          .trim()
          .split("\n")
          .map((l) => l.split(": ")),
      );
    await using repo = await tmpdir({ commit: true });
    // The suite's global config turns maintenance off (tests/preload.ts): this repository turns it back on, as plain git has it.
    for (const setting of ["gc.auto=1", "gc.autoDetach=false", "maintenance.auto=true", "maintenance.autoDetach=false"])
      git(repo.path, ["config", ...setting.split("=")]);
    for (const [name, text] of Object.entries(files)) repo.write(name, text);
    await commitCheckpoint(repo.path, "loki: iteration 1");
    expect(objects(repo.path)).toMatchObject({ packs: "0" });
    repo.write("f0.txt", "changed\n");
    git(repo.path, ["commit", "-qam", "plain"]);
    expect(objects(repo.path)).toMatchObject({ packs: "1", count: "0" });
  }, 30_000);

  test("switching to the run's branch checks files out without the repository's smudge filter (plain git runs it)", async () => {
    await using repo = await tmpdir({ commit: true, files: { "a.txt": "one\n" } });
    git(repo.path, ["checkout", "-q", "-b", "other"]);
    repo.write("a.txt", "two\n");
    git(repo.path, ["commit", "-qam", "other"]);
    git(repo.path, ["checkout", "-q", "-"]);
    const marker = join(repo.path, "..", `smudge-ran-${Date.now()}`);
    git(repo.path, ["config", "filter.evil.smudge", `sh -c 'touch ${marker}; cat'`]);
    writeFileSync(join(repo.path, ".git", "info", "attributes"), "* filter=evil\n");
    await switchBranch(repo.path, "other");
    expect(existsSync(marker)).toBe(false);
    expect(git(repo.path, ["show", "HEAD:a.txt"])).toBe("two\n");
    git(repo.path, ["checkout", "-q", "-"]);
    git(repo.path, ["checkout", "-q", "other"]);
    expect(existsSync(marker)).toBe(true);
  });

  test("filter drivers the -c switch-off cannot name (empty, with '='), or hidden past a huge value: never run by a checkpoint", async () => {
    // The driver's command: a script (a ";" would start a comment in the config file).
    const cases: Record<string, (command: string) => { config: string; attributes: string }> = {
      equals: (command) => ({ config: `[filter "a=b"]\n\tclean = ${command}\n`, attributes: "* filter=a=b\n" }),
      empty: (command) => ({ config: `[filter ""]\n\tclean = ${command}\n`, attributes: "* filter=\n" }),
      buried: (command) => ({
        config: `[filter "pad"]\n\tjunk = ${"x".repeat(9 << 20)}\n[filter "evil"]\n\tclean = ${command}\n`,
        attributes: "* filter=evil\n",
      }),
    };
    for (const name of Object.keys(cases)) {
      await using repo = await tmpdir({ commit: true });
      const marker = join(repo.path, "..", `filter-${name}-${Date.now()}`);
      const command = plant(join(repo.path, "..", `filter-${name}-${Date.now()}.sh`), marker);
      const { config, attributes } = cases[name]?.(command) ?? { config: "", attributes: "" };
      appendFileSync(join(repo.path, ".git", "config"), config);
      writeFileSync(join(repo.path, ".git", "info", "attributes"), attributes);
      repo.write("new.txt", "x\n");
      // Plain git runs it: the attack is real.
      Bun.spawnSync(["git", "add", "-A"], { cwd: repo.path });
      expect({ name, ran: existsSync(marker) }).toEqual({ name, ran: true });
      git(repo.path, ["reset", "-q"]);
      rmSync(marker, { force: true });
      const outcome = await commitCheckpoint(repo.path, "loki: iteration 1").then(
        () => "committed",
        (error: Error) => error.message,
      );
      expect({ name, ran: existsSync(marker) }).toEqual({ name, ran: false });
      // A driver it cannot name stops the checkpoint, with the reason; one it can is switched off and the change is committed.
      if (name === "buried") expect(outcome).toBe("committed");
      else expect(outcome).toContain("filter driver loki cannot switch off");
    }
  }, 60_000);

  test("a delegated run's worktree is checked out, and found again, without the repository's filters (plain git runs them)", async () => {
    await using repo = await tmpdir({ commit: true, files: { "a.txt": "one\n" } });
    const marker = join(repo.path, "..", `worktree-filter-${Date.now()}`);
    const command = plant(join(repo.path, "..", `worktree-filter-${Date.now()}.sh`), marker);
    git(repo.path, ["config", "filter.evil.smudge", command]);
    git(repo.path, ["config", "filter.evil.clean", command]);
    writeFileSync(join(repo.path, ".git", "info", "attributes"), "* filter=evil\n");
    const first = await prepareWorktree(repo.path, "loki/issue-7", "HEAD");
    expect(first.state).toBe("created");
    expect(existsSync(marker)).toBe(false);
    // Found again: its status reads the files on disk (a touched one goes through the clean filter).
    writeFileSync(join(first.dir, "a.txt"), "one\n");
    const again = await prepareWorktree(repo.path, "loki/issue-7", "HEAD");
    expect(again.state).toBe("reused-worktree");
    expect(existsSync(marker)).toBe(false);
    Bun.spawnSync(["git", "status", "--porcelain"], { cwd: first.dir });
    expect(existsSync(marker)).toBe(true);
    git(repo.path, ["worktree", "remove", "--force", first.dir]);
  });
});
