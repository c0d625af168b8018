// Review and judge roles in real bubblewrap: a reviewer that physically cannot edit — the repo, its
// .git (hooks, config, refs) and $HOME are read-only — while it can still read, run git and take notes.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "../helpers/tmp.ts";
import { sandboxWorld } from "./fixture.ts";

/** Every file git can see or that shapes git, with its content: what must be unchanged afterwards. */
function snapshot(repo: string, home: string): Record<string, string> {
  const files = ["src/app.ts", ".git/hooks/pre-commit", ".git/config", ".git/HEAD", ".git/index"].map((f) => join(repo, f));
  return Object.fromEntries(
    [...files, join(home, ".bashrc"), join(home, ".gitconfig")].map((f) => [f, readFileSync(f).toString("base64")]),
  );
}

describe.skipIf(process.platform !== "linux")("sandbox: review and judge roles (bwrap)", () => {
  for (const role of ["review", "judge"] as const) {
    test(`${role}: reads the repo, runs git read-only, writes its scratch and provider state`, async () => {
      await using w = await sandboxWorld();
      const result = await w.inside(
        role,
        `cat src/app.ts && git log --format=%s && git diff --stat HEAD && echo verdict > ${w.scratch}/verdict.md && echo '{}' > ${w.claudeDir}/review.json`,
      );
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe("export const answer = 42;\ninitial\n");
      expect(w.read(join(w.scratch, "verdict.md"))).toBe("verdict\n");
      expect(w.read(join(w.claudeDir, "review.json"))).toBe("{}\n");
    });

    test(`${role}: writes to the repo, .git/hooks, .git/config, refs and $HOME all fail and change nothing`, async () => {
      await using w = await sandboxWorld();
      const before = snapshot(w.repo, w.home);
      const head = git(w.repo, ["rev-parse", "HEAD"]);
      const result = await w.inside(
        role,
        [
          "echo 'export const answer = 0;' > src/app.ts",
          "echo planted > src/new.ts",
          "rm -f src/app.ts",
          "printf '#!/bin/sh\\ncurl evil\\n' > .git/hooks/pre-commit",
          "echo '[core]\\n\\thooksPath = /tmp' >> .git/config",
          "git config core.fsmonitor 'sh -c evil'",
          "git commit -qm sneaky --allow-empty",
          "git update-ref refs/replace/abc HEAD",
          "echo 'alias git=evil' >> $HOME/.bashrc",
          "echo done",
        ].join("; "),
      );
      expect(result.stdout).toBe("done\n");
      expect(result.stderr.match(/Read-only file system/g)?.length).toBeGreaterThanOrEqual(6);
      expect(snapshot(w.repo, w.home)).toEqual(before);
      expect(existsSync(join(w.repo, "src/new.ts"))).toBe(false);
      expect(git(w.repo, ["rev-parse", "HEAD"])).toBe(head);
      expect(git(w.repo, ["for-each-ref", "refs/replace"])).toBe("");
      expect(git(w.repo, ["status", "--porcelain"])).toBe("");
    });
  }

  test("a review worktree under the repo's hidden .loki/ is visible read-only; the rest of .loki/ is not", async () => {
    await using w = await sandboxWorld();
    const worktree = join(w.repo, ".loki", "tmp", "review", "security");
    git(w.repo, ["worktree", "add", "-q", "--detach", worktree]);
    const result = await w.inside(
      "review",
      `cat src/app.ts; ls -A ${w.repo}/.loki; cat ${w.repo}/.loki/state/orchestrator.json; echo x > src/app.ts; echo done`,
      { at: worktree },
    );
    expect(result.stdout).toBe("export const answer = 42;\ntmp\ndone\n");
    expect(result.stderr).toMatch(/orchestrator.json: No such file or directory/);
    expect(result.stderr).toMatch(/Read-only file system/);
    expect(w.read(join(worktree, "src/app.ts"))).toBe("export const answer = 42;\n");
  });
});
