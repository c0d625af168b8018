// A parsed diff's lines kept compactly (Lines): one file's lines as one UTF-8 buffer and runs of line
// numbers, not an object per line; the numbered lines are built only when a gate asks, one file at a
// time. No I/O (fileRead nudges the collector). Which files keep their removed lines is test-paths.ts's keepsRemovedLines.
import type { ChangedFile, Line, Lines } from "./gate.ts";

const NEWLINE = 0x0a;

/** Lines already in memory (untracked files, binary files' printable runs, a wider --scope), as Lines. */
export function linesOf(lines: readonly Line[]): Lines {
  return { length: lines.length, lines: () => lines.slice() };
}

export const NO_LINES: Lines = linesOf([]);

/** How many file reads (a file's lines built, a batch of its texts read) between two nudges of the collector. */
const COLLECT_EVERY = 256;
/** Every this many nudges, a full collection: what lived across an await (a batch) is old by then. */
const FULL_EVERY = 8;
let reads = 0;
let nudges = 0;

/**
 * Called after each file read by a pass over a whole change: every COLLECT_EVERY reads, a young-generation
 * collection (well under a millisecond) lets the next files reuse what the last ones left behind, and every
 * FULL_EVERY of those a full one (a few ms). Without them a 10,000-file pass piles up tens of MB of garbage
 * before the collector runs on its own (peak RSS); a change under 2,048 files never pays for a full one.
 */
export function fileRead(weight = 1): void {
  reads += weight;
  if (reads < COLLECT_EVERY) return;
  reads = 0;
  nudges = (nudges + 1) % FULL_EVERY;
  Bun.gc(nudges === 0);
}

/** A file's lines past this many bytes are kept deflated once the diff has passed RAW_BUDGET: a
 *  10,000-file diff's added lines are then several times smaller in memory, for about 10 ms per 4 MB to
 *  pack and as much to unpack when read. A diff under the budget (most) is kept as it is: no packing. */
const DEFLATE_FROM = 1024;
const RAW_BUDGET = 4 * 1024 * 1024;

/**
 * Collects one file's lines at a time as their raw bytes (each followed by a newline, which no line
 * holds) with the line number of each run of consecutive lines; `finish` packs them and starts the next
 * file in the same scratch buffer. Decoding a file's bytes at once gives the very strings decoding the
 * whole diff and splitting it did: a newline ends any broken UTF-8 sequence alike.
 */
export class LineBuilder {
  private bytes = new Uint8Array(0);
  private size = 0;
  /** [first line number, count] pairs, flat. */
  private runs: number[] = [];
  private count = 0;
  /** Bytes of the files finished so far, kept raw or packed. */
  private finished = 0;

  /** Appends `source[start, end)` as the line numbered `line`. */
  push(source: Uint8Array, start: number, end: number, line: number): void {
    const length = end - start;
    if (this.size + length + 1 > this.bytes.length) this.grow(this.size + length + 1);
    this.bytes.set(source.subarray(start, end), this.size);
    this.size += length;
    this.bytes[this.size++] = NEWLINE;
    this.count++;
    const last = this.runs.length - 2;
    if (last >= 0 && (this.runs[last] ?? 0) + (this.runs[last + 1] ?? 0) === line) this.runs[last + 1] = (this.runs[last + 1] ?? 0) + 1;
    else this.runs.push(line, 1);
  }

  private grow(needed: number): void {
    const next = new Uint8Array(Math.max(needed, this.bytes.length * 2, 4096));
    next.set(this.bytes.subarray(0, this.size));
    this.bytes = next;
  }

  /** The lines collected since the last `finish`, packed; the builder is then empty. */
  finish(): Lines {
    if (this.count === 0) return NO_LINES;
    const raw = this.bytes.subarray(0, this.size);
    const deflated = this.size >= DEFLATE_FROM && this.finished >= RAW_BUDGET;
    const packed = deflated ? Bun.deflateSync(raw, { level: 1 }) : raw.slice();
    this.finished += this.size;
    const runs = Int32Array.from(this.runs);
    const count = this.count;
    this.size = 0;
    this.count = 0;
    this.runs = [];
    return {
      length: count,
      lines: () => {
        fileRead();
        const bytes = deflated ? Bun.inflateSync(packed) : packed;
        // Buffer#toString never strips a leading byte-order mark (TextDecoder would): a line may start with one.
        const texts = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8").split("\n");
        const out: Line[] = new Array(count);
        let at = 0;
        for (let r = 0; r < runs.length; r += 2) {
          const first = runs[r] ?? 0;
          const n = runs[r + 1] ?? 0;
          for (let i = 0; i < n; i++, at++) out[at] = { line: first + i, text: texts[at] ?? "" };
        }
        return out;
      },
    };
  }
}

/**
 * A file's removed lines, for a gate that compares them with the added ones. Only the files
 * keepsRemovedLines names keep them: reading another's is a bug in that gate, thrown (the gate is then
 * inconclusive), never an empty list that would grade as "nothing removed".
 */
export function removedLines(file: Pick<ChangedFile, "path" | "removed">): Line[] {
  if (file.removed === null) throw new Error(`the removed lines of ${file.path} were not kept (gates/test-paths.ts keepsRemovedLines)`);
  return file.removed.lines();
}
