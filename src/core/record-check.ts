// Records loki builds itself, checked by plain rules instead of zod's parse: the gate results and evidence
// on the way out (checkRecord: exactly GateResult's and Evidence's rules, as zod's parse returns them), and
// a spec's big arrays in place (problemIn; spec/spec-check.ts). A test holds each rule to its schema, node by
// node. Building those schemas and parsing with them was about 5 ms of a 45 ms `loki verify`. Pure; what is
// read back from disk is still parsed by zod.
import type { Evidence } from "./evidence-schema.ts";
import type { GateResult } from "./schema.ts";

/** A rule for one value, as the schema states it (the kinds of zod node these two schemas use). */
export type Rule =
  | { kind: "string"; min?: number }
  | { kind: "number"; int?: true; min?: number; positive?: true }
  | { kind: "boolean" }
  | { kind: "literal"; value: string | number }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "nullable"; of: Rule }
  | { kind: "optional"; of: Rule }
  | { kind: "array"; of: Rule; max?: number }
  /** z.record(z.string(), z.unknown()): any object; its string keys copied. */
  | { kind: "record" }
  | { kind: "object"; shape: Readonly<Record<string, Rule>> };

export const string: Rule = { kind: "string" };
export const nonEmpty: Rule = { kind: "string", min: 1 };
export const boolean: Rule = { kind: "boolean" };
export const int: Rule = { kind: "number", int: true };
export const positiveInt: Rule = { kind: "number", int: true, positive: true };
export const count: Rule = { kind: "number", int: true, min: 0 };
export const optional = (of: Rule): Rule => ({ kind: "optional", of });
export const nullable = (of: Rule): Rule => ({ kind: "nullable", of });
export const array = (of: Rule, max?: number): Rule => (max === undefined ? { kind: "array", of } : { kind: "array", of, max });
export const oneOf = (values: readonly string[]): Rule => ({ kind: "enum", values });
export const object = (shape: Record<string, Rule>): Rule => ({ kind: "object", shape });

const SEVERITY = oneOf(["critical", "high", "medium", "low", "info"]);
const VERDICT = oneOf(["VERIFIED", "CONCERNS", "BLOCKED"]);

export const FINDING_RULE = object({
  severity: SEVERITY,
  file: optional(string),
  line: optional(positiveInt),
  message: string,
  rule: optional(string),
  fingerprint: string,
});

export const GATE_RESULT_RULE = object({
  id: string,
  title: string,
  status: oneOf(["pass", "fail", "inconclusive", "skipped"]),
  reason: string,
  duration_ms: { kind: "number", min: 0 },
  findings: array(FINDING_RULE),
  digest: optional(string),
  details: optional({ kind: "record" }),
});

const DETECTED_COMMAND = nullable(object({ command: string, source: string }));

export const EVIDENCE_RULE = object({
  schema_version: { kind: "literal", value: 1 },
  generated_at: nonEmpty,
  tool: object({ name: { kind: "literal", value: "loki" }, version: string }),
  source: oneOf(["verify", "run"]),
  run_id: nullable(string),
  sandboxed: optional(boolean),
  grading: optional(object({ frozen_at: string, config_change_accepted: boolean })),
  detection: optional(
    array(
      object({
        iteration: nullable(int),
        at: nonEmpty,
        kinds: array(string),
        test: DETECTED_COMMAND,
        build: DETECTED_COMMAND,
        lint: DETECTED_COMMAND,
      }),
    ),
  ),
  repo: object({ root: string, head: string, base: string, base_ref: string, branch: nullable(string) }),
  subject: object({
    files: count,
    insertions: count,
    deletions: count,
    includes_worktree: boolean,
    scope: oneOf(["diff", "files", "repo"]),
  }),
  verdict: VERDICT,
  exit_code: int,
  reasons: array(string),
  block_on: array(SEVERITY),
  baseline: nullable(object({ path: string, suppressed: count })),
  gates: array(GATE_RESULT_RULE),
  stages: array(object({ id: string, verdict: VERDICT, reasons: array(string) })),
  memory: optional(object({ given: array(string, 200), failures: count, repeated: array(string, 200), hit_again_of: array(string, 200) })),
});

/** Where a value breaks its rule, and how (the first place found, as zod's first issue). */
export class RecordIssue extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** An object a record may be: no instance of a class of its own (as zod's records take). */
function isPlainObject(value: unknown): value is Record<string | symbol, unknown> {
  if (!isObject(value)) return false;
  const made = value.constructor;
  if (typeof made !== "function") return true;
  const prototype: unknown = made.prototype;
  return isObject(prototype) && Object.prototype.hasOwnProperty.call(prototype, "isPrototypeOf");
}

/**
 * `value` checked against `rule`, as zod's parse returns it: objects rebuilt with their rule's keys in
 * its order (unknown keys dropped, an optional key kept only when present), arrays copied. Throws a
 * RecordIssue at the first value that breaks its rule.
 */
export function checkRecord(rule: Rule, value: unknown, path: (string | number)[] = []): unknown {
  try {
    return walk(rule, value, true);
  } catch (error) {
    if (error instanceof RecordIssue) error.path.unshift(...path);
    throw error;
  }
}

/**
 * A check by `rule` (made once) that gives the first place a value breaks it, checked where it is (nothing
 * copied: a 20,000-item spec's items are not rebuilt), or null. Stricter than zod's parse in one way: a key the rule does not name is refused
 * ("unrecognized key"), where zod would drop it from its copy.
 */
export function problemIn(rule: Rule): (value: unknown) => RecordIssue | null {
  const holds = holdsOf(rule);
  return (value) => {
    if (holds(value)) return null;
    try {
      walk(rule, value, false);
      return null;
    } catch (error) {
      if (error instanceof RecordIssue) return error;
      throw error;
    }
  };
}

const compiled = new WeakMap<Rule, (value: unknown) => boolean>();

/**
 * `rule` as one predicate of closures, made once per rule: problemIn's answer for a value that holds, with
 * no path kept and nothing allocated (a 20,000-item spec's check); `walk` says where one that does not breaks.
 */
function holdsOf(rule: Rule): (value: unknown) => boolean {
  let holds = compiled.get(rule);
  if (holds === undefined) {
    holds = predicate(rule);
    compiled.set(rule, holds);
  }
  return holds;
}

function predicate(rule: Rule): (value: unknown) => boolean {
  switch (rule.kind) {
    case "string": {
      const min = rule.min ?? 0;
      return (v) => typeof v === "string" && v.length >= min;
    }
    case "number": {
      const { int: whole, min, positive } = rule;
      return (v) =>
        typeof v === "number" &&
        Number.isFinite(v) &&
        (!whole || Number.isSafeInteger(v)) &&
        (min === undefined || v >= min) &&
        (!positive || v > 0);
    }
    case "boolean":
      return (v) => typeof v === "boolean";
    case "literal":
      return (v) => v === rule.value;
    case "enum": {
      const values = new Set<unknown>(rule.values);
      return (v) => values.has(v);
    }
    case "nullable": {
      const of = holdsOf(rule.of);
      return (v) => v === null || of(v);
    }
    case "optional": {
      const of = holdsOf(rule.of);
      return (v) => v === undefined || of(v);
    }
    case "array": {
      const of = holdsOf(rule.of);
      const max = rule.max ?? Number.POSITIVE_INFINITY;
      return (v) => {
        if (!Array.isArray(v) || v.length > max) return false;
        for (let index = 0; index < v.length; index++) if (!of(v[index])) return false;
        return true;
      };
    }
    case "record":
      return (v) => {
        try {
          walk(rule, v, false);
          return true;
        } catch {
          return false;
        }
      };
    case "object": {
      const fields = Object.entries(rule.shape).map(([key, inner]) => [key, holdsOf(inner)] as const);
      const { shape } = rule;
      return (v) => {
        if (!isObject(v)) return false;
        for (const key in v) if (!Object.hasOwn(shape, key)) return false;
        for (const [key, holds] of fields) if (!holds(v[key])) return false;
        return true;
      };
    }
  }
}

/** `walk` of a part of a value: a failure there gets the part's key put in front of its path (built only then). */
function walkAt(key: string | number, rule: Rule, value: unknown, copy: boolean): unknown {
  try {
    return walk(rule, value, copy);
  } catch (error) {
    if (error instanceof RecordIssue) error.path.unshift(key);
    throw error;
  }
}

/** checkRecord's walk; with `copy` false it returns `value` itself and refuses keys the rule does not name. */
function walk(rule: Rule, value: unknown, copy: boolean): unknown {
  const fail = (message: string): never => {
    throw new RecordIssue([], message);
  };
  switch (rule.kind) {
    case "string":
      if (typeof value !== "string") return fail("expected a string");
      return rule.min !== undefined && value.length < rule.min ? fail(`expected at least ${rule.min} character`) : value;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return fail("expected a number");
      if (rule.int && !Number.isSafeInteger(value)) return fail("expected an integer");
      if (rule.min !== undefined && value < rule.min) return fail(`expected a number >= ${rule.min}`);
      return rule.positive && value <= 0 ? fail("expected a number > 0") : value;
    case "boolean":
      return typeof value === "boolean" ? value : fail("expected a boolean");
    case "literal":
      return value === rule.value ? value : fail(`expected ${JSON.stringify(rule.value)}`);
    case "enum":
      return typeof value === "string" && rule.values.includes(value) ? value : fail(`expected one of ${rule.values.join(", ")}`);
    case "nullable":
      return value === null ? null : walk(rule.of, value, copy);
    case "optional":
      return value === undefined ? undefined : walk(rule.of, value, copy);
    case "array": {
      if (!Array.isArray(value)) return fail("expected an array");
      if (rule.max !== undefined && value.length > rule.max) return fail(`expected at most ${rule.max} items`);
      // Every index, holes too (map would skip a hole, which zod reads as undefined).
      const items: unknown[] = [];
      for (let index = 0; index < value.length; index++) {
        const item = walkAt(index, rule.of, value[index], copy);
        if (copy) items.push(item);
      }
      return copy ? items : value;
    }
    case "record": {
      if (!isPlainObject(value)) return fail("expected an object");
      const copied: Record<string, unknown> = {};
      for (const key of Reflect.ownKeys(value)) {
        if (key === "__proto__" || !Object.prototype.propertyIsEnumerable.call(value, key)) continue;
        if (typeof key === "symbol") throw new RecordIssue([String(key)], "expected a string key");
        if (copy) copied[key] = value[key];
      }
      return copy ? copied : value;
    }
    case "object": {
      if (!isObject(value)) return fail("expected an object");
      if (!copy) for (const key in value) if (!Object.hasOwn(rule.shape, key)) return fail(`unrecognized key ${JSON.stringify(key)}`);
      const out: Record<string, unknown> = {};
      for (const key in rule.shape) {
        const inner = rule.shape[key] as Rule;
        const field = value[key];
        if (field === undefined && inner.kind === "optional") {
          if (copy && key in value) out[key] = undefined;
          continue;
        }
        const checked = walkAt(key, inner, field, copy);
        if (copy) out[key] = checked;
      }
      return copy ? out : value;
    }
  }
}

/** A gate's result as GateResult's parse returns it, or the first issue. */
export function checkGateResult(value: unknown): { ok: true; result: GateResult } | { ok: false; issue: RecordIssue } {
  try {
    return { ok: true, result: checkRecord(GATE_RESULT_RULE, value) as GateResult };
  } catch (error) {
    if (error instanceof RecordIssue) return { ok: false, issue: error };
    throw error;
  }
}

/** An evidence record as Evidence's parse returns it; throws a RecordIssue (a bug in what built it). */
export function checkEvidence(value: unknown): Evidence {
  return checkRecord(EVIDENCE_RULE, value) as Evidence;
}
