// readSubject against real repositories: every kind of change git can show, the line numbers of
// added lines, odd paths, the working tree with untracked files, and bad bases with their hints.
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isLokiError } from "../../src/core/errors.ts";
import type { ChangedFile } from "../../src/gates/gate.ts";
import { readEachSubjectFile, readSubject, readSubjectFiles } from "../../src/gates/diff.ts";
import { parseUnifiedDiff, unquote } from "../../src/gates/diff-parse.ts";
import { plainFile } from "../helpers/subject.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const lines = (n: number, prefix = "line") => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}\n`).join("");
const byPath = (files: ChangedFile[]) => Object.fromEntries(files.map((f) => [f.path, plainFile(f)]));
const head = (dir: string) => git(dir, ["rev-parse", "HEAD"]).trim();

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("readSubject", () => {
  test("added, modified, deleted, renamed, binary and mode-only changes, with new line numbers", async () => {
    await using dir = await tmpdir({
      commit: true,
      files: {
        "mod.txt": "a\nb\nc\n",
        "del.txt": "gone\n",
        "old/name.txt": lines(20),
        "img.bin": "\0\x01\x02",
        "run.sh": "echo hi\n",
        "keep.txt": "same\n",
      },
    });
    const base = head(dir.path);
    dir.write("mod.txt", "a\nB\nc\nd\n++ plus\n-- minus\n");
    rmSync(join(dir.path, "del.txt"));
    mkdirSync(join(dir.path, "new"), { recursive: true });
    git(dir.path, ["mv", "old/name.txt", "new/name.txt"]);
    dir.write("new/name.txt", `${lines(20)}tail\n`);
    dir.write("img.bin", "\0\x03");
    dir.write("added.txt", "one\ntwo");
    dir.write("empty.txt", "");
    chmodSync(join(dir.path, "run.sh"), 0o755);
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "change"]);

    const subject = await readSubject(dir.path, base, { includeWorktree: false });
    expect(subject).toMatchObject({ base, head: head(dir.path), includesWorktree: false });
    const files = byPath(subject.files);
    expect(Object.keys(files).sort()).toEqual(["added.txt", "del.txt", "empty.txt", "img.bin", "mod.txt", "new/name.txt", "run.sh"]);
    expect(files["mod.txt"]).toEqual({
      path: "mod.txt",
      status: "modified",
      binary: false,
      added: [
        { line: 2, text: "B" },
        { line: 4, text: "d" },
        { line: 5, text: "++ plus" },
        { line: 6, text: "-- minus" },
      ],
      // Counted, not kept: no gate reads the removed lines of a file that is neither a test nor runner configuration.
      removed: null,
      removedCount: 1,
    });
    expect(files["del.txt"]).toMatchObject({ status: "deleted", added: [], removed: null, removedCount: 1 });
    expect(files["new/name.txt"]).toMatchObject({
      status: "renamed",
      oldPath: "old/name.txt",
      added: [{ line: 21, text: "tail" }],
      removed: null,
      removedCount: 0,
    });
    expect(files["img.bin"]).toMatchObject({ status: "modified", binary: true, added: [] });
    expect(files["added.txt"]).toMatchObject({
      status: "added",
      added: [
        { line: 1, text: "one" },
        { line: 2, text: "two" },
      ],
    });
    expect(files["empty.txt"]).toMatchObject({ status: "added", added: [], removedCount: 0 });
    expect(files["run.sh"]).toMatchObject({ status: "modified", added: [], removedCount: 0 });
  });

  test("paths with spaces, quotes, tabs and non-ASCII survive git's quoting; a ref resolves to a sha", async () => {
    await using dir = await tmpdir({ commit: true });
    const odd = ["with space.txt", 'quote "q".txt', "tab\there.txt", "ünïcødé ✓.txt", "dir with space/x y.txt"];
    for (const path of odd) dir.write(path, `${path}\n`);
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "odd"]);
    git(dir.path, ["mv", "with space.txt", "moved with space.txt"]);
    git(dir.path, ["commit", "-qm", "rename"]);
    const subject = await readSubject(dir.path, "HEAD~2", { includeWorktree: false });
    expect(subject.base).toMatch(/^[0-9a-f]{40}$/);
    expect(subject.files.map((f) => f.path).sort()).toEqual([...odd.filter((p) => p !== "with space.txt"), "moved with space.txt"].sort());
    for (const file of subject.files)
      expect(file.added.lines()).toEqual([{ line: 1, text: file.path === "moved with space.txt" ? "with space.txt" : file.path }]);
  });

  test("a user's diff config (no prefix, external diff, color) does not change the parse", async () => {
    // Under diff.noprefix a path starting with "a/" would lose its first directory.
    await using dir = await tmpdir({ commit: true, files: { "a/a.txt": "1\n" } });
    const base = head(dir.path);
    for (const [key, value] of [
      ["diff.noprefix", "true"],
      ["color.ui", "always"],
      ["diff.external", "false"],
    ] as const)
      git(dir.path, ["config", key, value]);
    dir.write("a/a.txt", "1\n2\n");
    git(dir.path, ["commit", "-qam", "two"]);
    const subject = await readSubject(dir.path, base, { includeWorktree: false });
    expect(subject.files.map(plainFile)).toEqual([
      { path: "a/a.txt", status: "modified", binary: false, added: [{ line: 2, text: "2" }], removed: null, removedCount: 0 },
    ]);
  });

  test("includeWorktree adds uncommitted and untracked (not ignored) files; without it they are not seen", async () => {
    await using dir = await tmpdir({ commit: true, files: { "tracked.txt": "a\n", ".gitignore": "ignored.log\n" } });
    const base = head(dir.path);
    dir.write("tracked.txt", "a\nb\n");
    dir.write("untracked/new.ts", "export const x = 1;\nexport const y = 2;\n");
    dir.write("ignored.log", "noise\n");
    writeFileSync(join(dir.path, "blob.dat"), Buffer.from([1, 0, 2]));
    symlinkSync("tracked.txt", join(dir.path, "link"));

    expect((await readSubject(dir.path, base, { includeWorktree: false })).files).toEqual([]);
    const subject = await readSubject(dir.path, base, { includeWorktree: true });
    expect(subject.includesWorktree).toBe(true);
    const files = byPath(subject.files);
    expect(Object.keys(files).sort()).toEqual(["blob.dat", "link", "tracked.txt", "untracked/new.ts"]);
    expect(files["tracked.txt"]?.added).toEqual([{ line: 2, text: "b" }]);
    expect(files["untracked/new.ts"]).toEqual({
      path: "untracked/new.ts",
      status: "added",
      binary: false,
      added: [
        { line: 1, text: "export const x = 1;" },
        { line: 2, text: "export const y = 2;" },
      ],
      removed: [],
      removedCount: 0,
    });
    expect(files["blob.dat"]).toMatchObject({ binary: true, added: [] });
    expect(files.link?.added).toEqual([{ line: 1, text: "tracked.txt" }]);
  });

  test("a bad base is a git error with a fetch hint; a shallow clone's hint says fetch-depth: 0", async () => {
    await using dir = await tmpdir({ commit: true });
    dir.write("b.txt", "b\n");
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "second"]);
    const bad = await thrown(readSubject(dir.path, "no-such-branch", { includeWorktree: false }));
    expect(isLokiError(bad) && bad.kind).toBe("git");
    expect(isLokiError(bad) && bad.hint).toContain("git fetch origin main");

    git(dir.path, ["remote", "add", "origin", "https://example.invalid/repo.git"]);
    const remote = await thrown(readSubject(dir.path, "origin/feature/x", { includeWorktree: false }));
    expect(isLokiError(remote) && remote.hint).toContain("git fetch origin feature/x");

    await using clone = await tmpdir();
    git(clone.path, ["clone", "-q", "--depth", "1", `file://${dir.path}`, "c"]);
    const shallow = await thrown(readSubject(join(clone.path, "c"), "HEAD~1", { includeWorktree: false }));
    expect(isLokiError(shallow) && shallow.hint).toContain("fetch-depth: 0");

    // A base that looks like an option never reaches git's argv as one.
    const option = await thrown(readSubject(dir.path, "--output=/tmp/owned", { includeWorktree: false }));
    expect(isLokiError(option) && option.kind).toBe("git");

    await using plain = await tmpdir();
    expect(isLokiError(await thrown(readSubject(plain.path, "HEAD", { includeWorktree: false })))).toBe(true);
    await using empty = await tmpdir({ git: true });
    const unborn = await thrown(readSubject(empty.path, "HEAD", { includeWorktree: false }));
    expect(isLokiError(unborn) && unborn.message).toContain("no commits yet");
  });
});

describe("readSubjectFiles", () => {
  test("a commit's files come from the commit, never from the working tree (even where git's diff cannot see a change)", async () => {
    await using dir = await tmpdir({ commit: true, files: { "jest.config.js": "module.exports = {};\n" } });
    const base = head(dir.path);
    dir.write("jest.config.js", 'module.exports = { testPathIgnorePatterns: ["slow"] };\n');
    dir.write("big name\nwith newline.txt", "odd\n");
    mkdirSync(join(dir.path, "dir"));
    dir.write("dir/bin", "a\u0000é\n");
    symlinkSync("jest.config.js", join(dir.path, "link.js"));
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "change"]);
    const committed = 'module.exports = { testPathIgnorePatterns: ["slow"] };\n';
    // What a graded command running beside the gates could do: the file on disk is not the commit's,
    // and git's own diff is told not to look (assume-unchanged).
    git(dir.path, ["update-index", "--assume-unchanged", "jest.config.js", "dir/bin"]);
    dir.write("jest.config.js", "module.exports = {};\n");
    // A FIFO where the commit has a file: never waited on.
    rmSync(join(dir.path, "dir", "bin"));
    expect(Bun.spawnSync(["mkfifo", join(dir.path, "dir", "bin")]).exitCode).toBe(0);
    expect(git(dir.path, ["diff", "--name-only", "HEAD"])).toBe("");
    const subject = await readSubject(dir.path, base, { includeWorktree: false });
    const paths = ["jest.config.js", "missing.txt", "dir", "dir/bin", "link.js", "big name\nwith newline.txt"];
    expect(await readSubjectFiles(subject, paths)).toEqual([committed, null, null, "a\u0000é\n", "jest.config.js", "odd\n"]);
    // Asked again (another gate of the same round): the same answers.
    expect(await readSubjectFiles(subject, ["jest.config.js", "dir/bin"])).toEqual([committed, "a\u0000é\n"]);
    // Read one by one for a pass over the whole change: the same answers, in the order asked.
    const visited: [string, string | null][] = [];
    await readEachSubjectFile(await readSubject(dir.path, base, { includeWorktree: false }), paths, (path, text) =>
      visited.push([path, text]),
    );
    expect(visited).toEqual(paths.map((path, i) => [path, [committed, null, null, "a\u0000é\n", "jest.config.js", "odd\n"][i] ?? null]));
    // With the working tree included, the working tree is what is graded.
    const worktree = await readSubject(dir.path, base, { includeWorktree: true });
    expect(await readSubjectFiles(worktree, ["jest.config.js", "missing.txt"])).toEqual(["module.exports = {};\n", null]);
    const fromDisk: [string, string | null][] = [];
    await readEachSubjectFile(worktree, ["jest.config.js", "missing.txt"], (path, text) => fromDisk.push([path, text]));
    expect(fromDisk).toEqual([
      ["jest.config.js", "module.exports = {};\n"],
      ["missing.txt", null],
    ]);
  });

  test("readEachSubjectFile: a change larger than a batch is visited whole and in order, each file as committed", async () => {
    const names = Array.from({ length: 600 }, (_, i) => `f/${String(i).padStart(3, "0")}.txt`);
    await using dir = await tmpdir({ commit: true, files: Object.fromEntries(names.map((name) => [name, "old\n"])) });
    const base = head(dir.path);
    for (const name of names) dir.write(name, `new ${name}\n`);
    git(dir.path, ["commit", "-qam", "change"]);
    dir.write("f/000.txt", "not committed\n");
    const subject = await readSubject(dir.path, base, { includeWorktree: false, text: false });
    const order = [...names].reverse();
    const seen: [string, string | null][] = [];
    await readEachSubjectFile(subject, order, (path, text) => seen.push([path, text]));
    expect(seen).toEqual(order.map((name) => [name, `new ${name}\n`]));
  });
});

describe("parseUnifiedDiff", () => {
  test("hunk counts, not prefixes, decide content; no-newline markers are skipped", () => {
    const text = [
      "diff --git a/test/x b/test/x",
      "index 1..2 100644",
      "--- a/test/x",
      "+++ b/test/x",
      "@@ -1,2 +1,3 @@",
      "---- was a header look-alike",
      "-b",
      "++++ still content",
      "+c",
      "\\ No newline at end of file",
      "+d",
    ].join("\n");
    expect(parseUnifiedDiff(text).map(plainFile)).toEqual([
      {
        path: "test/x",
        status: "modified",
        binary: false,
        added: [
          { line: 1, text: "+++ still content" },
          { line: 2, text: "c" },
          { line: 3, text: "d" },
        ],
        removed: [
          { line: 1, text: "--- was a header look-alike" },
          { line: 2, text: "b" },
        ],
        removedCount: 2,
      },
    ]);
  });

  test("removed lines carry old-file line numbers across hunks, context lines included", () => {
    const text = [
      "diff --git a/test/y b/test/y",
      "--- a/test/y",
      "+++ b/test/y",
      "@@ -5,2 +4,0 @@",
      "-five",
      "-six",
      "@@ -10 +8 @@",
      "-ten",
      "+eight",
      "@@ -20,3 +18,2 @@",
      " twenty",
      "-twenty-one",
      " twenty-two",
    ].join("\n");
    const [file] = parseUnifiedDiff(text);
    expect(file?.removed?.lines()).toEqual([
      { line: 5, text: "five" },
      { line: 6, text: "six" },
      { line: 10, text: "ten" },
      { line: 21, text: "twenty-one" },
    ]);
    expect(file?.added.lines()).toEqual([{ line: 8, text: "eight" }]);
    expect(file?.removedCount).toBe(4);
  });

  test("unquote decodes C escapes and octal UTF-8 bytes", () => {
    expect(unquote('"a\\tb\\"c\\\\d"')).toBe('a\tb"c\\d');
    expect(unquote('"\\303\\274.txt"')).toBe("ü.txt");
    expect(unquote("plain name")).toBe("plain name");
  });
});
