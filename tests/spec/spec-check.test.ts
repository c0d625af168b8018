// The intake's plain checks (src/spec/spec-check.ts) answer as the zod schemas they stand in for: the same
// keys in the same order, and for each value below the same accept/refuse; an unknown key, which zod would
// drop, is refused. A spec read through them is byte for byte what zod's parse wrote.
import { describe, expect, test } from "bun:test";
import { ChecklistItem, SpecItem, SpecSection } from "../../src/core/schema.ts";
import {
  CHECKLIST_ITEM_KEYS,
  checkChecklistItems,
  checkSpecItems,
  checkSpecSections,
  SPEC_ITEM_KEYS,
  SPEC_SECTION_KEYS,
} from "../../src/spec/spec-check.ts";
import { assignIds } from "../../src/spec/checklist.ts";

const item = { id: "ac-1", text: "a user can sign in", kind: "acceptance", source: { line: 3 } };
const full = {
  id: "ac-2",
  text: "GET /x returns 200",
  kind: "operation",
  section: "API",
  group: "x",
  source: { file: "api.yaml", line: 1 },
  verify: "bun test",
  operation: { method: "GET", path: "/x", responses: ["200"] },
};

const itemCases: [string, unknown][] = [
  ["minimal", item],
  ["every key", full],
  ["no source line", { ...item, source: {} }],
  ["empty id", { ...item, id: "" }],
  ["empty text", { ...item, text: "" }],
  ["unknown kind", { ...item, kind: "wish" }],
  ["numeric section", { ...item, section: 1 }],
  ["no source", { id: "a", text: "b", kind: "task" }],
  ["line 0", { ...item, source: { line: 0 } }],
  ["line 1.5", { ...item, source: { line: 1.5 } }],
  ["line NaN", { ...item, source: { line: Number.NaN } }],
  ["line beyond safe", { ...item, source: { line: 2 ** 53 } }],
  ["file not a string", { ...item, source: { file: 7 } }],
  ["verify null", { ...item, verify: null }],
  ["operation without responses", { ...full, operation: { method: "GET", path: "/x" } }],
  ["responses not strings", { ...full, operation: { method: "GET", path: "/x", responses: [200] } }],
  ["an array", [item]],
  ["null", null],
];

const sectionCases: [string, unknown][] = [
  ["plain", { title: "Goals", level: 2, line: 4 }],
  ["empty title, level 0", { title: "", level: 0, line: 0 }],
  ["level 2.5", { title: "x", level: 2.5, line: 1 }],
  ["line missing", { title: "x", level: 1 }],
  ["title a number", { title: 1, level: 1, line: 1 }],
];

const checklistCases: [string, unknown][] = [
  ["pending", { id: "ac-1", text: "t", kind: "acceptance", section: "s", source_line: 2, status: "pending" }],
  ["empty id is allowed", { id: "", text: "", kind: "brief", status: "met" }],
  ["negative line is allowed", { id: "a", text: "t", kind: "task", source_line: -1, status: "unknown" }],
  ["unknown status", { id: "a", text: "t", kind: "task", status: "done" }],
  ["fractional line", { id: "a", text: "t", kind: "task", source_line: 0.5, status: "met" }],
];

function agrees(
  name: string,
  cases: [string, unknown][],
  schema: { safeParse(v: unknown): { success: boolean } },
  check: (v: never) => void,
) {
  describe(name, () => {
    for (const [label, value] of cases) {
      test(label, () => {
        const zodAccepts = schema.safeParse(value).success;
        let plainAccepts = true;
        try {
          check([value] as never);
        } catch {
          plainAccepts = false;
        }
        expect(plainAccepts).toBe(zodAccepts);
      });
    }
  });
}

agrees("spec items", itemCases, SpecItem, checkSpecItems);
agrees("spec sections", sectionCases, SpecSection, checkSpecSections);
agrees("checklist items", checklistCases, ChecklistItem, checkChecklistItems);

describe("the checks keep to their schemas", () => {
  test("each declares the keys its schema has, in its order", () => {
    expect<string[]>([...SPEC_ITEM_KEYS]).toEqual(Object.keys(SpecItem.shape));
    expect<string[]>([...SPEC_SECTION_KEYS]).toEqual(Object.keys(SpecSection.shape));
    expect<string[]>([...CHECKLIST_ITEM_KEYS]).toEqual(Object.keys(ChecklistItem.shape));
  });

  test("a key the schema does not declare is refused, where zod would drop it", () => {
    expect(SpecItem.safeParse({ ...item, extra: 1 }).success).toBe(true);
    expect(() => checkSpecItems([{ ...item, extra: 1 } as never])).toThrow(/unrecognized key "extra"/);
    expect(() => checkSpecItems([{ ...item, toString: "x" } as never])).toThrow(/unrecognized key/);
  });

  test("an item assignIds builds is what zod's parse makes of it, key order included", () => {
    const items = assignIds([
      { text: "a user can sign in", kind: "acceptance", section: "Auth", group: "login", line: 3, verify: "bun test" },
      { text: "GET /x", kind: "operation", file: "api.yaml", operation: { method: "GET", path: "/x", responses: ["200"] } },
    ]);
    checkSpecItems(items);
    for (const built of items) expect(JSON.stringify(built)).toBe(JSON.stringify(SpecItem.parse(built)));
  });

  test("the error names the element and the rule it broke", () => {
    expect(() => checkSpecItems([item, { ...item, kind: "wish" }] as never)).toThrow("spec.items[1]: invalid kind");
  });
});
