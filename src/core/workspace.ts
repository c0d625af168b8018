// The ONE map of loki's paths (core/paths.ts, re-exported) plus the only sanctioned ways to write
// in .loki/ and ~/.loki: validated atomic JSON writes and JSONL appends under a lock
// (core/durable.ts makes both whole-or-nothing), and the readers that validate them.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { appendLine, replaceFile, syncOwed, syncOwedTogether, type Durability } from "./durable.ts";
import { workspaceError } from "./errors.ts";
import { clearDeadLock, withLock } from "./lock.ts";
import { parseJsonlLine, unreadableMessage, unreadableReport } from "./jsonl.ts";
import { SCHEMA_VERSION } from "./schema.ts";
import { compiledSchema, validatedBy } from "./validated.ts";

// The append lock lives in core/lock.ts; read-modify-write callers (proof/trust.ts) take it from here.
// syncOwed makes the "boundary" writes so far durable: the loop calls it (syncOwedTogether) at each iteration boundary.
export { clearDeadLock, syncOwed, syncOwedTogether, withLock };
export type { Durability };

import type { Workspace } from "./paths.ts";
export { absent, findRoot, lokiHomeAt, tempOutside, userHome, workspaceAt, type LokiHome, type Workspace } from "./paths.ts";

/** Create `.loki/` (with a `.gitignore` of `*`) if missing. */
export function ensureWorkspace(ws: Workspace): void {
  mkdirSync(ws.dir, { recursive: true, mode: 0o700 });
  const ignore = join(ws.dir, ".gitignore");
  if (!existsSync(ignore)) writeFileAtomic(ignore, "*\n");
}

/** Write `text` so readers see either the old file or the whole new one, never a torn file (core/durable.ts).
 *  Files under `.loki/` and `~/.loki` are the user's alone (0600); pass 0o644 for what the user shares. */
export function writeFileAtomic(path: string, text: string | Uint8Array, mode = 0o600, durability: Durability = "power"): void {
  replaceFile(path, text, mode, durability);
}

/** Above this many bytes a JSON file is written on one line: indenting a 20,000-line spec's items
 *  makes the file a third larger and slower to write, for a file no one reads without a tool. */
export const COMPACT_JSON_BYTES = 64 * 1024;

/** `value` as a JSON file's text: indented (2 spaces) while small, one line once over COMPACT_JSON_BYTES. */
export function jsonText(value: unknown): string {
  const compact = JSON.stringify(value);
  return compact.length > COMPACT_JSON_BYTES ? `${compact}\n` : `${JSON.stringify(value, null, 2)}\n`;
}

/** jsonText(value) as UTF-8: a large file's line is encoded straight into its bytes, never first
 *  copied into a string one newline longer (a 20,000-item spec's is 2 MB). */
function jsonBytes(value: unknown): Uint8Array {
  const compact = JSON.stringify(value);
  if (compact.length <= COMPACT_JSON_BYTES) return Buffer.from(`${JSON.stringify(value, null, 2)}\n`, "utf8");
  const bytes = Buffer.allocUnsafe(Buffer.byteLength(compact, "utf8") + 1);
  bytes[bytes.write(compact, "utf8")] = 0x0a;
  return bytes;
}

/** Validate `value` against `schema`, then write it atomically as JSON (jsonText; durability: core/durable.ts).
 *  A value parseFrozen (core/validated.ts) produced for this same schema is valid as it stands: it is written
 *  as is, not parsed a second time (a 20,000-item spec is validated once per command, not once per use). */
export function writeJson<S extends z.ZodType>(path: string, schema: S, value: z.input<S>, durability: Durability = "power"): z.output<S> {
  if (validatedBy(value, schema)) {
    writeFileAtomic(path, jsonBytes(value), 0o600, durability);
    return value as z.output<S>;
  }
  const parsed = compiledSchema(schema).safeParse(value);
  if (!parsed.success) {
    throw workspaceError(`refusing to write invalid data to ${path}: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
      data: { issues: parsed.error.issues },
    });
  }
  writeFileAtomic(path, jsonBytes(parsed.data), 0o600, durability);
  return parsed.data;
}

/** Read and validate a JSON file; `undefined` when it does not exist. Corrupt files are errors. */
export function readJson<S extends z.ZodType>(path: string, schema: S): z.output<S> | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw workspaceError(`could not read ${path}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw workspaceError(`${path} is not valid JSON`, { hint: `move it aside (mv ${path} ${path}.bad) and re-run` });
  }
  const parsed = schema.safeParse(raw);
  // A file whose own schema accepts its version (proofs read 1 and 2) is read; one that does not,
  // with a version above the workspace's, came from a newer loki.
  const version = (raw as { schema_version?: unknown } | null)?.schema_version;
  if (!parsed.success && typeof version === "number" && version > SCHEMA_VERSION)
    throw workspaceError(`${path} was written by a newer loki (schema_version ${version}; this one reads ${SCHEMA_VERSION})`, {
      hint: "upgrade loki, or run the loki that wrote it; nothing was changed",
    });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw workspaceError(`${path} does not match its schema at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`, {
      hint: `move it aside (mv ${path} ${path}.bad) and re-run`,
    });
  }
  return parsed.data;
}

/** Validate and append one JSON line under the file's lock: whole or not at all (durability: core/durable.ts). */
export function appendJsonl<S extends z.ZodType>(path: string, schema: S, record: z.input<S>, durability: Durability = "power"): void {
  appendJsonlMany(path, schema, [record], durability);
}

/**
 * Validate every record, then append them in one write under one lock: all the lines or none.
 * `lockHeld`: the caller holds the lock every writer of this stream takes (the run lock, for the
 * run's own events.jsonl: loop/run-state.ts), so the append lock would only add syscalls.
 */
export function appendJsonlMany<S extends z.ZodType>(
  path: string,
  schema: S,
  records: readonly z.input<S>[],
  durability: Durability = "power",
  lockHeld = false,
): void {
  const lines = records.map((record) => {
    const parsed = schema.safeParse(record);
    if (!parsed.success) throw workspaceError(`refusing to append invalid record to ${path}: ${parsed.error.issues[0]?.message}`);
    return `${JSON.stringify(parsed.data)}\n`;
  });
  if (lines.length === 0) return;
  if (lockHeld) appendLine(path, lines.join(""), 0o600, durability);
  else withLock(path, () => appendLine(path, lines.join(""), 0o600, durability));
}

/**
 * Read a JSONL stream. A line that is not a valid record (a torn tail from a crash, a hand edit) is
 * skipped and reported once — the rest of the stream still counts; it never makes the whole stream
 * unreadable. `report` receives the problem (default: a warning on stderr, once per stream).
 */
export function readJsonl<S extends z.ZodType>(
  path: string,
  schema: S,
  report: (problem: string) => void = unreadableReport(path),
): z.output<S>[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw workspaceError(`could not read ${path}`, { cause: error });
  }
  const out: z.output<S>[] = [];
  const bad: number[] = [];
  text.split("\n").forEach((line, index) => {
    const parsed = parseJsonlLine(line, schema);
    if (parsed.kind === "record") out.push(parsed.record);
    else if (parsed.kind === "bad") bad.push(index + 1);
  });
  if (bad.length > 0) report(unreadableMessage(path, { lines: 0, good: out.length, bad: { count: bad.length, first: bad } }));
  return out;
}
