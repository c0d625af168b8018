// Parses `git diff` output into ChangedFiles as it streams, byte chunk by byte chunk: paths (C-quoted or
// not), status, renames, binary markers, and added/removed lines with their line numbers, kept compactly
// (diff-lines.ts; removed ones only where test-paths.ts says a gate reads them), and each new side's
// blob id from the `index` line. Pure; reads no files.
import { LineBuilder, NO_LINES } from "./diff-lines.ts";
import type { ChangedFile } from "./gate.ts";
import { keepsRemovedLines } from "./test-paths.ts";

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const PLUS = 0x2b;
const MINUS = 0x2d;
const SPACE = 0x20;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/** The file being read; `keepRemoved` is settled at its first removed line, once its headers are read;
 *  `id` and `mode`: its new side's object id and mode, as its `index` and mode lines give them. */
type Building = { file: ChangedFile; keepRemoved: boolean | undefined; id?: string; mode?: string };

/**
 * Per path on the new side, its object id when the diff names it (`--full-index`): a regular file's
 * blob id, or null for a symlink or submodule (nothing to read as a file). A path the diff gives no
 * full id or mode for (a pure rename, a deleted file) is absent: whoever needs it asks git.
 */
export type NewSideIds = Map<string, string | null>;

const INDEX = /^index [0-9a-f]+\.\.([0-9a-f]{40}|[0-9a-f]{64})(?: ([0-7]{6}))?$/;
const MODE = /^(?:new file mode|new mode) ([0-7]{6})$/;

/**
 * Parses `git diff -M` output (any context width) line by line (no lookahead). Hunk line counts decide
 * what is content: an added line "++x" is "+++x" in the diff, not a header. Content lines are never
 * decoded here; header lines are, one at a time, as decoding the whole text would have them.
 */
function createLineParser(): {
  line: (bytes: Uint8Array, start: number, end: number) => void;
  finish: () => ChangedFile[];
  ids: NewSideIds;
} {
  const files: ChangedFile[] = [];
  const ids: NewSideIds = new Map();
  const twice = new Set<string>();
  // One pair of builders for the whole diff: files are read one after the other.
  const added = new LineBuilder();
  const removed = new LineBuilder();
  let current: Building | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  let nextLine = 0;
  let oldLine = 0;

  const close = () => {
    if (current === null) return;
    const { file, id, mode } = current;
    // Two stanzas for one path (a deletion and a rename onto it) leave it to git to say which is there.
    if (id !== undefined && mode !== undefined && file.status !== "deleted") {
      if (ids.has(file.path) || twice.has(file.path)) {
        ids.delete(file.path);
        twice.add(file.path);
      } else ids.set(file.path, mode === "100644" || mode === "100755" ? id : null);
    }
    file.added = added.finish();
    file.removed = (current.keepRemoved ?? keepsRemovedLines(file.path, file.oldPath)) ? removed.finish() : null;
  };

  const line = (bytes: Uint8Array, start: number, end: number) => {
    if (current && (oldLeft > 0 || newLeft > 0)) {
      const mark = start < end ? bytes[start] : undefined;
      if (mark === PLUS) {
        added.push(bytes, start + 1, end, nextLine++);
        newLeft--;
        return;
      }
      if (mark === MINUS) {
        // The path is settled by the first hunk: its headers (renames included) come before it.
        current.keepRemoved ??= keepsRemovedLines(current.file.path, current.file.oldPath);
        if (current.keepRemoved) removed.push(bytes, start + 1, end, oldLine);
        oldLine++;
        current.file.removedCount++;
        oldLeft--;
        return;
      }
      if (mark === SPACE) {
        nextLine++;
        oldLine++;
        oldLeft--;
        newLeft--;
        return;
      }
      if (mark === BACKSLASH) return;
      oldLeft = newLeft = 0; // a short hunk: fall through and read the line as a header
    }
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("utf8");
    if (text.startsWith("diff --git ")) {
      close();
      const [oldPath, path] = headerPaths(text.slice("diff --git ".length));
      const file: ChangedFile = { path, status: "modified", binary: false, added: NO_LINES, removed: null, removedCount: 0 };
      if (oldPath !== path) file.oldPath = oldPath;
      files.push(file);
      current = { file, keepRemoved: undefined };
      return;
    }
    if (current === null) return;
    const file = current.file;
    const hunk = HUNK.exec(text);
    if (hunk) {
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      oldLine = Number(hunk[1]);
      nextLine = Number(hunk[3]);
    } else if (text.startsWith("new file mode")) {
      file.status = "added";
      current.mode = MODE.exec(text)?.[1];
    } else if (text.startsWith("deleted file mode")) file.status = "deleted";
    else if (text.startsWith("rename from ")) {
      file.status = "renamed";
      file.oldPath = unquote(text.slice("rename from ".length));
    } else if (text.startsWith("rename to ")) file.path = unquote(text.slice("rename to ".length));
    else if (text.startsWith("Binary files ")) file.binary = true;
    else if (text.startsWith("index ")) {
      const index = INDEX.exec(text);
      if (index) {
        current.id = index[1];
        if (index[2] !== undefined) current.mode = index[2];
      }
    } else {
      const mode = MODE.exec(text);
      if (mode) current.mode = mode[1];
    }
  };
  return {
    line,
    finish: () => {
      close();
      current = null;
      return files;
    },
    ids,
  };
}

/**
 * A parser fed the diff's bytes as they arrive (`push` each chunk, then `finish`): lines are cut at
 * newlines, a line split across chunks is joined first, and nothing of a chunk is kept after `push`.
 */
export function createDiffParser(): { push: (chunk: Uint8Array) => void; finish: () => ChangedFile[]; ids: NewSideIds } {
  const parser = createLineParser();
  let carry: Uint8Array[] = [];
  return {
    push(chunk) {
      let start = 0;
      for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
        if (carry.length === 0) parser.line(chunk, start, end);
        else {
          const joined = Buffer.concat([...carry, chunk.subarray(start, end)]);
          carry = [];
          parser.line(joined, 0, joined.length);
        }
        start = end + 1;
      }
      // The rest of a line continues in the next chunk: copied, so the chunk itself is not held.
      if (start < chunk.length) carry.push(chunk.slice(start));
    },
    finish() {
      if (carry.length > 0) {
        const joined = Buffer.concat(carry);
        carry = [];
        parser.line(joined, 0, joined.length);
      }
      return parser.finish();
    },
    ids: parser.ids,
  };
}

export function parseUnifiedDiff(text: string): ChangedFile[] {
  const parser = createDiffParser();
  parser.push(Buffer.from(text, "utf8"));
  return parser.finish();
}

/** `a/x b/x`, possibly C-quoted. Only renames have different sides, and their `rename` lines settle those. */
function headerPaths(rest: string): [string, string] {
  let a: string;
  let b: string;
  if (rest.startsWith('"')) {
    const end = quotedEnd(rest);
    a = unquote(rest.slice(0, end + 1));
    b = unquote(rest.slice(end + 2));
  } else if (rest.endsWith('"') && rest.includes(' "')) {
    const split = rest.indexOf(' "');
    a = rest.slice(0, split);
    b = unquote(rest.slice(split + 1));
  } else {
    // Unquoted paths may contain spaces: the two sides are equal unless renamed.
    const half = (rest.length - 1) / 2;
    const split = Number.isInteger(half) && rest.slice(2, half) === rest.slice(half + 3) ? half : rest.indexOf(" b/");
    a = rest.slice(0, split);
    b = rest.slice(split + 1);
  }
  return [a.replace(/^a\//, ""), b.replace(/^b\//, "")];
}

function quotedEnd(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13 };

/** git's C-style quoting: escapes and octal bytes (UTF-8 split into bytes) inside double quotes. */
export function unquote(text: string): string {
  if (text.length < 2 || !text.startsWith('"') || !text.endsWith('"')) return text;
  const chunks: Buffer[] = [];
  for (const [literal, escape] of text.slice(1, -1).matchAll(/\\([0-7]{1,3}|.)|[^\\]+/gs)) {
    if (escape === undefined) chunks.push(Buffer.from(literal));
    else chunks.push(Buffer.of(/^[0-7]/.test(escape) ? Number.parseInt(escape, 8) : (ESCAPES[escape] ?? escape.charCodeAt(0))));
  }
  return Buffer.concat(chunks).toString("utf8");
}
