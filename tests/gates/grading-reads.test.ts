// What grading a commit lists from git, on real repositories: the base's attribute files once per base
// commit, and no tree at all for the changed files the gates read (their blob ids come from the diff,
// diff-parse.ts) — while the gates still read exactly the commit's bytes, never what is on disk now.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readSubject, readSubjectFiles } from "../../src/gates/diff.ts";
import { createDiffParser } from "../../src/gates/diff-parse.ts";
import { git, tmpdir as tmpRepo } from "../helpers/tmp.ts";

const commit = (dir: string, message: string) => {
  git(dir, ["add", "-A"]);
  git(dir, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message]);
  return git(dir, ["rev-parse", "HEAD"]).trim();
};

/** The git commands `work` runs (hardening `-c` pairs left out), as git's own trace reports them. */
async function gitCalls<T>(work: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  const trace = join(mkdtempSync(join(tmpdir(), "loki-trace-")), "trace2.json");
  process.env.GIT_TRACE2_EVENT = trace;
  try {
    const result = await work();
    const calls = readFileSync(trace, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event: string; argv?: string[] })
      .filter((event) => event.event === "start")
      .map((event) =>
        (event.argv ?? [])
          .filter((arg, i, all) => arg !== "-c" && all[i - 1] !== "-c")
          .slice(1)
          .join(" "),
      );
    return { result, calls };
  } finally {
    delete process.env.GIT_TRACE2_EVENT;
    rmSync(dirname(trace), { recursive: true, force: true });
  }
}

describe("grading reads", () => {
  test("the base's attribute files are listed once per base commit, and still count", async () => {
    await using repo = await tmpRepo({ commit: true, files: { ".gitattributes": "*.dat binary\n", "a.dat": "one\n" } });
    const base = git(repo.path, ["rev-parse", "HEAD"]).trim();
    repo.write("a.dat", "two\n");
    commit(repo.path, "first");
    const first = await gitCalls(() => readSubject(repo.path, base, { includeWorktree: false }));
    expect(first.calls.filter((call) => call.startsWith(`ls-tree -r -z --full-tree ${base}`))).toHaveLength(1);
    repo.write("a.dat", "three\n");
    commit(repo.path, "second");
    const second = await gitCalls(() => readSubject(repo.path, base, { includeWorktree: false }));
    expect(second.calls.filter((call) => call.startsWith("ls-tree"))).toEqual([]);
    for (const { result } of [first, second]) expect(result.files.find((f) => f.path === "a.dat")?.binary).toBe(true);
  });

  test("the changed files are read by the blob ids the diff names: no tree listed, the commit's bytes", async () => {
    await using repo = await tmpRepo({ commit: true, files: { "src/a.js": "export const a = 1;\n" } });
    const base = git(repo.path, ["rev-parse", "HEAD"]).trim();
    repo.write("src/a.js", "export const a = 2;\n");
    repo.write("src/b.js", "export const b = 1;\n");
    commit(repo.path, "change");
    // The working tree moves on after the commit: the gates grade the commit, not this.
    repo.write("src/b.js", "export const b = 'rewritten';\n");
    const { result, calls } = await gitCalls(async () => {
      const subject = await readSubject(repo.path, base, { includeWorktree: false });
      return readSubjectFiles(subject, ["src/a.js", "src/b.js"]);
    });
    expect(result).toEqual(["export const a = 2;\n", "export const b = 1;\n"]);
    expect(calls.filter((call) => call.startsWith("ls-tree") && !call.includes(base))).toEqual([]);
  });

  test("the diff names a regular file's new blob; a link, a deletion and a pure rename are left to git", async () => {
    await using repo = await tmpRepo({ commit: true, files: { "keep.txt": "k\n", "gone.txt": "g\n", "old.txt": "same\n" } });
    const base = git(repo.path, ["rev-parse", "HEAD"]).trim();
    repo.write("keep.txt", "changed\n");
    repo.write("new.sh", "#!/bin/sh\n");
    git(repo.path, ["rm", "-q", "gone.txt"]);
    git(repo.path, ["mv", "old.txt", "moved.txt"]);
    symlinkSync("keep.txt", join(repo.path, "link"));
    writeFileSync(join(repo.path, "new.sh"), "#!/bin/sh\n", { mode: 0o755 });
    commit(repo.path, "change");
    const parser = createDiffParser();
    parser.push(Buffer.from(git(repo.path, ["diff", "--full-index", "-M", base, "HEAD"])));
    parser.finish();
    const blob = (path: string) => git(repo.path, ["rev-parse", `HEAD:${path}`]).trim();
    expect(Object.fromEntries(parser.ids)).toEqual({ "keep.txt": blob("keep.txt"), "new.sh": blob("new.sh"), link: null });
  });
});
