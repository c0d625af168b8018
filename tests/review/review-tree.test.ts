// Review copies in real git repositories: a reviewer that writes to its copy or to the user's tree is
// caught and the tree restored; an honest one is not flagged, also where checkout filters (CRLF files
// under `* text`) make a fresh checkout hash differently from the commit; no copy is left behind.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inReviewTrees } from "../../src/review/review-tree.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const worktrees = (root: string) => git(root, ["worktree", "list", "--porcelain"]).match(/^worktree /gm)?.length ?? 0;

/** A repository whose committed file has CRLF endings under `* text`: `git add` normalises it, so an
 *  untouched checkout hashes to another tree than the commit's. */
async function crlfRepo() {
  const dir = await tmpdir({ git: true });
  dir.write("legacy.txt", "one\r\ntwo\r\n");
  git(dir.path, ["add", "-A"]);
  git(dir.path, ["commit", "-qm", "crlf"]);
  dir.write(".gitattributes", "* text\n");
  // Only the attributes: `add -A` could re-read the (racily clean) CRLF file and normalise it.
  git(dir.path, ["add", ".gitattributes"]);
  git(dir.path, ["commit", "-qm", "attributes"]);
  return dir;
}

describe("review copies", () => {
  test("readers are not flagged; each saw its own checkout of HEAD; nothing is left behind", async () => {
    await using dir = await tmpdir({ commit: true });
    const seen: string[] = [];
    const results = await inReviewTrees(dir.path, ["requirements", "security"], true, async (label, copy) => {
      seen.push(copy);
      return `${label}: ${readFileSync(join(copy, "README.md"), "utf8").trim()}`;
    });
    expect(results).toEqual([
      { label: "requirements", result: "requirements: # fixture", mutation: null },
      { label: "security", result: "security: # fixture", mutation: null },
    ]);
    expect(new Set(seen).size).toBe(2);
    expect(seen.some((copy) => existsSync(copy))).toBe(false);
    expect(worktrees(dir.path)).toBe(1);
  });

  const writers = [
    {
      name: "a reviewer that adds a file to its copy, one by one",
      repo: () => tmpdir({ commit: true }),
      parallel: false,
      file: "notes.md",
      text: "looked fine\n",
    },
    {
      name: "CRLF files under `* text` (a checkout is not the commit's tree), side by side",
      repo: crlfRepo,
      parallel: true,
      file: "legacy.txt",
      text: "one\r\ntwo\r\nthree\r\n",
    },
  ];
  test.each(writers)("$name: the writer is flagged with the path, the honest reader is not", async ({ repo, parallel, file, text }) => {
    await using dir = await repo();
    const results = await inReviewTrees(dir.path, ["judge", "security"], parallel, async (label, copy) => {
      if (label === "security") writeFileSync(join(copy, file), text);
      return label;
    });
    expect(results.map((r) => r.mutation)).toEqual([null, `wrote to its review copy (${file})`]);
    expect(worktrees(dir.path)).toBe(1);
  });

  test("a write to the user's tree is reverted and marks every reviewer of the batch", async () => {
    await using dir = await tmpdir({ commit: true });
    const results = await inReviewTrees(dir.path, ["judge"], false, async () => {
      writeFileSync(join(dir.path, "README.md"), "# rewritten\n");
      return "ok";
    });
    expect(results[0]?.mutation).toBe("changed the repository's working tree (reverted)");
    expect(readFileSync(join(dir.path, "README.md"), "utf8")).toBe("# fixture\n");
  });
});
