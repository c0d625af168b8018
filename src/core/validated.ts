// Values a zod schema's own (compiled) parse produced in this process (or vouchedFrozen's), deep-frozen so nothing can change
// them afterwards: writeJson (core/workspace.ts) writes such a value without validating it a second time.
// Only for loki's own freshly built values; what another process may have written is parsed on read.
import { z } from "zod";

const compiledOf = new WeakMap<z.ZodType, z.ZodType>();

/**
 * `schema` as z.compile makes it, once per schema: one generated function builds the whole output,
 * where the runtime parser makes a payload object per field of every item of a 20,000-item spec.
 * Same output; an invalid value is parsed again by the runtime parser, so the error is its own.
 */
export function compiledSchema<S extends z.ZodType>(schema: S): S {
  let compiled = compiledOf.get(schema);
  if (compiled === undefined) {
    compiled = z.compile(schema);
    compiledOf.set(schema, compiled);
  }
  return compiled as S;
}

/** The schema whose parse produced each value; a WeakMap, so a value dropped is forgotten with it. */
const producedBy = new WeakMap<object, z.ZodType>();

/**
 * `schema.parse(value)`, deep-frozen and remembered as valid for `schema`. Throws zod's error as
 * parse does. The parse output is zod's own copy (objects and arrays are rebuilt), so freezing it
 * freezes nothing the caller still holds; a later attempt to change it throws (modules are strict).
 */
export function parseFrozen<S extends z.ZodType>(schema: S, value: z.input<S>): z.output<S> {
  const data = compiledSchema(schema).parse(value);
  if (typeof data === "object" && data !== null) {
    deepFreeze(data);
    producedBy.set(data, schema);
  }
  return data;
}

/**
 * `value` deep-frozen and remembered as valid for `schema`, as parseFrozen's output is, without zod's parse:
 * for a value the caller built whose small parts zod parsed and whose big arrays a plain check held to the
 * same rules (spec/spec-check.ts), as zod would copy each of a 20,000-item spec's items to check it.
 */
export function vouchedFrozen<S extends z.ZodType>(schema: S, value: z.output<S>): z.output<S> {
  deepFreeze(value as object);
  producedBy.set(value as object, schema);
  return value;
}

/**
 * Whether `value` is the very object parseFrozen returned for `schema`: not a copy (a spread is a new,
 * unfrozen object), not a value another schema validated. Identity, so nothing is compared or walked.
 */
export function validatedBy(value: unknown, schema: z.ZodType): boolean {
  return typeof value === "object" && value !== null && producedBy.get(value) === schema;
}

/**
 * `compute` (a pure function of its argument) remembered per value parseFrozen produced for `schema`:
 * such a value cannot change, so neither can the result. Any other value is computed every call.
 */
export function memoOfValidated<S extends z.ZodType, V>(schema: S, compute: (value: z.output<S>) => V): (value: z.output<S>) => V {
  const memo = new WeakMap<object, V>();
  return (value) => {
    if (!validatedBy(value, schema)) return compute(value);
    if (memo.has(value as object)) return memo.get(value as object) as V;
    const result = compute(value);
    memo.set(value as object, result);
    return result;
  };
}

/** Freezes every object and array of a parse output. Such an output is a tree of zod's own copies
 *  (parseFrozen is for schemas of plain data, not z.unknown() holding the caller's objects). */
function deepFreeze(value: object): void {
  if (Array.isArray(value))
    for (let at = 0; at < value.length; at++) {
      const item: unknown = value[at];
      if (typeof item === "object" && item !== null) deepFreeze(item);
    }
  else
    for (const key in value) {
      const item: unknown = (value as Record<string, unknown>)[key];
      if (typeof item === "object" && item !== null) deepFreeze(item);
    }
  Object.freeze(value);
}
