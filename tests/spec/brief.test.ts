// One-line briefs: clause splitting rules, title truncation, and the empty-brief error.
import { describe, expect, test } from "bun:test";
import { parseBrief } from "../../src/spec/brief.ts";
import { specErrorOf } from "../helpers/spec-fixture.ts";

describe("parseBrief", () => {
  test.each([
    ["one clause", "Add a /health endpoint that returns 200", ["Add a /health endpoint that returns 200"]],
    [
      "sentences and semicolons",
      "Add login. Add logout; keep sessions for a week.",
      ["Add login", "Add logout", "keep sessions for a week"],
    ],
    ["abbreviations and versions stay whole", "Support e.g. the v1.2 API format.", ["Support e.g. the v1.2 API format"]],
    [
      "', and' between two long clauses",
      "Build a todo app with login, and add a dark mode toggle",
      ["Build a todo app with login", "add a dark mode toggle"],
    ],
    [
      "' and then' between two long clauses",
      "Write the migration script and then run it on staging",
      ["Write the migration script", "run it on staging"],
    ],
    ["', and then' is one separator", "Log every request, and then alert on all errors", ["Log every request", "alert on all errors"]],
    ["no split when a side is short", "Buy red, and blue pens today", ["Buy red, and blue pens today"]],
    [
      "bullets and newlines",
      "- add the export button\n* [ ] write its tests\n2. update the docs",
      ["add the export button", "write its tests", "update the docs"],
    ],
    ["one-word clauses are dropped", "Refactor. Make the parser faster.", ["Make the parser faster"]],
    ["a single word is still one item", "refactor", ["refactor"]],
  ])("%s", (_name, brief, expected) => {
    const spec = parseBrief(brief);
    expect(spec.items.map((i) => i.text)).toEqual(expected);
    expect(spec.items.every((i) => i.kind === "brief")).toBe(true);
  });

  test("items keep their line; title is truncated to ~72 chars with the whole brief as summary", () => {
    const long = `First line of a long brief that goes on ${"and on ".repeat(10)}\nsecond line item here`;
    const spec = parseBrief(long);
    expect(spec.items.map((i) => i.line)).toEqual([1, 2]);
    expect(spec.title.length).toBeLessThanOrEqual(72);
    expect(spec.title.endsWith("…")).toBe(true);
    expect(spec.summary?.startsWith("First line of a long brief")).toBe(true);
    expect(parseBrief("short brief here").summary).toBeUndefined();
  });

  test.each(["", "   ", "\n\t\n", "- "])("an empty brief (%j) is a spec error", (brief) => {
    const error = specErrorOf(() => parseBrief(brief));
    expect(error.message).toBe("the brief is empty");
    expect(error.hint).toContain("loki start");
  });
});
