// The change (Subject): base commit to HEAD (or to the working tree, untracked files included), from ONE
// pinned `git diff` parsed as it streams (`--text` for what only git calls binary: binary.ts): stat, numbered
// lines kept compactly, text and sha256 when asked; and its files as it has them (a commit's: its blobs,
// commit-files.ts). Reads only; throws on a bad base or git.
import { lstatSync, readFileSync, readlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { gitError, messageOf } from "../core/errors.ts";
import { filtersOff, git, headSha, repoRoot } from "../core/git.ts";
import { sha256 } from "../core/hash.ts";
import { applyBinaryRule, type DiffRead } from "./binary.ts";
import { binaryByBaseAttributes } from "./blobs.ts";
import { knowBlobIds, MAX_FILE_BYTES, readCommitFiles, readEachCommitFile } from "./commit-files.ts";
import { createDiffParser, type NewSideIds } from "./diff-parse.ts";
import { fileRead, linesOf, NO_LINES } from "./diff-lines.ts";
import type { ChangedFile, DiffSubject, Subject } from "./gate.ts";

const GIT_TIMEOUT_MS = 120_000;
const MAX_DIFF_BYTES = 256 * 1024 * 1024;

/**
 * Pinned so that neither a user's git config nor the repository can change the bytes we parse and
 * hash: `proof verify` re-derives a run's change with these same options and compares the sha256.
 */
export const DIFF_ARGS = [
  "-c",
  "core.quotepath=false",
  "-c",
  "diff.suppressBlankEmpty=false",
  "diff",
  "--no-color",
  "--no-ext-diff",
  "--no-textconv",
  // A submodule's pointer change is part of the change, whatever .gitmodules or the config says to ignore.
  "--ignore-submodules=none",
  "--no-relative",
  "--full-index",
  "-U3",
  "--inter-hunk-context=0",
  "-M",
  "-l1000",
  "--indent-heuristic",
  "--diff-algorithm=myers",
  "--src-prefix=a/",
  "--dst-prefix=b/",
];

/** What readSubject would resolve itself: the top level, HEAD and $GIT_DIR/info/attributes (absolute). */
export type Revisions = { top: string; head: string; infoAttributes: string };
type ReadOptions = { includeWorktree: boolean; head?: string; masked?: readonly string[]; revisions?: Revisions };

/**
 * The change from `base` to `options.head` (default HEAD), or to the working tree with `includeWorktree`.
 * With `options.revisions` (already read by the caller), `base` must be a full commit id. The diff is
 * parsed as git writes it; its text is kept (and hashed) unless `text: false`: the gates need only the
 * parsed files, and a large diff's text would be held whole for nothing.
 */
export async function readSubject(root: string, base: string, options: ReadOptions & { text: false }): Promise<Subject>;
export async function readSubject(root: string, base: string, options: ReadOptions & { text?: true }): Promise<DiffSubject>;
export async function readSubject(root: string, base: string, options: ReadOptions & { text?: boolean }): Promise<Subject | DiffSubject> {
  const resolved = options.revisions ? { ...options.revisions, baseSha: base } : await resolveRevisions(root, base);
  const { top, baseSha } = resolved;
  const head = options.head ?? resolved.head;
  const keepText = options.text !== false;
  // Files on disk are compared through clean filters: none of the repository's own, which would run
  // their command on the host (core/git.ts filtersOff). Two commits' trees run no filter.
  const off = options.includeWorktree ? await filtersOff(top) : [];
  const argv = [...off, ...DIFF_ARGS, baseSha];
  if (!options.includeWorktree) argv.push(head);
  const masked = options.includeWorktree ? maskedPaths(top, options.masked ?? []) : [];
  const skip = masked.map((path) => `:(exclude,literal,top)${path}`);
  const diffing = Promise.all([
    streamDiff([...argv, "--", ...skip], top, baseSha, keepText),
    options.includeWorktree ? mustRun("ls-files", ["ls-files", "--others", "--exclude-standard", "-z"], top, baseSha) : "",
  ]).then(([tracked, untracked]) => ({
    tracked,
    untracked: untracked.split("\0").flatMap((path) => readUntracked(top, path)),
  }));
  // The base's index is built while git diffs; a failed diff rejects both, and is the error we throw.
  const attributes = binaryByBaseAttributes(
    top,
    baseSha,
    diffing.then((d) => [...d.tracked.files, ...d.untracked].map((f) => f.path)),
    resolved.infoAttributes,
  );
  const [{ tracked, untracked }, binaryByAttribute] = await Promise.all([diffing, attributes]);
  const change = { root: top, base: baseSha, head, includeWorktree: options.includeWorktree, ...tracked };
  const textDiff = (paths: readonly string[]) => mustRun("diff --text", [...argv, "--text", "--", ...paths, ...skip], top, baseSha);
  const { text: diff, files } = await applyBinaryRule(change, binaryByAttribute, textDiff);
  for (const file of untracked) files.push({ ...file, binary: file.binary || binaryByAttribute.has(file.path) });
  const sum = (count: (file: ChangedFile) => number) => files.reduce((total, file) => total + count(file), 0);
  const stat = { files: files.length, insertions: sum((f) => f.added.length), deletions: sum((f) => f.removedCount) };
  const subject: Subject = { root: top, base: baseSha, head, includesWorktree: options.includeWorktree, files, stat };
  const read = diff === null ? subject : { ...subject, text: diff, sha256: sha256(diff) };
  // The gates read the changed files at head: their blob ids are in the diff, so no tree is listed for them.
  if (!options.includeWorktree) knowBlobIds(read, tracked.ids);
  return read;
}

/**
 * The pinned diff parsed as git writes it (diff-parse.ts), never held whole unless `keepText`; whether
 * it holds a NUL byte anywhere (binary.ts reads those files' bytes).
 */
async function streamDiff(argv: string[], cwd: string, baseSha: string, keepText: boolean): Promise<DiffRead & { ids: NewSideIds }> {
  const parser = createDiffParser();
  const chunks: Uint8Array[] = [];
  let mayHoldNul = false;
  let failure: unknown = null;
  const onStdout = (chunk: Uint8Array) => {
    if (failure !== null) return;
    try {
      if (keepText) chunks.push(chunk);
      if (!mayHoldNul && chunk.indexOf(0) !== -1) mayHoldNul = true;
      parser.push(chunk);
      // About one file's worth of diff per 4 KiB: the parse leaves header strings and joined lines behind.
      fileRead(chunk.length / 4096);
    } catch (error) {
      failure = error;
    }
  };
  await mustRun("diff", argv, cwd, baseSha, onStdout);
  // A parse that threw is a broken invariant, not a short diff: never grade what was read before it.
  if (failure !== null) throw failure;
  const files = parser.finish();
  return { files, text: keepText ? Buffer.concat(chunks).toString("utf8") : null, mayHoldNul, ids: parser.ids };
}

/**
 * Of the paths the caller knows a sandbox masks (the run's spec, seen by `loki verify` inside an agent's
 * call: mcp.children), those the working tree does not hold as the file it was: a device over a spec file,
 * an empty directory over a spec directory. Only these are left out of the diff: any other tracked file
 * turned into a FIFO or a device stays in, and fails the diff — it is no change to hide.
 */
function maskedPaths(top: string, known: readonly string[]): string[] {
  return known.filter((path) => {
    try {
      const stat = lstatSync(join(top, path));
      return !stat.isFile() && !stat.isSymbolicLink();
    } catch {
      return false;
    }
  });
}

async function mustRun(
  name: string,
  argv: string[],
  cwd: string,
  baseSha: string,
  onStdout?: (chunk: Uint8Array) => void,
): Promise<string> {
  const result = await git(argv, { cwd, timeoutMs: GIT_TIMEOUT_MS, maxOutputBytes: MAX_DIFF_BYTES, ...(onStdout ? { onStdout } : {}) });
  if (result.truncated)
    throw gitError(`the diff since ${baseSha.slice(0, 7)} is larger than ${MAX_DIFF_BYTES >> 20} MiB`, {
      hint: "verify against a closer base commit",
    });
  if (!result.ok)
    throw gitError(`git ${name} failed: ${result.digest || result.spawnError || `exit ${result.exitCode}`}`, { data: { argv } });
  return result.stdout;
}

async function resolveRevisions(
  root: string,
  base: string,
): Promise<{ top: string; head: string; baseSha: string; infoAttributes?: string }> {
  // One spawn on the happy path (with where $GIT_DIR/info/attributes is, for the base's attributes);
  // the slow path below exists to say exactly what is wrong.
  if (base.trim() !== "" && !base.startsWith("-")) {
    const fast = await git(["rev-parse", "--show-toplevel", "--git-path", "info/attributes", "HEAD", `${base}^{commit}`, "--"], {
      cwd: root,
      timeoutMs: GIT_TIMEOUT_MS,
    });
    // Exactly these lines (and the `--` git echoes): a path with a line break in it could pass for the next answer.
    const lines = fast.stdout.split("\n");
    const [top, info, head, baseSha, dashes, end] = lines;
    const sha = /^[0-9a-f]{40,64}$/;
    const shaped = lines.length === 6 && dashes === "--" && end === "";
    if (fast.ok && shaped && top && info && head && baseSha && sha.test(head) && sha.test(baseSha))
      return { top, head, baseSha, infoAttributes: resolve(root, info) };
  }
  const top = await repoRoot(root);
  if ((await headSha(top)) === null)
    throw gitError(`${top} has no commits yet`, { hint: "commit something first: git commit --allow-empty -m start" });
  return badBase(top, base);
}

async function badBase(root: string, base: string): Promise<never> {
  const inRepo = (args: string[]) => git(args, { cwd: root, timeoutMs: GIT_TIMEOUT_MS });
  const [shallow, remotes] = await Promise.all([inRepo(["rev-parse", "--is-shallow-repository"]), inRepo(["remote"])]);
  // `origin/main` names a remote branch that may simply not be fetched yet (a CI checkout).
  const slash = base.indexOf("/");
  const remote = slash > 0 && remotes.stdout.split("\n").includes(base.slice(0, slash)) ? base.slice(0, slash) : null;
  const hint =
    shallow.stdout.trim() === "true"
      ? "this is a shallow clone: fetch the history (git fetch --unshallow; in GitHub Actions set `fetch-depth: 0` on actions/checkout)"
      : remote
        ? `fetch it first: git fetch ${remote} ${base.slice(slash + 1)}`
        : "check the name (git log --oneline -10), or fetch it first: git fetch origin main";
  throw gitError(`base "${base}" is not a commit in ${root}`, { hint, data: { base } });
}

/**
 * Every path in the graded tree (one git spawn): tracked and untracked-not-ignored files when the
 * working tree is included, else the head commit's. A string says why they could not be listed
 * (never a partial list: a truncated one is refused).
 */
export async function listSubjectFiles(subject: Subject): Promise<string[] | string> {
  const argv = subject.includesWorktree
    ? ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    : ["ls-tree", "-r", "-z", "--name-only", "--full-tree", subject.head];
  const listed = await git(["-c", "core.quotepath=false", ...argv], { cwd: subject.root, timeoutMs: 120_000, maxOutputBytes: 256 << 20 });
  if (!listed.ok || listed.truncated) {
    const why = listed.truncated ? "the file list is too large" : listed.digest || listed.spawnError || `exit ${listed.exitCode}`;
    return `cannot list the repository's files: ${why}`;
  }
  return listed.stdout.split("\0").filter(Boolean);
}

/**
 * Files as the subject has them (null: unreadable, gone, not a file): the working tree when it is
 * included, else exactly the head commit's blobs (commit-files.ts) — never what the working tree
 * holds now, which a graded command running beside the gates (the agent's code, writable) may rewrite.
 */
export async function readSubjectFiles(subject: Subject, paths: readonly string[]): Promise<(string | null)[]> {
  if (!subject.includesWorktree) return readCommitFiles(subject, paths);
  return paths.map((path) => {
    try {
      return readFileSync(join(subject.root, path), "utf8");
    } catch {
      return null;
    }
  });
}

/** readSubjectFiles for a whole change's files, one batch at a time, none kept: `visit` sees each in order. */
export async function readEachSubjectFile(
  subject: Subject,
  paths: readonly string[],
  visit: (path: string, text: string | null) => void,
): Promise<void> {
  if (!subject.includesWorktree) return readEachCommitFile(subject, paths, visit);
  for (const path of paths) visit(path, (await readSubjectFiles(subject, [path]))[0] ?? null);
}

/** One untracked file as git would show it when added: every line new (a link: its target). None
 *  for "" and "dir/" (a nested repository, not a file); unreadable content throws, never left out. */
function readUntracked(root: string, path: string): ChangedFile[] {
  if (path === "" || path.endsWith("/")) return [];
  try {
    return [readUntrackedFile(root, path)];
  } catch (error) {
    throw gitError(`cannot read untracked file ${path}: ${messageOf(error)}`, { hint: "fix its permissions, or add it to .gitignore" });
  }
}

function readUntrackedFile(root: string, path: string): ChangedFile {
  const file: ChangedFile = { path, status: "added", binary: false, added: NO_LINES, removed: NO_LINES, removedCount: 0 };
  const full = join(root, path);
  const stat = lstatSync(full, { throwIfNoEntry: false });
  if (stat === undefined) return file; // deleted between listing and reading
  if (stat.isSymbolicLink()) return { ...file, added: linesOf([{ line: 1, text: readlinkSync(full) }]) };
  if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return { ...file, binary: stat.isFile() };
  const bytes = readFileSync(full);
  // git's own heuristic: a NUL in the first 8,000 bytes makes a file binary.
  if (bytes.subarray(0, 8000).includes(0)) return { ...file, binary: true };
  const lines = bytes.toString("utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  return { ...file, added: linesOf(lines.map((text, i) => ({ line: i + 1, text }))) };
}
