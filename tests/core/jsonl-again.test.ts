// A stream read again as it grows (core/jsonl-again.ts): every read returns exactly readJsonl's records
// and reports the same unreadable lines, whether the stream was appended to, left with a torn tail, cut
// back, replaced, or edited in place at the same size; and nothing a caller does to a result reaches the next.
import { describe, expect, test } from "bun:test";
import { appendFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { readJsonlAgain } from "../../src/core/jsonl-again.ts";
import { readJsonl } from "../../src/core/workspace.ts";
import { tmpdir } from "../helpers/tmp.ts";

const Rec = z.object({ n: z.number().int(), tag: z.string() });
const line = (n: number, tag = "a") => `${JSON.stringify({ n, tag })}\n`;

/** Both readers on `path`: their records and their reports, which must be equal. */
function both(path: string) {
  const reports: { again: string[]; once: string[] } = { again: [], once: [] };
  const again = readJsonlAgain(path, Rec, (p) => reports.again.push(p));
  const once = readJsonl(path, Rec, (p) => reports.once.push(p));
  return { again, once, reports };
}

function expectSame(path: string): z.infer<typeof Rec>[] {
  const { again, once, reports } = both(path);
  expect(again).toEqual(once);
  expect(reports.again).toEqual(reports.once);
  return again;
}

describe("a stream read again", () => {
  test("appends, a torn tail, its completion, blank and unreadable lines: the same records and reports as readJsonl", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "events.jsonl");
    expect(expectSame(path)).toEqual([]);
    writeFileSync(path, line(1) + line(2));
    expect(expectSame(path).map((r) => r.n)).toEqual([1, 2]);
    appendFileSync(path, `${line(3)}\nnot json\n{"n":"x","tag":"a"}\n`);
    expect(expectSame(path).map((r) => r.n)).toEqual([1, 2, 3]);
    expect(both(path).reports.again[0]).toContain("line 5, 6");
    appendFileSync(path, '{"n":4,"ta');
    expect(expectSame(path).map((r) => r.n)).toEqual([1, 2, 3]);
    appendFileSync(path, 'g":"b"}\n');
    expect(expectSame(path).map((r) => r.n)).toEqual([1, 2, 3, 4]);
    appendFileSync(path, line(5).trimEnd());
    expect(expectSame(path).map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);
  });

  test("a stream cut back, replaced, edited in place at the same size or removed is read afresh", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "episodes.jsonl");
    writeFileSync(path, line(1) + line(2) + line(3));
    expectSame(path);
    truncateSync(path, line(1).length);
    expect(expectSame(path).map((r) => r.n)).toEqual([1]);
    writeFileSync(path, line(7) + line(8));
    expect(expectSame(path).map((r) => r.n)).toEqual([7, 8]);
    // The same size, one byte changed in a line already read, then an append: never the old record.
    writeFileSync(path, line(7, "b") + line(8));
    appendFileSync(path, line(9));
    expect(expectSame(path)).toEqual([
      { n: 7, tag: "b" },
      { n: 8, tag: "a" },
      { n: 9, tag: "a" },
    ]);
    rmSync(path);
    expect(expectSame(path)).toEqual([]);
    writeFileSync(path, line(1));
    expect(expectSame(path).map((r) => r.n)).toEqual([1]);
  });

  test("a result is the caller's own array; its records are frozen, so no caller changes another's", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "cost.jsonl");
    writeFileSync(path, line(1) + line(2));
    const first = readJsonlAgain(path, Rec);
    first.push({ n: 99, tag: "z" });
    first.reverse();
    expect(() => {
      (first[1] as { n: number }).n = 5;
    }).toThrow();
    expect(readJsonlAgain(path, Rec).map((r) => r.n)).toEqual([1, 2]);
  });

  test("another schema on the same path parses the stream with that schema", async () => {
    await using dir = await tmpdir();
    const path = join(dir.path, "mixed.jsonl");
    writeFileSync(path, `${line(1)}{"n":2}\n`);
    expect(readJsonlAgain(path, Rec, () => {}).map((r) => r.n)).toEqual([1]);
    const Loose = z.object({ n: z.number() });
    expect(readJsonlAgain(path, Loose, () => {})).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
