// The plain checks (core/record-check.ts: gate results, evidence, and the spec's items, sections and checklist
// items in spec/spec-check.ts) are their zod schemas' rules: the same rule at every node, and the same answer
// as zod's parse on valid and broken records.
import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { checkEvidence, checkGateResult, checkRecord, EVIDENCE_RULE, GATE_RESULT_RULE, type Rule } from "../../src/core/record-check.ts";
import { ChecklistItem, GateResult, JITLESS, SpecItem, SpecSection } from "../../src/core/schema.ts";
import { CHECKLIST_ITEM_RULE, SPEC_ITEM_RULE, SPEC_SECTION_RULE } from "../../src/spec/spec-check.ts";

type Def = {
  type: string;
  checks?: { _zod: { def: Record<string, unknown> } }[];
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  values?: unknown[];
  entries?: Record<string, string>;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  catchall?: z.ZodType;
};

/** The rule a zod schema states, read from its definition; a node of a kind these schemas do not use throws. */
function ruleOf(schema: z.ZodType): Rule {
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  // Only string, number and array nodes carry checks the rules state; a refine or a strict/loose object anywhere is a rule they lack.
  if (!["string", "number", "array"].includes(def.type)) expect([def.type, checks]).toEqual([def.type, []]);
  if (def.type === "object") expect([def.type, def.catchall]).toEqual([def.type, undefined]);
  switch (def.type) {
    case "string": {
      const min = checks.find((c) => c.check === "min_length");
      expect(checks.length).toBe(min ? 1 : 0);
      return min ? { kind: "string", min: min.minimum as number } : { kind: "string" };
    }
    case "number": {
      const rule: Rule & { kind: "number" } = { kind: "number" };
      for (const c of checks) {
        if (c.check === "number_format" && c.format === "safeint") rule.int = true;
        else if (c.check === "greater_than" && c.inclusive === true) rule.min = c.value as number;
        else if (c.check === "greater_than" && c.value === 0) rule.positive = true;
        else throw new Error(`number check ${JSON.stringify(c)}`);
      }
      return rule;
    }
    case "boolean":
      return { kind: "boolean" };
    case "literal":
      expect(def.values?.length).toBe(1);
      return { kind: "literal", value: def.values?.[0] as string | number };
    case "enum":
      return { kind: "enum", values: Object.values(def.entries ?? {}) };
    case "nullable":
      return { kind: "nullable", of: ruleOf(def.innerType as z.ZodType) };
    case "optional":
      return { kind: "optional", of: ruleOf(def.innerType as z.ZodType) };
    case "array": {
      const max = checks.find((c) => c.check === "max_length");
      expect(checks.length).toBe(max ? 1 : 0);
      const of = ruleOf(def.element as z.ZodType);
      return max ? { kind: "array", of, max: max.maximum as number } : { kind: "array", of };
    }
    case "record": {
      const key = (def.keyType as unknown as { _zod: { def: Def } })._zod.def;
      const value = (def.valueType as unknown as { _zod: { def: Def } })._zod.def;
      expect([key.type, key.checks ?? [], value.type]).toEqual(["string", [], "unknown"]);
      return { kind: "record" };
    }
    case "object":
      return { kind: "object", shape: Object.fromEntries(Object.entries(def.shape ?? {}).map(([k, v]) => [k, ruleOf(v)])) };
    default:
      throw new Error(`a ${def.type} node: record-check.ts has no rule for it`);
  }
}

const finding = { severity: "high", file: "src/a.ts", line: 3, message: "m", rule: "r", fingerprint: "f" };
const gate = {
  id: "static",
  title: "Static checks",
  status: "fail",
  reason: "1 syntax error",
  duration_ms: 4,
  findings: [finding, { severity: "info", message: "n", fingerprint: "g" }],
  digest: "d",
  details: { checked: 3, missing: ["tsc"] },
};
const command = { command: "bun test", source: "package.json" };
const evidence = {
  schema_version: 1,
  generated_at: "2026-12-05T00:00:00.000Z",
  tool: { name: "loki", version: "0.1.0" },
  source: "run",
  run_id: "r1",
  sandboxed: true,
  grading: { frozen_at: "merge base abc", config_change_accepted: false },
  detection: [{ iteration: 1, at: "2026-12-05T00:00:00.000Z", kinds: ["bun"], test: command, build: null, lint: command }],
  repo: { root: "/r", head: "h", base: "b", base_ref: "main", branch: "feat" },
  subject: { files: 2, insertions: 5, deletions: 1, includes_worktree: false, scope: "diff" },
  verdict: "BLOCKED",
  exit_code: 2,
  reasons: ["static failed"],
  block_on: ["critical", "high"],
  baseline: { path: "b.json", suppressed: 1 },
  gates: [gate, { ...gate, id: "diff", status: "pass", findings: [], digest: undefined, details: undefined }],
  stages: [{ id: "council", verdict: "CONCERNS", reasons: ["x"] }],
  memory: { given: ["m1"], failures: 1, repeated: [], hit_again_of: [] },
};

/** Every path to a value in `value` (objects and arrays walked). */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [at];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...at, k]))];
}

function setAt(root: unknown, path: (string | number)[], make: (old: unknown) => unknown): unknown {
  const copy = structuredClone(root);
  if (path.length === 0) return make(copy);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  const next = make(node[last]);
  if (next === DELETE) delete node[last];
  else node[last] = next;
  return copy;
}

const DELETE = Symbol("delete");
class Made {
  a = 1;
}
const MUTATIONS: [string, (old: unknown) => unknown][] = [
  ["deleted", () => DELETE],
  ["undefined", () => undefined],
  ["null", () => null],
  ["a string", () => "x"],
  ["an empty string", () => ""],
  ["zero", () => 0],
  ["-1", () => -1],
  ["1.5", () => 1.5],
  ["NaN", () => Number.NaN],
  ["Infinity", () => Number.POSITIVE_INFINITY],
  ["2^53", () => 2 ** 53],
  ["true", () => true],
  ["[]", () => []],
  ["{}", () => ({})],
  ["a class instance", () => new Made()],
  ["a Date", () => new Date(0)],
  ["201 items", () => Array.from({ length: 201 }, () => "s")],
  ["another enum value", (old) => (old === "pass" ? "high" : "pass")],
  ["an extra key", (old) => (typeof old === "object" && old !== null && !Array.isArray(old) ? { ...old, extra: 1 } : old)],
  [
    "a key that is not enumerable",
    (old) =>
      typeof old === "object" && old !== null && !Array.isArray(old) ? Object.defineProperty({ ...old }, "hidden", { value: 1 }) : old,
  ],
  ["a symbol key", (old) => (typeof old === "object" && old !== null && !Array.isArray(old) ? { ...old, [Symbol("s")]: 1 } : old)],
];

describe("record-check: each rule is its zod schema's", () => {
  test("GateResult, node by node", () => {
    expect(GATE_RESULT_RULE).toEqual(ruleOf(GateResult));
  });
  test("Evidence, node by node", () => {
    expect(EVIDENCE_RULE).toEqual(ruleOf(Evidence));
  });
  test("the spec's and checklist's items and sections (spec/spec-check.ts), node by node", () => {
    expect(SPEC_ITEM_RULE).toEqual(ruleOf(SpecItem));
    expect(SPEC_SECTION_RULE).toEqual(ruleOf(SpecSection));
    expect(CHECKLIST_ITEM_RULE).toEqual(ruleOf(ChecklistItem));
  });
});

describe("record-check: the same answer as zod's parse", () => {
  const cases: [string, z.ZodType, Rule, unknown][] = [
    ["gate result", GateResult, GATE_RESULT_RULE, gate],
    ["evidence", Evidence, EVIDENCE_RULE, evidence],
  ];
  for (const [name, schema, rule, valid] of cases) {
    test(`${name}: every value of a valid record, broken each way`, () => {
      let broken = 0;
      let checked = 0;
      for (const path of paths(valid)) {
        for (const [how, make] of MUTATIONS) {
          const value = setAt(valid, path, make);
          const zod = schema.safeParse(value, JITLESS);
          let plain: { ok: true; value: unknown } | { ok: false; path: (string | number)[] };
          try {
            plain = { ok: true, value: checkRecord(rule, value) };
          } catch (error) {
            plain = { ok: false, path: (error as { path: (string | number)[] }).path };
          }
          const where = `${path.join(".") || "(root)"} ${how}`;
          expect([where, plain.ok]).toEqual([where, zod.success]);
          if (plain.ok && zod.success) expect([where, plain.value]).toStrictEqual([where, zod.data]);
          if (!plain.ok && !zod.success) {
            broken++;
            // The plain check stops at the first broken value, which is where zod's first issue is.
            const first = String(zod.error.issues[0]?.path.map(String).join("."));
            expect([where, plain.path.map(String).join(".")]).toEqual([where, first]);
          }
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(MUTATIONS.length * 20);
      expect(broken).toBeGreaterThan(checked / 3);
    });
  }

  test("checkGateResult names the first broken field; checkEvidence throws there", () => {
    const bad = checkGateResult({ ...gate, findings: [{ ...finding, line: 0 }] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issue.path).toEqual(["findings", 0, "line"]);
    expect(() => checkEvidence({ ...evidence, exit_code: "2" })).toThrow(/integer|number/);
    expect(checkEvidence(evidence)).toStrictEqual(Evidence.parse(evidence, JITLESS));
  });
});
