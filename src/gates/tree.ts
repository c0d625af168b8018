// The files project detection and the frozen grading configuration read, from the working tree
// (fsTree) or from one commit (commitTree, read ahead with git so detection itself stays sync).
// A commit's tree is what a diff cannot change: the grader's configuration is read from it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "../core/git.ts";

export type Tree = {
  /** Where the files come from, for reports: "working tree" or "commit <sha>". */
  origin: string;
  has: (rel: string) => boolean;
  /** The file's text, or null when it is absent (or not a file). */
  read: (rel: string) => string | null;
  /** Names directly inside `dir` ("" is the root), or [] when it is absent. */
  list: (dir: string) => string[];
  /** Makes `read` and `has` answer for these paths too (a commit's tree reads ahead; disk needs nothing). */
  preload: (paths: readonly string[]) => Promise<void>;
};

/** Root files whose content detection or grading reads (listing is enough for the others). */
export const READ_AHEAD = ["package.json", "GNUmakefile", "makefile", "Makefile", "loki.yaml", ".lokiignore", ".gitattributes"];
const LISTED_DIRS = ["", "tests"];
const GIT_TIMEOUT_MS = 30_000;
const READ_AT_ONCE = 8;

export function fsTree(root: string): Tree {
  return {
    origin: "working tree",
    has: (rel) => existsSync(join(root, rel)),
    read: (rel) => {
      try {
        return readFileSync(join(root, rel), "utf8");
      } catch {
        return null;
      }
    },
    list: (dir) => {
      try {
        return readdirSync(join(root, dir));
      } catch {
        return [];
      }
    },
    preload: async () => {},
  };
}

/** The same view of `rev`'s tree; throws when git cannot list it (a bad rev is the caller's bug). */
export async function commitTree(root: string, rev: string): Promise<Tree> {
  const listed = new Map<string, string[]>();
  const blobs = new Map<string, string>();
  const list = (dir: string) => git(["ls-tree", "-z", `${rev}:${dir}`], { cwd: root, timeoutMs: GIT_TIMEOUT_MS });
  const rootListing = await list("");
  if (rootListing.exitCode !== 0) throw new Error(`git ls-tree ${rev}: ${rootListing.stderr.trim()}`);
  const rootEntries = rootListing.stdout.split("\0").filter((line) => line !== "");
  const kinds = new Map(rootEntries.map((line) => [line.slice(line.indexOf("\t") + 1), line.split(" ")[1]]));
  listed.set(
    "",
    rootEntries.map((line) => line.slice(line.indexOf("\t") + 1)),
  );
  for (const line of rootEntries) {
    const [meta = "", name = ""] = line.split("\t");
    if (meta.split(" ")[1] === "blob") blobs.set(name, "");
  }
  // The other listed directories only where the root has them as trees: no git process for what is absent.
  const subdirs = LISTED_DIRS.filter((dir) => dir !== "" && kinds.get(dir) === "tree");
  const listing = Promise.all(subdirs.map(list));
  const contents = new Map<string, string>();
  const readAll = async (paths: readonly string[]) => {
    for (let from = 0; from < paths.length; from += READ_AT_ONCE) {
      const batch = paths.slice(from, from + READ_AT_ONCE);
      const shown = await Promise.all(
        batch.map((path) => git(["cat-file", "blob", `${rev}:${path}`], { cwd: root, timeoutMs: GIT_TIMEOUT_MS })),
      );
      batch.forEach((path, i) => {
        if (shown[i]?.exitCode === 0) contents.set(path, shown[i].stdout);
      });
    }
  };
  // Each file is its own `git cat-file`, READ_AT_ONCE of them side by side, while the subdirectories are listed.
  const [listings] = await Promise.all([listing, readAll(READ_AHEAD.filter((n) => blobs.has(n)))]);
  subdirs.forEach((dir, i) => {
    const result = listings[i] as (typeof listings)[number];
    if (result.exitCode !== 0) return;
    listed.set(
      dir,
      result.stdout
        .split("\0")
        .filter((line) => line !== "")
        .map((line) => line.slice(line.indexOf("\t") + 1)),
    );
  });
  return {
    origin: `commit ${rev.slice(0, 12)}`,
    has: (rel) => {
      const slash = rel.lastIndexOf("/");
      return contents.has(rel) || (listed.get(slash < 0 ? "" : rel.slice(0, slash)) ?? []).includes(rel.slice(slash + 1));
    },
    read: (rel) => contents.get(rel) ?? null,
    list: (dir) => listed.get(dir) ?? [],
    preload: (paths) => readAll(paths.filter((p) => !contents.has(p))),
  };
}
