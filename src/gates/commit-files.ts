// A commit's files by path, as the gates grade them: exactly the commit's blobs, never what the working
// tree holds now (a graded command runs beside the gates and may rewrite it). A file on disk is used only
// when the bytes read hash to the commit's blob id; everything else comes from `git cat-file --batch`.
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { git, nameable } from "../core/git.ts";
import { gitBlobId } from "../core/hash.ts";
import { fileRead } from "./diff-lines.ts";

const GIT_TIMEOUT_MS = 120_000;
/** A file past this is not read: null here; an untracked one in the diff is recorded as binary (diff.ts). */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** What one batch may bring back in all; past it, the files not read are null. */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

export type Commit = { root: string; head: string };

/** Per commit object (a Subject): blob ids looked up so far (null: not a regular file's blob there),
 *  whether the whole tree has been listed, and the texts already read. A commit cannot change. */
type Memo = { ids: Map<string, string | null>; whole: boolean; failed: boolean; texts: Map<string, string | null> };
const memo = new WeakMap<Commit, Memo>();

/** Files read at once by readEachCommitFile: what it holds at a time, whatever the number of files. */
const EACH_BATCH = 256;

function memoOf(commit: Commit): Memo {
  let entry = memo.get(commit);
  if (!entry) {
    entry = { ids: new Map(), whole: false, failed: false, texts: new Map() };
    memo.set(commit, entry);
  }
  return entry;
}

/**
 * Blob ids of `commit.head` already known (the diff that produced the commit's Subject names them:
 * diff-parse.ts NewSideIds), so reading those files lists no tree. Ids git gave for this very commit
 * object; a path already looked up keeps what it has.
 */
export function knowBlobIds(commit: Commit, ids: ReadonlyMap<string, string | null>): void {
  const entry = memoOf(commit);
  for (const [path, id] of ids) if (!entry.ids.has(path)) entry.ids.set(path, id);
}

/** Each path's text at `commit.head` (UTF-8); null when absent, not a regular file's blob, or too large. */
export async function readCommitFiles(commit: Commit, paths: readonly string[]): Promise<(string | null)[]> {
  const entry = memoOf(commit);
  const { texts } = entry;
  const unread = [...new Set(paths)].filter((path) => !texts.has(path));
  await lookUp(commit, entry, unread);
  for (const [path, text] of await readTexts(commit, entry, unread)) texts.set(path, text);
  return paths.map((path) => texts.get(path) ?? null);
}

/**
 * readCommitFiles for many files (a whole change's), a batch at a time and none kept: `visit` sees
 * each path's text in the order given, and only one batch of texts is held at once.
 */
export async function readEachCommitFile(
  commit: Commit,
  paths: readonly string[],
  visit: (path: string, text: string | null) => void,
): Promise<void> {
  const entry = memoOf(commit);
  const unread = [...new Set(paths)].filter((path) => !entry.texts.has(path));
  await lookUp(commit, entry, unread);
  // A batch's texts live in visitBatch's frame only: gone once it returns, before the collector is nudged.
  const visitBatch = async (batch: readonly string[]) => {
    const read = await readTexts(
      commit,
      entry,
      batch.filter((path) => !entry.texts.has(path)),
    );
    for (const path of batch) visit(path, entry.texts.get(path) ?? read.get(path) ?? null);
  };
  for (let start = 0; start < paths.length; start += EACH_BATCH) {
    await visitBatch(paths.slice(start, start + EACH_BATCH));
    fileRead(EACH_BATCH);
  }
}

/** The texts of `paths` (looked up already): from disk when the bytes are the blob, else from git. */
async function readTexts(commit: Commit, entry: Memo, paths: readonly string[]): Promise<Map<string, string | null>> {
  const texts = new Map<string, string | null>();
  const rest: string[] = [];
  for (const path of new Set(paths)) {
    const id = entry.ids.get(path);
    const text = id === undefined || id === null ? null : sameOnDisk(join(commit.root, path), id);
    if (text === null) rest.push(path);
    else texts.set(path, text);
  }
  // cat-file's batch input is one name per line: a path with a newline in it is read on its own.
  const batch = rest.filter((path) => !path.includes("\n"));
  (await catFiles(commit, batch)).forEach((text, i) => texts.set(batch[i] as string, text));
  for (const path of rest.filter((p) => p.includes("\n"))) {
    const shown = await git(["show", `${commit.head}:${path}`], {
      cwd: commit.root,
      timeoutMs: GIT_TIMEOUT_MS,
      maxOutputBytes: MAX_FILE_BYTES,
    });
    texts.set(path, shown.ok && !shown.truncated ? shown.stdout : null);
  }
  return texts;
}

/**
 * Records the blob ids of `paths` not looked up yet: `ls-tree` naming just them (literal paths), or,
 * for many, the whole tree once. Symlinks and submodules are recorded as null: not read from disk. A
 * failed listing leaves them unknown (read through cat-file, as if nothing were on disk).
 */
async function lookUp(commit: Commit, entry: Memo, paths: readonly string[]): Promise<void> {
  const wanted = entry.whole || entry.failed ? [] : paths.filter((path) => !entry.ids.has(path));
  if (wanted.length === 0) return;
  const named = nameable(wanted);
  const listed = await git(
    ["-c", "core.quotepath=false", "ls-tree", "-r", "-z", "--full-tree", commit.head, ...(named ? ["--", ...wanted] : [])],
    {
      cwd: commit.root,
      env: { GIT_LITERAL_PATHSPECS: "1" },
      timeoutMs: GIT_TIMEOUT_MS,
      maxOutputBytes: 256 << 20,
    },
  );
  if (!listed.ok || listed.truncated) {
    entry.failed = true;
    return;
  }
  // `<mode> blob <id>\t<path>\0` read in place: a whole tree's listing split into lines and fields first
  // would leave several strings per entry behind (tens of thousands for a large repository).
  const out = listed.stdout;
  for (let at = 0; at < out.length; ) {
    const nul = out.indexOf("\0", at);
    const end = nul === -1 ? out.length : nul;
    const tab = out.indexOf("\t", at);
    const regular = out.startsWith("100644 blob ", at) || out.startsWith("100755 blob ", at);
    if (regular && tab > at + 12 && tab < end) entry.ids.set(out.slice(tab + 1, end), out.slice(at + 12, tab));
    at = end + 1;
  }
  // A named path the listing did not give as a regular file is none at this commit.
  for (const path of wanted) if (!entry.ids.has(path)) entry.ids.set(path, null);
  if (!named) entry.whole = true;
}

/** The file's text when the bytes read from it are the blob `id` (what was hashed is what is returned); else null.
 *  Opened without following a link and without blocking (a FIFO planted there is not waited on). */
function sameOnDisk(path: string, id: string): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return null;
    const bytes = readFileSync(fd);
    return gitBlobId(bytes, id.length) === id ? bytes.toString("utf8") : null;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Each path's blob at the commit, as UTF-8 text; null when absent, not a blob, or over MAX_FILE_BYTES. */
async function catFiles(commit: Commit, paths: readonly string[]): Promise<(string | null)[]> {
  if (paths.length === 0) return [];
  const result = await git(["cat-file", "--batch"], {
    cwd: commit.root,
    input: paths.map((path) => `${commit.head}:${path}\n`).join(""),
    // latin1: one character per byte, so the sizes git gives index the output.
    encoding: "latin1",
    timeoutMs: GIT_TIMEOUT_MS,
    maxOutputBytes: MAX_BATCH_BYTES,
  });
  const out = result.stdout;
  const texts: (string | null)[] = [];
  let at = 0;
  for (let i = 0; i < paths.length && (result.ok || result.truncated); i++) {
    const eol = out.indexOf("\n", at);
    if (eol < 0) break;
    const header = /^[0-9a-f]{40,64} (\w+) (\d+)$/.exec(out.slice(at, eol));
    if (!header) {
      texts.push(null); // "<name> missing", "<name> ambiguous"
      at = eol + 1;
      continue;
    }
    const size = Number(header[2]);
    const end = eol + 1 + size;
    if (end >= out.length && result.truncated) break;
    texts.push(header[1] === "blob" && size <= MAX_FILE_BYTES ? Buffer.from(out.slice(eol + 1, end), "latin1").toString("utf8") : null);
    at = end + 1;
  }
  return texts;
}
