// Changes git is told not to see: a file the index marks assume-unchanged (or skip-worktree while the
// file is on disk) is skipped by `git add -A`, `git status` and `git diff`, so a checkpoint and every
// diff-based gate miss an edit to it while the test commands still run the edited file.
import { createHash } from "node:crypto";
import { lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { gitError } from "./errors.ts";
import { git } from "./git.ts";

/** What stands for a flagged file's content when it is not there, or cannot be hashed. */
export const HIDDEN_DELETED = "deleted";
export const HIDDEN_UNREADABLE = "unreadable";

type Flagged = { path: string; blob: string; assumeUnchanged: boolean };

/**
 * Every index entry whose working-tree file differs from the blob the index records while a flag
 * keeps git from looking: path → the blob id of the file as it is now (HIDDEN_DELETED when an
 * assume-unchanged file is gone, HIDDEN_UNREADABLE when it cannot be hashed). A skip-worktree file
 * absent from disk is a sparse checkout working as intended, not a change. One git spawn when no
 * entry is flagged; throws a gitError when the index cannot be read.
 */
export async function hiddenChanges(root: string): Promise<Record<string, string>> {
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
  // With the path's own filters (eol, clean), as `git add` would hash it: an untouched checkout matches.
  const hashed = await git(["hash-object", "--stdin-paths"], {
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
    const target = readlinkSync(file, "buffer");
    const hash = createHash(idLength === 64 ? "sha256" : "sha1");
    return hash.update(`blob ${target.length}\0`).update(target).digest("hex");
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
