// Reading loki's JSONL streams: one line as every stream is read (unreadable lines skipped, warned of
// once), and a stream folded into a summary kept in .loki/summaries/ so a long history folds only what
// is new — the summary is believed only when loki sealed it and for the very bytes it folded (see
// stillHolds), else refolded; a view may show its figures straight from a summary that holds it all.
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
  /** The state as a summary keeps it, or null when it cannot be kept (then no summary is written). */
  encode: (state: S) => Uint8Array | null;
  /** The state of a summary's kept bytes, or null when they are not ones this fold wrote. */
  decode: (bytes: Uint8Array) => S | null;
};

/**
 * What a read shows of a fold: made from its state, or — when the summary holds the whole stream as it
 * is — straight from the summary's kept bytes, no state built (`kept`: null for bytes `decode` refuses).
 */
export type View<S, V> = { of: (state: S) => V; kept?: (bytes: Uint8Array) => V | null };

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

/** A summary's first line (JSON); the fold's encoded state follows it. */
type Saved = FileIdentity & {
  version: string;
  /** Bytes of the stream folded: whole lines only (a torn tail is folded afresh at every read). */
  offset: number;
  /** A keyed tag of every byte folded, [0, offset) (tagOf): a stream changed anywhere there does not match. */
  check: string;
  lines: number;
  good: number;
  bad: { count: number; first: number[] };
};
type Kept = { saved: Saved; state: Uint8Array };

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isString = (v: unknown): v is string => typeof v === "string";

/** The summary loki sealed at `path` for a fold of `version`, by its shape (it sits in .loki/: read as data, like everything there). */
function readKept(path: string, key: SummaryKey, version: string): Kept | null {
  const body = readSealed(path, key);
  const newline = body?.indexOf(10) ?? -1;
  if (!body || newline < 0) return null;
  try {
    const s = JSON.parse(body.toString("utf8", 0, newline)) as Partial<Saved> | null;
    const ok =
      s?.version === version &&
      [s.dev, s.ino, s.mtime, s.ctime, s.check].every(isString) &&
      [s.size, s.offset, s.lines, s.good, s.bad?.count].every(isCount) &&
      Array.isArray(s.bad?.first) &&
      s.bad.first.every(isCount);
    return ok ? { saved: s as Saved, state: body.subarray(newline + 1) } : null;
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
  return viewJsonl(path, summaryPath, schema, fold, { of: (state) => state }, report);
}

/** The same, shown through `view`: straight from the summary when it holds every byte of the stream as it is now. */
export function viewJsonl<Sc extends z.ZodType, S, V>(
  path: string,
  summaryPath: string,
  schema: Sc,
  fold: Fold<z.output<Sc>, S>,
  view: View<S, V>,
  report: (problem: string) => void = unreadableReport(path),
): V {
  const key = summaryKey();
  const kept = key ? readKept(summaryPath, key, fold.version) : null;
  const read = readWhole(path);
  if (!read) return view.of(fold.empty());
  const { identity, bytes } = read;
  const base = key && kept && stillHolds(kept.saved, identity, bytes, key) ? kept : null;
  const same = base !== null && sameTimes(base.saved, identity);
  // Nothing to fold and nothing to rewrite: the figures come from the sealed bytes, which loki wrote for these very bytes.
  if (same && base.saved.offset === bytes.length && view.kept) {
    const shown = view.kept(base.state);
    if (shown !== null) {
      if (base.saved.bad.count > 0) report(unreadableMessage(path, base.saved));
      return shown;
    }
  }
  return view.of(foldRest(read, base, same, { key, summaryPath, schema, fold, report, path }));
}

const sameTimes = (saved: FileIdentity, now: FileIdentity) =>
  saved.size === now.size && saved.mtime === now.mtime && saved.ctime === now.ctime;

type Folding<Sc extends z.ZodType, S> = {
  key: SummaryKey | null;
  summaryPath: string;
  schema: Sc;
  fold: Fold<z.output<Sc>, S>;
  report: (problem: string) => void;
  path: string;
};

/** The fold from the summary's state (`base`, when it holds) on: the lines after it, the summary rewritten, the torn tail. */
function foldRest<Sc extends z.ZodType, S>(
  read: { identity: FileIdentity; bytes: Buffer },
  holding: Kept | null,
  same: boolean,
  { key, summaryPath, schema, fold, report, path }: Folding<Sc, S>,
): S {
  const { identity } = read;
  const kept = holding ? fold.decode(holding.state) : null;
  const base = kept !== null ? holding?.saved : undefined;
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
  const encoded = key && (end > 0 || !(base && same)) ? fold.encode(state) : null;
  if (key && encoded) {
    const offset = from + end;
    const saved: Saved = { version: fold.version, ...identity, offset, check: tagOf(key, read.bytes.subarray(0, offset)), ...whole };
    writeSealed(summaryPath, key, Buffer.concat([Buffer.from(`${JSON.stringify(saved)}\n`), encoded]));
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
