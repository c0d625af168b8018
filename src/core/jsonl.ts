// Reading loki's JSONL streams: one line as every stream is read (unreadable lines skipped, warned of
// once), and a stream folded into a summary kept in .loki/summaries/ so a long history folds only what
// is new — the summary is believed only for the very bytes it folded (see stillHolds), else refolded.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import type { z } from "zod";
import { replaceFile } from "./durable.ts";
import { workspaceError } from "./errors.ts";
import { warn } from "./log.ts";

export type JsonlLine<T> = { kind: "blank" } | { kind: "record"; record: T } | { kind: "bad" };

/** Lines read so far, valid records among them, and the unreadable ones (their count, the first five line numbers). */
export type Unreadable = { lines: number; good: number; bad: { count: number; first: number[] } };

export function parseJsonlLine<S extends z.ZodType>(line: string, schema: S): JsonlLine<z.output<S>> {
  if (line.trim() === "") return { kind: "blank" };
  try {
    const parsed = schema.safeParse(JSON.parse(line));
    return parsed.success ? { kind: "record", record: parsed.data } : { kind: "bad" };
  } catch {
    return { kind: "bad" };
  }
}

/** The warning for a stream with unreadable lines: how many, the first five, and how many records still count. */
export function unreadableMessage(path: string, seen: Unreadable): string {
  const { count, first } = seen.bad;
  return `${path}: skipped ${count} unreadable line${count === 1 ? "" : "s"} (line ${first.slice(0, 5).join(", ")}${count > 5 ? ", …" : ""}); the other ${seen.good} records count`;
}

/** Streams whose bad lines were already reported in this process: one warning per file, not per read. */
const reported = new Set<string>();

/** The default report of a stream's unreadable lines: a warning on stderr, the first time only. */
export function unreadableReport(path: string): (problem: string) => void {
  return (problem) => {
    if (!reported.has(path)) warn(problem);
    reported.add(path);
  };
}

/** How a stream is summed up: `add` folds one valid record into the state (in place). */
export type Fold<R, S> = {
  /** Changes whenever the state's shape or meaning does (and with loki's version): other summaries are refolded. */
  version: string;
  empty: () => S;
  add: (state: S, record: R) => void;
  encode: (state: S) => unknown;
  /** The state of a summary's `state`, or null when it is not one this fold wrote. */
  decode: (raw: unknown) => S | null;
};

/** Which file a summary was folded from: its inode, and its size and modification time then. */
export type FileIdentity = { ino: string; size: number; mtime: string };

type Saved = FileIdentity & {
  version: string;
  /** Bytes of the stream folded: whole lines only (a torn tail is folded afresh at every read). */
  offset: number;
  /** Hash of the last CHECKED bytes folded: a stream cut back or rewritten there does not match. */
  check: string;
  lines: number;
  good: number;
  bad: { count: number; first: number[] };
  state: unknown;
};

const CHECKED = 4096;
const hashOf = (bytes: Uint8Array) => Bun.hash(bytes).toString(16);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** A summary file this code wrote, by its shape (it sits in .loki/: read as data, like everything there). */
function readSaved(path: string): Saved | null {
  try {
    const s = JSON.parse(readFileSync(path, "utf8")) as Partial<Saved> | null;
    const ok =
      typeof s?.version === "string" &&
      typeof s.ino === "string" &&
      typeof s.mtime === "string" &&
      typeof s.check === "string" &&
      [s.size, s.offset, s.lines, s.good, s.bad?.count].every(isCount) &&
      Array.isArray(s.bad?.first) &&
      s.bad.first.every(isCount);
    return ok ? (s as Saved) : null;
  } catch {
    return null;
  }
}

/**
 * Whether `saved` summed up this very file's first `saved.offset` bytes: the same inode, not cut
 * back, its last folded bytes unchanged, and — at the same size — not modified since (an edit in place).
 */
function stillHolds(saved: Saved, now: FileIdentity, folded: Uint8Array): boolean {
  if (saved.ino !== now.ino || now.size < saved.offset) return false;
  if (now.size === saved.size && now.mtime !== saved.mtime) return false;
  return hashOf(folded) === saved.check;
}

/** The file's bytes from `from` to its end, with its identity taken from the same open file. */
function readFrom(path: string, from: number): { identity: FileIdentity; bytes: Buffer } | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw workspaceError(`could not read ${path}`, { cause: error });
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    const size = Number(st.size);
    const start = Math.min(from, size);
    const bytes = Buffer.allocUnsafe(size - start);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(fd, bytes, done, bytes.length - done, start + done);
      if (n === 0) break;
      done += n;
    }
    return { identity: { ino: String(st.ino), size, mtime: String(st.mtimeNs) }, bytes: bytes.subarray(0, done) };
  } catch (error) {
    throw workspaceError(`could not read ${path}`, { cause: error });
  } finally {
    closeSync(fd);
  }
}

/**
 * The fold of every valid record of the JSONL stream at `path`, as readJsonl would read them: a line
 * that is not a valid record is skipped and reported (once per stream per process, the same words).
 * Brings the summary at `summaryPath` up to date; a summary that cannot be written costs only speed.
 */
export function foldJsonl<Sc extends z.ZodType, S>(
  path: string,
  summaryPath: string,
  schema: Sc,
  fold: Fold<z.output<Sc>, S>,
  report: (problem: string) => void = unreadableReport(path),
): S {
  const saved = readSaved(summaryPath);
  const usable = saved?.version === fold.version ? saved : null;
  const checkFrom = usable ? Math.max(0, usable.offset - CHECKED) : 0;
  const first = readFrom(path, checkFrom);
  if (!first) return fold.empty();
  const kept =
    usable && stillHolds(usable, first.identity, first.bytes.subarray(0, usable.offset - checkFrom)) ? fold.decode(usable.state) : null;
  const base = kept !== null ? usable : null;
  // Refolding from the start: the whole file, read afresh (it changed under the summary).
  const read = base || checkFrom === 0 ? first : readFrom(path, 0);
  if (!read) return fold.empty();
  const { identity } = read;
  const from = base?.offset ?? 0;
  const readStart = base ? checkFrom : 0;
  const bytes = read.bytes.subarray(from - readStart);
  const state = kept ?? fold.empty();
  const whole: Unreadable = {
    lines: base?.lines ?? 0,
    good: base?.good ?? 0,
    bad: { count: base?.bad.count ?? 0, first: [...(base?.bad.first ?? [])] },
  };
  const take = (line: string, into: S, tally: Unreadable) => {
    const parsed = parseJsonlLine(line, schema);
    if (parsed.kind === "record") {
      fold.add(into, parsed.record);
      tally.good += 1;
    } else if (parsed.kind === "bad") {
      tally.bad.count += 1;
      if (tally.bad.first.length < 5) tally.bad.first.push(tally.lines + 1);
    }
  };
  const end = bytes.lastIndexOf(10) + 1;
  if (end > 0)
    for (const line of bytes.toString("utf8", 0, end - 1).split("\n")) {
      take(line, state, whole);
      whole.lines += 1;
    }
  // Also when only the torn tail changed: a later edit in place is then told by its time at the same size.
  if (end > 0 || !base || base.size !== identity.size || base.mtime !== identity.mtime) {
    const offset = from + end;
    const check = hashOf(read.bytes.subarray(Math.max(0, offset - CHECKED) - readStart, offset - readStart));
    writeSummary(summaryPath, { version: fold.version, ...identity, offset, check, ...whole, state: fold.encode(state) });
  }
  let folded = state;
  // A torn tail (a writer died mid-line, or is writing it now) counts for this read only, as readJsonl counts it.
  const seen: Unreadable = { ...whole, bad: { count: whole.bad.count, first: [...whole.bad.first] } };
  if (end < bytes.length) {
    folded = structuredClone(state);
    take(bytes.toString("utf8", end), folded, seen);
  }
  if (seen.bad.count > 0) report(unreadableMessage(path, seen));
  return folded;
}

function writeSummary(path: string, saved: Saved): void {
  try {
    // "process": a summary lost to a power cut is refolded from the stream, which is what counts.
    replaceFile(path, JSON.stringify(saved), 0o600, "process");
  } catch {
    // A read-only or full disk: the figures are right all the same, only not kept for the next read.
  }
}
