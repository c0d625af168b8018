// The CLI as a user meets it: version, status, doctor, provider, init, help and typos — real
// processes in throwaway directories, asserting exit codes, stdout/stderr split and files written.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { bareLokiEntry, fakeBinDir, loki } from "../helpers/cli.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { tmpdir } from "../helpers/tmp.ts";

const FAKE_CLAUDE = "#!/bin/sh\n[ \"$1\" = --version ] && echo '2.1.330 (Claude Code)' && exit 0\nexit 1\n";

describe("version and help", () => {
  test("version prints the package version; --json adds the runtime", async () => {
    await using dir = await tmpdir();
    expect((await loki(["version"], { cwd: dir.path })).stdout).toBe(`loki ${pkg.version}\n`);
    const json = (await loki(["version", "--json"], { cwd: dir.path })).json();
    expect(json).toMatchObject({ version: pkg.version, bun: Bun.version });
  });

  test("help groups commands by workflow; no arguments shows it too", async () => {
    await using dir = await tmpdir();
    const help = await loki([], { cwd: dir.path });
    expect(help.code).toBe(0);
    expect(help.stdout + help.stderr).toMatch(/Plan a build:[\s\S]*plan[\s\S]*Inspect and configure:[\s\S]*doctor/);
  });

  test("a typo is a usage error (exit 3) with a suggestion", async () => {
    await using dir = await tmpdir();
    const result = await loki(["plna"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("unknown command 'plna'. Did you mean 'plan'?");
    const strat = await loki(["strat", "--budget", "5"], { cwd: dir.path });
    expect(strat.code).toBe(3);
    expect(strat.stderr).toStartWith("error: unknown command 'strat'. Did you mean 'start'?\n");
    const sub = await loki(["proof", "lst"], { cwd: dir.path });
    expect(sub.code).toBe(3);
    expect(sub.stderr).toContain("unknown command 'lst'. Did you mean 'list'?");
  });

  test.each([
    [["start", "--provider", "gpt9"], "error: --provider must be one of claude, codex, cline, aider, opencode; got gpt9"],
    [["plan", "--provider", "gpt9"], "error: --provider must be one of claude, codex, cline, aider, opencode; got gpt9"],
    [["resume", "--provider", "Claude"], "error: --provider must be one of claude, codex, cline, aider, opencode; got Claude"],
    [["start", "--failover", "codex,gpt9"], "error: --failover must be one of claude, codex, cline, aider, opencode; got gpt9"],
  ])("an invalid choice names the flag, its values and what was given: %p", async (args, message) => {
    await using dir = await tmpdir({ git: true, commit: true });
    const result = await loki(args, { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr.split("\n")[0]).toBe(message);
    expect(existsSync(join(dir.path, ".loki"))).toBe(false);
  });
});

describe("status", () => {
  test("with no run: inactive, the next command, exit 0, nothing written", async () => {
    await using dir = await tmpdir({ git: true });
    const result = await loki(["status", "--json"], { cwd: dir.path });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ schema_version: 1, status: "inactive", run_id: null, next: expect.stringContaining("loki") });
    expect(existsSync(join(dir.path, ".loki"))).toBe(false);
    expect((await loki(["status"], { cwd: dir.path })).stdout).toContain("inactive");
  });

  test("a session whose process is gone is reported dead, with resume as the next step", async () => {
    await using dir = await tmpdir({ git: true });
    const session = {
      schema_version: 1,
      run_id: "r1",
      pid: 999_999,
      status: "running",
      provider: "claude",
      spec: "prd.md",
      started_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
    };
    dir.write(".loki/session.json", JSON.stringify(session));
    const result = (await loki(["status", "--json"], { cwd: dir.path })).json();
    expect(result).toMatchObject({ status: "dead", pid_alive: false, next: expect.stringContaining("loki resume") });
  });

  test("a corrupt session file is a clear error (exit 3), not a stack trace", async () => {
    await using dir = await tmpdir({ git: true });
    dir.write(".loki/session.json", '{"schema_version": 1, "run_id": 5}');
    const result = await loki(["status"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: .*session.json does not match its schema/m);
    expect(result.stderr).toMatch(/^hint: move it aside/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("a closed pipe", () => {
  // `loki doctor | true`: the reader is gone before loki writes its first line.
  test("output into a pipe whose reader went away ends quietly: no EPIPE, no stack", async () => {
    await using dir = await tmpdir();
    const script = `"$1" "$2" doctor | true; "$1" "$2" help | true`;
    const proc = Bun.spawn(["sh", "-c", script, "sh", process.execPath, cliBundle()], {
      cwd: dir.path,
      env: { ...process.env, PATH: "/usr/bin:/bin" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const stderr = await new Response(proc.stderr).text();
    expect(await proc.exited).toBe(0);
    expect(stderr).not.toContain("EPIPE");
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});

describe("doctor and provider", () => {
  test("no provider installed: exit 1, each with its install command", async () => {
    await using dir = await tmpdir();
    const result = await loki(["doctor", "--json"], { cwd: dir.path, env: { PATH: "/usr/bin:/bin" }, entry: bareLokiEntry() });
    expect(result.code).toBe(1);
    const report = result.json<{ ok: boolean; providers: { id: string; installed: boolean; fix: string }[] }>();
    expect(report.ok).toBe(false);
    expect(report.providers.find((p) => p.id === "claude")).toMatchObject({
      installed: false,
      fix: "npm install -g @anthropic-ai/claude-code",
    });
  });

  test("an installed but logged-out CLI says how to log in; with a key it is usable (exit 0)", async () => {
    await using dir = await tmpdir();
    const bin = fakeBinDir(dir.path, { claude: FAKE_CLAUDE });
    const PATH = `${bin}:/usr/bin:/bin`;
    const out = (await loki(["doctor", "--json"], { cwd: dir.path, env: { PATH } })).json<{
      providers: { id: string; version: string; auth: string; fix: string }[];
    }>();
    expect(out.providers.find((p) => p.id === "claude")).toMatchObject({
      version: "2.1.330",
      auth: "missing",
      fix: expect.stringContaining("claude auth login"),
    });
    const ready = await loki(["doctor", "--json"], { cwd: dir.path, env: { PATH, ANTHROPIC_API_KEY: "test-key" } });
    expect(ready.code).toBe(0);
    // OpenCode, found next to loki (its devDependency), takes the same key: usable too.
    expect(ready.json()).toMatchObject({ ok: true, usable_providers: ["claude", "opencode"] });
    const human = await loki(["doctor"], { cwd: dir.path, env: { PATH, ANTHROPIC_API_KEY: "test-key" } });
    expect(human.stdout).toContain("ready ($ANTHROPIC_API_KEY)");
    expect(human.stdout).not.toContain("test-key");
  });

  test("a CLI found only in the project's node_modules/.bin counts", async () => {
    await using dir = await tmpdir();
    const { mkdirSync, renameSync } = await import("node:fs");
    const bin = fakeBinDir(dir.path, { codex: "#!/bin/sh\necho 'codex-cli 0.169.0'\n" });
    mkdirSync(join(dir.path, "node_modules"), { recursive: true });
    renameSync(bin, join(dir.path, "node_modules", ".bin"));
    const out = (await loki(["provider", "list", "--json"], { cwd: dir.path, env: { PATH: "/usr/bin:/bin", OPENAI_API_KEY: "k" } })).json<{
      providers: { id: string; usable: boolean; version: string }[];
    }>();
    expect(out.providers.find((p) => p.id === "codex")).toMatchObject({ usable: true, version: "0.169.0" });
  });

  test("provider set writes .loki/config.yaml, keeps other keys, and show reports the source", async () => {
    await using dir = await tmpdir({ git: true });
    dir.write(".loki/config.yaml", "# team settings\nmax_iterations: 12\n");
    expect((await loki(["provider", "set", "codex"], { cwd: dir.path })).code).toBe(0);
    const text = readFileSync(join(dir.path, ".loki/config.yaml"), "utf8");
    expect(text).toContain("# team settings");
    expect(text).toContain("max_iterations: 12");
    expect(text).toContain("provider: codex");
    const show = (await loki(["provider", "show", "--json"], { cwd: dir.path })).json();
    expect(show).toMatchObject({ provider: "codex", source: join(dir.path, ".loki/config.yaml") });
    const bad = await loki(["provider", "set", "gemini"], { cwd: dir.path });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("Allowed choices are claude, codex, cline, aider, opencode");
  });
});

describe("init", () => {
  test("writes prd.md from a template into a new git repo; refuses to overwrite", async () => {
    await using dir = await tmpdir();
    const result = await loki(["init", "demo", "--template", "todo-app"], { cwd: dir.path });
    expect(result.code).toBe(0);
    const prd = readFileSync(join(dir.path, "demo", "prd.md"), "utf8");
    expect(prd).toStartWith("# Tickoff");
    expect(existsSync(join(dir.path, "demo", ".git"))).toBe(true);
    const { git } = await import("../helpers/tmp.ts");
    expect(git(join(dir.path, "demo"), ["status", "--porcelain"])).toBe("");
    expect(git(join(dir.path, "demo"), ["log", "--format=%s"]).trim()).toBe("Start from the loki template todo-app");
    const again = await loki(["init", "demo", "--template", "todo-app"], { cwd: dir.path });
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("already exists");
    expect((await loki(["init", "demo", "--template", "library", "--force"], { cwd: dir.path })).code).toBe(0);
  });

  test("a new directory inside an existing repository becomes its own project", async () => {
    await using dir = await tmpdir({ commit: true });
    expect((await loki(["init", "demo", "-t", "cli-tool"], { cwd: dir.path })).code).toBe(0);
    const { git } = await import("../helpers/tmp.ts");
    expect(git(join(dir.path, "demo"), ["rev-parse", "--show-toplevel"]).trim()).toEndWith("/demo");
    expect(git(join(dir.path, "demo"), ["status", "--porcelain"])).toBe("");
    dir.write("existing/notes.md", "x\n");
    expect((await loki(["init", "existing", "-t", "library"], { cwd: dir.path })).code).toBe(0);
    expect(git(dir.path, ["status", "--porcelain"])).toContain("existing/");
  });

  test("lists the templates (the first six among them); an unknown name suggests the nearest", async () => {
    await using dir = await tmpdir();
    const list = (await loki(["init", "--list", "--json"], { cwd: dir.path })).json<{ templates: { name: string }[] }>();
    const names = list.templates.map((t) => t.name);
    expect(names.length).toBeGreaterThanOrEqual(20);
    for (const name of ["cli-tool", "fullstack-compose", "landing-page", "library", "rest-api-auth", "todo-app"])
      expect(names).toContain(name);
    const bad = await loki(["init", "x", "--template", "todo"], { cwd: dir.path });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("did you mean todo-app?");
    expect(existsSync(join(dir.path, "x"))).toBe(false);
  });
});

describe("flag validation", () => {
  test("a count flag that is not a whole number is refused before any work (exit 3)", async () => {
    await using dir = await tmpdir();
    const result = await loki(["plan", "--max-iterations", "abc", "x.md"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("option '--max-iterations <n>' argument 'abc' is invalid");
    expect(existsSync(join(dir.path, ".loki"))).toBe(false);
  });
});
