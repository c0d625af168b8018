// The global flags every command takes, through the real CLI: -v/--version (and the old -V) print
// what `loki version` prints; --quiet leaves errors and the final result line, --verbose adds
// detail, --json is the same either way; before or after the command name; never both at once.
import { describe, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { childVerbosityEnv } from "../../src/core/verbosity.ts";
import { loki } from "../helpers/cli.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { NODE_BREAK, NODE_FIX, NODE_PROJECT, verifyRepo } from "../helpers/verify-repo.ts";

const TEMPLATES = resolve(import.meta.dir, "..", "..", "templates");

describe("version", () => {
  test("-v, --version, -V and `loki version` print the same line, exit 0", async () => {
    await using dir = await tmpdir();
    const expected = (await loki(["version"], { cwd: dir.path })).stdout;
    expect(expected).toMatch(/^loki \d+\.\d+\.\d+/);
    for (const flag of ["-v", "--version", "-V"]) {
      const result = await loki([flag], { cwd: dir.path });
      expect({ flag, code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
        flag,
        code: 0,
        stdout: expected,
        stderr: "",
      });
    }
  });

  test("the help lists -v and the global flags, also under a command", async () => {
    await using dir = await tmpdir();
    const top = (await loki(["--help"], { cwd: dir.path })).stdout;
    expect(top).toMatch(/-v, --version/);
    const start = (await loki(["start", "--help"], { cwd: dir.path })).stdout;
    expect(start).toMatch(/Global Options:[\s\S]*-q, --quiet[\s\S]*--verbose/);
  });
});

describe("--quiet and --verbose", () => {
  test("both at once is a usage error (exit 3) that names them", async () => {
    await using dir = await tmpdir({ git: true });
    const result = await loki(["--quiet", "status", "--verbose"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("option '-q, --quiet' cannot be used with option '--verbose'");
    expect(result.stdout).toBe("");
  });

  test("verify --quiet: the verdict line alone on stdout, nothing on stderr; before or after the command", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_BREAK);
    const full = await loki(["verify", "main"], { cwd: repo.path });
    expect(full.code).toBe(2);
    const verdict = full.stdout.split("\n").find((line) => line.startsWith("BLOCKED (exit 2)"));
    expect(verdict).toContain("tests fail");
    expect(full.stdout.split("\n").length).toBeGreaterThan(5);
    for (const args of [
      ["verify", "main", "--quiet"],
      ["-q", "verify", "main"],
    ]) {
      const quiet = await loki(args, { cwd: repo.path });
      expect({ code: quiet.code, stdout: quiet.stdout, stderr: quiet.stderr }).toEqual({ code: 2, stdout: `${verdict}\n`, stderr: "" });
    }
  });

  test("verify --verbose: the commands grading ran, and the same verdict", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX);
    const normal = await loki(["verify", "main"], { cwd: repo.path });
    const verbose = await loki(["verify", "main", "--verbose"], { cwd: repo.path });
    expect([normal.code, verbose.code]).toEqual([0, 0]);
    expect(normal.stdout).not.toContain("grading ran");
    expect(verbose.stdout).toMatch(/^grading ran test `bun test` \(.+\), build \(none\), lint \(none\)$/m);
    expect(verbose.stdout).toMatch(/^VERIFIED \(exit 0\)$/m);
  });

  test("verify --json --quiet: the same evidence on stdout as --json", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_BREAK);
    const json = await loki(["verify", "main", "--json"], { cwd: repo.path });
    const quiet = await loki(["verify", "main", "--json", "--quiet"], { cwd: repo.path });
    const shape = (text: string) => {
      const e = Evidence.parse(JSON.parse(text));
      return { verdict: e.verdict, gates: e.gates.map((g) => [g.id, g.status, g.reason]) };
    };
    expect(quiet.code).toBe(json.code);
    expect(shape(quiet.stdout)).toEqual(shape(json.stdout));
  });

  test("plan --quiet: the quote unchanged on stdout, no warnings or notes on stderr", async () => {
    await using dir = await tmpdir({ git: true });
    copyFileSync(join(TEMPLATES, "todo-app.md"), join(dir.path, "prd.md"));
    // No provider is logged in here (tests/preload.ts): plan warns that start would refuse.
    const normal = await loki(["plan", "prd.md"], { cwd: dir.path });
    const quiet = await loki(["plan", "prd.md", "--quiet"], { cwd: dir.path });
    expect([normal.code, quiet.code]).toEqual([0, 0]);
    expect(normal.stderr).toContain("warning: loki start would refuse now");
    expect(normal.stderr).toContain("wrote .loki/spec/spec.json");
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toBe(normal.stdout);
  });

  test("an error still prints under --quiet, with its hint and exit code", async () => {
    await using dir = await tmpdir();
    const result = await loki(["verify", "--quiet"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stdout).toBe("");
  });

  test("a detached child gets --verbose through its environment, never --quiet", () => {
    const env = { PATH: "/bin", LOKI_VERBOSE: "1" };
    expect(childVerbosityEnv(env, "verbose")).toEqual({ PATH: "/bin", LOKI_VERBOSE: "1" });
    expect(childVerbosityEnv(env, "quiet")).toEqual({ PATH: "/bin" });
    expect(childVerbosityEnv({ PATH: "/bin" }, "normal")).toEqual({ PATH: "/bin" });
  });
});
