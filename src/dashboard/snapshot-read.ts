// The snapshot's only ways to read .loki/: validated JSON, the event stream and the cost ledger, each
// file's age. Never throws: a missing, unreadable, oversized or invalid file is `null` ("unknown"),
// and a stream's bad line (a torn tail while the run writes) is skipped, never fatal.
import { readFileSync, statSync } from "node:fs";
import type { z } from "zod";
import { CostEntry, LokiEvent } from "../core/run-schema.ts";

/** A state file larger than this is not the engine's: read as unknown rather than parsed. */
const MAX_JSON_BYTES = 2 * 1024 * 1024;

/** The file's JSON validated by `schema`, or null when it is absent, too large, not JSON or off-schema. */
export function readValid<S extends z.ZodType>(path: string, schema: S): z.output<S> | null {
  const raw = readRawJson(path);
  if (raw === undefined) return null;
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** The file's JSON as it is (no schema), or undefined when it is absent, too large or not JSON. */
export function readRawJson(path: string): unknown {
  try {
    if (statSync(path).size > MAX_JSON_BYTES) return undefined;
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}

/** The file's modification time (ISO), or null when it is absent. */
export function mtimeOf(path: string): string | null {
  try {
    return statSync(path).mtime.toISOString();
  } catch {
    return null;
  }
}

/** The newest of several files' ages, or null when none exists. */
export function newest(...ages: (string | null)[]): string | null {
  return ages.reduce<string | null>((best, age) => (age !== null && (best === null || age > best) ? age : best), null);
}

export type EventStream = {
  /** Every valid event, in order. */
  events: LokiEvent[];
  /** Bytes of the file read: up to and including its last newline (a torn last line is left for later). */
  offset: number;
  /** false: the file does not exist (no events yet is then unknown, not "none"). */
  present: boolean;
};

/** events.jsonl, read once: the complete lines, each validated; lines that do not parse are skipped. */
export function readEvents(path: string): EventStream {
  const buffer = readBytes(path);
  if (buffer === null) return { events: [], offset: 0, present: false };
  const offset = buffer.lastIndexOf(0x0a) + 1;
  const events: LokiEvent[] = [];
  for (const line of buffer.toString("utf8", 0, offset).split("\n")) {
    const parsed = parseLine(line, LokiEvent);
    if (parsed !== null) events.push(parsed);
  }
  return { events, offset, present: true };
}

export type Ledger = {
  entries: CostEntry[];
  /** false: metrics/cost.jsonl does not exist (no call has been billed yet, or it was lost). */
  present: boolean;
};

/** metrics/cost.jsonl: each complete line validated; lines that do not parse are skipped. */
export function readLedger(path: string): Ledger {
  const buffer = readBytes(path);
  if (buffer === null) return { entries: [], present: false };
  const entries: CostEntry[] = [];
  for (const line of buffer.toString("utf8", 0, buffer.lastIndexOf(0x0a) + 1).split("\n")) {
    const parsed = parseLine(line, CostEntry);
    if (parsed !== null) entries.push(parsed);
  }
  return { entries, present: true };
}

function readBytes(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

function parseLine<S extends z.ZodType>(line: string, schema: S): z.output<S> | null {
  if (line.trim() === "") return null;
  try {
    const parsed = schema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
