// Test helpers for the spec parsers: read a fixture under tests/fixtures/specs, and catch the
// specError a parser throws (so tests can assert its message and hint exactly).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isLokiError } from "../../src/core/errors.ts";
import type { LokiError } from "../../src/core/errors.ts";
import type { ParsedSpec } from "../../src/spec/types.ts";

export const FIXTURES = join(import.meta.dir, "..", "fixtures", "specs");

export function fixture(rel: string): string {
  return readFileSync(join(FIXTURES, rel), "utf8");
}

/** The LokiError `run` throws; fails the test when it returns or throws anything else. */
export function specErrorOf(run: () => unknown): LokiError {
  try {
    run();
  } catch (error) {
    if (isLokiError(error) && error.kind === "spec") return error;
    throw error;
  }
  throw new Error("expected a spec error, but the parser returned");
}

/** Items as compact tuples, so a table of expectations reads like the spec. */
export function rows(spec: ParsedSpec) {
  return spec.items.map((i) => ({ line: i.line, kind: i.kind, section: i.section, group: i.group, verify: i.verify, text: i.text }));
}
