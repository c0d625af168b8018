// Validators for loki's published JSON Schemas (docs/schemas/, draft-07, generated from the zod
// schemas): what a real file breaks, as "path: message" lines, so a failure names the field.
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SCHEMA_DIR } from "../../src/core/json-schema.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
// strict: a keyword ajv does not know in a generated schema is an error, not silently ignored;
// formats (the config's URLs are "uri") are checked, as an editor checks them.
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);

export type SchemaName = "config" | "evidence" | "proof";

/** The published schema file's JSON. */
export function publishedSchema(name: SchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, SCHEMA_DIR, `${name}.schema.json`), "utf8")) as Record<string, unknown>;
}

const compiled = new Map<SchemaName, ReturnType<typeof ajv.compile>>();

/** Violations of the published schema; empty when `value` is valid. */
export function schemaErrors(name: SchemaName, value: unknown): string[] {
  let validate = compiled.get(name);
  if (!validate) {
    validate = ajv.compile(publishedSchema(name));
    compiled.set(name, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "(root)"}: ${e.message ?? e.keyword}`);
}
