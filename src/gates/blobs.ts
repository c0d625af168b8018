// Raw file contents for grading, read without attributes, filters or textconv: blobs by `git
// cat-file` (one spawn for many), working-tree files from disk; loki's binary rule (a NUL byte in
// the first 8,000 bytes, or the BASE's attributes); and the printable runs of binary content.
import { closeSync, lstatSync, mkdtempSync, openSync, readFileSync, readlinkSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gitError } from "../core/errors.ts";
import { git, nameable } from "../core/git.ts";

/** git's own window for its binary heuristic. */
export const NUL_WINDOW = 8000;
const GIT_TIMEOUT_MS = 120_000;
const MAX_BATCH_BYTES = 256 * 1024 * 1024;

/** Content as one character per byte (latin1), so byte offsets and NULs survive; `complete` is
 *  false when the file was larger than the caller's limit and only its first bytes were read. */
export type RawContent = { bytes: string; size: number; complete: boolean };

/** git's heuristic on raw bytes: a NUL in the first 8,000 bytes. */
export function hasNulByte(content: RawContent): boolean {
  return content.bytes.slice(0, NUL_WINDOW).includes("\0");
}

/**
 * Each path's raw content at `rev` (a commit), or in the working tree when rev is null; null when
 * absent there. Files over maxBytes yield their first NUL_WINDOW bytes only.
 */
export async function readRaw(
  root: string,
  rev: string | null,
  paths: readonly string[],
  maxBytes: number,
): Promise<(RawContent | null)[]> {
  if (rev === null) return paths.map((path) => readDisk(join(root, path), maxBytes));
  if (paths.length === 0) return [];
  const names = paths.map((path) => `${rev}:${path}`);
  const sizes = await catFile(root, "--batch-check=%(objectname) %(objecttype) %(objectsize)", names, 64 * 1024 * 1024);
  const found = parseBatch(sizes, names, false);
  const small = found.flatMap((f) => (f !== null && f.type === "blob" && f.size <= maxBytes ? [f] : []));
  const contents = new Map<string, string>();
  // A batch too big for one pipe is read in several; each stays under the output limit.
  for (let start = 0; start < small.length; ) {
    let total = 0;
    let end = start;
    while (end < small.length && (end === start || total + (small[end]?.size ?? 0) < MAX_BATCH_BYTES)) total += small[end++]?.size ?? 0;
    const shas = small.slice(start, end).map((f) => f.sha);
    for (const entry of parseBatch(await catFile(root, "--batch", shas, total + shas.length * 100), shas, true))
      if (entry !== null) contents.set(entry.sha, entry.bytes);
    start = end;
  }
  return Promise.all(
    found.map(async (f) => {
      if (f === null || f.type !== "blob") return null;
      const full = contents.get(f.sha);
      if (full !== undefined) return { bytes: full, size: f.size, complete: true };
      const head = await git(["cat-file", "blob", f.sha], {
        cwd: root,
        timeoutMs: GIT_TIMEOUT_MS,
        maxOutputBytes: NUL_WINDOW,
        encoding: "latin1",
      });
      return { bytes: head.stdout.slice(0, NUL_WINDOW), size: f.size, complete: false };
    }),
  );
}

type BatchEntry = { sha: string; type: string; size: number; bytes: string };

async function catFile(root: string, mode: string, names: readonly string[], maxOutputBytes: number): Promise<string> {
  const result = await git(["cat-file", mode, "-z"], {
    cwd: root,
    timeoutMs: GIT_TIMEOUT_MS,
    input: `${names.join("\0")}\0`,
    encoding: "latin1",
    maxOutputBytes,
  });
  if (!result.ok || result.truncated)
    throw gitError(`git cat-file ${mode} failed: ${result.digest || result.spawnError || "output too large"}`);
  return result.stdout;
}

/** `<sha> <type> <size>\n[<bytes>\n]` per name in order, or `<name> missing\n` (names as latin1, like the output). */
function parseBatch(output: string, names: readonly string[], withContent: boolean): (BatchEntry | null)[] {
  let at = 0;
  return names.map((name) => {
    const missing = `${Buffer.from(name).toString("latin1")} `;
    const eol = output.indexOf("\n", at);
    const header = output.slice(at, eol === -1 ? output.length : eol);
    const [sha = "", type = "", size = ""] = header.split(" ");
    if (!/^[0-9a-f]{40,64}$/.test(sha) || !/^\d+$/.test(size)) {
      // "missing" or "ambiguous": its name may itself contain a newline, so skip past the whole name.
      at = output.startsWith(missing, at) ? output.indexOf("\n", at + missing.length) + 1 : eol + 1;
      return null;
    }
    const bytes = withContent ? output.slice(eol + 1, eol + 1 + Number(size)) : "";
    at = withContent ? eol + 1 + Number(size) + 1 : eol + 1;
    return { sha, type, size: Number(size), bytes };
  });
}

function readDisk(full: string, maxBytes: number): RawContent | null {
  try {
    const stat = lstatSync(full, { throwIfNoEntry: false });
    if (stat === undefined) return null;
    if (stat.isSymbolicLink()) {
      const target = Buffer.from(readlinkSync(full)).toString("latin1");
      return { bytes: target, size: target.length, complete: true };
    }
    if (!stat.isFile()) return null;
    if (stat.size <= maxBytes) return { bytes: readFileSync(full).toString("latin1"), size: stat.size, complete: true };
    const head = Buffer.alloc(NUL_WINDOW);
    const fd = openSync(full, "r");
    try {
      return { bytes: head.subarray(0, readSync(fd, head, 0, NUL_WINDOW, 0)).toString("latin1"), size: stat.size, complete: false };
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/**
 * The paths whose attributes AT `base` say `-diff` or `binary` — read from a throwaway index holding
 * just the base's .gitattributes files that apply to them (the root's and their directories'), so a
 * .gitattributes the diff adds or edits has no say. `paths` may still be pending: $GIT_DIR's
 * attributes file is found meanwhile. When no such file exists at the base, nothing is binary by
 * attribute and check-attr is not run unless $GIT_DIR/info/attributes (the user's, not the diff's) is
 * there: `infoAttributes` is its path when the caller already asked git for it.
 */
export async function binaryByBaseAttributes(
  root: string,
  base: string,
  paths: PromiseLike<readonly string[]>,
  infoAttributes?: string | null,
): Promise<Set<string>> {
  const pending = Promise.resolve(paths);
  pending.catch(() => undefined); // the caller reports its own failure; only ours may surface here
  const info =
    infoAttributes !== undefined
      ? Promise.resolve(infoAttributes)
      : git(["rev-parse", "--git-path", "info/attributes"], { cwd: root, timeoutMs: GIT_TIMEOUT_MS }).then((r) =>
          r.ok ? resolve(root, r.stdout.trim()) : null,
        );
  const wanted = await pending;
  if (wanted.length === 0) return new Set();
  const [infoFile, entries] = await Promise.all([info, baseAttributeFiles(root, base, wanted)]);
  const hasInfo = infoFile !== null && lstatSync(infoFile, { throwIfNoEntry: false })?.isFile() === true;
  if (entries.length === 0 && !hasInfo) return new Set();
  const scratch = mkdtempSync(join(tmpdir(), "loki-attr-"));
  const env = { GIT_INDEX_FILE: join(scratch, "index") };
  const inBase = (args: string[], input: string) =>
    git(args, { cwd: root, env, input, timeoutMs: GIT_TIMEOUT_MS, maxOutputBytes: MAX_BATCH_BYTES });
  try {
    const indexed = await inBase(["update-index", "-z", "--index-info"], entries.map((entry) => `${entry}\0`).join(""));
    if (!indexed.ok) throw gitError(`git update-index failed: ${indexed.digest || indexed.spawnError}`);
    const checked = await inBase(["check-attr", "--cached", "-z", "--stdin", "diff", "binary"], `${wanted.join("\0")}\0`);
    if (!checked.ok) throw gitError(`git check-attr failed: ${checked.digest || checked.spawnError}`);
    const fields = checked.stdout.split("\0");
    const binary = new Set<string>();
    for (let i = 0; i + 2 < fields.length; i += 3) {
      const [path = "", attr, value] = [fields[i], fields[i + 1], fields[i + 2]];
      if ((attr === "diff" && value === "unset") || (attr === "binary" && value === "set")) binary.add(path);
    }
    return binary;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Where git looks for the attributes of `paths`: .gitattributes in the root and in every directory above them. */
function attributeFileCandidates(paths: readonly string[]): string[] {
  const dirs = new Set<string>([""]);
  for (const path of paths)
    for (let slash = path.indexOf("/"); slash !== -1; slash = path.indexOf("/", slash + 1)) dirs.add(path.slice(0, slash + 1));
  return [...dirs].map((dir) => `${dir}.gitattributes`);
}

/**
 * Per repository and base commit id, what each .gitattributes candidate is at that base: its ls-tree
 * line, or null when the base has none there. A commit id names its tree for good, so a loop that grades
 * every iteration against its run-start commit lists the base once, not once per iteration; only a full
 * object id loki resolved itself is a key (never a name such as HEAD, which moves).
 */
const baseListings = new Map<string, Map<string, string | null>>();
const OBJECT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The base's .gitattributes entries among the candidates, as `ls-tree` lines ("<mode> <type> <id>\t<path>",
 *  blobs only) that `update-index --index-info` takes: one ls-tree naming those not known yet (literally), or the whole tree. */
async function baseAttributeFiles(root: string, base: string, paths: readonly string[]): Promise<string[]> {
  const candidates = attributeFileCandidates(paths);
  const key = OBJECT_ID.test(base) ? `${root}\0${base}` : null;
  const known = (key === null ? undefined : baseListings.get(key)) ?? new Map<string, string | null>();
  const unknown = candidates.filter((path) => !known.has(path));
  if (unknown.length > 0) {
    const named = nameable(unknown);
    const listed = await git(
      ["-c", "core.quotepath=false", "ls-tree", "-r", "-z", "--full-tree", base, ...(named ? ["--", ...unknown] : [])],
      {
        cwd: root,
        env: { GIT_LITERAL_PATHSPECS: "1" },
        timeoutMs: GIT_TIMEOUT_MS,
        maxOutputBytes: MAX_BATCH_BYTES,
      },
    );
    if (!listed.ok || listed.truncated) throw gitError(`git ls-tree ${base} failed: ${listed.digest || listed.spawnError || "too large"}`);
    const wanted = new Set(unknown);
    for (const path of unknown) known.set(path, null);
    for (const line of listed.stdout.split("\0")) {
      const tab = line.indexOf("\t");
      if (tab > 0 && line.slice(0, tab).split(" ")[1] === "blob" && wanted.has(line.slice(tab + 1))) known.set(line.slice(tab + 1), line);
    }
    if (key !== null) baseListings.set(key, known);
  }
  return candidates.flatMap((path) => {
    const line = known.get(path);
    return line ? [line] : [];
  });
}

/** A printable run: ≥ 8 characters of printable ASCII or tab, as `strings` finds them, with its line. */
export type PrintableRun = { line: number; text: string };

const RUN = /[\t\x20-\x7e]{8,}/g;

/** The printable runs of binary content, numbered by the newlines before them (a NUL-padded text
 *  file's lines come back whole). */
export function printableRuns(bytes: string): PrintableRun[] {
  const runs: PrintableRun[] = [];
  let line = 1;
  let counted = 0;
  for (const match of bytes.matchAll(RUN)) {
    for (let i = bytes.indexOf("\n", counted); i !== -1 && i < match.index; i = bytes.indexOf("\n", i + 1)) line++;
    counted = match.index;
    runs.push({ line, text: match[0] });
  }
  return runs;
}
