// The intake's big arrays — a spec's items and sections, its checklist's items: 20,000 of them in a big
// PRD — checked in place by their zod schemas' rules (core/record-check.ts problemIn), where zod's parse
// would build a copy of every one. Pure, changes nothing; a value that breaks a rule is a bug, thrown as internal.
import { internalError } from "../core/errors.ts";
import { array, int, nonEmpty, object, oneOf, optional, positiveInt, problemIn, type Rule, string } from "../core/record-check.ts";
import type { ChecklistItem, SpecItem, SpecSection } from "../core/schema.ts";

const ITEM_KINDS = ["acceptance", "requirement", "task", "operation", "scenario", "brief"];

/** SpecItem's rules (tests/core/record-check.test.ts holds them, and the two below, to the schemas node by node). */
export const SPEC_ITEM_RULE: Rule = object({
  id: nonEmpty,
  text: nonEmpty,
  kind: oneOf(ITEM_KINDS),
  section: optional(string),
  group: optional(string),
  source: object({ file: optional(string), line: optional(positiveInt) }),
  verify: optional(string),
  operation: optional(object({ method: string, path: string, responses: array(string) })),
});

export const SPEC_SECTION_RULE: Rule = object({ title: string, level: int, line: int });

export const CHECKLIST_ITEM_RULE: Rule = object({
  id: string,
  text: string,
  kind: oneOf(ITEM_KINDS),
  section: optional(string),
  source_line: optional(int),
  status: oneOf(["pending", "met", "failing", "unknown"]),
});

/** The keys each rule declares, in its schema's order: an item with any other key is refused (zod would drop it). */
const keysOf = (rule: Rule): string[] => (rule.kind === "object" ? Object.keys(rule.shape) : []);
export const SPEC_ITEM_KEYS = keysOf(SPEC_ITEM_RULE);
export const SPEC_SECTION_KEYS = keysOf(SPEC_SECTION_RULE);
export const CHECKLIST_ITEM_KEYS = keysOf(CHECKLIST_ITEM_RULE);

/** Throws at the first of `values` that breaks `rule`, naming the element and the key it broke. */
function checkAll(values: readonly unknown[], where: string, rule: Rule): void {
  const problem = problemIn(rule);
  for (let at = 0; at < values.length; at++) {
    const issue = problem(values[at]);
    if (issue === null) continue;
    const found = issue.path.length === 0 ? issue.message : `invalid ${issue.path[0]}`;
    throw internalError(`${where}[${at}]: ${found}`, { data: { value: values[at] } });
  }
}

/** Each of `items` held to SpecItem's rules. */
export const checkSpecItems = (items: readonly SpecItem[]): void => checkAll(items, "spec.items", SPEC_ITEM_RULE);

/** Each of `sections` held to SpecSection's rules. */
export const checkSpecSections = (sections: readonly SpecSection[]): void => checkAll(sections, "spec.sections", SPEC_SECTION_RULE);

/** Each of a checklist's `items` held to ChecklistItem's rules. */
export const checkChecklistItems = (items: readonly ChecklistItem[]): void => checkAll(items, "checklist.items", CHECKLIST_ITEM_RULE);
