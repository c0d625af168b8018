// A JSONL stream's kept summary: every read folds exactly the records readJsonl reads, and warns of
// the same unreadable lines, whether the summary is fresh, missing, damaged, of another version, or
// stale because the stream was appended to, torn, cut back, replaced or edited in place — anywhere,
// with its modification time set back or not — and whether or not loki sealed it.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type Fold, foldJsonl } from "../../src/core/jsonl.ts";
import { readJsonl } from "../../src/core/workspace.ts";
import { type TmpDir, tmpdir } from "../helpers/tmp.ts";

const Rec = z.object({ n: z.number().int(), tag: z.string() });
type Rec = z.infer<typeof Rec>;
/** Keeps every record, in order: the fold equals readJsonl's list exactly when nothing is lost, doubled or reordered. */
const fold = (version = "t/1"): Fold<Rec, Rec[]> => ({
  version,
  empty: () => [],
  add: (state, record) => {
    state.push(record);
  },
  encode: (state) => Buffer.from(JSON.stringify(state)),
  decode: (bytes) => {
    const raw = JSON.parse(Buffer.from(bytes).toString("utf8"));
    return Array.isArray(raw) && raw.every((r) => Rec.safeParse(r).success) ? (raw as Rec[]) : null;
  },
});

let dir: TmpDir;
let stream: string;
let summary: string;
beforeEach(async () => {
  dir = await tmpdir();
  stream = join(dir.path, "metrics", "s.jsonl");
  summary = join(dir.path, "summaries", "s.json");
  mkdirSync(join(dir.path, "metrics"));
  mkdirSync(join(dir.path, "summaries"));
});
afterEach(async () => {
  await dir[Symbol.asyncDispose]();
});

/** The summary's header under its seal (its first line): the JSON line before the fold's state. */
const body = () => JSON.parse(readFileSync(summary, "utf8").split("\n")[1] ?? "");
const line = (n: number, tag = "x") => `${JSON.stringify({ n, tag })}\n`;
/** The fold's records and warning against readJsonl's. */
function same(version?: string): Rec[] {
  const problems: string[] = [];
  const expected: string[] = [];
  const got = foldJsonl(stream, summary, Rec, fold(version), (p) => problems.push(p));
  expect(got).toEqual(readJsonl(stream, Rec, (p) => expected.push(p)));
  expect(problems).toEqual(expected);
  return got;
}

describe("a kept JSONL summary", () => {
  test("a missing stream is empty and leaves no summary", () => {
    expect(same()).toEqual([]);
    expect(() => readFileSync(summary)).toThrow();
  });

  test("appends, blank and invalid lines, and a torn tail read as readJsonl reads them, read after read", () => {
    writeFileSync(stream, [1, 2, 3].map((n) => line(n)).join(""));
    expect(same()).toHaveLength(3);
    appendFileSync(stream, `\n{"n":"four"}\nnot json\n${line(5)}`);
    expect(same()).toHaveLength(4);
    appendFileSync(stream, '{"n":6,"tag":"torn-but-whole"}');
    expect(same()).toHaveLength(5);
    appendFileSync(stream, `\n${line(7)}{"n":8,`);
    expect(same().map((r) => r.n)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(body().bad.count).toBe(2);
  });

  test("a stream cut back, replaced by another file, or edited in place at the same size is refolded", () => {
    writeFileSync(stream, Array.from({ length: 200 }, (_, n) => line(n, "a")).join(""));
    same();
    truncateSync(stream, 100);
    appendFileSync(stream, `\n${line(1000)}`);
    expect(same().at(-1)?.n).toBe(1000);
    const other = `${stream}.new`;
    writeFileSync(other, readFileSync(stream, "utf8").replace('"tag":"a"', '"tag":"b"'));
    renameSync(other, stream);
    expect(same()[0]?.tag).toBe("b");
    writeFileSync(stream, readFileSync(stream, "utf8").replace('"tag":"b"', '"tag":"c"'));
    expect(same()[0]?.tag).toBe("c");
  });

  test("a damaged, foreign or other-version summary is refolded; an unwritable one only costs speed", () => {
    writeFileSync(stream, [1, 2].map((n) => line(n)).join(""));
    same();
    const kept = body();
    writeFileSync(summary, JSON.stringify({ ...kept, state: [{ n: 99, tag: "forged" }, "x"] }));
    expect(same()).toHaveLength(2);
    writeFileSync(summary, "{ torn");
    expect(same()).toHaveLength(2);
    expect(same("t/2")).toHaveLength(2);
    expect(body().version).toBe("t/2");
    // Where the summary should go, a file stands (ENOTDIR, whoever runs the test).
    rmSync(join(dir.path, "summaries"), { recursive: true });
    writeFileSync(join(dir.path, "summaries"), "");
    appendFileSync(stream, line(3));
    expect(same("t/3")).toHaveLength(3);
  });
});

/** A fold that counts the records it is given: how much of the stream a read folded. */
function counting(): { fold: Fold<Rec, Rec[]>; added: () => number } {
  let added = 0;
  const inner = fold();
  return { fold: { ...inner, add: (state, record) => (added++, inner.add(state, record)) }, added: () => added };
}

describe("a kept JSONL summary against edits it did not see", () => {
  // Long enough that the edited line lies far before the last 4 KB folded.
  const lines = (tag: string) => Array.from({ length: 1000 }, (_, n) => line(n, n === 3 ? tag : "a")).join("");

  test("a line edited in place far before the end, the same length, then one line appended", () => {
    writeFileSync(stream, lines("a"));
    same();
    writeFileSync(stream, lines("z"));
    appendFileSync(stream, line(1000));
    const got = same();
    expect(got[3]?.tag).toBe("z");
    expect(got).toHaveLength(1001);
  });

  test("a same-size edit far before the end with its modification time set back", () => {
    writeFileSync(stream, lines("a"));
    same();
    // touch -r keeps the nanoseconds (utimes from a Date would not, and the edit would show).
    const times = join(dir.path, "times");
    writeFileSync(times, "");
    expect(Bun.spawnSync(["touch", "-r", stream, times]).exitCode).toBe(0);
    writeFileSync(stream, lines("z"));
    expect(Bun.spawnSync(["touch", "-r", times, stream]).exitCode).toBe(0);
    expect(statSync(stream, { bigint: true }).mtimeNs).toBe(statSync(times, { bigint: true }).mtimeNs);
    expect(same()[3]?.tag).toBe("z");
  });

  test("a summary edited by hand (its seal kept) is not believed", () => {
    writeFileSync(stream, [1, 2].map((n) => line(n)).join(""));
    same();
    const text = readFileSync(summary, "utf8");
    expect(text).toContain('{"n":2,"tag":"x"}');
    writeFileSync(summary, text.replace('{"n":2,"tag":"x"}', '{"n":9,"tag":"x"}'));
    expect(same().map((r) => r.n)).toEqual([1, 2]);
  });

  test("an honest repeat reuses the summary untouched, and an append folds only the new lines", () => {
    writeFileSync(stream, [1, 2, 3].map((n) => line(n)).join(""));
    const { fold: f, added } = counting();
    const read = () => {
      const got = foldJsonl(stream, summary, Rec, f, () => {});
      expect(got).toEqual(readJsonl(stream, Rec, () => {}));
    };
    read();
    expect(added()).toBe(3);
    const kept = readFileSync(summary, "utf8");
    read();
    expect(added()).toBe(3);
    expect(readFileSync(summary, "utf8")).toBe(kept);
    appendFileSync(stream, [4, 5].map((n) => line(n)).join(""));
    read();
    expect(added()).toBe(5);
  });

  test("without a writable ~/.loki no summary is read or written, and the records are the same", () => {
    const home = process.env.HOME;
    // HOME under a regular file: ~/.loki cannot be made, whoever runs the test.
    writeFileSync(join(dir.path, "not-a-dir"), "");
    process.env.HOME = join(dir.path, "not-a-dir", "home");
    try {
      writeFileSync(stream, [1, 2].map((n) => line(n)).join(""));
      expect(same()).toHaveLength(2);
      appendFileSync(stream, line(3));
      expect(same()).toHaveLength(3);
      expect(() => readFileSync(summary)).toThrow();
    } finally {
      process.env.HOME = home;
    }
  });
});
