// Reading a JSONL stream that this process reads again and again while it grows (a run's loop re-reads
// its events, episodes and cost ledger every iteration): the records of the lines parsed so far are kept,
// and a read parses only the lines appended since — once the file's bytes are found, byte for byte, to
// begin with the ones parsed (a file rewritten, cut or edited is parsed afresh). Same records as readJsonl.
import { readFileSync } from "node:fs";
import type { z } from "zod";
import { workspaceError } from "./errors.ts";
import { unreadableMessage, unreadableReport } from "./jsonl.ts";
import { parseFrozen } from "./validated.ts";

/** What was parsed of one stream: its whole lines' bytes, their records and the numbers of the unreadable ones. */
type Parsed = { schema: z.ZodType; bytes: Buffer; lines: number; records: unknown[]; bad: number[] };

const parsed = new Map<string, Parsed>();

/**
 * readJsonl (core/workspace.ts) for a stream read often: the same records, unreadable lines skipped and
 * reported as it reports them, a missing file empty. The records are frozen (shared by every read that
 * returns them); the array is the caller's own.
 */
export function readJsonlAgain<S extends z.ZodType>(
  path: string,
  schema: S,
  report: (problem: string) => void = unreadableReport(path),
): z.output<S>[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    parsed.delete(path);
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw workspaceError(`could not read ${path}`, { cause: error });
  }
  const kept = parsed.get(path);
  const from = kept && kept.schema === schema && startsWith(bytes, kept.bytes) ? kept : fresh(schema);
  // Whole lines only are kept: a tail without its newline (an append in progress, a torn line) is read each time.
  const whole = bytes.lastIndexOf(0x0a) + 1;
  const next = whole > from.bytes.length ? parseLines(bytes.subarray(from.bytes.length, whole), from) : from;
  if (next !== from) parsed.set(path, { ...next, bytes: Buffer.from(bytes.subarray(0, whole)) });
  const read = whole < bytes.length ? parseLines(bytes.subarray(whole), next) : next;
  const { records, bad } = read;
  if (bad.length > 0) report(unreadableMessage(path, { lines: 0, good: records.length, bad: { count: bad.length, first: bad } }));
  return [...records] as z.output<S>[];
}

function fresh(schema: z.ZodType): Parsed {
  return { schema, bytes: Buffer.alloc(0), lines: 0, records: [], bad: [] };
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && bytes.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** `after` with the lines of `chunk` parsed onto it (numbered on from its last), as a new Parsed: `after` is left as it was. */
function parseLines(chunk: Buffer, after: Parsed): Parsed {
  const out: Parsed = { ...after, records: [...after.records], bad: [...after.bad] };
  const lines = chunk.toString("utf8").split("\n");
  // A chunk of whole lines ends with a newline: the empty string after it is no line.
  if (lines.at(-1) === "") lines.pop();
  for (const line of lines) {
    out.lines += 1;
    if (line.trim() === "") continue;
    try {
      // parseFrozen throws on an invalid record; the value is frozen, shared by every read that returns it.
      out.records.push(parseFrozen(out.schema, JSON.parse(line)));
    } catch {
      out.bad.push(out.lines);
    }
  }
  return out;
}
