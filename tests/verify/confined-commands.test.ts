// The project's code that the gates run (here the tests, written by whoever made the change) sees
// no ~/.loki and no .loki/: not the signing keys, not a run's state, not a stale copy of the
// project a test runner would walk into; and what it starts does not outlive it. Real bwrap.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { confineArgv } from "../../src/sandbox/confine.ts";
import { git } from "../helpers/tmp.ts";
import { NODE_FIX, NODE_PROJECT, verifyJson, verifyRepo, writeFiles } from "../helpers/verify-repo.ts";

setDefaultTimeout(60_000);

/** The HOME loki runs with (tests/preload.ts sets one per run; os.homedir() ignores it). */
const homedir = () => process.env.HOME ?? "";

const KEY = "PLANTED-SIGNING-KEY-MATERIAL";
const HELD_OUT = "PLANTED-HELD-OUT-ITEM";

/** A test that records what it can list of loki's directories, and leaves a detached sleeper behind. */
function peek(out: string, marker: string): string {
  return `const fs = require("node:fs"), os = require("node:os"), path = require("node:path");
const { spawn } = require("node:child_process");
const test = require("node:test");
test("peek", () => {
  const seen = {};
  for (const dir of [path.join(os.homedir(), ".loki"), path.join(process.cwd(), ".loki")]) {
    try { seen[dir] = fs.readdirSync(dir, { recursive: true }).map((f) => [f, (() => { try { return fs.readFileSync(path.join(dir, f), "utf8"); } catch { return ""; } })()]); }
    catch (e) { seen[dir] = e.code; }
  }
  fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify(seen));
  spawn("setsid", ["sh", "-c", "sleep 30 # ${marker}"], { detached: true, stdio: "ignore" }).unref();
});
`;
}

const STALE = 'require("node:test")("a stale copy under .loki", () => { throw new Error("not this project\'s test"); });\n';

describe("graded commands run with the spec file unreadable", () => {
  test("a hidden file reads as empty — in the repository or outside it — and the files beside it are as they are", () => {
    const scratch = mkdtempSync(join(tmpdir(), "confined-spec-"));
    const outside = join(scratch, "specs", "prd.md");
    const repo = join(scratch, "repo");
    writeFiles(scratch, { "specs/prd.md": `- [ ] ${HELD_OUT}\n`, "repo/prd.md": `- [ ] ${HELD_OUT}\n`, "repo/math.js": "1;\n" });
    try {
      const run = (argv: string[]) => Bun.spawnSync(confineArgv(argv, repo, [outside, join(repo, "prd.md")]), { cwd: repo });
      for (const file of [outside, join(repo, "prd.md")]) {
        // An empty regular file: it reads (project code that reads every file still runs), and holds nothing.
        const read = run(["cat", file]);
        expect({ code: read.exitCode, out: read.stdout.toString() }).toEqual({ code: 0, out: "" });
        expect(run(["test", "-f", file]).exitCode).toBe(0);
        // Read-only: a test cannot put the items back under the name either.
        expect(run(["sh", "-c", `echo x > ${JSON.stringify(file)}`]).exitCode).not.toBe(0);
      }
      expect(run(["cat", "math.js"]).stdout.toString()).toBe("1;\n");
      expect(readFileSync(outside, "utf8")).toContain(HELD_OUT);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe("graded commands run with loki's private directories empty", () => {
  test("a test reading ~/.loki and .loki/ sees empty directories; a stale test under .loki/ is not run; its daemon dies with it", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "confined-"));
    const out = join(scratch, "seen.json");
    const marker = `loki-confined-${process.pid}-${Date.now()}`;
    await using repo = await verifyRepo(
      { ...NODE_PROJECT, ".gitignore": ".loki/\n" },
      { ...NODE_FIX, "test/peek.test.js": peek(out, marker) },
    );
    writeFiles(join(homedir(), ".loki"), { "keys/planted.key": KEY });
    writeFiles(join(repo.path, ".loki"), { "state/planted.json": HELD_OUT, "tmp/copy/test/stale.test.js": STALE });
    try {
      // The stale copy is what an unconfined `node --test` would pick up: it fails there (only the
      // stale test's body runs here, so the peek above does not).
      const bare = Bun.spawnSync(["node", "--test", "--test-name-pattern=stale copy"], { cwd: repo.path });
      expect({ code: bare.exitCode, out: bare.stdout.toString() }).toMatchObject({ code: 1, out: expect.stringContaining("# fail 1") });

      const { code, evidence } = await verifyJson(repo.path, ["--only", "tests"]);
      const tests = evidence.gates.find((g) => g.id === "tests");
      expect({ code, status: tests?.status, reason: tests?.reason }).toMatchObject({ code: 0, status: "pass" });
      expect(tests?.reason).toStartWith("3 passed");

      const seen = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
      expect(seen).toEqual({ [join(homedir(), ".loki")]: [], [join(repo.path, ".loki")]: [] });
      expect(JSON.stringify(evidence)).not.toContain(KEY);
      const ps = Bun.spawnSync(["ps", "-eo", "args"]).stdout.toString();
      expect(ps).not.toContain(marker);
      // …while on the host both are still there.
      expect(readFileSync(join(homedir(), ".loki", "keys", "planted.key"), "utf8")).toBe(KEY);
      expect(readFileSync(join(repo.path, ".loki", "state", "planted.json"), "utf8")).toBe(HELD_OUT);
    } finally {
      rmSync(join(homedir(), ".loki", "keys", "planted.key"), { force: true });
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test("a working directory inside a hidden one (a worktree under .loki/worktrees) is bound back; its siblings stay hidden", () => {
    const root = mkdtempSync(join(tmpdir(), "confined-"));
    try {
      const worktree = join(root, ".loki", "worktrees", "w");
      mkdirSync(worktree, { recursive: true });
      writeFileSync(join(worktree, "file.txt"), "in the worktree\n");
      writeFiles(join(root, ".loki"), { "state/planted.json": HELD_OUT });
      git(worktree, ["init", "-q"]);
      const argv = confineArgv(["sh", "-c", `cat file.txt; ls ${join(root, ".loki")}; touch made.txt`], worktree, [join(root, ".loki")]);
      const ran = Bun.spawnSync(argv, { cwd: worktree });
      expect({ code: ran.exitCode, stderr: ran.stderr.toString() }).toEqual({ code: 0, stderr: "" });
      expect(ran.stdout.toString()).toBe("in the worktree\nworktrees\n");
      expect(readFileSync(join(worktree, "made.txt"), "utf8")).toBe("");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
