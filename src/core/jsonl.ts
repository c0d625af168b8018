// Reading loki's JSONL streams: one line as every stream is read (unreadable lines skipped, warned of
// once), and a stream folded into a summary kept in .loki/summaries/ so a long history folds only what
// is new — the summary is believed only when loki sealed it and for the very bytes it folded (see
// stillHolds), else refolded.
import { type BigIntStats, closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { z } from "zod";
import { workspaceError } from "./errors.ts";
import { warn } from "./log.ts";
import { readSealed, type SummaryKey, summaryKey, tagHolds, tagOf, writeSealed } from "./summary-seal.ts";

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

/** Which file a summary was folded from: its device and inode, and its size and times then (ctime: no utimes sets it). */
export type FileIdentity = { dev: string; ino: string; size: number; mtime: string; ctime: string };

/** A file's identity from its stat (bigint: nanosecond times as git and the kernel keep them). */
export const identityFrom = (st: BigIntStats): FileIdentity => ({
  dev: String(st.dev),
  ino: String(st.ino),
  size: Number(st.size),
  mtime: String(st.mtimeNs),
  ctime: String(st.ctimeNs),
});

type Saved = FileIdentity & {
  version: string;
  /** Bytes of the stream folded: whole lines only (a torn tail is folded afresh at every read). */
  offset: number;
  /** A keyed tag of every byte folded, [0, offset) (tagOf): a stream changed anywhere there does not match. */
  check: string;
  lines: number;
  good: number;
  bad: { count: number; first: number[] };
  state: unknown;
};

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isString = (v: unknown): v is string => typeof v === "string";

/** The summary loki sealed at `path`, by its shape (it sits in .loki/: read as data, like everything there). */
function readSaved(path: string, key: SummaryKey): Saved | null {
  const body = readSealed(path, key);
  if (body === null) return null;
  try {
    const s = JSON.parse(body) as Partial<Saved> | null;
    const ok =
      [s?.version, s?.dev, s?.ino, s?.mtime, s?.ctime, s?.check].every(isString) &&
      [s?.size, s?.offset, s?.lines, s?.good, s?.bad?.count].every(isCount) &&
      Array.isArray(s?.bad?.first) &&
      s.bad.first.every(isCount);
    return ok ? (s as Saved) : null;
  } catch {
    return null;
  }
}

/**
 * Whether `saved` summed up this very file's first `saved.offset` bytes: the same device and inode,
 * not cut back, every folded byte unchanged (`bytes`: the file's now), and — at the same size — not
 * modified nor its inode changed since.
 */
function stillHolds(saved: Saved, now: FileIdentity, bytes: Buffer, key: SummaryKey): boolean {
  if (saved.dev !== now.dev || saved.ino !== now.ino || now.size < saved.offset) return false;
  if (now.size === saved.size && (now.mtime !== saved.mtime || now.ctime !== saved.ctime)) return false;
  return tagHolds(key, bytes.subarray(0, saved.offset), saved.check);
}

/** The file's bytes, with its identity taken from the same open file. */
function readWhole(path: string): { identity: FileIdentity; bytes: Buffer } | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw workspaceError(`could not read ${path}`, { cause: error });
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    const bytes = Buffer.allocUnsafe(Number(st.size));
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(fd, bytes, done, bytes.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return { identity: identityFrom(st), bytes: bytes.subarray(0, done) };
  } catch (error) {
    throw workspaceError(`could not read ${path}`, { cause: error });
  } finally {
    closeSync(fd);
  }
}

/**
 * The fold of every valid record of the JSONL stream at `path`, as readJsonl would read them: a line
 * that is not a valid record is skipped and reported (once per stream per process, the same words).
 * Brings the summary at `summaryPath` up to date; a summary that cannot be written costs only speed,
 * and without a summary key (core/summary-seal.ts) none is read or written.
 */
export function foldJsonl<Sc extends z.ZodType, S>(
  path: string,
  summaryPath: string,
  schema: Sc,
  fold: Fold<z.output<Sc>, S>,
  report: (problem: string) => void = unreadableReport(path),
): S {
  const key = summaryKey();
  const saved = key ? readSaved(summaryPath, key) : null;
  const usable = saved?.version === fold.version ? saved : null;
  const read = readWhole(path);
  if (!read) return fold.empty();
  const { identity } = read;
  const kept = key && usable && stillHolds(usable, identity, read.bytes, key) ? fold.decode(usable.state) : null;
  const base = kept !== null ? usable : null;
  const from = base?.offset ?? 0;
  const bytes = read.bytes.subarray(from);
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
  // Also when only the torn tail changed: the summary then holds the file's new size and times.
  const same = base && base.size === identity.size && base.mtime === identity.mtime && base.ctime === identity.ctime;
  if (key && (end > 0 || !same)) {
    const offset = from + end;
    const saved: Saved = {
      version: fold.version,
      ...identity,
      offset,
      check: tagOf(key, read.bytes.subarray(0, offset)),
      ...whole,
      state: fold.encode(state),
    };
    writeSealed(summaryPath, key, JSON.stringify(saved));
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
