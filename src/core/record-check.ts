// The gate results and evidence records loki builds, checked on the way out by plain rules instead of
// zod's parse: exactly GateResult's and Evidence's rules (core/schema.ts, core/evidence-schema.ts) — a
// test holds each rule to its schema, node by node, and the two checks to each other on broken records.
// Building those schemas and parsing with them was about 5 ms of a 45 ms `loki verify`. Pure; what is read
// back from disk is still parsed by zod.
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

const string: Rule = { kind: "string" };
const boolean: Rule = { kind: "boolean" };
const count: Rule = { kind: "number", int: true, min: 0 };
const optional = (of: Rule): Rule => ({ kind: "optional", of });
const nullable = (of: Rule): Rule => ({ kind: "nullable", of });
const array = (of: Rule, max?: number): Rule => (max === undefined ? { kind: "array", of } : { kind: "array", of, max });
const oneOf = (values: readonly string[]): Rule => ({ kind: "enum", values });
const object = (shape: Record<string, Rule>): Rule => ({ kind: "object", shape });

const SEVERITY = oneOf(["critical", "high", "medium", "low", "info"]);
const VERDICT = oneOf(["VERIFIED", "CONCERNS", "BLOCKED"]);

export const FINDING_RULE = object({
  severity: SEVERITY,
  file: optional(string),
  line: optional({ kind: "number", int: true, positive: true }),
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
  generated_at: { kind: "string", min: 1 },
  tool: object({ name: { kind: "literal", value: "loki" }, version: string }),
  source: oneOf(["verify", "run"]),
  run_id: nullable(string),
  sandboxed: optional(boolean),
  grading: optional(object({ frozen_at: string, config_change_accepted: boolean })),
  detection: optional(
    array(
      object({
        iteration: nullable({ kind: "number", int: true }),
        at: { kind: "string", min: 1 },
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
  exit_code: { kind: "number", int: true },
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
  const fail = (message: string): never => {
    throw new RecordIssue(path, message);
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
      return value === null ? null : checkRecord(rule.of, value, path);
    case "optional":
      return value === undefined ? undefined : checkRecord(rule.of, value, path);
    case "array": {
      if (!Array.isArray(value)) return fail("expected an array");
      if (rule.max !== undefined && value.length > rule.max) return fail(`expected at most ${rule.max} items`);
      // Every index, holes too (map would skip a hole, which zod reads as undefined).
      const items: unknown[] = [];
      for (let index = 0; index < value.length; index++) items.push(checkRecord(rule.of, value[index], [...path, index]));
      return items;
    }
    case "record": {
      if (!isPlainObject(value)) return fail("expected an object");
      const copy: Record<string, unknown> = {};
      for (const key of Reflect.ownKeys(value)) {
        if (key === "__proto__" || !Object.prototype.propertyIsEnumerable.call(value, key)) continue;
        if (typeof key === "symbol") throw new RecordIssue([...path, String(key)], "expected a string key");
        copy[key] = value[key];
      }
      return copy;
    }
    case "object": {
      if (!isObject(value)) return fail("expected an object");
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(rule.shape)) {
        const field = value[key];
        if (field === undefined && inner.kind === "optional") {
          if (key in value) out[key] = undefined;
          continue;
        }
        out[key] = checkRecord(inner, field, [...path, key]);
      }
      return out;
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
