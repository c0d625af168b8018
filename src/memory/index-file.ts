// The persisted index beside a JSONL store (episodes.idx next to episodes.jsonl): load it when its
// header still matches the JSONL and index the bytes appended since as an in-memory tail; otherwise
// rebuild from the JSONL (self-healing, never trusted blindly). All of the retrieval index's file I/O.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { createHash } from "node:crypto";
import { replaceFile } from "../core/durable.ts";
import { type Bm25Index, buildIndex, type Doc, emptyIndex, mergeIndexes } from "./bm25.ts";
import { type Coverage, decodeIndex, emptyFingerprint, encodeIndex, readHeader } from "./index-codec.ts";

/** A JSONL record's document, or null for a record the index leaves out. May throw: the line is skipped. */
export type DocOf = (line: unknown) => Doc | null;

export type LoadedIndex = {
  /** The persisted index (or the rebuilt one). */
  index: Bm25Index;
  /** The whole lines appended after what `index` covers, indexed in memory. */
  tail: Bm25Index;
  /** What index + tail cover together: what saveIndex writes as covered. */
  coverage: Coverage;
  /** Why the persisted index was not used (missing, corrupt, stale…), or null when it was. */
  rebuilt: string | null;
};

const NEWLINE = 0x0a;

/**
 * The index of `jsonlPath`: the persisted `idxPath` plus a tail when the header matches (format and
 * tokenizer version, checksum, first-line fingerprint, JSONL at least coveredBytes long and a line end
 * there), else rebuilt from the JSONL. A last line without "\n" is torn and left for a later load.
 * Never throws on a bad index; a JSONL that cannot be read (other than missing) throws.
 */
export function loadIndex(jsonlPath: string, idxPath: string, docOf: DocOf): LoadedIndex {
  const fd = openJsonl(jsonlPath);
  if (fd === null) return { index: emptyIndex(), tail: emptyIndex(), coverage: emptyCoverage(), rebuilt: "no JSONL" };
  try {
    const size = fstatSync(fd).size;
    const persisted = readPersisted(idxPath, fd, size);
    if (typeof persisted !== "string") {
      const { coverage } = persisted;
      const lines = parseLines(readRange(fd, coverage.bytes, size), docOf);
      return {
        index: persisted.index,
        tail: buildIndex(lines.docs),
        coverage: { bytes: coverage.bytes + lines.bytes, lines: coverage.lines + lines.lines, fingerprint: coverage.fingerprint },
        rebuilt: null,
      };
    }
    const bytes = readRange(fd, 0, size);
    const lines = parseLines(bytes, docOf);
    const coverage = { bytes: lines.bytes, lines: lines.lines, fingerprint: lines.lines > 0 ? firstLineHash(bytes) : emptyFingerprint() };
    return { index: buildIndex(lines.docs), tail: emptyIndex(), coverage, rebuilt: persisted };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes index + tail as the persisted index covering `loaded.coverage`, atomically (temp, fsync,
 * rename). The caller holds the store's lock (withLock on the JSONL) so no rewrite of it races this.
 */
export function saveIndex(idxPath: string, loaded: LoadedIndex): void {
  const whole = loaded.tail.ids.length === 0 ? loaded.index : mergeIndexes(loaded.index, loaded.tail);
  replaceFile(idxPath, encodeIndex(whole, loaded.coverage));
}

/** Load, and persist when the index was rebuilt or has a tail (compaction); the caller holds the lock. */
export function refreshIndex(jsonlPath: string, idxPath: string, docOf: DocOf): LoadedIndex {
  const loaded = loadIndex(jsonlPath, idxPath, docOf);
  if (loaded.rebuilt === "no JSONL" || (loaded.rebuilt === null && loaded.tail.ids.length === 0)) return loaded;
  saveIndex(idxPath, loaded);
  const index = loaded.tail.ids.length === 0 ? loaded.index : mergeIndexes(loaded.index, loaded.tail);
  return { index, tail: emptyIndex(), coverage: loaded.coverage, rebuilt: loaded.rebuilt };
}

function emptyCoverage(): Coverage {
  return { bytes: 0, lines: 0, fingerprint: emptyFingerprint() };
}

function openJsonl(path: string): number | null {
  try {
    return openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** The persisted index when every check passes, else the reason to rebuild. */
function readPersisted(idxPath: string, fd: number, size: number): { index: Bm25Index; coverage: Coverage } | string {
  let file: Uint8Array;
  try {
    file = readFileSync(idxPath);
  } catch {
    return "no persisted index";
  }
  const header = readHeader(file);
  if (typeof header === "string") return header;
  const { coverage } = header;
  if (size < coverage.bytes) return "the JSONL is shorter than the index covers (rewritten?)";
  if (coverage.bytes > 0) {
    if (firstLineHash(readFirstLine(fd, coverage.bytes)) !== coverage.fingerprint) return "the JSONL's first line changed (rewritten?)";
    if (readRange(fd, coverage.bytes - 1, coverage.bytes)[0] !== NEWLINE) return "the JSONL has no line end where the index ends";
  }
  try {
    return { index: decodeIndex(file, header), coverage };
  } catch (error) {
    return `the index is corrupt: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function readRange(fd: number, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(Math.max(0, end - start));
  let done = 0;
  while (done < out.length) {
    const n = readSync(fd, out, done, out.length - done, start + done);
    if (n <= 0) break;
    done += n;
  }
  return out.subarray(0, done);
}

/** The first line with its "\n", read in growing chunks (never past `limit`). */
function readFirstLine(fd: number, limit: number): Buffer {
  for (let chunk = 4096; ; chunk *= 4) {
    const head = readRange(fd, 0, Math.min(chunk, limit));
    const at = head.indexOf(NEWLINE);
    if (at !== -1) return head.subarray(0, at + 1);
    if (head.length >= limit) return head;
  }
}

/** sha256 (hex) of the first line, without its "\n". */
function firstLineHash(bytes: Buffer): string {
  const at = bytes.indexOf(NEWLINE);
  return createHash("sha256")
    .update(bytes.subarray(0, at === -1 ? bytes.length : at))
    .digest("hex");
}

/** The documents of the whole lines in `bytes`; `bytes`/`lines` count what was consumed (up to the last "\n"). */
function parseLines(bytes: Buffer, docOf: DocOf): { docs: Doc[]; bytes: number; lines: number } {
  const docs: Doc[] = [];
  let start = 0;
  let lines = 0;
  for (;;) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end === -1) break;
    lines++;
    const doc = docFromLine(bytes.toString("utf8", start, end), docOf);
    if (doc) docs.push(doc);
    start = end + 1;
  }
  return { docs, bytes: start, lines };
}

function docFromLine(line: string, docOf: DocOf): Doc | null {
  if (line.trim() === "") return null;
  try {
    return docOf(JSON.parse(line));
  } catch {
    return null;
  }
}
