// The streamed, compact parse (diff-parse.ts, diff-lines.ts) against the object-per-line parse it replaced,
// kept here as the oracle: on a real diff with renames, binary files, deletions, no newline at the end, CRLF,
// unicode (a byte-order mark, broken UTF-8) and huge lines, every file and line is the same, fed whole or in
// any chunks, and every gate that reads lines grades the change exactly as it graded the old representation.
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Config } from "../../src/core/config.ts";
import { sha256 } from "../../src/core/hash.ts";
import { DIFF_ARGS, readSubject } from "../../src/gates/diff.ts";
import { linesOf, removedLines } from "../../src/gates/diff-lines.ts";
import { createDiffParser, parseUnifiedDiff, unquote } from "../../src/gates/diff-parse.ts";
import { emptyDiffGate } from "../../src/gates/empty-diff.ts";
import { runGates, type ChangedFile, type Gate, type Line, type Subject } from "../../src/gates/gate.ts";
import { graderConfigGate } from "../../src/gates/grader-config.ts";
import { secretsGate } from "../../src/gates/secrets.ts";
import { staticGate } from "../../src/gates/static.ts";
import { tamperGate } from "../../src/gates/tamper.ts";
import { keepsRemovedLines } from "../../src/gates/test-paths.ts";
import { testImportsGate } from "../../src/gates/test-imports.ts";
import { plainFile } from "../helpers/subject.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

type OldFile = {
  path: string;
  status: ChangedFile["status"];
  oldPath?: string;
  binary: boolean;
  added: Line[];
  removed: Line[];
  removedCount: number;
};

/** The parse as it was: the whole diff decoded, split at newlines, an object per added and removed line. */
function oldParse(text: string): OldFile[] {
  const files: OldFile[] = [];
  let current: OldFile | null = null;
  let [oldLeft, newLeft, nextLine, oldLine] = [0, 0, 0, 0];
  const line = (text: string) => {
    if (current && (oldLeft > 0 || newLeft > 0)) {
      const mark = text[0];
      if (mark === "+") return void (current.added.push({ line: nextLine++, text: text.slice(1) }), newLeft--);
      if (mark === "-") return void (current.removed.push({ line: oldLine++, text: text.slice(1) }), current.removedCount++, oldLeft--);
      if (mark === " ") return void (nextLine++, oldLine++, oldLeft--, newLeft--);
      if (mark === "\\") return;
      oldLeft = newLeft = 0;
    }
    if (text.startsWith("diff --git ")) {
      // The fixture's paths are unquoted: `a/x b/x`, sides equal unless renamed (its `rename` lines then say).
      const rest = text.slice("diff --git ".length);
      const half = (rest.length - 1) / 2;
      const split = Number.isInteger(half) && rest.slice(2, half) === rest.slice(half + 3) ? half : rest.indexOf(" b/");
      const path = rest.slice(split + 1).replace(/^b\//, "");
      current = { path, status: "modified", binary: false, added: [], removed: [], removedCount: 0 };
      files.push(current);
      return;
    }
    if (current === null) return;
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(text);
    if (hunk) {
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      oldLine = Number(hunk[1]);
      nextLine = Number(hunk[3]);
    } else if (text.startsWith("new file mode")) current.status = "added";
    else if (text.startsWith("deleted file mode")) current.status = "deleted";
    else if (text.startsWith("rename from ")) {
      current.status = "renamed";
      current.oldPath = unquote(text.slice("rename from ".length));
    } else if (text.startsWith("rename to ")) current.path = unquote(text.slice("rename to ".length));
    else if (text.startsWith("Binary files ")) current.binary = true;
  };
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    line(text.slice(start, end));
    start = end + 1;
  }
  return files;
}

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
const numbered = (n: number, word: string) => Array.from({ length: n }, (_, i) => `${word} ${i + 1}`).join("\n");

function commitAll(dir: string): string {
  git(dir, ["add", "-A"]);
  git(dir, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "change"]);
  return git(dir, ["rev-parse", "HEAD"]).trim();
}

/** A base and a change touching every shape of diff the parse must keep apart. */
async function fixture() {
  const huge = "x".repeat(300 * 1024); // longer than any chunk git writes
  const dir = await tmpdir({
    commit: true,
    files: {
      "src/keep.ts": `${numbered(30, "// keep")}\nexport const a = 1;\n`,
      "src/moved.ts": `${numbered(40, "// moved")}\nexport const m = 1;\n`,
      "src/gone.ts": "export const gone = 1;\nexport const also = 2;\n",
      "tests/math.test.ts": 'test("adds", () => {\n  expect(add(1, 2)).toBe(3);\n  expect(add(2, 2)).toBe(4);\n});\n',
      "tests/old.test.ts": 'test("old", () => {\n  expect(1).toBe(1);\n});\n',
      "tests/moved.test.ts": `${numbered(20, "// moved test")}\ntest("m", () => expect(m).toBe(1));\n`,
      "vitest.config.ts": "export default { test: { include: ['tests/**'] } };\n",
      "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-q"\ntestpaths = ["tests"]\n',
      "crlf.txt": "one\r\ntwo\r\nthree\r\n",
      "no-newline.txt": "first\nlast without newline",
      "unicode.md": "\uFEFFtitle\nnaïve ✓ 日本語\n",
      "big.txt": `${huge}\nsmall\n`,
      "data.json": '{ "a": 1 }\n',
    },
  });
  const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
  dir.write(
    "src/keep.ts",
    `${numbered(30, "// keep")}\nexport const a = 2;\nexport const token = "ghp_${"A1b2C3d4E5".repeat(4).slice(0, 36)}";\n`,
  );
  mkdirSync(join(dir.path, "lib"));
  git(dir.path, ["mv", "src/moved.ts", "lib/moved.ts"]);
  dir.write("lib/moved.ts", `${numbered(40, "// moved")}\nexport const m = 2;\n`);
  git(dir.path, ["rm", "-q", "src/gone.ts", "tests/old.test.ts"]);
  // File content, not a skipped test of this suite: a weakened, skipped test the tamper gate must flag alike in both parses.
  dir.write("tests/math.test.ts", 'test.skip("adds", () => {\n  expect(add(1, 2)).toBeDefined();\n});\n');
  git(dir.path, ["mv", "tests/moved.test.ts", "src/not-a-test.ts"]);
  dir.write("vitest.config.ts", "export default { test: { include: ['tests/**'], exclude: ['tests/math*'] } };\n");
  dir.write("pyproject.toml", '[tool.pytest.ini_options]\naddopts = "-q -p no:cacheprovider"\n');
  dir.write("crlf.txt", "one\r\nTWO\r\nthree\r\nfour");
  dir.write("no-newline.txt", "first\nlast, now with one\n");
  dir.write("unicode.md", "\uFEFFtitle\nnaïve ✗ 日本語 🚀\n\uFEFFa second mark\n");
  writeFileSync(join(dir.path, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xe2, 0x82, 0x0a, 0x6f, 0x6b, 0x0a]));
  dir.write("big.txt", `${huge}y\nsmall\n${"z".repeat(200 * 1024)}\n`);
  writeFileSync(join(dir.path, "logo.png"), PNG);
  dir.write("data.json", '{ "a": 1, }\n');
  const head = commitAll(dir.path);
  return { dir, base, head };
}

/** The pinned diff's bytes, as readSubject has git write them. */
function diffBytes(cwd: string, base: string, head: string): Uint8Array {
  const out = Bun.spawnSync(["git", ...DIFF_ARGS, base, head], { cwd, stdout: "pipe", stderr: "pipe" });
  if (out.exitCode !== 0) throw new Error(`git diff failed: ${out.stderr.toString()}`);
  return out.stdout;
}

/** The gates that read the change's lines, on one subject, durations aside. */
async function grade(subject: Subject) {
  const gates: Gate[] = [emptyDiffGate, secretsGate, staticGate, tamperGate, testImportsGate, graderConfigGate];
  const config = Config.parse({});
  const results = await runGates(gates, { subject, project: { kinds: [], test: null, build: null, lint: null }, config });
  return results.map(({ duration_ms: _, ...result }) => result);
}

describe("the streamed compact parse", () => {
  test("is the old parse, file for file and line for line, whole or in any chunks", async () => {
    const { dir, base, head } = await fixture();
    await using _ = dir;
    const bytes = diffBytes(dir.path, base, head);
    const text = Buffer.from(bytes).toString("utf8");
    const old = oldParse(text);
    expect(old.map((f) => f.path)).toContain("latin1.txt");
    expect(text).toContain("\uFFFD"); // the broken UTF-8 decodes to replacement characters, alike in both

    const expected = old.map((f) => ({ ...f, removed: keepsRemovedLines(f.path, f.oldPath) ? f.removed : null }));
    expect(parseUnifiedDiff(text).map(plainFile)).toEqual(expected);
    for (const size of [1, 7, 4096, 65536]) {
      const parser = createDiffParser();
      for (let at = 0; at < bytes.length; at += size) parser.push(bytes.subarray(at, at + size));
      expect(parser.finish().map(plainFile)).toEqual(expected);
    }
    // The removed lines kept are exactly the ones a gate reads: tests (either side of a rename) and runner configuration.
    expect(expected.filter((f) => f.removed !== null).map((f) => f.path)).toEqual([
      "pyproject.toml",
      "src/not-a-test.ts",
      "tests/math.test.ts",
      "tests/old.test.ts",
      "vitest.config.ts",
    ]);

    const subject = await readSubject(dir.path, base, { includeWorktree: false, head });
    expect(subject.text).toBe(text);
    expect(subject.sha256).toBe(sha256(text));
    const lean = await readSubject(dir.path, base, { includeWorktree: false, head, text: false });
    expect("text" in lean).toBe(false);
    expect(lean.files.map(plainFile)).toEqual(subject.files.map(plainFile));
    expect(lean.stat).toEqual(subject.stat);
  });

  test("past the first 4 MB of a diff, files are kept deflated: the same lines, whole or in chunks", async () => {
    const { dir, base, head } = await fixture();
    await using _ = dir;
    const fixtureText = Buffer.from(diffBytes(dir.path, base, head)).toString("utf8");
    const padLines = 90_000;
    const pad = [
      "diff --git a/pad.txt b/pad.txt",
      "new file mode 100644",
      "index 0000000..1111111",
      "--- /dev/null",
      "+++ b/pad.txt",
      `@@ -0,0 +1,${padLines} @@`,
      ...Array.from({ length: padLines }, (_, i) => `+padding line ${i} ${"x".repeat(40)}`),
    ].join("\n");
    const text = `${pad}\n${fixtureText}`;
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024 + fixtureText.length);
    const expected = oldParse(text).map((f) => ({ ...f, removed: keepsRemovedLines(f.path, f.oldPath) ? f.removed : null }));
    expect(parseUnifiedDiff(text).map(plainFile)).toEqual(expected);
    const bytes = Buffer.from(text, "utf8");
    const parser = createDiffParser();
    for (let at = 0; at < bytes.length; at += 65536) parser.push(bytes.subarray(at, at + 65536));
    expect(parser.finish().map(plainFile)).toEqual(expected);
  });

  test("a file's removed lines are counted, not kept, unless a gate reads them: reading them anyway throws", () => {
    const text = ["diff --git a/src/x.ts b/src/x.ts", "--- a/src/x.ts", "+++ b/src/x.ts", "@@ -1 +1 @@", "-old", "+new"].join("\n");
    const [file] = parseUnifiedDiff(text);
    expect(file).toMatchObject({ removed: null, removedCount: 1 });
    if (file === undefined) throw new Error("no file");
    expect(() => removedLines(file)).toThrow("the removed lines of src/x.ts were not kept");
    const [test] = parseUnifiedDiff(text.replaceAll("src/x.ts", "src/x.test.ts"));
    expect(test && removedLines(test)).toEqual([{ line: 1, text: "old" }]);
  });

  test("every gate that reads lines grades it as it graded the old representation", async () => {
    const { dir, base, head } = await fixture();
    await using _ = dir;
    const subject = await readSubject(dir.path, base, { includeWorktree: false, head, text: false });
    const byPath = new Map(oldParse(Buffer.from(diffBytes(dir.path, base, head)).toString("utf8")).map((f) => [f.path, f]));
    // The old representation: every line of every file held, removed ones too, whatever the file.
    const held: Subject = {
      ...subject,
      files: subject.files.map((f) => {
        const was = byPath.get(f.path);
        if (was === undefined) throw new Error(`no old parse of ${f.path}`);
        return { ...f, added: linesOf(was.added), removed: linesOf(was.removed) };
      }),
    };
    const [now, before] = [await grade(subject), await grade(held)];
    expect(now).toEqual(before);
    // Nothing vacuous: the fixture trips the gates that read lines.
    const status = Object.fromEntries(now.map((r) => [r.id, r.status]));
    expect(status).toMatchObject({ diff: "pass", secrets: "fail", static: "fail", tamper: "fail" });
    expect(
      now
        .find((r) => r.id === "tamper")
        ?.findings.map((f) => f.rule)
        .sort(),
    ).toEqual(expect.arrayContaining(["fewer-assertions", "skip-marker", "test-deleted", "test-renamed-away"]));
  });
});
