// Which work tree `loki verify` grades: an agent can write .git/config, so a `core.worktree` pointing
// at a clean clone (or a path whose name carries line breaks that pass for git's next answers) must
// not grade that other directory — exit 3, never VERIFIED. The honest twins still verify: a linked
// worktree, a --separate-git-dir checkout, and a GIT_DIR/GIT_WORK_TREE the user set themselves.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { loki } from "../helpers/cli.ts";
import { git } from "../helpers/tmp.ts";
import { commitAll, NODE_BREAK, NODE_FIX, NODE_PROJECT, verifyJson, verifyRepo } from "../helpers/verify-repo.ts";

// Each test runs the real CLI and a real test suite.
setDefaultTimeout(60_000);

/** The agent's repository: `feature` breaks sum() (BLOCKED when graded), and a clone of it at `clean` with a fix checked out. */
async function redirected() {
  const repo = await verifyRepo(NODE_PROJECT, NODE_BREAK);
  const clean = join(repo.root, "clean");
  git(repo.root, ["clone", "-q", repo.path, clean]);
  git(clean, ["checkout", "-q", "-b", "fixed", repo.base]);
  commitAll(clean, NODE_FIX, "the fix, somewhere else");
  return { repo, clean };
}

describe("loki verify: the work tree is the repository's own", () => {
  test("core.worktree pointing at a clean clone: exit 3 naming the setting; unset, the same change is BLOCKED", async () => {
    const { repo, clean } = await redirected();
    await using _ = repo;
    git(repo.path, ["config", "core.worktree", clean]);
    const refused = await loki(["verify", "main", "--json"], { cwd: repo.path });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("core.worktree");
    expect(refused.stdout).not.toContain("VERIFIED");

    git(repo.path, ["config", "--unset", "core.worktree"]);
    const graded = await verifyJson(repo.path, ["main"]);
    expect(graded.evidence.verdict).toBe("BLOCKED");
    expect(graded.code).toBe(2);
  });

  // git prints the top level first: a name holding line breaks can fake the answers after it, in either shape loki has read.
  test.each([
    ["top level, info/attributes, HEAD", (clean: string, attributes: string, head: string) => [clean, attributes, head]],
    [
      "top level, git dir, info/attributes, HEAD",
      (clean: string, attributes: string, head: string) => [clean, join(clean, ".git"), attributes, head],
    ],
  ])("core.worktree whose name forges the next lines (%s): exit 3, never VERIFIED", async (_, lines) => {
    const { repo, clean } = await redirected();
    await using _repo = repo;
    const forged = lines(clean, join(repo.root, "attributes"), git(clean, ["rev-parse", "HEAD"]).trim()).join("\n");
    mkdirSync(forged, { recursive: true });
    git(repo.path, ["config", "core.worktree", forged]);
    const result = await loki(["verify", "main", "--json"], { cwd: repo.path });
    expect(result.code).toBe(3);
    expect(result.stdout).not.toContain("VERIFIED");
  });

  test("a linked worktree (git worktree add) verifies, from its top level and from a subdirectory", async () => {
    await using repo = await verifyRepo(NODE_PROJECT);
    const linked = join(repo.root, "linked");
    git(repo.path, ["worktree", "add", "-q", "-b", "fix", linked, repo.base]);
    commitAll(linked, NODE_FIX, "fix in the linked worktree");
    expect((await verifyJson(linked, ["main"])).evidence.verdict).toBe("VERIFIED");
    expect((await verifyJson(join(linked, "test"), ["main"])).evidence.verdict).toBe("VERIFIED");
  });

  test("a --separate-git-dir checkout (.git is a file naming the git dir) verifies", async () => {
    await using repo = await verifyRepo(NODE_PROJECT);
    const work = join(repo.root, "separate");
    git(repo.root, ["clone", "-q", "--separate-git-dir", join(repo.root, "elsewhere.git"), repo.path, work]);
    git(work, ["checkout", "-q", "-b", "fix", repo.base]);
    commitAll(work, NODE_FIX, "fix");
    expect((await verifyJson(work, ["origin/main"])).evidence.verdict).toBe("VERIFIED");
  });

  test("GIT_DIR and GIT_WORK_TREE the user sets are theirs: the work tree they name is graded", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX);
    const env = { GIT_DIR: join(repo.path, ".git"), GIT_WORK_TREE: repo.path };
    const result = await loki(["verify", "main", "--json"], { cwd: repo.path, env });
    expect(result.code).toBe(0);
    expect(result.json<{ verdict: string }>().verdict).toBe("VERIFIED");
  });
});
