// loki's own binary rule for the change, so the diff being graded cannot hide lines by declaring
// them binary: a file is binary when a NUL is in its first 8,000 bytes or the BASE's attributes say
// -diff/binary. Files git called binary that are text by this rule get their `--text` diff instead.
import { hasNulByte, readRaw } from "./blobs.ts";
import { parseUnifiedDiff } from "./diff-parse.ts";
import type { ChangedFile } from "./gate.ts";

/** Larger content is judged by its first bytes only (it is never turned into text lines). */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** The pinned diff as read: its parse, its text when kept (null when not), whether it holds a NUL byte. */
export type DiffRead = { files: ChangedFile[]; text: string | null; mayHoldNul: boolean };

export type TrackedChange = DiffRead & { root: string; base: string; head: string; includeWorktree: boolean };

/** The same diff run again with `--text` for just these pathspecs. */
export type TextDiff = (paths: readonly string[]) => Promise<string>;

/**
 * Re-labels `change.files` by loki's rule and swaps in text diffs where git showed none. Reads
 * only the files whose label may differ from git's: those git called binary, and those whose added
 * lines hold a NUL (text by an attribute that forces it). The common change costs nothing more.
 */
export async function applyBinaryRule(
  change: TrackedChange,
  binaryByAttribute: ReadonlySet<string>,
  textDiff: TextDiff,
): Promise<{ text: string | null; files: ChangedFile[] }> {
  const label = new Map<string, boolean>();
  const suspects: ChangedFile[] = [];
  for (const file of change.files) {
    if (binaryByAttribute.has(file.path)) label.set(file.path, true);
    else if (file.binary || (change.mayHoldNul && file.added.lines().some((l) => l.text.includes("\0")))) suspects.push(file);
  }
  const contents = await readCurrent(change, suspects);
  const toText: ChangedFile[] = [];
  suspects.forEach((file, i) => {
    const content = contents[i];
    if (content === null || content === undefined) return; // unreadable: git's label stands
    const binary = hasNulByte(content) || !content.complete;
    label.set(file.path, binary);
    if (file.binary && !binary) toText.push(file);
  });
  let { text, files } = change;
  if (toText.length > 0) {
    const paths = new Set(toText.flatMap((f) => [f.path, ...(f.oldPath ? [f.oldPath] : [])]));
    const replacement = await textDiff([...paths].map((p) => `:(literal)${p}`));
    files = spliceFiles(files, parseUnifiedDiff(replacement), paths);
    if (text !== null) text = spliceStanzas(text, replacement, paths);
  }
  for (const file of files) {
    const binary = label.get(file.path);
    if (binary !== undefined) file.binary = binary;
  }
  return { text, files };
}

/** Each suspect's content on the side that decides its label: the new one, the old one if deleted. */
async function readCurrent(change: TrackedChange, files: readonly ChangedFile[]) {
  const deleted = files.filter((f) => f.status === "deleted");
  const current = files.filter((f) => f.status !== "deleted");
  const [old, now] = await Promise.all([
    readRaw(
      change.root,
      change.base,
      deleted.map((f) => f.path),
      MAX_TEXT_BYTES,
    ),
    readRaw(
      change.root,
      change.includeWorktree ? null : change.head,
      current.map((f) => f.path),
      MAX_TEXT_BYTES,
    ),
  ]);
  const byFile = new Map<ChangedFile, (typeof old)[number]>();
  deleted.forEach((f, i) => byFile.set(f, old[i] ?? null));
  current.forEach((f, i) => byFile.set(f, now[i] ?? null));
  return files.map((f) => byFile.get(f) ?? null);
}

/** Splits a diff into its per-file stanzas (a content line always starts with a prefix character,
 *  so "diff --git " at a line start is always a header). */
export function stanzasOf(text: string): string[] {
  const stanzas: string[] = [];
  let start = 0;
  for (let at = text.indexOf("\ndiff --git "); at !== -1; at = text.indexOf("\ndiff --git ", at + 1)) {
    stanzas.push(text.slice(start, at + 1));
    start = at + 1;
  }
  if (start < text.length) stanzas.push(text.slice(start));
  return stanzas;
}

/** A binary stanza (git's "Binary files" line) that names one of `paths`, either side. */
const replaced = (file: ChangedFile, paths: ReadonlySet<string>) =>
  file.binary && (paths.has(file.path) || (file.oldPath !== undefined && paths.has(file.oldPath)));

/** spliceStanzas on the parsed files: each stanza parses alone, so this is the parse of the spliced text. */
function spliceFiles(files: readonly ChangedFile[], replacement: ChangedFile[], paths: ReadonlySet<string>): ChangedFile[] {
  const out: ChangedFile[] = [];
  let placed = false;
  for (const file of files) {
    if (!replaced(file, paths)) out.push(file);
    else if (!placed) {
      out.push(...replacement);
      placed = true;
    }
  }
  return out;
}

/**
 * The diff with every binary stanza that names one of `paths` (either side) removed, and the
 * `--text` diff of those paths put where the first of them was: a group, because with `--text`
 * git may pair a deletion and an addition among them as one rename.
 */
function spliceStanzas(text: string, replacement: string, paths: ReadonlySet<string>): string {
  const out: string[] = [];
  let placed = false;
  for (const stanza of stanzasOf(text)) {
    const file = stanza.includes("\nBinary files ") ? parseUnifiedDiff(stanza)[0] : undefined;
    if (file === undefined || !replaced(file, paths)) out.push(stanza);
    else if (!placed) {
      out.push(replacement);
      placed = true;
    }
  }
  return out.join("");
}
