// A spec that reads as vague is named by `loki plan`, pointing at `loki grill`: items measured only by a
// word no check can measure (unless a number makes it checkable), or too few items to judge a build by.
import { describe, expect, test } from "bun:test";
import { vagueness, vagueWarning } from "../../src/plan/vague.ts";

const spec = (texts: string[], kind: "markdown" | "brief" = "markdown") => ({
  items: texts.map((text, i) => ({ id: `ac-${i}`, text })),
  source: { kind, ref: kind === "brief" ? "build a fast notes app" : "prd.md" },
});

describe("vagueness", () => {
  test("an item measured only by a vague word is named; a number makes it checkable", () => {
    expect(
      vagueness(spec(["search is fast", "the list looks nice on phones", "pages load in under 200 ms", "a note has a title"])),
    ).toEqual({
      items: [
        { id: "ac-0", word: "fast" },
        { id: "ac-1", word: "nice" },
      ],
      few: false,
    });
    expect(vagueness(spec(["add(a, b) returns the sum", "sub(a, b) returns the difference", "math.js exports both"])).items).toEqual([]);
  });

  test("the plan's warning names the words and the command; none for a precise spec", () => {
    expect(vagueWarning(spec(["search is fast", "a note has a title", "notes sort by date"]))).toBe(
      'the spec reads as vague (1 item measured only by "fast"): loki grill prd.md asks a reviewer what would settle it, before a build spends anything',
    );
    expect(vagueWarning(spec(["build a fast notes app"], "brief"))).toContain(
      '(1 item measured only by "fast", only 1 item): loki grill "<brief>"',
    );
    expect(vagueWarning(spec(["add returns the sum", "sub returns the difference", "mul returns the product"]))).toBeNull();
  });
});
