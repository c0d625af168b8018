// Finding the provider CLI where an install put it, with real processes: a project's node_modules/.bin
// (also from a subdirectory, as the quick start's demo/ needs), PATH, loki's own install — from source
// and from the compiled binary — and login hints that run as printed. No node_modules/.bin on PATH.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir as osTmp } from "node:os";
import { join, resolve } from "node:path";
import { bareLokiEntry, type CliResult, fakeBinDir, loki } from "../helpers/cli.ts";
import { PRD, packageJson, scenarioRepo } from "../helpers/scenario.ts";
import { git, tmpdir, type TmpDir } from "../helpers/tmp.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
const REAL_CLAUDE = join(ROOT, "node_modules", ".bin", "claude");
const AGENTS = join(ROOT, "tests", "fixtures", "agents");
const BARE_PATH = "/usr/bin:/bin";
const LOGIN = "npx claude auth login, or set ANTHROPIC_API_KEY";

type Status = { id: string; installed: boolean; path: string | null; found_in: string | null; problem: string | null; fix: string | null };
type Doctor = { ok: boolean; headline: string | null; providers: Status[] };
const claudeIn = (result: CliResult) => result.json<Doctor>().providers.find((p) => p.id === "claude");

/** A project whose `npm ci` put Claude Code in node_modules/.bin (a link to the real CLI), and a demo/ git repo inside it. */
async function projectWithClaude(): Promise<TmpDir & { demo: string }> {
  const dir = await tmpdir({ files: { "demo/prd.md": "# Demo\n\n- [ ] it works\n" } });
  mkdirSync(join(dir.path, "node_modules", ".bin"), { recursive: true });
  symlinkSync(REAL_CLAUDE, join(dir.path, "node_modules", ".bin", "claude"));
  const demo = join(dir.path, "demo");
  git(demo, ["init", "-q"]);
  return Object.assign(dir, { demo });
}

describe("from source", () => {
  test("a CLI only in the project's node_modules/.bin: doctor finds it there, its login hint is npx", async () => {
    await using dir = await projectWithClaude();
    const result = await loki(["doctor", "--json"], { cwd: dir.path, env: { PATH: BARE_PATH } });
    expect(result.code).toBe(1);
    const problem = "Claude Code is installed (node_modules/.bin) but not logged in";
    expect(claudeIn(result)).toMatchObject({
      installed: true,
      path: join(dir.path, "node_modules", ".bin", "claude"),
      found_in: "project",
      problem,
      fix: LOGIN,
    });
    expect(result.json<Doctor>().headline).toBe(`${problem}: ${LOGIN}`);
    const human = await loki(["doctor"], { cwd: dir.path, env: { PATH: BARE_PATH } });
    expect(human.stdout.split("\n")[0]).toBe(`problem: ${problem}: ${LOGIN}`);
    expect(human.stdout).toMatch(/claude\s+\d+\.\d+\.\d+\s+not logged in\s+node_modules\/\.bin\n/);
  });

  test("from a subdirectory (the quick start's demo/): found by walking up, and the hint runs there as printed", async () => {
    await using dir = await projectWithClaude();
    const result = await loki(["doctor", "--json"], { cwd: dir.demo, env: { PATH: BARE_PATH } });
    expect(claudeIn(result)).toMatchObject({
      path: join(dir.path, "node_modules", ".bin", "claude"),
      found_in: "project",
      problem: "Claude Code is installed (../node_modules/.bin) but not logged in",
      fix: LOGIN,
    });
    expect((await loki(["provider", "show"], { cwd: dir.demo, env: { PATH: BARE_PATH } })).stdout).toContain(
      `binary: ${join(dir.path, "node_modules", ".bin", "claude")} (../node_modules/.bin)`,
    );
    if (!Bun.which("npx", { PATH: BARE_PATH })) return;
    // What the hint runs: the same words with --version in place of the login subcommand.
    const hint = claudeIn(result)?.fix?.replace(" auth login, or set ANTHROPIC_API_KEY", " --version") ?? "";
    const ran = Bun.spawnSync(["sh", "-c", hint], {
      cwd: dir.demo,
      env: { PATH: BARE_PATH, HOME: process.env.HOME ?? "", NO_UPDATE_NOTIFIER: "1" },
    });
    expect(ran.stdout.toString()).toMatch(/^\d+\.\d+\.\d+ \(Claude Code\)/);
  });

  test("the project's CLI comes before PATH's; PATH's before loki's own; each hint as it runs", async () => {
    await using dir = await projectWithClaude();
    const bin = fakeBinDir(dir.demo, { claude: "#!/bin/sh\necho '9.9.9 (fake)'\n" });
    const env = { PATH: `${bin}:${BARE_PATH}` };
    expect(claudeIn(await loki(["doctor", "--json"], { cwd: dir.demo, env }))).toMatchObject({ found_in: "project", version: "2.1.330" });
    await using elsewhere = await tmpdir();
    expect(claudeIn(await loki(["doctor", "--json"], { cwd: elsewhere.path, env }))).toMatchObject({
      path: join(bin, "claude"),
      found_in: "path",
      problem: `Claude Code is installed (${join(bin, "claude")}) but not logged in`,
      fix: "claude auth login, or set ANTHROPIC_API_KEY",
    });
  });

  test("with none in the project or on PATH, the one next to loki (this checkout's npm ci): its absolute path", async () => {
    await using elsewhere = await tmpdir();
    expect(claudeIn(await loki(["doctor", "--json"], { cwd: elsewhere.path, env: { PATH: BARE_PATH } }))).toMatchObject({
      path: REAL_CLAUDE,
      found_in: "loki",
      fix: `${REAL_CLAUDE} auth login, or set ANTHROPIC_API_KEY`,
    });
    const bare = await loki(["doctor", "--json"], { cwd: elsewhere.path, env: { PATH: BARE_PATH }, entry: bareLokiEntry() });
    expect(claudeIn(bare)).toMatchObject({ installed: false, found_in: null, fix: "npm install -g @anthropic-ai/claude-code" });
  });

  test("start spawns the CLI it found in the project's node_modules/.bin", async () => {
    // The bare PATH has node but no bun: the project's tests run with node --test.
    await using s = await scenarioRepo("honest", "", {}, PRD, { "package.json": packageJson("node --test") });
    mkdirSync(join(s.path, "node_modules", ".bin"), { recursive: true });
    // As npm links it: node_modules/.bin/claude is a symlink to the package's entry (here the fake's),
    // which the sandbox then exposes read-only wherever it lives.
    const wrapper = join(s.path, "node_modules", ".bin", "claude");
    symlinkSync(join(AGENTS, "claude"), wrapper);
    const result = await s.loki(["start", "prd.md"], { PATH: BARE_PATH });
    expect(result.code, result.stderr).toBe(0);
    expect(Object.keys(s.integrity().provider)).toContain(wrapper);
  });
});

describe("the compiled binary", () => {
  let work = "";
  let binary = "";
  beforeAll(() => {
    work = mkdtempSync(join(osTmp(), "loki-compiled-"));
    binary = join(work, "pkg", "dist", "loki");
    const build = Bun.spawnSync([process.execPath, "build", "--compile", join(ROOT, "src", "cli.ts"), "--outfile", binary], {
      cwd: ROOT,
      stdout: "ignore",
      stderr: "pipe",
    });
    if (build.exitCode !== 0) throw new Error(`bun build --compile failed: ${build.stderr.toString()}`);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const run = (args: string[], cwd: string) => {
    const proc = Bun.spawnSync([binary, ...args], { cwd, env: { PATH: BARE_PATH, HOME: process.env.HOME ?? "", NO_COLOR: "1" } });
    return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
  };
  const claudeOf = (out: string) => (JSON.parse(out) as Doctor).providers.find((p) => p.id === "claude");

  test("finds the project's CLI from a subdirectory, with no node_modules/.bin on PATH", async () => {
    await using dir = await projectWithClaude();
    const result = run(["doctor", "--json"], dir.demo);
    expect(result.code).toBe(1);
    expect(claudeOf(result.stdout)).toMatchObject({
      path: join(dir.path, "node_modules", ".bin", "claude"),
      found_in: "project",
      fix: LOGIN,
    });
    expect((JSON.parse(result.stdout) as Doctor).headline).toBe(
      `Claude Code is installed (../node_modules/.bin) but not logged in: ${LOGIN}`,
    );
  });

  test("finds the CLI installed next to it (dist/ in a checkout), from anywhere; none when there is none", async () => {
    await using elsewhere = await tmpdir();
    const beside = join(work, "pkg", "node_modules", ".bin", "claude");
    mkdirSync(join(work, "pkg", "node_modules", ".bin"), { recursive: true });
    symlinkSync(REAL_CLAUDE, beside);
    expect(claudeOf(run(["doctor", "--json"], elsewhere.path).stdout)).toMatchObject({
      path: beside,
      found_in: "loki",
      fix: `${beside} auth login, or set ANTHROPIC_API_KEY`,
    });
    const alone = join(work, "alone", "loki");
    mkdirSync(join(work, "alone"));
    copyFileSync(binary, alone);
    const none = Bun.spawnSync([alone, "doctor", "--json"], {
      cwd: elsewhere.path,
      env: { PATH: BARE_PATH, HOME: process.env.HOME ?? "" },
    });
    expect(claudeOf(none.stdout.toString())).toMatchObject({ installed: false, found_in: null });
  });
});
