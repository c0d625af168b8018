// Whether a plan names a held-out item (loop/heldout-seal.ts), against a real held-out store: by id, by
// whole text, by six of its words in a row no visible item shares — however cased, spaced, wrapped or
// laced with zero-width characters; and the seal ship-gate reasons go through before they are kept.
import { describe, expect, test } from "bun:test";
import type { SpecItem } from "../../src/core/schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { heldOutNamer, heldOutSeal } from "../../src/loop/heldout-seal.ts";
import { commitHeldOut, selectHeldOut } from "../../src/spec/heldout.ts";
import { tmpdir } from "../helpers/tmp.ts";

const item = (id: string, text: string): SpecItem => ({ id, text, kind: "acceptance", source: {} });
const ITEMS = [
  item("ac-1111111111", "add(a, b) returns the sum of two numbers"),
  item("ac-2222222222", "sub(a, b) returns the difference of two numbers"),
  item("ac-3333333333", "mul(a, b) returns the product of two numbers"),
  item("ac-4444444444", "div(a, b) returns the quotient of two numbers and throws on a zero divisor"),
];

async function store() {
  const dir = await tmpdir({ git: true });
  const ws = workspaceAt(dir.path);
  commitHeldOut(ws, "run-1", ITEMS);
  const [hidden] = selectHeldOut(ITEMS);
  if (!hidden) throw new Error("one item is held out of four");
  const visible = ITEMS.filter((i) => i.id !== hidden.id).map((i) => i.text);
  return { dir, ws, hidden, visible, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
}

describe("heldOutNamer", () => {
  test("the id or the text, however cased, spaced, wrapped or laced with zero-width characters", async () => {
    await using s = await store();
    const names = heldOutNamer(s.ws, "run-1", s.visible);
    if (!names) throw new Error("the store is readable");
    const text = s.hidden.text;
    for (const said of [
      `Task: ${text}.`,
      text.toUpperCase(),
      text.replaceAll(" ", "  "),
      text.replaceAll(" ", "\n"),
      text.replaceAll(" ", "\u200b "),
      `see **${text.split(" ").join("** **")}**`,
      `covers ${s.hidden.id.toUpperCase()}`,
    ])
      expect({ said, named: names(said) }).toEqual({ said, named: true });
  });

  test("six words in a row of a held-out item that no visible item has name it; words every item shares do not", async () => {
    await using s = await store();
    const names = heldOutNamer(s.ws, "run-1", s.visible);
    if (!names) throw new Error("the store is readable");
    const words = s.hidden.text.split(" ");
    // The tail every item of this spec shares ("returns the … of two numbers") names none by itself.
    expect(names("each function returns the result of two numbers")).toBe(false);
    expect(names(`We will also make sure ${words.slice(-7).join(" ")} somewhere.`)).toBe(words.length >= 7);
    expect(names("One ES module, math.js, with one pure function per operation and a test file beside it.")).toBe(false);
  });

  test("no store (held-out off, or gone): null, for the caller to fail closed", async () => {
    await using dir = await tmpdir({ git: true });
    expect(heldOutNamer(workspaceAt(dir.path), "run-1", [])).toBeNull();
  });
});

describe("heldOutSeal", () => {
  test("a council finding that quotes a held-out item is kept with the item sealed", async () => {
    await using s = await store();
    const seal = heldOutSeal(s.ws, "run-1");
    expect(seal(`council: requirements: high math.js:1 ${s.hidden.text} (${s.hidden.id})`)).toBe(
      "council: requirements: high math.js:1 [held-out] ([held-out])",
    );
    expect(seal("tests: 1 failed")).toBe("tests: 1 failed");
  });
});
