// Held-out items stay out of git: `loki init` keeps the PRD out of history (.git/info/exclude), and a
// run whose spec is in history says that anything run in the repository can read its held-out items.
import { describe, expect, test } from "bun:test";
import { readFileSync, realpathSync, rmSync } from "node:fs";
import { commitCheckpoint, keepOutOfGit } from "../../src/core/git.ts";
import { specPaths } from "../../src/sandbox/spec-paths.ts";
import { join } from "node:path";
import { loki } from "../helpers/cli.ts";
import { PRD_MATH4, scenarioRepo } from "../helpers/scenario.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const WARNING = "is in this repository's git history, so its held-out items are too";
const SECRET = "SECRET-HELD-OUT-ITEM";

describe("keeping the spec out of history holds against the agent", () => {
  test("a .gitignore that un-ignores the spec does not get it into a checkpoint", async () => {
    await using repo = await tmpdir({ git: true });
    repo.write("prd.md", `- [ ] ${SECRET}\n`);
    await keepOutOfGit(repo.path, "prd.md", "first");
    // What the build agent can write: a .gitignore outranks .git/info/exclude.
    repo.write(".gitignore", "!/prd.md\n");
    repo.write("math.js", "1;\n");
    const made = await commitCheckpoint(repo.path, "loki: iteration 1", ["prd.md"]);
    expect(made.changed).toBe(true);
    expect(git(repo.path, ["ls-files"]).trim().split("\n").sort()).toEqual([".gitignore", "math.js"]);
    expect(git(repo.path, ["log", "-p", "--all"])).not.toContain(SECRET);
    // Without the exclusion it would have gone in: the attack is real.
    expect(git(repo.path, ["status", "--porcelain"])).toContain("?? prd.md");
  });

  test("loki init in an existing repository without commits writes the exclude line and commits nothing of the user's", async () => {
    await using repo = await tmpdir({ git: true, files: { ".env": "API_KEY=mine\n", "main.py": "print(1)\n" } });
    const init = await loki(["init", ".", "-t", "library"], { cwd: repo.path });
    expect(init.code, init.stderr).toBe(0);
    expect(Bun.spawnSync(["git", "rev-parse", "--verify", "-q", "HEAD"], { cwd: repo.path }).exitCode).not.toBe(0);
    expect(readFileSync(join(repo.path, ".git", "info", "exclude"), "utf8")).toContain("/prd.md\n");
    // loki start needs a commit: the next step says to make one.
    expect(init.stdout).toContain('next: edit it, commit your files (git add -A && git commit -m "initial"), then');
  });

  test("a spec in another repository says nothing of this project's paths", async () => {
    await using notes = await tmpdir({ git: true, files: { "prd.md": "x\n" } });
    await using project = await tmpdir({ git: true });
    const spec = join(notes.path, "prd.md");
    expect(specPaths(spec, [project.path]).sort()).toEqual([realpathSync(spec), spec].filter((p, i, all) => all.indexOf(p) === i).sort());
    // The same file in a worktree of its own repository is the spec too.
    git(notes.path, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "n", "--allow-empty"]);
    const tree = join(notes.path, "..", `wt-${Date.now()}`);
    git(notes.path, ["worktree", "add", "-q", "--detach", tree]);
    try {
      expect(specPaths(spec, [tree])).toContain(join(tree, "prd.md"));
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});

describe("the spec and git history", () => {
  test("a committed spec: the run says its held-out items are readable through git", async () => {
    await using s = await scenarioRepo("honest", "council: false\n", {}, PRD_MATH4);
    const result = await s.loki(["start", "prd.md"]);
    expect(result.stderr).toContain(`prd.md ${WARNING}`);
    expect(s.events().some((e) => e.kind === "warning" && e.message.includes(WARNING))).toBe(true);
  });

  test("held-out off: nothing is held out, nothing to say", async () => {
    await using s = await scenarioRepo("honest", "council: false\nheldout: false\n", {}, PRD_MATH4);
    expect((await s.loki(["start", "prd.md"])).stderr).not.toContain(WARNING);
  });

  test("loki init keeps the PRD out of history; a run on it has nothing to warn of", async () => {
    await using parent = await tmpdir();
    const init = await loki(["init", "shop", "-t", "library"], { cwd: parent.path });
    expect(init.code, init.stderr).toBe(0);
    const dir = join(parent.path, "shop");
    expect(git(dir, ["ls-files"]).trim()).toBe("");
    expect(git(dir, ["status", "--porcelain"]).trim()).toBe("");
    expect(readFileSync(join(dir, ".git", "info", "exclude"), "utf8")).toContain("/prd.md\n");
    const firstItem = /- \[ \] (.+)/.exec(readFileSync(join(dir, "prd.md"), "utf8"))?.[1] ?? "";
    expect(firstItem).not.toBe("");
    expect(git(dir, ["log", "-p", "--all"])).not.toContain(firstItem);

    await using s = await scenarioRepo("greenfield", "council: false\nmax_iterations: 1\n");
    const run = await loki(["start", "prd.md"], { cwd: dir, env: s.env });
    expect(run.stderr).toContain("started run");
    expect(run.stderr).not.toContain(WARNING);
  });
});
