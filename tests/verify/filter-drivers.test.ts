// A filter driver the agent writes into .git/config and names in .git/info/attributes would have its
// command run by any git call that reads files on disk through it — on the host, outside the sandbox,
// while loki grades. Each attack is shown real with plain git first, then against loki's grading:
// hidden-change detection (hash-object), an --uncommitted diff and the tests gate's check that the
// checkout is the graded commit. The change is still seen in each case.
import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "../helpers/tmp.ts";
import { gateOf, NODE_FIX, NODE_PROJECT, verifyJson, verifyRepo } from "../helpers/verify-repo.ts";

/** Plants a clean and smudge filter on every file; returns the path its command touches when it runs. */
function plantFilter(repo: string): string {
  const marker = join(repo, "..", `filter-ran-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const command = `sh -c 'touch ${marker}; cat'`;
  git(repo, ["config", "filter.evil.clean", command]);
  git(repo, ["config", "filter.evil.smudge", command]);
  writeFileSync(join(repo, ".git", "info", "attributes"), "* filter=evil\n");
  return marker;
}

describe("the repository's own filter drivers never run while loki grades", () => {
  test("hidden-change detection: an assume-unchanged file edited on disk is found, and the filter does not run", async () => {
    await using repo = await verifyRepo({ "a.txt": "one\n", "b.txt": "two\n" }, { "a.txt": "one more\n" });
    const marker = plantFilter(repo.path);
    git(repo.path, ["update-index", "--assume-unchanged", "b.txt"]);
    writeFileSync(join(repo.path, "b.txt"), "edited behind git's back\n");
    // Plain git runs it: the attack is real.
    const plain = Bun.spawnSync(["git", "hash-object", "--stdin-paths"], { cwd: repo.path, stdin: Buffer.from("b.txt\n") });
    expect(plain.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);
    Bun.spawnSync(["rm", "-f", marker]);

    const { evidence } = await verifyJson(repo.path, [repo.base, "--only", "git_integrity,diff"]);
    expect(existsSync(marker)).toBe(false);
    expect(gateOf(evidence, "git_integrity")?.status).toBe("fail");
    expect(JSON.stringify(gateOf(evidence, "git_integrity"))).toContain("b.txt");
  });

  test("--uncommitted: the working tree's change is graded, and the filter does not run", async () => {
    await using repo = await verifyRepo({ "a.txt": "one\n" }, { "a.txt": "one more\n" });
    const marker = plantFilter(repo.path);
    writeFileSync(join(repo.path, "a.txt"), "one more, uncommitted\n");
    const plain = Bun.spawnSync(["git", "diff", "--stat", repo.base], { cwd: repo.path });
    expect(plain.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);
    Bun.spawnSync(["rm", "-f", marker]);

    const { evidence } = await verifyJson(repo.path, [repo.base, "--uncommitted", "--only", "diff"]);
    expect(existsSync(marker)).toBe(false);
    expect(evidence.subject).toMatchObject({ files: 1, includes_worktree: true });
  });

  test("the tests gate: a checkout that is not the graded commit is said so, and the filter does not run", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX);
    const marker = plantFilter(repo.path);
    writeFileSync(join(repo.path, "sum.js"), "exports.sum = (a, b) => a + b; // edited, not committed\n");
    const { evidence } = await verifyJson(repo.path, [repo.base, "--only", "tests"]);
    expect(existsSync(marker)).toBe(false);
    const tests = gateOf(evidence, "tests");
    expect(tests?.status).toBe("inconclusive");
    expect(tests?.reason).toContain("the working tree differs from the graded commit");
  });
});
