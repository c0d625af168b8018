// An iteration redone on resume takes back its own checkpoint commits (a recorded one, or one that
// landed after loki died) with a soft reset, in a real repository: their work stays, history shows
// the iteration once, and nothing before the run's start or of anyone else's is rewritten.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkpointMessage, foldCheckpoints } from "../../src/loop/reflect.ts";
import { git, tmpdir, type TmpDir } from "../helpers/tmp.ts";

function commit(dir: TmpDir, file: string, message: string): string {
  dir.write(file, `${file}\n`);
  git(dir.path, ["add", "-A"]);
  git(dir.path, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message]);
  return git(dir.path, ["rev-parse", "HEAD"]).trim();
}

const head = (dir: TmpDir) => git(dir.path, ["rev-parse", "HEAD"]).trim();
const subjects = (dir: TmpDir) => git(dir.path, ["log", "--format=%s"]).trim().split("\n");

describe("folding a redone iteration's checkpoints", () => {
  test("every checkpoint of the iteration at HEAD is taken back; its work stays staged", async () => {
    await using dir = await tmpdir({ commit: true });
    const start = head(dir);
    const first = commit(dir, "a.js", checkpointMessage(1));
    commit(dir, "b.js", checkpointMessage(2));
    // The checkpoint that was in flight when loki died, landed behind its back.
    commit(dir, "c.js", checkpointMessage(2));
    const folded = await foldCheckpoints(dir.path, { phase: "verify", iteration: 2, start_sha: start });
    expect(folded).toEqual({ to: first, commits: 2 });
    expect(head(dir)).toBe(first);
    expect(subjects(dir)).toEqual(["loki: iteration 1", "initial"]);
    expect(git(dir.path, ["diff", "--cached", "--name-only"]).trim().split("\n")).toEqual(["b.js", "c.js"]);
    expect(readFileSync(join(dir.path, "c.js"), "utf8")).toBe("c.js\n");
  });

  test("an iteration that is not redone, or a HEAD that is someone else's commit, is left alone", async () => {
    await using dir = await tmpdir({ commit: true });
    const start = head(dir);
    const checkpoint = commit(dir, "a.js", checkpointMessage(1));
    expect(await foldCheckpoints(dir.path, { phase: "done", iteration: 1, start_sha: start })).toBeNull();
    expect(await foldCheckpoints(dir.path, { phase: "starting", iteration: 1, start_sha: start })).toBeNull();
    expect(await foldCheckpoints(dir.path, { phase: "act", iteration: 2, start_sha: start })).toBeNull();
    expect(head(dir)).toBe(checkpoint);
    const mine = commit(dir, "user.js", "fix: the user's own change");
    expect(await foldCheckpoints(dir.path, { phase: "verify", iteration: 1, start_sha: start })).toBeNull();
    expect(head(dir)).toBe(mine);
  });

  test("never reaches past the run's start: an older run's checkpoint of the same number stays", async () => {
    await using dir = await tmpdir({ commit: true });
    const start = commit(dir, "old.js", checkpointMessage(1));
    expect(await foldCheckpoints(dir.path, { phase: "reflect", iteration: 1, start_sha: start })).toBeNull();
    expect(head(dir)).toBe(start);
    const landed = commit(dir, "new.js", checkpointMessage(1));
    expect(await foldCheckpoints(dir.path, { phase: "reflect", iteration: 1, start_sha: start })).toEqual({ to: start, commits: 1 });
    expect(head(dir)).not.toBe(landed);
    expect(subjects(dir)).toEqual(["loki: iteration 1", "initial"]);
  });
});
