// The intake's big arrays — a spec's items and sections, its checklist's items: 20,000 of them in a big
// PRD — checked in place by plain code to the rules of their zod schemas (core/schema.ts), where zod's
// parse would build a copy of every one. Pure, changes nothing; a value that breaks a rule is a bug, thrown as internal.
import { internalError } from "../core/errors.ts";
import { ItemStatus, SpecItemKind, type ChecklistItem, type SpecItem, type SpecSection } from "../core/schema.ts";

/** The keys each schema declares, in its order: an item with any other key is refused (zod would drop it),
 *  and tests/spec/spec-check.test.ts fails when the schema gains or loses one. */
export const SPEC_ITEM_KEYS = ["id", "text", "kind", "section", "group", "source", "verify", "operation"] as const;
export const SPEC_SECTION_KEYS = ["title", "level", "line"] as const;
export const CHECKLIST_ITEM_KEYS = ["id", "text", "kind", "section", "source_line", "status"] as const;

type Rule = (value: unknown) => boolean;

const string: Rule = (v) => typeof v === "string";
const nonEmpty: Rule = (v) => typeof v === "string" && v.length > 0;
const int: Rule = (v) => Number.isSafeInteger(v);
const positiveInt: Rule = (v) => Number.isSafeInteger(v) && (v as number) > 0;
const optional =
  (rule: Rule): Rule =>
  (v) =>
    v === undefined || rule(v);
const oneOf = (values: readonly string[]): Rule => {
  const set = new Set<unknown>(values);
  return (v) => set.has(v);
};
const stringArray: Rule = (v) => Array.isArray(v) && v.every(string);

/** An object with only `rules`' keys, each value passing its rule (a missing key is undefined to its rule). */
function shape(rules: Record<string, Rule>): (value: unknown) => string | null {
  const keys = Object.keys(rules);
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "expected an object";
    for (const key in value) if (!Object.hasOwn(rules, key)) return `unrecognized key ${JSON.stringify(key)}`;
    for (const key of keys) {
      if (!(rules[key] as Rule)((value as Record<string, unknown>)[key])) return `invalid ${key}`;
    }
    return null;
  };
}

const sourceProblem = shape({ file: optional(string), line: optional(positiveInt) });
const operationProblem = shape({ method: string, path: string, responses: stringArray });

const itemProblem = shape({
  id: nonEmpty,
  text: nonEmpty,
  kind: oneOf(SpecItemKind.options),
  section: optional(string),
  group: optional(string),
  source: (v) => sourceProblem(v) === null,
  verify: optional(string),
  operation: (v) => v === undefined || operationProblem(v) === null,
} satisfies Record<(typeof SPEC_ITEM_KEYS)[number], Rule>);

const sectionProblem = shape({ title: string, level: int, line: int } satisfies Record<(typeof SPEC_SECTION_KEYS)[number], Rule>);

const checklistItemProblem = shape({
  id: string,
  text: string,
  kind: oneOf(SpecItemKind.options),
  section: optional(string),
  source_line: optional(int),
  status: oneOf(ItemStatus.options),
} satisfies Record<(typeof CHECKLIST_ITEM_KEYS)[number], Rule>);

/** Throws at the first of `values` that breaks a rule. */
function checkAll(values: readonly unknown[], where: string, problem: (value: unknown) => string | null): void {
  for (let at = 0; at < values.length; at++) {
    const found = problem(values[at]);
    if (found !== null) throw internalError(`${where}[${at}]: ${found}`, { data: { value: values[at] } });
  }
}

/** Each of `items` held to SpecItem's rules. */
export const checkSpecItems = (items: readonly SpecItem[]): void => checkAll(items, "spec.items", itemProblem);

/** Each of `sections` held to SpecSection's rules. */
export const checkSpecSections = (sections: readonly SpecSection[]): void => checkAll(sections, "spec.sections", sectionProblem);

/** Each of a checklist's `items` held to ChecklistItem's rules. */
export const checkChecklistItems = (items: readonly ChecklistItem[]): void => checkAll(items, "checklist.items", checklistItemProblem);
