// readSubject's binary rule on real repositories: attributes count only as the base had them (a
// .gitattributes in the diff cannot hide lines from tamper, secrets or reviewers), and content with
// a NUL byte in its first 8,000 bytes is binary whatever any attribute says.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChangedFile } from "../../src/gates/gate.ts";
import { binaryByBaseAttributes } from "../../src/gates/blobs.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { git, tmpdir } from "../helpers/tmp.ts";
import { plainFile } from "../helpers/subject.ts";

const byPath = (files: ChangedFile[]) => Object.fromEntries(files.map((f) => [f.path, plainFile(f)]));
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
const TEST_BEFORE = 'test("adds", () => {\n  expect(add(1, 2)).toBe(3);\n  expect(add(2, 2)).toBe(4);\n});\n';
// The agent's edit, as file content: a skipped test behind `-diff`, which tamper must still see.
const TEST_AFTER = 'test.skip("adds", () => {\n  expect(add(1, 2)).toBe(3);\n});\n';

function commitAll(dir: string): string {
  git(dir, ["add", "-A"]);
  git(dir, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "change"]);
  return git(dir, ["rev-parse", "HEAD"]).trim();
}

describe("readSubject: binary by loki's rule", () => {
  test("a .gitattributes added by the diff (-diff, binary) hides no lines: tamper sees the skip and the lost assertion", async () => {
    await using dir = await tmpdir({
      commit: true,
      files: { "tests/add.test.ts": TEST_BEFORE, "src/add.ts": "export const add = 1;\n", "gone.js": "x\n" },
    });
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write(".gitattributes", "*.ts -diff\n*.js binary\n");
    dir.write("tests/add.test.ts", TEST_AFTER);
    dir.write("src/add.ts", "export const add = (a: number, b: number) => a + b;\n");
    git(dir.path, ["rm", "-q", "gone.js"]);
    writeFileSync(join(dir.path, "logo.png"), PNG);
    commitAll(dir.path);
    expect(git(dir.path, ["diff", base, "HEAD"])).toContain("Binary files a/tests/add.test.ts and b/tests/add.test.ts differ");

    const subject = await readSubject(dir.path, base, { includeWorktree: false });
    const files = byPath(subject.files);
    expect(files["tests/add.test.ts"]).toMatchObject({
      binary: false,
      added: [{ line: 1, text: 'test.skip("adds", () => {' }],
      removed: [
        { line: 1, text: 'test("adds", () => {' },
        { line: 3, text: "  expect(add(2, 2)).toBe(4);" },
      ],
    });
    expect(files["src/add.ts"]?.added).toEqual([{ line: 1, text: "export const add = (a: number, b: number) => a + b;" }]);
    // Its removed line is counted (no gate reads a non-test file's removed lines, so they are not kept).
    expect(files["gone.js"]).toMatchObject({ status: "deleted", binary: false, removed: null, removedCount: 1 });
    expect(files["logo.png"]).toMatchObject({ status: "added", binary: true, added: [] });
    // Reviewers and the proof read the text: it carries the lines too, and only the real binary stays hidden.
    expect(subject.text).toContain("+test.skip(");
    expect(subject.text.match(/^Binary files .*$/gm)).toEqual(["Binary files /dev/null and b/logo.png differ"]);
    expect(Object.keys(files).sort()).toEqual([".gitattributes", "gone.js", "logo.png", "src/add.ts", "tests/add.test.ts"]);
    expect(subject.stat).toEqual({ files: 5, insertions: 4, deletions: 4 });
  });

  test("the base's attributes still decide: binary there is binary now, even if the diff drops them", async () => {
    await using dir = await tmpdir({ commit: true, files: { ".gitattributes": "*.dat binary\n", "a.dat": "one\n" } });
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write(".gitattributes", "# nothing\n");
    dir.write("a.dat", "two\n");
    commitAll(dir.path);
    expect(byPath((await readSubject(dir.path, base, { includeWorktree: false })).files)["a.dat"]?.binary).toBe(true);
  });

  test("a nested directory's .gitattributes at the base decides for its files only; a sibling's has no say", async () => {
    await using dir = await tmpdir({
      commit: true,
      files: {
        "assets/deep/.gitattributes": "*.dat binary\n",
        "assets/deep/a.dat": "one\n",
        "other/.gitattributes": "*.txt -diff\n",
        "assets/deep/b.txt": "one\n",
        "assets/c.dat": "one\n",
        "weird dir*/[x]/.gitattributes": "*.txt binary\n",
        "weird dir*/[x]/d.txt": "one\n",
      },
    });
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    for (const path of ["assets/deep/a.dat", "assets/deep/b.txt", "assets/c.dat", "weird dir*/[x]/d.txt"]) dir.write(path, "two\n");
    commitAll(dir.path);
    const files = byPath((await readSubject(dir.path, base, { includeWorktree: false })).files);
    expect(
      Object.fromEntries(
        ["assets/deep/a.dat", "assets/deep/b.txt", "assets/c.dat", "weird dir*/[x]/d.txt"].map((p) => [p, files[p]?.binary]),
      ),
    ).toEqual({ "assets/deep/a.dat": true, "assets/deep/b.txt": false, "assets/c.dat": false, "weird dir*/[x]/d.txt": true });
  });

  test("a base without .gitattributes, read again (each iteration): $GIT_DIR/info/attributes written since still decides", async () => {
    await using dir = await tmpdir({ commit: true, files: { "a.dat": "one\n" } });
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write("a.dat", "two\n");
    commitAll(dir.path);
    expect(byPath((await readSubject(dir.path, base, { includeWorktree: false })).files)["a.dat"]?.binary).toBe(false);
    writeFileSync(join(dir.path, ".git", "info", "attributes"), "*.dat binary\n");
    expect(byPath((await readSubject(dir.path, base, { includeWorktree: false })).files)["a.dat"]?.binary).toBe(true);
  });

  test("a NUL byte makes a file binary even when the diff's attributes force a text diff", async () => {
    await using dir = await tmpdir({ commit: true, files: { "a.txt": "one\n", "b.txt": "one\n" } });
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write(".gitattributes", "a.txt diff\n");
    dir.write("a.txt", "\0one\n");
    dir.write("b.txt", "\0one\n");
    commitAll(dir.path);
    const files = byPath((await readSubject(dir.path, base, { includeWorktree: false })).files);
    expect([files["a.txt"]?.binary, files["b.txt"]?.binary]).toEqual([true, true]);
  });

  test("with the working tree: an uncommitted .gitattributes, a rename and an untracked file follow the same rule", async () => {
    await using dir = await tmpdir({
      commit: true,
      files: { ".gitattributes": "*.bin binary\n", "a.ts": "export const a = 1;\nexport const b = 2;\nexport const c = 3;\n" },
    });
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write(".gitattributes", "*.ts -diff\n");
    git(dir.path, ["mv", "a.ts", "b.ts"]);
    dir.write("b.ts", "export const a = 1;\nexport const b = 2;\nexport const c = 4;\n");
    dir.write("new.ts", "export const n = 1;\n");
    dir.write("raw.bin", "plain text\n");
    const files = byPath((await readSubject(dir.path, base, { includeWorktree: true })).files);
    expect(files["b.ts"]).toMatchObject({
      status: "renamed",
      oldPath: "a.ts",
      binary: false,
      added: [{ line: 3, text: "export const c = 4;" }],
    });
    expect(files["new.ts"]).toMatchObject({ binary: false, added: [{ line: 1, text: "export const n = 1;" }] });
    expect(files["raw.bin"]?.binary).toBe(true);
  });

  test("a path too long to name on one command line is looked up in the base's whole tree (no E2BIG)", async () => {
    await using dir = await tmpdir({ commit: true, files: { ".gitattributes": "*.dat binary\n" } });
    const plumb = (args: string[], input: string) => {
      const r = Bun.spawnSync(["git", ...args], { cwd: dir.path, stdin: new TextEncoder().encode(input), stdout: "pipe", stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(r.stderr.toString());
      return r.stdout.toString().trim();
    };
    // 220 directories of 600-byte names (no file system holds the path; git's trees do): 132 KB.
    let tree = plumb(["mktree"], `100644 blob ${plumb(["hash-object", "-w", "--stdin"], "one\n")}\tx.dat\n`);
    const names = Array.from({ length: 220 }, (_, i) => `${String(i).padStart(3, "0")}${"d".repeat(597)}`);
    for (const name of [...names].reverse()) tree = plumb(["mktree"], `040000 tree ${tree}\t${name}\n`);
    const top = `${git(dir.path, ["ls-tree", "HEAD"]).trim()}\n040000 tree ${tree}\t${names[0]}\n`;
    const base = plumb(["commit-tree", plumb(["mktree"], top), "-m", "deep"], "");
    const deep = `${names.join("/")}/x.dat`;
    expect([...(await binaryByBaseAttributes(dir.path, base, Promise.resolve([deep])))]).toEqual([deep]);
  });
});
