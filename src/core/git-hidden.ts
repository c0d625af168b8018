// Changes git is told not to see: a file the index marks assume-unchanged (or skip-worktree while the
// file is on disk) is skipped by `git add -A`, `git status` and `git diff`, so a checkpoint and every
// diff-based gate miss an edit to it while the test commands still run the edited file.
import { lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { gitError } from "./errors.ts";
import { filtersOff, git } from "./git.ts";
import { gitBlobId } from "./hash.ts";

/** What stands for a flagged file's content when it is not there, or cannot be hashed. */
export const HIDDEN_DELETED = "deleted";
export const HIDDEN_UNREADABLE = "unreadable";

type Flagged = { path: string; blob: string; assumeUnchanged: boolean };

/**
 * Every index entry whose working-tree file differs from the blob the index records while a flag
 * keeps git from looking: path → the blob id of the file as it is now (HIDDEN_DELETED when an
 * assume-unchanged file is gone, HIDDEN_UNREADABLE when it cannot be hashed). A skip-worktree file
 * absent from disk is a sparse checkout working as intended, not a change. No spawn when the index
 * file says no entry is flagged; throws a gitError when git cannot read the index.
 */
export async function hiddenChanges(root: string): Promise<Record<string, string>> {
  if (!indexMayFlag(root)) return {};
  const listed = await git(["-c", "core.quotepath=false", "ls-files", "-v", "-s", "-z"], {
    cwd: root,
    timeoutMs: 120_000,
    maxOutputBytes: 512 << 20,
  });
  if (!listed.ok || listed.truncated) throw gitError(`cannot read the index of ${root}: ${listed.digest || "its listing is too large"}`);
  const flagged = flaggedEntries(listed.stdout);
  if (flagged.length === 0) return {};
  const hidden: Record<string, string> = {};
  const present: Flagged[] = [];
  for (const entry of flagged) {
    const file = join(root, entry.path);
    let link: boolean | null;
    try {
      link = lstatSync(file).isSymbolicLink();
    } catch {
      link = null;
    }
    if (link === null) {
      if (entry.assumeUnchanged) hidden[entry.path] = HIDDEN_DELETED;
    } else if (link) {
      // git stores a link as its target's text; hash-object would follow it.
      const now = linkBlob(file, entry.blob.length);
      if (now !== entry.blob) hidden[entry.path] = now;
    } else present.push(entry);
  }
  // hash-object reads newline-separated paths: a path holding a newline cannot be named to it.
  const nameable = present.filter((entry) => !entry.path.includes("\n"));
  for (const entry of present) if (entry.path.includes("\n")) hidden[entry.path] = HIDDEN_UNREADABLE;
  if (nameable.length === 0) return hidden;
  // With the path's own line-ending conversion, as `git add` would hash it: an untouched checkout matches.
  // Never with the repository's filter drivers: a clean command in .git/config would run here, on the host.
  const hashed = await git([...(await filtersOff(root)), "hash-object", "--stdin-paths"], {
    cwd: root,
    input: `${nameable.map((entry) => entry.path).join("\n")}\n`,
    timeoutMs: 120_000,
    maxOutputBytes: 64 << 20,
  });
  const blobs = hashed.ok ? hashed.stdout.split("\n").filter(Boolean) : [];
  nameable.forEach((entry, i) => {
    const now = blobs.length === nameable.length ? blobs[i] : undefined;
    if (now === undefined) hidden[entry.path] = HIDDEN_UNREADABLE;
    else if (now !== entry.blob) hidden[entry.path] = now;
  });
  return hidden;
}

/** The blob id git gives a symbolic link (its target's text), in the repository's hash (by id length). */
function linkBlob(file: string, idLength: number): string {
  try {
    return gitBlobId(readlinkSync(file, "buffer"), idLength);
  } catch {
    return HIDDEN_UNREADABLE;
  }
}

/** `git ls-files -v -s -z` entries git is told to trust without looking: a lowercase tag is
 *  assume-unchanged, `S`/`s` is skip-worktree. Gitlinks (submodules) are left to the submodule. */
export function flaggedEntries(listing: string): Flagged[] {
  const entries: Flagged[] = [];
  for (const record of listing.split("\0")) {
    // "<tag> <mode> <blob> <stage>\t<path>"
    const match = /^(\S) (\d+) ([0-9a-f]+) \d\t([\s\S]+)$/.exec(record);
    if (!match) continue;
    const [, tag = "", mode, blob = "", path = ""] = match;
    const assumeUnchanged = tag !== tag.toUpperCase();
    const skipWorktree = tag === "S" || tag === "s";
    if ((!assumeUnchanged && !skipWorktree) || mode === "160000") continue;
    entries.push({ path, blob, assumeUnchanged });
  }
  return entries;
}

/**
 * Whether `root`'s index may mark an entry assume-unchanged or skip-worktree, read from the file
 * itself (loki's per-iteration cost stays one spawn lower): false only when every entry was read and
 * none is flagged. Any layout this reader does not know — a linked worktree's or a split index, an
 * unfamiliar version, a short or odd file — answers true, and git is asked.
 */
export function indexMayFlag(root: string): boolean {
  let index: Buffer;
  let idLength = 20;
  try {
    if (!statSync(join(root, ".git")).isDirectory()) return true;
    index = readFileSync(join(root, ".git", "index"));
    if (/objectformat\s*=\s*sha256/i.test(readFileSync(join(root, ".git", "config"), "utf8"))) idLength = 32;
  } catch (error) {
    // No index yet (a repository without commits) flags nothing; anything else is for git to say.
    return (error as NodeJS.ErrnoException).code !== "ENOENT" || !isFile(join(root, ".git", "config"));
  }
  if (index.length < 12 || index.toString("latin1", 0, 4) !== "DIRC") return true;
  const version = index.readUInt32BE(4);
  if (version < 2 || version > 4) return true;
  let offset = 12;
  for (let n = index.readUInt32BE(8); n > 0; n--) {
    const start = offset;
    offset += 40 + idLength;
    if (offset + 2 > index.length) return true;
    const flags = index.readUInt16BE(offset);
    offset += 2;
    if (flags & 0x8000) return true; // assume-unchanged (CE_VALID)
    if (flags & 0x4000) {
      if (version < 3 || offset + 2 > index.length) return true;
      if (index.readUInt16BE(offset) & 0x4000) return true; // skip-worktree
      offset += 2;
    }
    if (version === 4) {
      while (offset < index.length && (index[offset] ?? 0) & 0x80) offset++; // the varint of the shared prefix
      offset++;
    }
    const end = index.indexOf(0, offset);
    if (end < 0) return true;
    offset = version === 4 ? end + 1 : start + ((end - start + 8) & ~7);
  }
  // Entries all read: a split index ("link") keeps more of them in another file.
  for (let at = offset; at + 8 <= index.length - idLength; at += 8 + index.readUInt32BE(at + 4)) {
    if (index.toString("latin1", at, at + 4) === "link") return true;
  }
  return false;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
