// The snapshot's only ways to read .loki/: validated JSON, the event stream and the cost ledger (parsed
// once and then only as they grow), each file's age. Never throws: a missing, unreadable, oversized or
// invalid file is `null` ("unknown"), and a stream's bad line (a torn tail while the run writes) is skipped.
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
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

/** events.jsonl: the complete lines, each validated; lines that do not parse are skipped. */
export function readEvents(path: string): EventStream {
  const read = readJsonl(path, LokiEvent);
  return { events: read.items, offset: read.offset, present: read.present };
}

export type Ledger = {
  entries: CostEntry[];
  /** false: metrics/cost.jsonl does not exist (no call has been billed yet, or it was lost). */
  present: boolean;
};

/** metrics/cost.jsonl: each complete line validated; lines that do not parse are skipped. */
export function readLedger(path: string): Ledger {
  const read = readJsonl(path, CostEntry);
  return { entries: read.items, present: read.present };
}

/** What was parsed of an append-only stream so far: `ino` tells a replaced file, `offset` where to go on. */
type Parsed = { ino: number; offset: number; items: unknown[] };
/** Per path: an overnight run's streams grow to many MB, and a page refetches the snapshot often —
 *  each read parses only what was appended since the last one. */
const parsed = new Map<string, Parsed>();
/** Read in chunks of this: a file of any size is read without one giant buffer. */
const CHUNK = 8 * 1024 * 1024;

function readJsonl<S extends z.ZodType>(path: string, schema: S): { items: z.output<S>[]; offset: number; present: boolean } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    parsed.delete(path);
    return { items: [], offset: 0, present: false };
  }
  try {
    const { ino, size } = fstatSync(fd);
    const known = parsed.get(path);
    // A shrunk or replaced file is another stream: parsed again from its start.
    const state: Parsed = known && known.ino === ino && known.offset <= size ? known : { ino, offset: 0, items: [] };
    let pending = Buffer.alloc(0);
    for (let at = state.offset; at < size; ) {
      const chunk = Buffer.alloc(Math.min(CHUNK, size - at));
      const got = readSync(fd, chunk, 0, chunk.length, at);
      if (got <= 0) break;
      at += got;
      const bytes = pending.length > 0 ? Buffer.concat([pending, chunk.subarray(0, got)]) : chunk.subarray(0, got);
      const end = bytes.lastIndexOf(0x0a) + 1;
      for (const line of bytes.toString("utf8", 0, end).split("\n")) {
        const item = parseLine(line, schema);
        if (item !== null) state.items.push(item);
      }
      state.offset += end;
      // A line longer than a chunk waits for its end; one longer than the cap is passed over.
      pending = bytes.length - end > CHUNK ? Buffer.alloc(0) : bytes.subarray(end);
      if (pending.length === 0 && bytes.length - end > CHUNK) state.offset += bytes.length - end;
    }
    parsed.set(path, state);
    return { items: state.items.slice() as z.output<S>[], offset: state.offset, present: true };
  } catch {
    return { items: [], offset: 0, present: true };
  } finally {
    closeSync(fd);
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
