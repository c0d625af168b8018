// Parses `git diff` output into ChangedFiles: paths (C-quoted or not), status, renames, binary
// markers, and added/removed lines with their line numbers. Pure; reads no files.
import type { ChangedFile } from "./gate.ts";

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Parses `git diff -M` output (any context width) line by line (no lookahead), so it can be fed from a stream.
 * Hunk line counts decide what is content: an added line "++x" is "+++x" in the diff, not a header.
 */
export function createDiffParser(): { line: (text: string) => void; finish: () => ChangedFile[] } {
  const files: ChangedFile[] = [];
  let current: ChangedFile | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  let nextLine = 0;
  let oldLine = 0;

  const line = (text: string) => {
    if (current && (oldLeft > 0 || newLeft > 0)) {
      const mark = text[0];
      if (mark === "+") {
        current.added.push({ line: nextLine++, text: text.slice(1) });
        newLeft--;
        return;
      }
      if (mark === "-") {
        current.removed.push({ line: oldLine++, text: text.slice(1) });
        current.removedCount++;
        oldLeft--;
        return;
      }
      if (mark === " ") {
        nextLine++;
        oldLine++;
        oldLeft--;
        newLeft--;
        return;
      }
      if (mark === "\\") return;
      oldLeft = newLeft = 0; // a short hunk: fall through and read the line as a header
    }
    if (text.startsWith("diff --git ")) {
      const [oldPath, path] = headerPaths(text.slice("diff --git ".length));
      current = { path, status: "modified", binary: false, added: [], removed: [], removedCount: 0 };
      if (oldPath !== path) current.oldPath = oldPath;
      files.push(current);
      return;
    }
    if (current === null) return;
    const hunk = HUNK.exec(text);
    if (hunk) {
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      oldLine = Number(hunk[1]);
      nextLine = Number(hunk[3]);
    } else if (text.startsWith("new file mode")) current.status = "added";
    else if (text.startsWith("deleted file mode")) current.status = "deleted";
    else if (text.startsWith("rename from ")) {
      current.status = "renamed";
      current.oldPath = unquote(text.slice("rename from ".length));
    } else if (text.startsWith("rename to ")) current.path = unquote(text.slice("rename to ".length));
    else if (text.startsWith("Binary files ")) current.binary = true;
  };
  return { line, finish: () => files };
}

export function parseUnifiedDiff(text: string): ChangedFile[] {
  const parser = createDiffParser();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    parser.line(text.slice(start, end));
    start = end + 1;
  }
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
