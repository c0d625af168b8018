// A checkout that belongs to another user (a CI container's, a shared volume) is one git refuses
// unless the user's own config lists it in safe.directory: loki's hardened git keeps exactly that
// entry, on every call. Needs root (to hand the repository to another user).
import { describe, expect, test } from "bun:test";
import { chownSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loki } from "../helpers/cli.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/** Every file and directory under `dir` (and `dir` itself) handed to uid/gid `id`. */
function chownTree(dir: string, id: number): void {
  chownSync(dir, id, id);
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) chownSync(join(entry.parentPath, entry.name), id, id);
}

/** A commit on top of `repo`'s first, then the whole repository given to another user; the base's sha. */
function changeAndHandOver(repo: { path: string; write: (path: string, text: string) => void }): string {
  const base = git(repo.path, ["rev-parse", "HEAD"]).trim();
  repo.write("a.ts", "export const a = 2;\n");
  git(repo.path, ["commit", "-qam", "change"]);
  chownTree(repo.path, NOBODY);
  return base;
}

const FILES = { "a.ts": "export const a = 1;\n" };

describe.skipIf(!ROOT)("another user's checkout (as root)", () => {
  test("verifies when the user's global config lists it in safe.directory", async () => {
    await using repo = await tmpdir({ commit: true, files: FILES });
    const base = changeAndHandOver(repo);
    const config = join(repo.path, "..", `gitconfig-safe-${process.pid}`);
    writeFileSync(config, `[safe]\n\tdirectory = ${repo.path}\n`);
    const result = await loki(["verify", base, "--only", "diff,secrets", "--json"], {
      cwd: repo.path,
      env: { GIT_CONFIG_GLOBAL: config },
    });
    expect(result.stderr).not.toContain("dubious");
    expect(result.code).toBe(0);
    expect(result.json<{ subject: { files: number } }>().subject.files).toBe(1);
  });

  test("without the entry, git's refusal is what the user is told (exit 3), never a verdict", async () => {
    await using repo = await tmpdir({ commit: true, files: FILES });
    const base = changeAndHandOver(repo);
    const config = join(repo.path, "..", `gitconfig-plain-${process.pid}`);
    writeFileSync(config, "[user]\n\tname = x\n");
    const result = await loki(["verify", base, "--only", "diff,secrets", "--json"], {
      cwd: repo.path,
      env: { GIT_CONFIG_GLOBAL: config },
    });
    expect(result.code).toBe(3);
    expect(result.stdout).not.toContain('"verdict"');
  });
});
