// A JSONL stream's kept summary: every read folds exactly the records readJsonl reads, and warns of
// the same unreadable lines, whether the summary is fresh, missing, damaged, of another version, or
// stale because the stream was appended to, torn, cut back, replaced or edited in place.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
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
  encode: (state) => state,
  decode: (raw) => (Array.isArray(raw) && raw.every((r) => Rec.safeParse(r).success) ? (raw as Rec[]) : null),
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
    expect(JSON.parse(readFileSync(summary, "utf8")).bad.count).toBe(2);
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
    const kept = JSON.parse(readFileSync(summary, "utf8"));
    writeFileSync(summary, JSON.stringify({ ...kept, state: [{ n: 99, tag: "forged" }, "x"] }));
    expect(same()).toHaveLength(2);
    writeFileSync(summary, "{ torn");
    expect(same()).toHaveLength(2);
    expect(same("t/2")).toHaveLength(2);
    expect(JSON.parse(readFileSync(summary, "utf8")).version).toBe("t/2");
    // Where the summary should go, a file stands (ENOTDIR, whoever runs the test).
    rmSync(join(dir.path, "summaries"), { recursive: true });
    writeFileSync(join(dir.path, "summaries"), "");
    appendFileSync(stream, line(3));
    expect(same("t/3")).toHaveLength(3);
  });
});
