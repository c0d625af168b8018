// What `loki start` refuses before spending anything: not a repository, no commit, a dirty tree,
// a missing or logged-out provider, root without opt-in, a run already active. Exit 3, nothing run.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bareLokiEntry, loki } from "../helpers/cli.ts";
import { scenarioRepo } from "../helpers/scenario.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const isRoot = process.getuid?.() === 0;

describe("start refuses before any spend", () => {
  test("outside a git repository", async () => {
    await using dir = await tmpdir({ files: { "prd.md": "# A\n\n- [ ] it works\n" } });
    const result = await loki(["start"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("not inside a git repository");
  });

  test("a repository without commits", async () => {
    await using dir = await tmpdir({ git: true, files: { "prd.md": "# A\n\n- [ ] it works\n" } });
    const result = await loki(["start"], { cwd: dir.path, env: { ANTHROPIC_API_KEY: "k" } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("no commits yet");
  });

  test("uncommitted changes, listed, with the fix", async () => {
    await using s = await scenarioRepo("honest");
    s.write("notes.txt", "mine\n");
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("uncommitted changes (notes.txt)");
    expect(result.stderr).toContain("git stash -u");
    expect(existsSync(join(s.state, "calls"))).toBe(false);
  });

  test("a detached HEAD: refused with how to get on a branch, nothing written; --branch gives the run one", async () => {
    await using s = await scenarioRepo("honest");
    git(s.path, ["checkout", "-q", "--detach"]);
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("HEAD is detached");
    expect(result.stderr).toContain("loki start --branch <name>");
    expect(existsSync(join(s.path, ".loki", "state", "orchestrator.json"))).toBe(false);
    expect(existsSync(join(s.state, "calls"))).toBe(false);
    const onBranch = await s.loki(["start", "prd.md", "--branch", "loki/work"]);
    expect(onBranch.code, onBranch.stderr).toBe(0);
    expect(git(s.path, ["symbolic-ref", "--short", "HEAD"]).trim()).toBe("loki/work");
  });

  test.each([
    ["empty", "", "is not a branch name git accepts"],
    ["not a ref name", "a..b", "is not a branch name git accepts"],
  ])("--branch that is %s: exit 3 naming the flag", async (_name, branch, message) => {
    await using s = await scenarioRepo("honest");
    const result = await s.loki(["start", "prd.md", "--branch", branch]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`--branch ${JSON.stringify(branch)} ${message}`);
    expect(existsSync(join(s.state, "calls"))).toBe(false);
  });

  test("--branch checked out in another worktree: refused, naming where", async () => {
    await using s = await scenarioRepo("honest");
    await using other = await tmpdir();
    const where = join(other.path, "wt");
    git(s.path, ["worktree", "add", "-q", "-b", "elsewhere", where]);
    const result = await s.loki(["start", "prd.md", "--branch", "elsewhere"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("branch elsewhere is checked out in another worktree");
    expect(existsSync(join(s.state, "calls"))).toBe(false);
  });

  test("the provider is not installed: the install command", async () => {
    await using s = await scenarioRepo("honest");
    // From a loki install without provider CLIs of its own (this checkout has claude in node_modules/.bin).
    const result = await loki(["start", "prd.md"], { cwd: s.path, env: { ...s.env, PATH: "/usr/bin:/bin" }, entry: bareLokiEntry() });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("Claude Code is not installed");
    expect(result.stderr).toContain("npm install -g @anthropic-ai/claude-code");
  });

  test("the provider is not logged in: the login command", async () => {
    await using s = await scenarioRepo("honest");
    const result = await s.loki(["start", "prd.md"], { ANTHROPIC_API_KEY: "" });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("not logged in");
  });

  test.skipIf(!isRoot)("as root, unsandboxed without --yes: refused with an explanation (this machine runs tests as root)", async () => {
    await using s = await scenarioRepo("honest");
    s.write("loki.yaml", "allow_root: false\n");
    const { git } = await import("../helpers/tmp.ts");
    git(s.path, ["commit", "-qam", "no root opt-in"]);
    const result = await s.loki(["start", "prd.md", "--no-sandbox"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("running as root");
    expect(result.stderr).toContain("--yes");
    const optedIn = await s.loki(["start", "prd.md", "--no-sandbox", "--yes"]);
    expect(optedIn.code).toBe(0);
  });

  test.skipIf(!isRoot)("as root in loki's sandbox: no opt-in needed, the agent skips its own permission prompts", async () => {
    await using s = await scenarioRepo("honest");
    s.write("loki.yaml", "allow_root: false\n");
    const { git } = await import("../helpers/tmp.ts");
    git(s.path, ["commit", "-qam", "no root opt-in"]);
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).toBe(0);
    const argv = readFileSync(join(s.state, "argv.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as string[]);
    expect(argv[0]).toContain("--dangerously-skip-permissions");
  });

  test("a bad spec is refused before anything else is set up", async () => {
    await using s = await scenarioRepo("honest");
    const result = await s.loki(["start", "missing.md"]);
    expect(result.code).toBe(3);
    expect(existsSync(join(s.path, ".loki", "state"))).toBe(false);
  });

  test("resume with nothing to resume", async () => {
    await using s = await scenarioRepo("honest");
    const result = await s.loki(["resume"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("no run to resume");
  });
});
