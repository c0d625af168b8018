// Validate once: a value parseFrozen produced is frozen and written without a second parse; anything
// else (a copy, a value of another schema, a hand-built object) is still validated on write, by a
// compiled parser that answers as the runtime one does.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { loadConfig } from "../../src/core/config.ts";
import { Spec } from "../../src/core/schema.ts";
import { compiledSchema, memoOfValidated, parseFrozen, validatedBy } from "../../src/core/validated.ts";
import { writeJson } from "../../src/core/workspace.ts";
import { heldOutIds } from "../../src/spec/heldout.ts";
import { readSpec } from "../../src/spec/read.ts";
import { tmpdir } from "../helpers/tmp.ts";

let parses = 0;
const Rec = z.object({ n: z.number(), tags: z.array(z.string()), inner: z.object({ who: z.string() }) }).refine(() => ++parses > 0);
const Other = z.object({ n: z.number(), tags: z.array(z.string()), inner: z.object({ who: z.string() }) });

describe("parseFrozen", () => {
  test("validates once, freezes every level, and writeJson writes it without parsing again", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "rec.json");
    const input = { n: 1, tags: ["a"], inner: { who: "x" } };
    parses = 0;
    const value = parseFrozen(Rec, input);
    expect(parses).toBe(1);
    expect(Object.isFrozen(input)).toBe(false);
    for (const part of [value, value.tags, value.inner]) expect(Object.isFrozen(part)).toBe(true);
    expect(() => {
      (value.inner as { who: string }).who = "y";
    }).toThrow(TypeError);
    expect(validatedBy(value, Rec)).toBe(true);
    expect(validatedBy(value, Other)).toBe(false);
    expect(writeJson(file, Rec, value)).toBe(value);
    expect(parses).toBe(1);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(input);
    writeJson(file, Rec, { ...value });
    expect(parses).toBe(2);
    expect(() => writeJson(file, Rec, { ...value, n: "no" } as never)).toThrow(/refusing to write invalid data/);
    expect(() => parseFrozen(Rec, { n: "no" } as never)).toThrow();
  });

  test("memoOfValidated computes once per validated value, every time for any other", () => {
    let calls = 0;
    const count = memoOfValidated(Other, (value) => ++calls + value.n);
    const value = parseFrozen(Other, { n: 10, tags: [], inner: { who: "x" } });
    expect([count(value), count(value)]).toEqual([11, 11]);
    const copy = { ...value };
    expect([count(copy), count(copy)]).toEqual([12, 13]);
  });

  test("readSpec returns a frozen spec of the Spec schema; its held-out ids are computed once", async () => {
    const items = Array.from({ length: 12 }, (_, n) => `- [ ] item number ${n}`).join("\n");
    await using dir = await tmpdir({ files: { "prd.md": `# App\n\n## Acceptance criteria\n${items}\n` } });
    const spec = await readSpec("prd.md", { cwd: dir.path, config: loadConfig(dir.path, {}).config, env: {} });
    expect(validatedBy(spec, Spec)).toBe(true);
    expect(Object.isFrozen(spec.items[0]?.source)).toBe(true);
    expect(heldOutIds(spec)).toBe(heldOutIds(spec));
    expect(heldOutIds(spec).size).toBe(3);
    expect(heldOutIds({ ...spec })).not.toBe(heldOutIds({ ...spec }));
    expect([...heldOutIds({ ...spec })]).toEqual([...heldOutIds(spec)]);
  });

  test("the compiled parser a schema gets once gives the runtime parser's output, key order and errors", () => {
    expect(compiledSchema(Spec)).toBe(compiledSchema(Spec));
    const item = { source: { line: 3 }, kind: "acceptance", text: "works", id: "ac-1", extra: true, section: undefined };
    const spec = {
      parsed_at: "2026-01-01T00:00:00.000Z",
      warnings: [],
      complexity: { reasons: [], score: 0, tier: "simple" },
      stats: { words: 1, lines: 1, sections: 0, items: 1, endpoints: 0, integrations: [], data_stores: [], services: [] },
      items: [item],
      sections: [],
      source: { sha256: "a".repeat(64), ref: "prd.md", kind: "markdown" },
      title: "App",
      schema_version: 1,
    };
    expect(JSON.stringify(compiledSchema(Spec).parse(spec))).toBe(JSON.stringify(Spec.parse(spec)));
    const bad = { ...spec, items: [{ ...item, kind: "wish" }] };
    const issues = (schema: typeof Spec) => schema.safeParse(bad).error?.issues;
    expect(issues(compiledSchema(Spec))).toEqual(issues(Spec));
    expect(issues(Spec)?.[0]?.path).toEqual(["items", 0, "kind"]);
  });
});
