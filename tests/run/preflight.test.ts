// What `loki start` refuses before spending anything: not a repository, no commit, a dirty tree,
// a missing or logged-out provider, root without opt-in, a run already active. Exit 3, nothing run.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bareLokiEntry, loki } from "../helpers/cli.ts";
import { scenarioRepo } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";

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
